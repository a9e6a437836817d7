"""CSV reader and census speed at 100k and 1M rows, clean and with 0.1 % stray quotes.

Run with ``pytest tests/bench_csv.py -m slow -s``; figures are printed, and the only assertion
is that every row is accounted for.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from cer_loader.ingest.csv.census import census_csv, check_balance
from cer_loader.ingest.csv.reader import UNCLOSED_QUOTE, read_csv
from cer_loader.ingest.table import READER_ISSUE

HEADER = "id;pesel;imie;nazwisko;data;godzina;gabinet;zakres;telefon;uwagi"


def make_file(path: Path, n: int, stray_rate: float, quoted: bool | None) -> int:
    """``quoted``: False no quotes, True every 10th note quoted, None every field quoted."""
    rng = np.random.default_rng(7)
    stray = set(rng.choice(n, size=int(n * stray_rate), replace=False).tolist())
    out = [HEADER]
    for i in range(n):
        name = '"Nowak' if i in stray else "Kowalska"  # a stray quote opening a field
        note = '"pilne; zadzwonić"' if quoted and i % 10 == 0 else "brak"
        out.append(
            f"{i};{i % 97:02d}211307589;Anna;{name};2027-01-{i % 28 + 1:02d};09:30;"
            f"GAB-{i % 7};02.1100.001.02;601234567;{note}"
        )
    if quoted is None:
        out = [";".join(f'"{v}"' for v in line.split(";")) for line in out]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return len(stray)


@pytest.mark.slow
@pytest.mark.parametrize("n", [100_000, 1_000_000])
@pytest.mark.parametrize(
    ("label", "stray_rate", "quoted"),
    [
        ("clean, no quotes", 0.0, False),
        ("clean, 10% quoted", 0.0, True),
        ("clean, all quoted", 0.0, None),
        ("0.1% stray", 0.001, True),
    ],
)
def test_bench_read_csv(
    tmp_path: Path, n: int, label: str, stray_rate: float, quoted: bool | None
) -> None:
    p = tmp_path / "bench.csv"
    strays = make_file(p, n, stray_rate, quoted)
    t0 = time.perf_counter()
    table = read_csv(p)
    t1 = time.perf_counter()
    census = census_csv(p, table.details["encoding"], table.details["delimiter"])
    t2 = time.perf_counter()
    check_balance(table, census)
    assert table.data_rows == n
    assert (table.frame[READER_ISSUE] == UNCLOSED_QUOTE).sum() == strays
    print(
        f"\n{label:>18} {n:>9,} rows: read_csv {t1 - t0:6.2f} s ({n / (t1 - t0):>9,.0f} rows/s)"
        f"  census {t2 - t1:5.2f} s ({n / (t2 - t1):>10,.0f} rows/s)"
    )
