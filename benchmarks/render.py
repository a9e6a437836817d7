"""Render + XSD alone: the frame ``render_batches`` receives in a real run, rendered again and timed.

    python benchmarks/render.py FILE MAPPING CONFIG [--workers N] [--repeat R] [--tree-check]

Runs ``cer-loader run``'s pipeline on FILE up to rendering (read, map, normalize, validate), keeps
the frame handed to ``render_batches`` and stops; then renders it R times into a temporary folder
(``workers`` processes, default: the CPUs) and prints, per run, wall seconds, the main process's
CPU seconds, records/s, the peak RSS of the process and its workers summed (sampled), and the
SHA-256 over all payload files (the same whatever the number of workers).
``--tree-check`` checks each batch on its parsed tree only, as before streaming validation
(``xmlstream``). Make FILE with ``cer-loader sample --rows N --out FILE``. Benchmark-only:
nothing here is a timed assertion.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from cer_loader import pipeline
from cer_loader.render import check as check_module
from cer_loader.render import render_batches
from cer_loader.settings import load_settings


class _Captured(Exception):
    pass


def capture(data: Path, mapping: Path, config: Path, out: Path) -> tuple[Any, Any, Any]:
    """The (frame, settings, ids) the pipeline hands to render_batches."""
    got: list[Any] = []

    def grab(f: Any, settings: Any, ids: Any, out_dir: Path, rows: Any = None, **_: Any) -> Any:
        got.extend([f if rows is None else f.loc[rows], settings, ids])  # the rows it renders
        raise _Captured

    original = pipeline.render_batches
    pipeline.render_batches = grab  # type: ignore[assignment]
    try:
        settings = load_settings(config, {})
        pipeline.run([data], settings, mapping_path=mapping, out_dir=out,
                     ledger_path=out / "ledger.sqlite", config_path=config)  # fmt: skip
    except _Captured:
        pass
    finally:
        pipeline.render_batches = original  # type: ignore[assignment]
    if not got:
        raise SystemExit("the run rendered nothing (no accepted rows?)")
    return got[0], got[1], got[2]


def timed(f: Any, settings: Any, ids: Any, out: Path, workers: int | None) -> str:
    me, peak, done = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            try:
                procs = [me, *me.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    t0, c0 = time.perf_counter(), time.process_time()
    files = render_batches(f, settings, ids, out, workers=workers)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    done.set()
    watcher.join()
    digest = hashlib.sha256()
    for p in files:
        digest.update(p.path.read_bytes())
    return (f"{len(f):,} records in {len(files)} files: {wall:.2f} s wall ({len(f) / wall:,.0f}/s), "
            f"main process {cpu:.2f} s CPU (with this sampler), peak RSS summed "
            f"{peak[0] / 2**20:,.0f} MiB, sha256 {digest.hexdigest()[:16]}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("mapping", type=Path)
    ap.add_argument("config", type=Path)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tree-check", action="store_true",
                    help="check every batch on its parsed tree only, as before streaming "
                         "validation (for a paired comparison)")  # fmt: skip
    a = ap.parse_args()
    if a.tree_check:  # benchmark-only: no checker gets a streaming schema
        check_module.compile_schema = lambda doc: None  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        f, settings, ids = capture(a.data, a.mapping, a.config, Path(tmp) / "run")
        for i in range(a.repeat):
            print(timed(f, settings, ids, Path(tmp) / f"payload{i}", a.workers), flush=True)


if __name__ == "__main__":
    main()
