"""Benchmark: read_workbook (calamine) vs openpyxl's read-only reader on 100k × 12.

Run with ``pytest tests/bench_workbook.py -m slow -s``; prints rows/s for both.
"""

from __future__ import annotations

import datetime as dt
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
