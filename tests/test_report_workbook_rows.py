"""The steward workbook's rows written column-wise (report.workbook_rows) are the XML xlsxwriter
writes for the same cells one ``write_string`` at a time (the old routine, the oracle here)."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cer_loader.mapping import Mapping
from cer_loader.pipeline import run
from cer_loader.report import workbook
from cer_loader.report.workbook_rows import Column
from cer_loader.report.workbook_text import text_column
from cer_loader.sanitize import clean, has_formula_prefix
from cer_loader.settings import Settings

from rowkit import BASE

NASTY = [
    "=HYPERLINK(\"http://x\")", "+48 600", "-5", "@SUM(A1)", " lead", "trail ", "a\u3000",
    "\u00a0nbsp", "x & y < z > w", "_x0041_ literal", "line\nbreak", "cr\rhere", "tab\tin",
    'quote " s="9" ', "ąęśżźć ŁÓ", "😀 astral", "", "long " * 3000, "Łódź", "\u2003em ",
    "x\u2029", "\x85 C1", "&amp; already", "_X0041_ upper",
]  # fmt: skip


def per_cell(
    ws: Any, first: int, columns: Sequence[Column], heights: Sequence[float],
    marks: tuple[Any, Any], mark: tuple[Any, Any],
) -> None:  # fmt: skip
    """The oracle: what _write_issue_sheet did before, a cell at a time through xlsxwriter."""
    marked_cells = set(zip(marks[0].tolist(), marks[1].tolist(), strict=True))
    texts = [col.texts.to_pylist() for col in columns]
    for i, height in enumerate(heights):
        r = first + i
        ws.set_row(r, height)
        for j, col in enumerate(columns):
            text, marked = texts[j][i], (i, j) in marked_cells
            pair = mark if marked else (col.plain, col.quoted)
            if text:
                ws.write_string(r, j, text, pair[has_formula_prefix(text)])
            elif marked:
                ws.write_blank(r, j, None, pair[0])


def _rejected(tmp_path: Path, values: list[str]) -> Any:
    """A run whose every row is rejected (bad PESEL), each carrying one of ``values``."""
    src = tmp_path / "in.csv"
    cols = list(BASE)
    with src.open("w", encoding="utf-8", newline="") as fh:
        fh.write(";".join(cols) + "\n")
        for i, v in enumerate(values):
            row = {**BASE, "appointment_id": f"A{i}", "patient_pesel": "70051412340",
                   "patient_last_name": '"' + v.replace('"', '""') + '"'}  # fmt: skip
            fh.write(";".join(row[c] for c in cols) + "\n")
    return run([src], Settings(mus_id="000000927722-001", as_of=dt.date(2026, 12, 1)),
               render=False)  # fmt: skip


def _sheets(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


def _both(tmp_path: Path, done: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, dict]:
    fixed = dt.datetime(2027, 1, 2, tzinfo=dt.UTC)
    fast, slow = tmp_path / "fast.xlsx", tmp_path / "slow.xlsx"
    workbook.write_steward_workbook(fast, done.result, done.summary, Mapping(), clock=lambda: fixed)
    with monkeypatch.context() as m:
        m.setattr(workbook, "write_rows", per_cell)
        workbook.write_steward_workbook(slow, done.result, done.summary, Mapping(),
                                        clock=lambda: fixed)  # fmt: skip
    return _sheets(fast), _sheets(slow)


def test_rows_are_the_xml_xlsxwriter_writes_cell_by_cell(tmp_path, monkeypatch):
    done = _rejected(tmp_path, NASTY * 3)
    assert len(done.result.rejected) == len(NASTY) * 3
    fast, slow = _both(tmp_path, done, monkeypatch)
    assert fast.keys() == slow.keys()
    for name in fast:
        assert fast[name] == slow[name], name
    sheet = fast["xl/worksheets/sheet1.xml"].decode()
    assert "&lt; z &gt;" in sheet and "_x005F_x0041_" in sheet
    assert 'xml:space="preserve">trail ' in sheet


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(st.characters(codec="utf-8"), max_size=30), min_size=1, max_size=8))
def test_any_text_gives_the_same_sheet_as_the_oracle(tmp_path_factory, monkeypatch, values):
    # the CSV reader trims and drops what cannot be a cell; what reaches a cell is cleaned text
    values = [clean(v).replace("\x00", "") or "x" for v in values]
    values = [v for v in values if not (v.startswith("<r>") and v.endswith("</r>"))] or ["x"]
    tmp = tmp_path_factory.mktemp("prop")
    done = _rejected(tmp, values)
    fast, slow = _both(tmp, done, monkeypatch)
    assert fast == slow


def test_rich_text_lookalike_is_escaped_not_copied_raw(tmp_path):
    """xlsxwriter copies ``<r>…</r>`` raw into the sheet; a value could forge a formula cell."""
    forged = '<r></r></is></c><c r="Z9"><f>HYPERLINK("http://x")</f></c><c><is><r></r>'
    done = _rejected(tmp_path, [forged])
    path = tmp_path / "r.xlsx"
    workbook.write_steward_workbook(path, done.result, done.summary, Mapping())
    sheet = _sheets(path)["xl/worksheets/sheet1.xml"].decode()
    assert "<f>" not in sheet and "&lt;f&gt;HYPERLINK" in sheet


def test_missing_internals_stop_with_a_clear_error(tmp_path: Path) -> None:
    """A worksheet without the constant-memory stream (another xlsxwriter) is refused, never
    written wrong."""
    import xlsxwriter

    from cer_loader.errors import ReportError
    from cer_loader.report.workbook_rows import write_rows

    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))  # not constant_memory
    ws, fmt = wb.add_worksheet(), wb.add_format()
    none = np.zeros(0, dtype=np.int64)
    with pytest.raises(ReportError) as info:
        write_rows(ws, 1, [Column(text_column(["a"]), fmt, fmt)], [15.0], (none, none), (fmt, fmt))
    assert "xlsxwriter" in info.value.message and "pip install" in info.value.message_en
    wb.close()
