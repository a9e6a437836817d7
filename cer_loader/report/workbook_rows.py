"""The data rows of a steward-workbook sheet, written column-wise into xlsxwriter's row stream.

xlsxwriter costs ~10 µs of Python per cell (``write_string`` → a cell tuple → ``_write_cell``
→ attribute escaping), ~25 cells a row: 2k rows/s. Here a column is one Arrow array
(:mod:`cer_loader.report.workbook_text` escapes it), every cell of a block of rows becomes its
``<c>`` element in one Arrow call per column, a row's cells are joined in one more, and the
block's UTF-8 bytes go to the worksheet's ``constant_memory`` row file as they are: no Python
per cell or per row (into a :class:`~cer_loader.report.workbook_zip.FastWorksheet`, deflated as
they come: :mod:`cer_loader.report.workbook_zip`). The XML is what xlsxwriter writes for the same ``write_string`` /
``write_blank`` / ``set_row`` calls (a test compares them byte for byte), with one difference:
a value that looks like rich text (``<r>…</r>``) is escaped like any other, where xlsxwriter
copies it raw into the sheet (a cell could forge a formula).

This leans on xlsxwriter's constant-memory internals (``_write_single_row``, ``fh``,
``previous_row``, ``_check_dimensions``); :func:`supported` checks they are there (without
them :func:`write_rows` stops with a clear error rather than write a wrong sheet), and pyproject
pins the major version.

"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from xlsxwriter.utility import xl_col_to_name

from cer_loader.errors import ReportError
from cer_loader.report.workbook_text import (
    OPEN,
    OPEN_SPACE,
    TEXT,
    inline_texts,
    scalar,
    utf8_bytes,
)
from cer_loader.report.workbook_zip import DeflatedRows, FastWorksheet

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

BLOCK = 10_000  # rows joined and written at once
_INTERNALS = ("_write_single_row", "_check_dimensions", "fh", "previous_row", "table")


@dataclass(frozen=True)
class Column:
    """One column of cells: texts (a ``workbook_text.text_column``), plain and quote-prefixed
    formats."""

    texts: pa.Array
    plain: Format
    quoted: Format


def supported(ws: Worksheet) -> bool:
    """The worksheet streams rows (``constant_memory``) through the internals used here."""
    return bool(getattr(ws, "constant_memory", False)) and all(
        hasattr(ws, name) for name in _INTERNALS
    )


def _row_attributes(ws: Worksheet, points: float) -> str:
    """What ``set_row(r, points)`` makes xlsxwriter write in ``<row>`` after ``r``."""
    pixels = int(points * 4.0 / 3.0 + 0.5)
    if pixels != ws.original_row_height or pixels != ws.default_row_height:
        return f' ht="{pixels * 0.75:.16g}" customHeight="1"'
    return ""


class _Cells:
    """One column's cells, escaped once, as the pieces of each ``<c>`` element:
    ``<c r="`` + letter (``head``), the row number, ``middle`` (style, type and ``<t>``), the
    escaped text, ``tail``; an empty cell is ``<c r="…" s="…"/>`` when marked, else nothing.
    The middle and tail of a cell are one of :data:`_KINDS` strings, picked per cell."""

    def __init__(self, letter: str, col: Column, marked: np.ndarray, mark: tuple[Format, Format]):
        t = inline_texts(col.texts)
        xf = [col.plain._get_xf_index(), col.quoted._get_xf_index()]
        xf += [mark[0]._get_xf_index(), mark[1]._get_xf_index()]
        # kind: 2 × style (plain, quoted, marked, marked quoted) + preserve; 8 blank; 9 none
        kind = (2 * (2 * marked + t.quoted) + t.preserve).astype(np.int64)
        kind[t.empty] = np.where(marked[t.empty], 8, 9)
        self.kind, self.body, self.vanish = kind, t.body, kind == 9
        self.head = f'<c r="{letter}'
        middles = [f'" s="{xf[k // 2]}" t="inlineStr"><is>{(OPEN, OPEN_SPACE)[k % 2]}'
                   for k in range(8)]  # fmt: skip
        self.middles = pa.array([*middles, f'" s="{xf[2]}"/>', ""], type=TEXT)
        self.tails = pa.array([_CLOSE] * 8 + ["", ""], type=TEXT)
        self.heads = pa.array([self.head] * 9 + [""], type=TEXT)

    def pieces(self, start: int, stop: int, rows: pa.Array) -> list[pa.Array | pa.Scalar]:
        kind = self.kind[start:stop]
        body = self.body.slice(start, stop - start)
        if (kind < 8).all():  # every cell holds text
            middle = self.middles.take(pa.array(kind))
            return [scalar(self.head), rows, middle, body, scalar(_CLOSE)]
        which = pa.array(kind)
        vanish = self.vanish[start:stop]
        row = pc.if_else(pa.array(vanish), _NOTHING, rows) if vanish.any() else rows
        return [self.heads.take(which), row, self.middles.take(which), body,
                self.tails.take(which)]  # fmt: skip


_CLOSE = "</t></is></c>"
_NOTHING, _ROW, _ROW_END = scalar(""), scalar('<row r="'), scalar("</row>")


def write_rows(
    ws: Worksheet,
    first: int,
    columns: Sequence[Column],
    heights: Sequence[float],
    marks: tuple[np.ndarray, np.ndarray],
    mark: tuple[Format, Format],
) -> None:
    """Rows ``first`` … ``first + n - 1`` of ``ws``: ``columns[j]`` in column j, each row
    ``heights[i]`` points high; the cells ``marks`` names (row offsets, columns) get the
    ``mark`` format, a blank cell too. Every earlier row must have been written; no later row
    may be yet."""
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
    mark_rows, mark_cols = (np.asarray(a, dtype=np.int64) for a in marks)
    cells = []
    for j, col in enumerate(columns):
        marked = np.zeros(n, dtype=bool)
        marked[mark_rows[mark_cols == j]] = True
        cells.append(_Cells(xl_col_to_name(j), col, marked, mark))
    levels, which = np.unique(np.asarray(heights, dtype=np.float64), return_inverse=True)
    attrs = pa.array([_row_attributes(ws, h) for h in levels.tolist()], type=TEXT)
    attrs = attrs.take(pa.array(which.astype(np.int64)))
    fh = ws.fh
    as_bytes = hasattr(fh, "buffer") and os.linesep == "\n"  # text mode would write the same
    sink = None
    if isinstance(ws, FastWorksheet):  # deflated as they come, spliced into the zip
        sink = ws.deflated_rows = DeflatedRows(getattr(ws, "tmpdir", None))
    try:
        for start in range(0, n, BLOCK):
            stop = min(start + BLOCK, n)
            rows = pa.array(np.arange(first + 1 + start, first + 1 + stop)).cast(TEXT)
            joined = pc.binary_join_element_wise(
                _ROW, rows, scalar('"'), attrs.slice(start, stop - start), scalar(">"),
                *(p for c in cells for p in c.pieces(start, stop, rows)), _ROW_END, _NOTHING,
            )  # fmt: skip
            data = utf8_bytes(joined)
            if sink is not None:
                sink.write(data)
            elif as_bytes:
                fh.flush()
                fh.buffer.write(data)
            else:
                fh.write(bytes(data).decode("utf-8"))
    except BaseException:
        if sink is not None:  # its file goes now, not when the sheet is collected
            sink.close()
            ws.deflated_rows = None
        raise
    ws.previous_row = first + n  # the row after the last: nothing left for xlsxwriter to flush
    ws.table.clear()
