"""report.xlsx as a steward sees it: message first, warnings yellow, deciding cells marked,
printing set up, the clock injectable; streamed (constant memory) and read back by our reader."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from cer_loader.ingest.steward import COL_MESSAGE, COL_RULES, FIX_SHEET, META_SHEET, WARN_SHEET
from cer_loader.mapping import load_mapping
from cer_loader.pipeline import run
from cer_loader.report.workbook import write_steward_workbook
from cer_loader.settings import Settings

from conftest import SAMPLE

FIXED = dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    settings = Settings(mus_id="000000927722-001", as_of=dt.date(2026, 12, 1))
    mapping = SAMPLE / "mapping.toml"
    done = run([SAMPLE / "wizyty_poradnia.csv"], settings, mapping_path=mapping)
    path = tmp_path_factory.mktemp("wb") / "report.xlsx"
    write_steward_workbook(
        path, done.result, done.summary, load_mapping(mapping), clock=lambda: FIXED
    )
    return openpyxl.load_workbook(path)


def rows_of(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, dict[str, object]]:
    head = [c.value for c in ws[1]]
    return {r[head.index("Nr wizyty")].value: dict(zip(head, r, strict=True))
            for r in ws.iter_rows(min_row=2)}  # fmt: skip


def test_message_first_wrapped_and_columns_sized(book: openpyxl.Workbook) -> None:
    ws = book[FIX_SHEET]
    assert ws["A1"].value == COL_MESSAGE and ws["B1"].value == COL_RULES
    assert ws.column_dimensions["A"].width >= 50 and ws["A2"].alignment.wrap_text
    codes = max(len(str(c.value)) for c in ws["B"])
    assert ws.column_dimensions["B"].width >= codes  # rule codes no longer cut off
    long = [r for r in range(2, ws.max_row + 1) if len(str(ws.cell(r, 1).value)) > 80]
    assert long and all(ws.row_dimensions[r].height >= 30 for r in long)  # wrapped, all shown


def test_warnings_have_their_own_colour(book: openpyxl.Workbook) -> None:
    def fills(ws: openpyxl.worksheet.worksheet.Worksheet) -> set[str]:
        return {str(c.fill.fgColor.rgb)[-6:] for row in ws.iter_rows(min_row=2, min_col=3)
                for c in row if c.fill.fill_type == "solid"}  # fmt: skip

    assert fills(book[FIX_SHEET]) == {"FFC7CE"}
    assert fills(book[WARN_SHEET]) == {"FFEB9C"}


def test_programme_rejections_mark_scope_and_pesel_and_say_what_passes(
    book: openpyxl.Workbook,
) -> None:
    rows = rows_of(book[FIX_SHEET])
    for appt in ("W00028", "W00029"):  # programme-sex, programme-age
        row = rows[appt]
        marked = {
            h for h, c in row.items() if c.fill.fill_type == "solid" and h != "CER: co poprawić"
        }  # type: ignore[attr-defined]
        assert marked == {"Kod świadczenia", "PESEL"}, (appt, marked)
        assert "Wiersz przejdzie" in str(row[COL_MESSAGE].value)  # type: ignore[attr-defined]


def test_printing_is_set_up(book: openpyxl.Workbook) -> None:
    ws = book[FIX_SHEET]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in ("9", 9)
    assert ws.print_title_rows == "$1:$1" and ws.print_title_cols == "$A:$A"
    assert int(ws.page_setup.scale) >= 70 and not ws.sheet_properties.pageSetUpPr.fitToPage


def test_clock_is_injected(book: openpyxl.Workbook) -> None:
    meta = dict(book[META_SHEET].iter_rows(values_only=True))
    assert meta["created"] == "2027-01-02T03:04:05+00:00"
