"""The data rows of a steward-workbook sheet, written column-wise into xlsxwriter's row stream.

xlsxwriter costs ~10 µs of Python per cell (``write_string`` → a cell tuple → ``_write_cell``
→ attribute escaping), ~25 cells a row: 2k rows/s. Here every cell of a column is turned into
its ``<c>`` element by one comprehension (escaping decided once per column by one scan of the
joined column, per cell only where that scan found something), rows are joined and handed to
the worksheet's ``constant_memory`` row file in blocks. The XML is what xlsxwriter writes for
the same ``write_string`` / ``write_blank`` / ``set_row`` calls (a test compares them byte for
byte), with one difference: a value that looks like rich text (``<r>…</r>``) is escaped like
any other, where xlsxwriter copies it raw into the sheet (a cell could forge a formula).

This leans on xlsxwriter's constant-memory internals (``_write_single_row``, ``fh``,
``previous_row``, ``_check_dimensions``); :func:`supported` checks they are there (without
them :func:`write_rows` stops with a clear error rather than write a wrong sheet), and pyproject
pins the major version.

:class:`FastWorkbook` zips the parts at zlib's level 1 where xlsxwriter uses the default 6: the
sheet of 100k rows is ~145 MB of XML, which level 6 deflates in ~2.4 CPU seconds and level 1 in
~0.7 (the file grows by about a quarter; every part unzips to the same bytes).
:class:`FastWorksheet` copies the streamed rows into the sheet's XML as bytes, where
xlsxwriter decodes and encodes them again in 64 KB pieces.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import xlsxwriter.workbook
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_col_to_name

from cer_loader.errors import ReportError
from cer_loader.sanitize import FORMULA_PREFIXES

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

FORMULA_START = FORMULA_PREFIXES  # cells starting so get the quote-prefix format
_CONTROL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_SPECIAL = ("&", "<", ">", "\r", "_x")  # XML escapes, and xlsxwriter's control escapes
# a first character that needs a look: a formula prefix, or whitespace (the xml:space attribute)
_WHITE = frozenset(chr(c) for c in range(0x3001) if chr(c).isspace())  # all of str.isspace
_EDGE = frozenset(FORMULA_START) | _WHITE
BLOCK = 5_000  # rows joined and written at once
_UTF16_HALF = 32_767 // 2  # shorter strings cannot pass Excel's limit of UTF-16 units
_INTERNALS = ("_write_single_row", "_check_dimensions", "fh", "previous_row", "table")


ZIP_LEVEL = 1


class _FastZip(zipfile.ZipFile):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)


class FastWorkbook(xlsxwriter.workbook.Workbook):
    """xlsxwriter's workbook, its parts deflated at :data:`ZIP_LEVEL` when it is closed.

    xlsxwriter opens its ``ZipFile`` without a level; the module's name is pointed at a
    subclass that sets one while this workbook is stored, and put back at once."""

    def _store_workbook(self) -> None:
        module = xlsxwriter.workbook
        saved = module.ZipFile
        module.ZipFile = _FastZip
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = saved


class FastWorksheet(xlsxwriter.worksheet.Worksheet):
    """A constant-memory worksheet whose streamed rows reach the sheet's XML as bytes."""

    def _write_optimized_sheet_data(self) -> None:
        fh, rows = self.fh, self.row_data_fh
        if self.dim_rowmin is None or rows is None or not hasattr(fh, "buffer"):
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        rows.close()
        fh.flush()
        with open(self.row_data_filename, "rb") as src:
            shutil.copyfileobj(src, fh.buffer, 1 << 20)
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")


@dataclass(frozen=True)
class Column:
    """One column of cells: texts (already sanitised), plain and quote-prefixed formats."""

    texts: Sequence[str]
    plain: Format
    quoted: Format


def supported(ws: Worksheet) -> bool:
    """The worksheet streams rows (``constant_memory``) through the internals used here."""
    return bool(getattr(ws, "constant_memory", False)) and all(
        hasattr(ws, name) for name in _INTERNALS
    )


def _text_xml(text: str) -> str:
    """``<t>…</t>`` for one text, as xlsxwriter's inline-string writer escapes it."""
    if len(text) > _UTF16_HALF:
        text = _utf16_cut(text)
    if "_x" in text:
        text = _CONTROL_ESCAPE.sub(r"_x005F\1", text)
    if "\r" in text:
        text = text.replace("\r", "_x000D_")
    preserve = text[:1].isspace() or text[-1:].isspace()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<t xml:space="preserve">{text}</t>' if preserve else f"<t>{text}</t>"


def _utf16_cut(text: str) -> str:
    """At most 32,767 UTF-16 units (characters beyond U+FFFF count twice), as xlsxwriter cuts."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > 32_767:
            return text[:i]
    return text


def column_cells(letter: str, rows: Sequence[str], col: Column) -> list[str]:
    """The ``<c>`` element of every cell of one column ("" for an empty cell)."""
    xf, xq = col.plain._get_xf_index(), col.quoted._get_xf_index()
    texts = col.texts
    head = f'<c r="{letter}'
    mid = f'" s="{xf}" t="inlineStr"><is>'
    mid_q = f'" s="{xq}" t="inlineStr"><is>'
    joined = "\x00".join(texts)  # sanitised texts hold no NUL
    if (
        not any(c in joined for c in _SPECIAL)
        and not {t[:1] for t in texts} & _EDGE
        and not {t[-1:] for t in texts} & _WHITE
        and max(map(len, texts), default=0) <= _UTF16_HALF
    ):
        # the common column: nothing to escape, no formula prefix, no edge whitespace
        return [
            f"{head}{r}{mid}<t>{t}</t></is></c>" if t else ""
            for r, t in zip(rows, texts, strict=True)
        ]
    return [
        (f"{head}{r}{mid_q}" if t.startswith(FORMULA_START) else f"{head}{r}{mid}")
        + _text_xml(t)
        + "</is></c>"
        if t
        else ""
        for r, t in zip(rows, texts, strict=True)
    ]


def _marked(cell: str, ref: str, col: Column, mark: tuple[Format, Format]) -> str:
    """A built cell of ``col`` (or an empty one) with the ``mark`` format instead."""
    if not cell:
        return f'<c r="{ref}" s="{mark[0]._get_xf_index()}"/>'
    head = f'<c r="{ref}" s="'
    for fmt, new in zip((col.plain, col.quoted), mark, strict=True):
        old = f'{head}{fmt._get_xf_index()}"'
        if cell.startswith(old):
            return f'{head}{new._get_xf_index()}"{cell[len(old) :]}'
    # cannot happen (every cell of col has one of its formats); the cell text is not quoted:
    # it holds the row's data
    raise ValueError(f"cell {ref}: none of its column's formats")


def _row_attributes(ws: Worksheet, points: float) -> str:
    """What ``set_row(r, points)`` makes xlsxwriter write in ``<row>`` after ``r``."""
    pixels = int(points * 4.0 / 3.0 + 0.5)
    if pixels != ws.original_row_height or pixels != ws.default_row_height:
        return f' ht="{pixels * 0.75:.16g}" customHeight="1"'
    return ""


def write_rows(
    ws: Worksheet,
    first: int,
    columns: Sequence[Column],
    heights: Sequence[float],
    marks: dict[int, set[int]],
    mark: tuple[Format, Format],
) -> None:
    """Rows ``first`` … ``first + n - 1`` of ``ws``: ``columns[j]`` in column j, each row
    ``heights[i]`` points high; ``marks`` (row offset → columns) get the ``mark`` format, a
    blank cell too. Every earlier row must have been written; no later row may be yet."""
    n = len(heights)
    if n == 0:
        return
    if not supported(ws):  # a per-cell fallback would copy rich-text lookalikes raw (above)
        import xlsxwriter

        version = getattr(xlsxwriter, "__version__", "?")
        raise ReportError(
            f"ta wersja xlsxwriter ({version}) nie ma wewnętrznych funkcji, na których opiera się "
            "arkusz do poprawy: zainstaluj wersję z pyproject.toml (pip install -e .)",
            f"this xlsxwriter ({version}) lacks the internals the steward workbook relies on: "
            "install the version pyproject.toml names (pip install -e .)",
        )
    ws._write_single_row(first)  # flush the rows xlsxwriter holds (the header)
    ws._check_dimensions(first, 0)
    ws._check_dimensions(first + n - 1, len(columns) - 1)
    letters = [xl_col_to_name(j) for j in range(len(columns))]
    attrs = {h: _row_attributes(ws, h) for h in set(heights)}
    fh = ws.fh
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        rows = [str(first + 1 + i) for i in range(start, stop)]
        cells = [
            column_cells(letters[j], rows, Column(c.texts[start:stop], c.plain, c.quoted))
            for j, c in enumerate(columns)
        ]
        for i in range(start, stop):
            marked = marks.get(i)
            if marked:
                k = i - start
                for j in marked:
                    cells[j][k] = _marked(cells[j][k], letters[j] + rows[k], columns[j], mark)
        opens = [f'<row r="{r}"{attrs[h]}>' for r, h in zip(rows, heights[start:stop], strict=True)]
        fh.write(
            "".join(
                [
                    f"{o}{''.join(row)}</row>"
                    for o, row in zip(opens, zip(*cells, strict=True), strict=True)
                ]
            )
        )
    ws.previous_row = first + n  # the row after the last: nothing left for xlsxwriter to flush
    ws.table.clear()
