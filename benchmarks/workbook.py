"""The steward workbook at scale: ``python benchmarks/workbook.py --rows 100000``.

A sample clinic export with every row defective (``cer-loader sample --defects 1.0``: each row
carries one defect a rule rejects) is validated in process (no payload), then ``report.xlsx``
is written alone, ``--repeat`` times: rows/s (wall and CPU) of the writer, and the process's
peak RSS before and after writing (``ru_maxrss``: the whole process, run included). Prints one
Markdown line per size. Figures depend on the machine and what else runs on it: compare a
change with a paired run (``farm-bench`` or alternating runs), and say so when quoting them.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(rows: int, tmp: Path, repeat: int) -> str:
    from cer_loader.mapping import load_mapping
    from cer_loader.pipeline import run
    from cer_loader.report.workbook import write_steward_workbook
    from cer_loader.samples.writers import write_sample
    from cer_loader.settings import load_settings

    w = write_sample(tmp / f"wadliwe_{rows}.csv", "csv", rows, 1.0, seed=1)
    settings = load_settings(w.config, {})
    done = run([w.data], settings, mapping_path=w.mapping, render=False,
               ledger_path=tmp / f"ledger_{rows}.sqlite", config_path=w.config)  # fmt: skip
    rejected, warned = len(done.result.rejected), len(done.result.warnings)
    mapping = load_mapping(w.mapping)
    before = peak_mb()
    best = None
    for k in range(repeat):
        out = tmp / f"report_{rows}_{k}.xlsx"
        t, c = time.perf_counter(), time.process_time()
        write_steward_workbook(out, done.result, done.summary, mapping)
        took = (time.perf_counter() - t, time.process_time() - c)
        best = took if best is None or took[0] < best[0] else best
        size = out.stat().st_size
        out.unlink()
    assert best is not None
    wall, cpu = best
    return (
        f"| {rows:,} | {rejected:,} rejected, {warned:,} warning rows | {wall:.2f} s | "
        f"**{rejected / wall:,.0f} rows/s** ({rejected / cpu:,.0f} per CPU second) | "
        f"{size / 1e6:.1f} MB | {before:,.0f} MB → **{peak_mb():,.0f} MB** |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000])
    ap.add_argument("--repeat", type=int, default=2, help="writes per size; the fastest counts")
    args = ap.parse_args()
    print("| input rows | steward rows | write (best) | rejected rows written | report.xlsx | "
          "peak RSS before → after |\n|---|---|---|---|---|---|")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmpdir:
        for n in args.rows:
            print(bench(n, Path(tmpdir), args.repeat), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
