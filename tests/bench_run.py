"""End-to-end benchmark (``pytest -m slow -s tests/bench_run.py``): a generated cp1250 CSV of
100k (and, with BENCH_1M=1, 1M) rows with ~1 % defects, through ``pipeline.run`` with every
output (payload, rejected/warnings CSV, summary, report.xlsx, report.html). Prints figures."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from bench_pipeline import generated_table

from cer_loader.pipeline import run

from rowkit import settings

SIZES = [100_000] + ([1_000_000] if os.environ.get("BENCH_1M") else [])


def write_csv(path: Path, n: int) -> None:
    table = generated_table(n)
    cols = [c for c in table.frame.columns if not c.startswith("_")]
    frame = table.frame[cols]
    frame.to_csv(path, sep=";", index=False, encoding="cp1250", lineterminator="\r\n")


@pytest.mark.slow
@pytest.mark.parametrize("n", SIZES)
def test_bench_run(n: int, tmp_path: Path) -> None:
    src = tmp_path / "wizyty.csv"
    write_csv(src, n)
    t0 = time.perf_counter()
    result = run(
        [src], settings(), out_dir=tmp_path / "out", ledger_path=tmp_path / "ledger.sqlite"
    )
    took = time.perf_counter() - t0
    s = result.summary
    assert s["input_rows"] == n == s["accepted"] + s["rejected"] and s["balance_holds"]
    print(
        f"\n{n:,} rows, {src.stat().st_size / 1e6:.1f} MB: {took:.1f} s = {n / took:,.0f} rows/s "
        f"(accepted {s['accepted']:,}, rejected {s['rejected']:,}, payload files {len(s['payload'])})"
    )
