"""The steward workbook at scale: ``python benchmarks/workbook.py --rows 100000``.

A sample clinic export with every row defective (``cer-loader sample --defects 1.0``: each row
carries one defect a rule rejects; ``--defects 0.01`` for a realistic share) is validated in
process (no payload), then ``report.xlsx`` is written alone, ``--repeat`` times: rows/s (wall
and CPU) of the writer, and the process's peak RSS before and after writing (``ru_maxrss``: the
whole process, run included). With ``--all-reports`` every report of the run is written too
(``report.writer.write_reports``: the CSVs, the workbook, the HTML page, summary.json), timed
the same way. Prints one Markdown line per size (and per measure). Figures depend on the machine and what else runs on it: compare a
change with a paired run (``farm-bench`` or alternating runs), and say so when quoting them.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(repeat: int, write: Any) -> tuple[float, float]:
    best = None
    for k in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        write(k)
        took = (time.perf_counter() - t, time.process_time() - c)
        best = took if best is None or took[0] < best[0] else best
    assert best is not None
    return best


def bench(rows: int, tmp: Path, repeat: int, defects: float, all_reports: bool) -> list[str]:
    from cer_loader.mapping import load_mapping
    from cer_loader.pipeline import run
    from cer_loader.report.workbook import write_steward_workbook
    from cer_loader.report.writer import write_reports
    from cer_loader.samples.writers import write_sample
    from cer_loader.settings import load_settings

    w = write_sample(tmp / f"wadliwe_{rows}.csv", "csv", rows, defects, seed=1)
    settings = load_settings(w.config, {})
    done = run([w.data], settings, mapping_path=w.mapping, render=False,
               ledger_path=tmp / f"ledger_{rows}.sqlite", config_path=w.config)  # fmt: skip
    rejected, warned = len(done.result.rejected), len(done.result.warnings)
    mapping = load_mapping(w.mapping)
    before = peak_mb()
    sizes: list[int] = []

    def book(k: int) -> None:
        out = tmp / f"report_{rows}_{k}.xlsx"
        write_steward_workbook(out, done.result, done.summary, mapping)
        sizes.append(out.stat().st_size)
        out.unlink()

    wall, cpu = _best(repeat, book)
    lines = [
        f"| {rows:,} | {rejected:,} rejected, {warned:,} warning rows | {wall:.2f} s | "
        f"**{rejected / wall:,.0f} rows/s** ({rejected / cpu:,.0f} per CPU second) | "
        f"{sizes[-1] / 1e6:.1f} MB | {before:,.0f} MiB → **{peak_mb():,.0f} MiB** |"
    ]
    if all_reports:

        def reports(k: int) -> None:
            out = tmp / f"reports_{rows}_{k}"
            out.mkdir()
            write_reports(done.result, done.summary, mapping, out)
            shutil.rmtree(out)

        wall, cpu = _best(repeat, reports)
        lines.append(
            f"| {rows:,} | all reports ({rejected:,} rejected rows) | {wall:.2f} s | "
            f"{cpu:.2f} CPU s | | → **{peak_mb():,.0f} MiB** |"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000])
    ap.add_argument("--repeat", type=int, default=2, help="writes per size; the fastest counts")
    ap.add_argument("--defects", type=float, default=1.0, help="share of defective rows")
    ap.add_argument("--all-reports", action="store_true", help="time write_reports too")
    args = ap.parse_args()
    print("| input rows | steward rows | write (best) | rejected rows written | report.xlsx | "
          "peak RSS before → after |\n|---|---|---|---|---|---|")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmpdir:
        for n in args.rows:
            lines = bench(n, Path(tmpdir), args.repeat, args.defects, args.all_reports)
            print("\n".join(lines), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
