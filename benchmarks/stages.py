"""One instrumented ``cer-loader run`` (the child process of ``benchmarks/run.py``).

The pipeline's stage functions are wrapped with timers (benchmark-only instrumentation; the
run itself is the real ``pipeline.run`` with every output written), and the figures are
printed as one JSON line: seconds per stage, the run's CPU seconds in this process, rows,
accepted, rejected.

    python benchmarks/stages.py FILE MAPPING CONFIG OUT [--validate-only] [--workers N]
        [--method thread|forkserver|spawn]
"""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

from cer_loader import pipeline, render
from cer_loader.report import writer
from cer_loader.settings import load_settings

# the pipeline's module-level functions that make the stages (those that exist are timed)
STAGES = {
    "read": "read_inputs", "map": "combine", "normalize": "normalize", "validate": "validate",
    "render+XSD": "render_batches", "row reports": "write_issue_csv",
    "summary": "build_summary", "workbook": "write_steward_workbook", "html": "write_html_report",
    "all reports": "write_reports",
}  # fmt: skip


def instrument(times: dict[str, float]) -> None:
    for stage, name in STAGES.items():
        # the pipeline's own functions, and the report writers behind report.writer.write_reports
        module = next((m for m in (pipeline, writer) if hasattr(m, name)), None)
        if module is None:
            continue
        fn = getattr(module, name)

        def timed(*a: Any, _fn: Any = fn, _stage: str = stage, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                times[_stage] = times.get(_stage, 0.0) + time.perf_counter() - t

        setattr(module, name, functools.wraps(fn)(timed))


def main(argv: list[str]) -> None:
    data, mapping, config, out = (Path(a) for a in argv[:4])
    validate_only = "--validate-only" in argv
    given: dict[str, Any] = {}
    if "--workers" in argv:
        given["workers"] = int(argv[argv.index("--workers") + 1])
    if "--method" in argv:  # thread, forkserver, spawn (default: render.default_method)
        given["method"] = argv[argv.index("--method") + 1]
    if given:
        original = render.render_batches
        pipeline.render_batches = functools.partial(original, **given)  # type: ignore[assignment]
    times: dict[str, float] = {}
    instrument(times)
    settings = load_settings(config, {})
    out.mkdir(parents=True, exist_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    if validate_only:  # validation alone: no payload, no reports (as a frictionless script)
        result = pipeline.run([data], settings, mapping_path=mapping, render=False,
                              ledger_path=out / "ledger.sqlite", config_path=config)  # fmt: skip
    else:  # a fresh ledger of its own: nothing counts as loaded by an earlier run
        result = pipeline.run([data], settings, mapping_path=mapping, out_dir=out,
                              ledger_path=out / "ledger.sqlite", config_path=config)  # fmt: skip
    times["whole run"] = time.perf_counter() - t0
    cpu = time.process_time() - c0  # this process's CPU seconds (all its threads)
    s = result.summary
    print(json.dumps({"times": times, "cpu": cpu, "rows": s["input_rows"], "accepted": s["accepted"],
                      "rejected": s["rejected"], "balance": s["balance_holds"]}))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
