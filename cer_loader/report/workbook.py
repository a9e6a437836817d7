"""``report.xlsx``: the data steward's workbook (fix the highlighted cells, save, run it again).

Sheets: "Do poprawy" (one row per rejected input row: first the message saying what to fix
and the rule codes, then its original columns under the source's own headers, then grey
provenance columns), "Ostrzeżenia" (rows with warnings, same form, marked yellow instead of
red), "Podsumowanie" and the very hidden "_cer_loader" (:mod:`cer_loader.report.workbook_meta`).

Written by xlsxwriter in ``constant_memory`` mode: rows stream to disk one by one, so memory
does not grow with the number of rows. Every value is written as text (never a formula,
identifiers never numbers; a formula-like text also gets Excel's quote prefix) after
:func:`cer_loader.sanitize.clean`, so no content can make the writer fail. Mode 0600, renamed
into place when complete.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.files import Outputs
from cer_loader.ingest.steward import (  # fmt: skip
    COL_FILE,
    COL_ID,
    COL_MESSAGE,
    COL_REF,
    COL_ROW,
    COL_RULES,
    FIX_SHEET,
    META_SHEET,
    SUMMARY_SHEET,
    WARN_SHEET,
)
from cer_loader.mapping import Mapping, enum_choices
from cer_loader.report.origins import Origins, original_columns, origins_of
from cer_loader.report.view import ReportView, report_view
from cer_loader.report.workbook_issues import sheet_rows
from cer_loader.report.workbook_meta import cell_text, write_meta_sheet, write_summary_sheet
from cer_loader.report.workbook_rows import Column, write_rows
from cer_loader.report.workbook_text import lengths, text_column
from cer_loader.report.workbook_zip import FastWorkbook, FastWorksheet
from cer_loader.sanitize import clean_column, has_formula_prefix

if TYPE_CHECKING:
    from xlsxwriter.workbook import Format, Workbook
    from xlsxwriter.worksheet import Worksheet

    from cer_loader.result import RunResult

Clock = Callable[[], dt.datetime]
# cell colours: errors as Excel's "bad" style, warnings as its "neutral" one
MARKS = {"error": ("FFC7CE", "9C0006"), "warning": ("FFEB9C", "9C5700")}
HEAD_FILL, PROV_FILL, PROV_FONT = "DDEBF7", "EDEDED", "7F7F7F"
MESSAGE_WIDTH, LINE_HEIGHT, MAX_HEIGHT = 60, 15, 409
LEAD = [COL_MESSAGE, COL_RULES]
TAIL = [COL_FILE, COL_ROW, COL_REF, COL_ID]
COMMENT = {"author": "cer-loader", "x_scale": 2.5, "y_scale": 1.6}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _width(values: pa.Array, header: str, lo: int = 8, hi: int = 40) -> int:
    longest = int(lengths(values.slice(0, 2000)).max(initial=0))
    return min(max(longest, len(header), lo) + 2, hi)


def _height(text: str) -> float:
    per_line = int(MESSAGE_WIDTH * 1.15)  # proportional text: more letters than width units
    lines = sum(max(1, math.ceil(len(line) / per_line)) for line in text.split("\n"))
    return float(min(max(lines, 1) * LINE_HEIGHT, MAX_HEIGHT))


def _heights(texts: pa.Array) -> list[float]:
    """:func:`_height` of every text: one line's at once for all (most messages are one line)."""
    per_line = int(MESSAGE_WIDTH * 1.15)
    lines = np.maximum(1, -(-lengths(texts) // per_line))
    heights = np.minimum(lines * LINE_HEIGHT, MAX_HEIGHT).astype(float).tolist()
    several = pc.match_substring(texts, "\n").to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(several).tolist():
        heights[i] = _height(texts[i].as_py())
    return heights


class _Formats:
    """The cell formats of an issue sheet, each also with Excel's quote prefix."""

    def __init__(self, wb: Workbook, severity: str) -> None:
        fill, font = MARKS[severity]
        base = {"num_format": "@", "valign": "top"}
        specs: dict[str, dict[str, Any]] = {
            "text": base,
            "mark": {**base, "bg_color": fill, "font_color": font},
            "message": {**base, "text_wrap": True, "font_color": font},
            "prov": {**base, "font_color": PROV_FONT},
            "head": {"bold": True, "bg_color": HEAD_FILL, "valign": "top", "text_wrap": True,
                     "bottom": 1},
            "head_prov": {"bold": True, "bg_color": PROV_FILL, "font_color": PROV_FONT,
                          "valign": "top", "text_wrap": True, "bottom": 1},
        }  # fmt: skip
        self._f: dict[tuple[str, bool], Format] = {}
        for name, spec in specs.items():
            self._f[(name, False)] = wb.add_format(spec)
            self._f[(name, True)] = wb.add_format({**spec, "quote_prefix": True})
        for fmt in self._f.values():  # style numbers in this order, whichever cell comes first
            fmt._get_xf_index()

    def get(self, name: str, text: str) -> Format:
        return self._f[(name, has_formula_prefix(text))]

    def pair(self, name: str) -> tuple[Format, Format]:
        """(plain, quote-prefixed) format of ``name``."""
        return self._f[(name, False)], self._f[(name, True)]


def _write_issue_sheet(
    wb: Workbook, name: str, result: RunResult, view: ReportView, issues: pd.DataFrame,
    origins: Origins, mapping: Mapping, lang: str, severity: str,
) -> int:  # fmt: skip
    headers = origins.headers
    rows = sheet_rows(issues, view, origins, headers, lang)
    labels = rows.labels
    values = original_columns(view.frame, result.tables, labels).reindex(columns=headers)
    columns = [text_column(values[h].fillna("").astype("str")) for h in headers]
    ids = view.frame.loc[labels, "appointment_id"].astype("str").tolist() if labels else []
    tail = [*(text_column(p) for p in origins.provenance(labels)), text_column(clean_column(ids))]
    msg, codes = text_column(rows.messages), text_column(rows.codes)
    lead_n, n = len(LEAD), len(labels)
    width = lead_n + len(headers) + len(TAIL)
    f = _Formats(wb, severity)
    ws: Worksheet = wb.add_worksheet(name, worksheet_class=FastWorksheet)
    # columns: sized to their content, text format for cells a steward adds later too
    ws.set_column(0, 0, MESSAGE_WIDTH, f.get("message", ""))
    ws.set_column(1, 1, _width(codes, COL_RULES, 12), f.get("text", ""))
    for j, h in enumerate(headers):
        ws.set_column(lead_n + j, lead_n + j, _width(columns[j], h), f.get("text", ""))
    for j, h in enumerate(TAIL):
        col = lead_n + len(headers) + j
        ws.set_column(col, col, _width(tail[j], h, hi=60), f.get("prov", ""))
    # rows stream in order (constant memory): header, then one row per rejected input row
    ws.set_row(0, 2 * LINE_HEIGHT)
    for j, h in enumerate(LEAD + headers + TAIL):
        text = cell_text(h)
        ws.write_string(
            0, j, text, f.get("head_prov" if j >= lead_n + len(headers) else "head", text)
        )
    # comments first: xlsxwriter takes them only for rows not yet streamed
    for i, j, note in rows.notes:
        ws.write_comment(i + 1, lead_n + j, cell_text(note), COMMENT)
    cells = [
        Column(msg, *f.pair("message")),
        Column(codes, *f.pair("text")),
        *(Column(c, *f.pair("text")) for c in columns),
        *(Column(t, *f.pair("prov")) for t in tail),
    ]
    marks = (rows.mark_rows, rows.mark_headers + lead_n)
    write_rows(ws, 1, cells, _heights(msg), marks, f.pair("mark"))
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, n, width - 1)
    if n:
        _drop_downs(ws, mapping, origins, {h: lead_n + j for j, h in enumerate(headers)}, n)
    _print_setup(ws, n, lead_n + len(headers) - 1)
    return n


def _drop_downs(
    ws: Worksheet, mapping: Mapping, origins: Origins, pos: dict[str, int], n: int
) -> None:
    for field, choices in enum_choices(mapping).items():
        listed = ",".join(choices)
        if len(listed) > 250:  # a list validation holds at most 255 characters
            continue
        for h in origins.headers_for(field):
            ws.data_validation(1, pos[h], n, pos[h], {
                "validate": "list", "source": choices, "ignore_blank": True,
                "error_type": "warning", "error_message": "Wybierz wartość z listy: " + ", ".join(choices),
                "input_message": "Dozwolone: " + ", ".join(choices)[:250],
            })  # fmt: skip


def _print_setup(ws: Worksheet, n: int, last_col: int) -> None:
    """A4 landscape at a readable scale, across then down; the header row and the message
    column repeated on every page; the grey provenance columns left off the print."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.print_area(0, 0, max(n, 1), last_col)
    ws.repeat_rows(0)
    ws.repeat_columns(0)
    ws.set_print_scale(80)
    ws.print_across()
    ws.set_footer("&L&A&RStrona &P / &N")


def write_steward_workbook(
    path: Path,
    result: RunResult,
    summary: Any,
    mapping: Mapping,
    *,
    clock: Clock = utc_now,
    outputs: Outputs | None = None,
    view: ReportView | None = None,
) -> None:
    """Write the steward's workbook for ``result`` to ``path`` (mode 0600; with ``outputs``
    staged there, else renamed into place at once); ``view``: the rows the reports share."""
    own = outputs is None
    out = Outputs() if outputs is None else outputs
    tmp = out.reserve(path)
    lang = result.settings.lang
    view = report_view(result) if view is None else view
    origins = origins_of(result, mapping, view.frame)
    merged = Mapping(values={**origins.values, **mapping.values})
    created = clock()
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
               "strings_to_urls": False}  # fmt: skip
    wb = None
    try:
        wb = FastWorkbook(str(tmp), options)
        for sheet, issues, severity in ((FIX_SHEET, result.errors, "error"),
                                        (WARN_SHEET, result.warnings, "warning")):  # fmt: skip
            _write_issue_sheet(wb, sheet, result, view, issues, origins, merged, lang, severity)
        write_summary_sheet(wb, SUMMARY_SHEET, result, summary, created)
        write_meta_sheet(wb, META_SHEET, result, origins, merged, created)
        wb.close()
    except BaseException:
        if wb is not None and not wb.fileclosed:
            wb.discard()  # the sheets' temporary row files, which only close() removes
        if own:
            out.discard()
        raise
    if own:
        out.commit()
