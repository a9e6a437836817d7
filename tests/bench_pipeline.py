"""Benchmark (run with ``pytest -m slow -s tests/bench_pipeline.py``): map → normalize → validate
→ render on generated rows, printing rows/s per stage. Not a timed test: it asserts only that
every row is accounted for."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stdnum.pl import pesel as std_pesel

from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.catalogues.rules import load_rules
from cer_loader.catalogues.scopes import load_scopes
from cer_loader.ingest.table import SourceTable, add_provenance
from cer_loader.mapping import Mapping, apply_mapping
from cer_loader.normalize import normalize
from cer_loader.render import render_batches
from cer_loader.resources import data_dir
from cer_loader.validate import rejected_rows, validate
from cer_loader.validate.context import Context

from rowkit import AS_OF, BASE, MUS, settings


def generated_table(n: int, seed: int = 1) -> SourceTable:
    rng = np.random.default_rng(seed)
    births = pd.to_datetime("1940-01-01") + pd.to_timedelta(rng.integers(0, 60 * 365, n), unit="D")
    bases = [f"{d.year % 100:02d}{d.month:02d}{d.day:02d}{s:04d}" for d, s in
             zip(births, rng.integers(0, 9999, n), strict=True)]  # fmt: skip
    pesels = [b + std_pesel.calc_check_digit(b) for b in bases]
    bad = rng.random(n) < 0.01  # 1 % injected checksum errors
    pesels = [
        p[:-1] + str((int(p[-1]) + 1) % 10) if x else p for p, x in zip(pesels, bad, strict=True)
    ]
    days = pd.to_datetime("2027-01-04") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    frame = pd.DataFrame({k: [v] * n for k, v in BASE.items()})
    frame["appointment_id"] = [f"A{i}" for i in range(n)]
    frame["patient_pesel"] = pesels
    frame["start_date"] = days.strftime("%d.%m.%Y")
    frame["start_time"] = [
        f"{h}:{m:02d}" for h, m in zip(rng.integers(7, 19, n), rng.integers(0, 60, n), strict=True)
    ]
    frame = add_provenance(frame, Path("bench.csv"), range(2, n + 2))
    return SourceTable(path=Path("bench.csv"), kind="csv", frame=frame, headers=list(BASE),
                       total_records=n + 1, canonical=True)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("n", [100_000])
def test_bench_stages(n: int, tmp_path: Path) -> None:
    schemas = data_dir("schemas")
    ids = load_identifiers(schemas / "identifiers.toml")
    ctx = Context(load_scopes(schemas / "scopes.toml"), AS_OF, MUS)
    rules = load_rules(schemas / "rules.toml")
    table = generated_table(n)
    t0 = time.perf_counter()
    canon = apply_mapping(table, Mapping())
    t1 = time.perf_counter()
    frame = normalize(canon, ids)
    t2 = time.perf_counter()
    issues = validate(frame, ctx, rules)
    t3 = time.perf_counter()
    rejected = rejected_rows(issues)
    accepted = frame.index.difference(rejected)
    files = render_batches(frame.loc[accepted], settings(), ids, tmp_path)
    t4 = time.perf_counter()
    assert len(accepted) + len(rejected) == n
    assert sum(f.records for f in files) == len(accepted)
    for name, a, b in (
        ("map", t0, t1),
        ("normalize", t1, t2),
        ("validate", t2, t3),
        ("render+XSD", t3, t4),
    ):
        print(f"\n{name:>11}: {b - a:6.2f} s  {n / (b - a):>10,.0f} rows/s")
    print(f"{'total':>11}: {t4 - t0:6.2f} s  rows={n} rejected={len(rejected)} files={len(files)}")
