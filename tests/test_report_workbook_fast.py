"""The steward workbook's faster pieces give what xlsxwriter and the per-text helpers give:
the zip level and the rows deflated as they are written change no part of the file (unzipped),
the heights of whole columns are those of one text at a time."""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from pathlib import Path

import pytest
import xlsxwriter.packager
import xlsxwriter.vml
import xlsxwriter.workbook
import xlsxwriter.worksheet
from hypothesis import given
from hypothesis import strategies as st
from test_report_workbook_rows import NASTY, _rejected

from cer_loader.mapping import Mapping
from cer_loader.report import workbook, workbook_rows, workbook_zip
from cer_loader.report.workbook_text import text_column
from cer_loader.report.workbook_zip import crc32_combine

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


@given(st.binary(max_size=3000), st.binary(max_size=3000))
def test_crc_of_two_parts_joined_is_the_crc_of_the_whole(a: bytes, b: bytes) -> None:
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@pytest.mark.parametrize("writer", ["spliced", "inflated"])
def test_deflated_rows_unzip_to_the_sheet_and_pass_the_crc_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    """The rows deflated as written, spliced into the sheet's entry (or, with a zipfile whose
    writer lacks the attributes used, inflated and deflated again), unzip to the sheet the
    per-cell xlsxwriter writes; the zip's own CRC check passes."""
    if writer == "inflated":
        monkeypatch.setattr(workbook_zip, "_WRITER", ("_no_such_attribute",))
    done = _rejected(tmp_path, NASTY * 40)
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    workbook.write_steward_workbook(fast, done.result, done.summary, Mapping(), clock=lambda: FIXED)
    with monkeypatch.context() as m:
        m.setattr(workbook, "FastWorkbook", xlsxwriter.workbook.Workbook)
        m.setattr(workbook, "FastWorksheet", xlsxwriter.worksheet.Worksheet)
        workbook.write_steward_workbook(plain, done.result, done.summary, Mapping(),
                                        clock=lambda: FIXED)  # fmt: skip
    with zipfile.ZipFile(fast) as z:
        assert z.testzip() is None
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.compress_size < sheet.file_size / 3
    assert _parts(fast) == _parts(plain)
    assert b"cer-loader rows" not in _parts(fast)["xl/worksheets/sheet1.xml"]
    assert not list(tmp_path.glob("**/*.tmp"))


def test_a_failed_write_leaves_no_temporary_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = _rejected(tmp_path, NASTY)
    made: list[workbook_zip.DeflatedRows] = []
    real = workbook_rows.DeflatedRows

    def tracked(folder: str | None = None) -> workbook_zip.DeflatedRows:
        made.append(real(folder))
        return made[-1]

    def broken(joined: object) -> memoryview:
        raise OSError("disk full")

    books: list[workbook_zip.FastWorkbook] = []

    class Book(workbook_zip.FastWorkbook):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            books.append(self)

    monkeypatch.setattr(workbook_rows, "DeflatedRows", tracked)
    monkeypatch.setattr(workbook_rows, "utf8_bytes", broken)
    monkeypatch.setattr(workbook, "FastWorkbook", Book)
    out = tmp_path / "r.xlsx"
    with pytest.raises(OSError, match="disk full"):
        workbook.write_steward_workbook(out, done.result, done.summary, Mapping())
    assert made and all(rows.file.closed for rows in made)
    sheets = books[0].worksheets()
    assert sheets and all(ws.row_data_fh.closed for ws in sheets)
    assert not any(Path(ws.row_data_filename).exists() for ws in sheets)
    assert not out.exists() and not list(tmp_path.glob("*.xlsx*"))


def test_comment_shapes_are_xlsxwriters_visible_or_not(tmp_path: Path) -> None:
    def book(cls: type, path: Path) -> dict[str, bytes]:
        wb = cls(str(path))
        ws = wb.add_worksheet()
        ws.write_comment(0, 0, "widoczny & <b>", {"visible": True, "color": "#ff0000"})
        ws.write_comment(4, 2, "ukryty", {"x_scale": 2.5, "y_scale": 1.6, "author": "a"})
        wb.close()
        return _parts(path)

    fast = book(workbook_zip.FastWorkbook, tmp_path / "fast.xlsx")
    plain = book(xlsxwriter.workbook.Workbook, tmp_path / "plain.xlsx")
    assert fast == plain and b"<x:Visible/>" in fast["xl/drawings/vmlDrawing1.vml"]
    assert xlsxwriter.packager.Vml is xlsxwriter.vml.Vml  # put back after the close
