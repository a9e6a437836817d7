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
from cer_loader.report.workbook_meta import (
    MAX_CELL,
    cell_text,
    write_meta_sheet,
    write_summary_sheet,
)
from cer_loader.report.workbook_rows import Column, FastWorkbook, FastWorksheet, write_rows
from cer_loader.sanitize import clean, clean_column, has_formula_prefix

if TYPE_CHECKING:
    from xlsxwriter.workbook import Format, Workbook
    from xlsxwriter.worksheet import Worksheet

    from cer_loader.result import RunResult

Clock = Callable[[], dt.datetime]
# cell colours: errors as Excel's "bad" style, warnings as its "neutral" one
MARKS = {"error": ("FFC7CE", "9C0006"), "warning": ("FFEB9C", "9C5700")}
HEAD_FILL, PROV_FILL, PROV_FONT = "DDEBF7", "EDEDED", "7F7F7F"
MAX_COMMENTS = 5_000  # beyond this, the message column alone explains (comment shapes are
# slow to write, and to open: LibreOffice draws each one)
MESSAGE_WIDTH, LINE_HEIGHT, MAX_HEIGHT = 60, 15, 409
LEAD = [COL_MESSAGE, COL_RULES]
TAIL = [COL_FILE, COL_ROW, COL_REF, COL_ID]
# rules decided by other cells than their field: the scope, and the PESEL the sex and age come
# from (the sex or birth date cell only for a patient without PESEL)
DECIDING = {"programme-sex": "patient_sex", "programme-age": "patient_birth_date"}
HINTS = {
    "programme-sex": (
        "Płeć wynika z numeru PESEL. Wiersz przejdzie, gdy kod zakresu wskaże świadczenie "
        "dostępne dla tej płci albo gdy błędny PESEL zostanie poprawiony.",
        "The sex follows from the PESEL. The row passes when the scope code names a service "
        "open to this sex, or when a wrong PESEL is corrected.",
    ),
    "programme-age": (
        "Wiek liczy się rocznikowo z numeru PESEL (lub daty urodzenia) i daty wizyty. Wiersz "
        "przejdzie, gdy kod zakresu wskaże program dla tego wieku albo gdy błędny PESEL lub "
        "data urodzenia zostaną poprawione.",
        "The age is counted by birth year from the PESEL (or birth date) and the visit date. "
        "The row passes when the scope code names a programme for this age, or when a wrong "
        "PESEL or birth date is corrected.",
    ),
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _filled(value: object) -> bool:
    return bool(pd.notna(value)) and str(value) != ""


def _fault_headers(
    code: str, field: str, columns: dict[str, str], headers: set[str], has_pesel: bool
) -> list[str]:
    """The original headers a failing rule points at (start → date and time)."""
    if code in DECIDING:
        names = ["scope_code", "patient_pesel" if has_pesel else DECIDING[code]]
        return [columns[n] for n in names if n in columns]
    names = ["start", "start_date", "start_time"] if field == "start" else [field]
    found = [columns[n] for n in names if n in columns]
    if not found and field in headers:
        found = [field]  # reader issues name the source column itself
    return found


def _rows_for(
    issues: pd.DataFrame, view: ReportView, origins: Origins, headers: list[str], lang: str
) -> tuple[list[Any], dict[Any, list[str]], dict[Any, list[str]], dict[Any, dict[str, list[str]]]]:
    """Labels in input order, rule codes and messages per label, fault messages per cell
    (per label: header → messages)."""
    if issues.empty:
        return [], {}, {}, {}
    msgs = view.shown(issues)[1]
    rules: dict[Any, list[str]] = {}
    texts: dict[Any, list[str]] = {}
    faults: dict[Any, dict[str, list[str]]] = {}
    present = set(headers)
    hints = {code: f". {pair[lang == 'en']}" for code, pair in HINTS.items()}
    frame = view.frame
    pesel = frame["patient_pesel"] if "patient_pesel" in frame.columns else None
    rows = issues["row"].tolist()
    origin_of = origins.index.reindex(pd.Index(rows).unique()).astype("int64").to_dict()
    # the cells a rule marks depend on the origin, the rule, the field and (programme rules)
    # whether the row has a PESEL: decided once per combination, not per issue
    cells: dict[tuple[int, str, str, bool], list[str]] = {}
    for row, code, field, text in zip(
        rows, issues["rule"].astype(str).tolist(), issues["field"].astype(str).tolist(),
        msgs.astype(str).tolist(), strict=True,
    ):  # fmt: skip
        hint = hints.get(code)
        if hint is not None:
            text += hint
        known = rules.get(row)
        if known is None:
            rules[row], texts[row] = [code], [text]
        else:
            if code not in known:
                known.append(code)
            texts[row].append(text)
        has_pesel = code in DECIDING and pesel is not None and _filled(pesel.at[row])
        key = (origin_of[row], code, field, has_pesel)
        hit = cells.get(key)
        if hit is None:
            columns = origins.items[key[0]]["columns"]
            hit = cells[key] = _fault_headers(code, field, columns, present, has_pesel)
        if hit:
            marked = faults.setdefault(row, {})
            for h in hit:
                marked.setdefault(h, []).append(text)
    index = frame.index
    labels = index[index.isin(list(rules))].tolist()  # input order, without a loop over every row
    return labels, rules, texts, faults


def _width(values: list[str], header: str, lo: int = 8, hi: int = 40) -> int:
    longest = max((len(v) for v in values[:2000]), default=0)
    return min(max(longest, len(header), lo) + 2, hi)


def _height(text: str) -> float:
    per_line = int(MESSAGE_WIDTH * 1.15)  # proportional text: more letters than width units
    lines = sum(max(1, math.ceil(len(line) / per_line)) for line in text.split("\n"))
    return float(min(max(lines, 1) * LINE_HEIGHT, MAX_HEIGHT))


def _heights(texts: list[str]) -> list[float]:
    """:func:`_height` of every text: one line's at once for all (most messages are one line)."""
    per_line = int(MESSAGE_WIDTH * 1.15)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    lines = np.maximum(1, -(-lengths // per_line))
    heights = np.minimum(lines * LINE_HEIGHT, MAX_HEIGHT).astype(float).tolist()
    for i, text in enumerate(texts):
        if "\n" in text:
            heights[i] = _height(text)
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


def _cut(texts: list[str]) -> list[str]:
    """Texts cut to what a cell holds (a copy only when one is longer)."""
    if max(map(len, texts), default=0) <= MAX_CELL:
        return texts
    return [t[:MAX_CELL] for t in texts]


def _clean(texts: list[str]) -> list[str]:
    """:func:`cer_loader.sanitize.clean_column` for texts: one scan of the joined column, a
    per-text pass only when it holds a character a workbook cannot carry."""
    joined = "\n".join(texts)  # LF is no such character
    return texts if clean(joined) == joined else [clean(t) for t in texts]


def _write_issue_sheet(
    wb: Workbook, name: str, result: RunResult, view: ReportView, issues: pd.DataFrame,
    origins: Origins, mapping: Mapping, lang: str, severity: str,
) -> int:  # fmt: skip
    headers = origins.headers
    labels, rules, texts, faults = _rows_for(issues, view, origins, headers, lang)
    values = original_columns(view.frame, result.tables, labels).reindex(columns=headers)
    columns = [_clean(values[h].fillna("").astype("str").tolist()) for h in headers]
    prov = [clean_column(p) for p in origins.provenance(labels)]
    ids = view.frame.loc[labels, "appointment_id"].astype("str").tolist() if labels else []
    ids = clean_column(ids)
    msg = _cut(_clean(["\n".join(dict.fromkeys(texts[label])) for label in labels]))
    codes = ["; ".join(rules[label]) for label in labels]
    tail = [*prov, ids]
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
    pos = {h: lead_n + j for j, h in enumerate(headers)}
    marks: dict[int, set[int]] = {}
    comments = 0
    # comments first: xlsxwriter takes them only for rows not yet streamed
    for i, label in enumerate(labels):
        if label not in faults:
            continue
        marked = {pos[h]: m for h, m in faults[label].items()}
        marks[i] = set(marked)
        for c, m in marked.items():
            if comments < MAX_COMMENTS:
                comments += 1
                note = cell_text("\n".join(dict.fromkeys(m)))
                ws.write_comment(i + 1, c, note, {"author": "cer-loader", "x_scale": 2.5,
                                                   "y_scale": 1.6})  # fmt: skip
    cells = [
        Column(msg, *f.pair("message")),
        Column(codes, *f.pair("text")),
        *(Column(_cut(c), *f.pair("text")) for c in columns),
        *(Column(_cut(t), *f.pair("prov")) for t in tail),
    ]
    write_rows(ws, 1, cells, _heights(msg), marks, f.pair("mark"))
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, n, width - 1)
    if n:
        _drop_downs(ws, mapping, origins, pos, n)
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
    try:
        wb = FastWorkbook(str(tmp), options)
        for sheet, issues, severity in ((FIX_SHEET, result.errors, "error"),
                                        (WARN_SHEET, result.warnings, "warning")):  # fmt: skip
            _write_issue_sheet(wb, sheet, result, view, issues, origins, merged, lang, severity)
        write_summary_sheet(wb, SUMMARY_SHEET, result, summary, created)
        write_meta_sheet(wb, META_SHEET, result, origins, merged, created)
        wb.close()
    except BaseException:
        if own:
            out.discard()
        raise
    if own:
        out.commit()
