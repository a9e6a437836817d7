"""The steward workbook's faster pieces give what xlsxwriter and the per-text helpers give:
the zip level and the bytes copy of the streamed rows change no part of the file, the heights
and the cleaning of whole columns are those of one text at a time."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
import xlsxwriter.workbook
import xlsxwriter.worksheet
from hypothesis import given
from hypothesis import strategies as st
from test_report_workbook_rows import NASTY, _rejected

from cer_loader.mapping import Mapping
from cer_loader.report import workbook
from cer_loader.report.workbook_text import text_column

FIXED = dt.datetime(2027, 1, 2, tzinfo=dt.UTC)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:  # docProps/core.xml holds xlsxwriter's own clock
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_every_part_is_what_xlsxwriter_itself_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = _rejected(tmp_path, NASTY * 3)
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    workbook.write_steward_workbook(fast, done.result, done.summary, Mapping(), clock=lambda: FIXED)
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile  # put back after the close
    with monkeypatch.context() as m:
        m.setattr(workbook, "FastWorkbook", xlsxwriter.workbook.Workbook)
        m.setattr(workbook, "FastWorksheet", xlsxwriter.worksheet.Worksheet)
        workbook.write_steward_workbook(plain, done.result, done.summary, Mapping(),
                                        clock=lambda: FIXED)  # fmt: skip
    a, b = _parts(fast), _parts(plain)
    assert a.keys() == b.keys() and "xl/worksheets/sheet1.xml" in a
    for name in a:
        assert a[name] == b[name], name
    with zipfile.ZipFile(fast) as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}


@given(st.lists(st.text(max_size=400) | st.sampled_from(NASTY), max_size=30))
def test_heights_of_a_column_are_those_of_each_text(texts: list[str]) -> None:
    assert workbook._heights(text_column(texts)) == [workbook._height(t) for t in texts]
