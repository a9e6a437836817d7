"""Benchmarks at scale (not part of the test run): ``python benchmarks/run.py --rows 100000 1000000``.

For each size: a sample clinic export is generated (``cer-loader sample``: cp1250 CSV, 1 %
defects), then run in a child process by ``benchmarks/stages.py`` — the real ``pipeline.run``
with every output, its stages timed — while this process samples the peak RSS of the child and
all its descendants (the render workers) with psutil, summed. Then validation alone (no payload,
no reports) and, in the same session, frictionless on the same file with a Table Schema of
equivalent constraints (``benchmarks/table_schema.py``); their throughput ratio is printed
(both sides time the validation call in a warm process: imports done, lazy ones included), and
the same ratio in CPU seconds, which a busy shared machine disturbs less than wall time. HL7:
a SIU dump of the same size read to appointments in a fresh process (``benchmarks/hl7.py``;
messages/s, peak memory). Prints a Markdown table.
Needs the ``bench`` extra (``pip install -e '.[bench]'``). Figures depend on the machine and
on what else runs on it: say so when you quote them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
GB = 10**9  # the "1.5 GB": decimal (until 2026-12-02 this printed GiB as "GB")


def tree_memory(proc: psutil.Process) -> tuple[int, int]:
    """RSS and PSS of ``proc`` and all its descendants, summed. RSS counts a page shared by
    several processes (the forkserver's preloaded modules in every render worker) in each of
    them; PSS splits it between them, so its sum is the memory the tree really holds."""
    rss = pss = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            full = p.memory_full_info()
        except psutil.Error:
            continue
        rss += full.rss
        pss += getattr(full, "pss", full.rss)
    return rss, pss


def measured(cmd: list[str]) -> tuple[dict[str, Any], float, int, int]:
    """Run ``cmd``; its JSON output line, wall seconds and the peak RSS and PSS of its process
    tree (each summed over the tree, sampled every 50 ms)."""
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    proc = psutil.Process(child.pid)
    peak = [0, 0]

    def sample() -> None:
        while child.poll() is None:
            try:
                rss, pss = tree_memory(proc)
            except psutil.Error:
                break
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.05)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, _ = child.communicate()
    wall = time.perf_counter() - t0
    watcher.join()
    if child.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed with {child.returncode}")
    return json.loads(out.strip().splitlines()[-1]), wall, peak[0], peak[1]


def frictionless_rows_per_s(data: Path, rows: int) -> tuple[float, int, float]:
    from frictionless import Dialect, Resource, formats
    from table_schema import schema  # type: ignore[import-not-found]

    control = formats.CsvControl(delimiter=";")
    resource = Resource(path=data.name, basepath=str(data.parent), schema=schema(),
                        encoding="cp1250", dialect=Dialect(controls=[control]))  # fmt: skip
    t0, c0 = time.perf_counter(), time.process_time()
    report = resource.validate(limit_errors=10**9)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    errors = sum(len(t.errors) for t in report.tasks)
    return rows / took, errors, cpu


def hl7_messages_per_s(tmp: Path, rows: int) -> dict[str, float]:
    """An SIU dump of ``rows`` messages read to appointments in a fresh child process
    (``benchmarks/hl7.py``, as the CLI reads it): messages/s with the reader's modules imported
    before the clock (its first call imports them lazily) and with that import counted, and
    the peak RSS and PSS of the child and any process it forks, summed."""
    from cer_loader.samples.writers import write_sample

    w = write_sample(tmp / "dump.hl7", "hl7", rows, 0.01, seed=1)
    got, _, rss, pss = measured([sys.executable, str(HERE / "hl7.py"), str(w.data), str(w.mapping)])
    if got["messages"] != rows:
        raise SystemExit(f"HL7: {got['messages']} messages read of {rows}")
    return {"hl7": rows / got["warm"], "hl7_cold": rows / got["cold"], "hl7_rss": rss,
            "hl7_pss": pss}  # fmt: skip


def bench(
    rows: int, tmp: Path, workers: int | None, friction: bool, method: str | None = None
) -> dict[str, Any]:
    from cer_loader.samples.writers import write_sample

    t0 = time.perf_counter()
    w = write_sample(tmp / f"wizyty_{rows}.csv", "csv", rows, 0.01, seed=1)
    generated = time.perf_counter() - t0
    base = [sys.executable, str(HERE / "stages.py"), str(w.data), str(w.mapping), str(w.config)]
    extra = (["--workers", str(workers)] if workers else []) + (
        ["--method", method] if method else []
    )
    run, wall, rss, pss = measured([*base, str(tmp / f"out_{rows}"), *extra])
    val, val_wall, val_rss, _ = measured([*base, str(tmp / f"val_{rows}"), "--validate-only"])
    row: dict[str, Any] = {
        "rows": rows, "MB": w.data.stat().st_size / 1e6, "generate": generated,
        "times": run["times"], "wall": wall, "rss": rss, "pss": pss, "rejected": run["rejected"],
        "balance": run["balance"], "validate_wall": val["times"]["whole run"],
        "validate_rss": val_rss, "validate_cpu": val.get("cpu"),
    }  # fmt: skip
    if friction:
        row["frictionless"], row["frictionless_errors"], row["frictionless_cpu"] = (
            frictionless_rows_per_s(w.data, rows)
        )
    row.update(hl7_messages_per_s(tmp, rows))
    return row


def table(results: list[dict[str, Any]]) -> str:
    sizes = [f"{r['rows']:,} rows" for r in results]
    lines = ["| stage | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(results)]

    def line(name: str, cells: list[str]) -> None:
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    stages = [s for s in results[0]["times"] if s != "whole run"]
    for s in stages:
        line(s, [f"{r['times'].get(s, 0):.2f} s ({r['rows'] / max(r['times'].get(s, 0), 1e-9):,.0f} rows/s)"
                 for r in results])  # fmt: skip
    line("**whole run** (in-process)", [f"**{r['times']['whole run']:.1f} s** ({r['rows'] / r['times']['whole run']:,.0f} rows/s)" for r in results])  # fmt: skip
    line("whole run, wall incl. start-up", [f"{r['wall']:.1f} s" for r in results])
    line("**peak RSS, all processes** (GB = 10⁹ bytes)", [f"**{r['rss'] / GB:.2f} GB** ({r['rss'] / 2**30:.2f} GiB)" for r in results])  # fmt: skip
    line(
        "peak PSS, all processes (shared pages once)",
        [f"{r['pss'] / GB:.2f} GB" for r in results],
    )
    line("steward workbook", [f"{r['rejected']:,} rows, {r['rejected'] / max(r['times'].get('workbook', 0), 1e-9):,.0f} rows/s" for r in results])  # fmt: skip
    line("validation alone (no outputs)", [f"{r['validate_wall']:.1f} s ({r['rows'] / r['validate_wall']:,.0f} rows/s), {r['validate_rss'] / GB:.2f} GB" for r in results])  # fmt: skip
    if "frictionless" in results[0]:
        line("frictionless validate, same file", [f"{r['rows'] / r['frictionless']:.1f} s ({r['frictionless']:,.0f} rows/s, {r['frictionless_errors']:,} errors)" for r in results])  # fmt: skip
        line("**validation speed-up vs frictionless**", [f"**{r['rows'] / r['validate_wall'] / r['frictionless']:.1f}×**" for r in results])  # fmt: skip
        if all(r.get("validate_cpu") for r in results):  # CPU seconds: steadier on a shared machine
            line("the same in CPU seconds (validation / frictionless)", [f"{r['validate_cpu']:.1f} s / {r['frictionless_cpu']:.1f} s = {r['frictionless_cpu'] / r['validate_cpu']:.1f}×" for r in results])  # fmt: skip
    line("HL7 SIU dump read, fresh process (reader imported; with its import)", [f"{r['hl7']:,.0f} messages/s ({r['hl7_cold']:,.0f})" for r in results])  # fmt: skip
    line("HL7 read: peak RSS / PSS, all processes", [f"{r['hl7_rss'] / GB:.2f} / {r['hl7_pss'] / GB:.2f} GB" for r in results])  # fmt: skip
    line("sample generation (CSV)", [f"{r['generate']:.1f} s, {r['MB']:.0f} MB" for r in results])
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--workers", type=int, default=None, help="render workers (default: CPUs)")
    ap.add_argument("--method", choices=["thread", "forkserver", "spawn"],
                    help="how render workers run (default: threads for a bulk template)")  # fmt: skip
    ap.add_argument("--no-frictionless", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = args.keep or Path(tmpdir)
        tmp.mkdir(parents=True, exist_ok=True)
        results = []
        for n in args.rows:
            results.append(bench(n, tmp, args.workers, not args.no_frictionless, args.method))
            print(f"{n:,} rows done:\n{table(results)}", file=sys.stderr, flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    how = f" --method {args.method}" if args.method else ""
    print(f"\n`python benchmarks/run.py --rows {' '.join(map(str, args.rows))}{how}` — "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {load:.1f} at the end, Python {platform.python_version()}\n")  # fmt: skip
    print(table(results))
    print("\nbalance holds:", all(r["balance"] for r in results))


if __name__ == "__main__":
    main()
