"""Benchmark: read_workbook (calamine) vs openpyxl's read-only reader on 100k × 12.

Run with ``pytest tests/bench_workbook.py -m slow -s``; prints rows/s for both, and for
the steward workbook writer alone its rows/s and peak RSS (``BENCH_WORKBOOK_ROWS=100000``).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import openpyxl
import pytest

from cer_loader.ingest.workbook.cells import cell_text
from cer_loader.ingest.workbook.reader import read_workbook

ROWS = 100_000
HEADER = [
    "Nr wizyty", "PESEL", "Nazwisko", "Imię", "Data wizyty", "Godzina", "Termin",
    "Kod zakresu", "NPWZ", "Telefon", "Klucz e-skierowania", "Uwagi",
]  # fmt: skip


def _write(path: Path) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Wizyty")
    ws.append(["Raport wizyt"])
    ws.append(HEADER)
    day = dt.date(2024, 5, 6)
    for i in range(ROWS):
        ws.append(
            [
                float(100_000 + i),
                2211307589 if i % 3 == 0 else 44051401359,
                f"Nazwisko{i % 997}",
                "Anna",
                day + dt.timedelta(days=i % 60),
                dt.time(8 + i % 10, (i * 5) % 60),
                dt.datetime(2024, 5, 6, 8 + i % 10, (i * 5) % 60),
                "02.1500.001.02",
                5425740.0,
                "+48600123456",
                "1" * 44,
                "" if i % 5 else "pilne",
            ]
        )
    wb.save(path)


@pytest.mark.slow
def test_bench_read_workbook_vs_openpyxl(tmp_path):
    path = tmp_path / "duzy.xlsx"
    start = time.perf_counter()
    _write(path)
    print(f"\nwrote {ROWS} rows in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    table = read_workbook(path)
    ours = time.perf_counter() - start
    assert len(table.frame) == ROWS and table.total_records == table.details["used_rows"]

    start = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    texts = [[cell_text(v) if v is not None else "" for v in row] for row in wb.active.values]
    wb.close()
    theirs = time.perf_counter() - start
    assert len(texts) == ROWS + 2

    print(f"read_workbook (calamine): {ours:.2f} s, {ROWS / ours:,.0f} rows/s")
    print(f"openpyxl read_only + same cell_text: {theirs:.2f} s, {ROWS / theirs:,.0f} rows/s")
    print(f"speed-up: {theirs / ours:.1f}x")


WRITER_ROWS = int(os.environ.get("BENCH_WORKBOOK_ROWS", "20000"))


def _rejected_run(tmp_path: Path, rows: int):  # type: ignore[no-untyped-def]
    """A run of ``rows`` rows, every one rejected (bad PESEL checksum), with 16 source columns."""
    from cer_loader.pipeline import run
    from cer_loader.settings import Settings

    from rowkit import BASE

    src = tmp_path / "odrzucone.csv"
    cols = list(BASE)
    with src.open("w", encoding="utf-8") as fh:
        fh.write(";".join(cols) + "\n")
        for i in range(rows):
            row = {**BASE, "appointment_id": f"A{i:07d}", "patient_pesel": "70051412340"}
            fh.write(";".join(row[c] for c in cols) + "\n")
    settings = Settings(mus_id="000000927722-001", as_of=dt.date(2026, 12, 1))
    return run([src], settings, render=False)


@pytest.mark.slow
def test_bench_steward_workbook_writer(tmp_path):
    """rows/s and peak RSS of writing report.xlsx alone (``BENCH_WORKBOOK_ROWS``, default 20k)."""
    import resource

    from cer_loader.mapping import Mapping
    from cer_loader.report.workbook import write_steward_workbook

    done = _rejected_run(tmp_path, WRITER_ROWS)
    assert len(done.result.rejected) == WRITER_ROWS
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    write_steward_workbook(tmp_path / "report.xlsx", done.result, done.summary, Mapping())
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = (tmp_path / "report.xlsx").stat().st_size
    print(f"\nreport.xlsx, {WRITER_ROWS} rejected rows: {took:.2f} s, "
          f"{WRITER_ROWS / took:,.0f} rows/s, {size / 1e6:.1f} MB, "
          f"peak RSS {peak / 1024:.0f} MB (before writing {before / 1024:.0f} MB)")  # fmt: skip
    table = read_workbook(tmp_path / "report.xlsx", sheet="Do poprawy", header_row=1)
    assert len(table.frame) == WRITER_ROWS
