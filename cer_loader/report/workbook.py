"""``report.xlsx``: the data steward's workbook (fix the highlighted cells, save, run it again).

Sheets: "Do poprawy" (one row per rejected input row: its original columns under the source's
own headers, then the rule codes and the message, then grey provenance columns), "Ostrzeżenia"
(rows with warnings, same form), "Podsumowanie" (instructions, parameters, counts) and the very
hidden "_cer_loader" (machine metadata that ``cer_loader.ingest.steward`` reads back).
Every value is written as text (never a formula, identifiers never numbers); mode 0600.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cer_loader.files import write_private
from cer_loader.ingest.steward import (  # fmt: skip
    COL_FILE,
    COL_ID,
    COL_MESSAGE,
    COL_REF,
    COL_ROW,
    COL_RULES,
    FIX_SHEET,
    FORMAT,
    FORMAT_VERSION,
    META_SHEET,
    SUMMARY_SHEET,
    WARN_SHEET,
    safe_text,
)
from cer_loader.mapping import Mapping, enum_choices
from cer_loader.report.origins import Origins, origins_of
from cer_loader.report.rows import LOCAL, TABLE, messages

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from cer_loader.result import RunResult

FAULT_FILL = "FFC7CE"  # light red, as Excel's "bad" style
FAULT_FONT = "9C0006"
HEAD_FILL, PROV_FILL, PROV_FONT = "DDEBF7", "EDEDED", "7F7F7F"
MAX_COMMENTS = 20_000  # beyond this, the message column alone explains (comments are slow)


def _fault_headers(field: str, columns: dict[str, str], headers: set[str]) -> list[str]:
    """The original headers a failing canonical field points at (start → date and time)."""
    names = ["start", "start_date", "start_time"] if field == "start" else [field]
    found = [columns[n] for n in names if n in columns]
    if not found and field in headers:
        found = [field]  # reader issues name the source column itself
    return found


def _rows_for(
    issues: pd.DataFrame, result: RunResult, origins: Origins, headers: list[str], lang: str
) -> tuple[list[Any], dict[Any, list[str]], dict[Any, list[str]], dict[tuple[Any, str], list[str]]]:
    """Labels in input order, rule codes and messages per label, fault messages per cell."""
    if issues.empty:
        return [], {}, {}, {}
    msgs = messages(issues, result.rules, lang)
    rules: dict[Any, list[str]] = defaultdict(list)
    texts: dict[Any, list[str]] = defaultdict(list)
    faults: dict[tuple[Any, str], list[str]] = defaultdict(list)
    present = set(headers)
    for row, code, field, msg in zip(
        issues["row"], issues["rule"], issues["field"], msgs, strict=True
    ):
        if code not in rules[row]:
            rules[row].append(str(code))
        texts[row].append(str(msg))
        columns = origins.columns_of(row)
        for h in _fault_headers(str(field), columns, present):
            faults[(row, h)].append(str(msg))
    index = result.frame.index
    labels = index[index.isin(list(rules))].tolist()  # input order, without a loop over every row
    return labels, rules, texts, faults


def _original_values(result: RunResult, labels: list[Any], headers: list[str]) -> pd.DataFrame:
    frame = result.frame.loc[labels]
    parts = []
    for t, table in enumerate(result.tables):
        sel = frame[frame[TABLE] == t]
        if sel.empty:
            continue
        cols = [c for c in table.frame.columns if not c.startswith("_")]
        part = table.frame.loc[sel[LOCAL].to_numpy(), cols]
        part.index = sel.index
        parts.append(part)
    out = pd.concat(parts) if parts else pd.DataFrame(index=frame.index)
    return out.reindex(index=labels, columns=headers).fillna("").astype("str")


def _write_issue_sheet(
    ws: Worksheet, result: RunResult, issues: pd.DataFrame, origins: Origins, mapping: Mapping,
    lang: str, faults_marked: bool,
) -> int:  # fmt: skip
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    headers = origins.headers
    labels, rules, texts, faults = _rows_for(issues, result, origins, headers, lang)
    values = _original_values(result, labels, headers)
    extra = [COL_RULES, COL_MESSAGE, COL_FILE, COL_ROW, COL_REF, COL_ID]
    ws.append([safe_text(h) for h in headers + extra])
    prov = origins.provenance(labels)
    ids = result.frame.loc[labels, "appointment_id"].astype("str").tolist() if labels else []
    columns = [values[h].tolist() for h in headers]
    for i, label in enumerate(labels):
        row = [safe_text(col[i]) for col in columns]
        row += [
            "; ".join(rules[label]), safe_text("\n".join(dict.fromkeys(texts[label]))),
            safe_text(prov[0][i]), str(prov[1][i]), safe_text(prov[2][i]), safe_text(ids[i]),
        ]  # fmt: skip
        ws.append(row)
    n, width = len(labels), len(headers) + len(extra)
    # everything is text: formulas never, identifiers never numbers
    for row_cells in ws.iter_rows(min_row=1, max_row=n + 1, max_col=width):
        for cell in row_cells:
            if cell.data_type != "s":
                cell.data_type = "s"
            v = cell.value
            if v and v[0] in "=+-@\t\r":
                cell.quotePrefix = True
            cell.number_format = "@"
    head_fill, prov_fill = (
        PatternFill("solid", fgColor=HEAD_FILL),
        PatternFill("solid", fgColor=PROV_FILL),
    )
    for j in range(1, width + 1):
        c = ws.cell(1, j)
        c.font = Font(bold=True, color=PROV_FONT if j > len(headers) + 2 else None)
        c.fill = prov_fill if j > len(headers) + 2 else head_fill
    grey = Font(color=PROV_FONT)
    for j in range(len(headers) + 3, width + 1):
        for i in range(2, n + 2):
            ws.cell(i, j).font = grey
    wrap = Alignment(wrap_text=True, vertical="top")
    for i in range(2, n + 2):
        ws.cell(i, len(headers) + 2).alignment = wrap
    if faults_marked:
        fill, font = PatternFill("solid", fgColor=FAULT_FILL), Font(color=FAULT_FONT)
        pos = {h: j + 1 for j, h in enumerate(headers)}
        at = {label: i + 2 for i, label in enumerate(labels)}
        for k, ((label, h), msgs) in enumerate(faults.items()):
            cell = ws.cell(at[label], pos[h])
            cell.fill, cell.font = fill, font
            if k < MAX_COMMENTS:
                comment = Comment("\n".join(dict.fromkeys(msgs)), "cer-loader")
                comment.width, comment.height = 320, 110
                cell.comment = comment
    for j, h in enumerate(headers + extra, start=1):
        sample = [len(h)] + [len(str(c[i])) for c in ([columns[j - 1]] if j <= len(headers) else [])
                             for i in range(min(n, 200))]  # fmt: skip
        w = 60 if h == COL_MESSAGE else min(max(max(sample) + 2, 9), 40)
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.auto_filter.ref = f"A1:{get_column_letter(width)}{n + 1}"
    if n and faults_marked:
        for field, choices in enum_choices(mapping).items():
            for h in origins.headers_for(field):
                letter = get_column_letter(headers.index(h) + 1)
                dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"',
                                    allow_blank=True, showErrorMessage=True, errorStyle="warning")  # fmt: skip
                dv.error = "Wybierz wartość z listy: " + ", ".join(choices)
                dv.prompt = "Dozwolone: " + ", ".join(choices)
                dv.showInputMessage = True
                dv.add(f"{letter}2:{letter}{n + 1}")
                ws.add_data_validation(dv)
    return n


INSTRUCTIONS = {
    "pl": [
        "Jak poprawić odrzucone wiersze",
        "1. Arkusz „Do poprawy” zawiera tylko odrzucone wiersze, z kolumnami jak w pliku źródłowym.",
        "2. Popraw podświetlone komórki; komentarz w komórce i kolumna „CER: co poprawić” mówią, "
        "co jest nie tak.",
        "3. Nie zmieniaj nagłówków, nie usuwaj i nie przestawiaj kolumn; nie zmieniaj szarych "
        "kolumn „CER: …” po prawej — wiążą wiersz z plikiem źródłowym.",
        "4. Wiersz, którego nie da się poprawić, usuń z arkusza (pozostanie odrzucony).",
        "5. Zapisz plik jako .xlsx i uruchom: cer-loader run report.xlsx --out NOWY_KATALOG",
        "6. Wiersze już przyjęte wcześniej nie trafią do paczki drugi raz.",
    ],
    "en": [
        "How to fix the rejected rows",
        "1. Sheet 'Do poprawy' holds only the rejected rows, with the source file's columns.",
        "2. Fix the highlighted cells; the cell comment and column 'CER: co poprawić' say what "
        "is wrong.",
        "3. Do not change headers, delete or move columns; do not edit the grey 'CER: …' columns "
        "on the right: they tie each row to its source file.",
        "4. Delete a row that cannot be fixed (it stays rejected).",
        "5. Save as .xlsx and run: cer-loader run report.xlsx --out NEW_FOLDER",
        "6. Rows accepted earlier are never put into a payload again.",
    ],
}
LABELS = {
    "pl": ("Parametry przebiegu", "MUŚ", "Stan na", "Przebieg", "Utworzono", "Plik stanu",
           "Bilans", "Wiersze danych", "Przyjęte (nowe)", "Przyjęte wcześniej", "Odrzucone",
           "Wiersze z ostrzeżeniami", "Pliki wejściowe", "Plik", "Rodzaj", "Wiersze", "SHA-256",
           "Odrzucenia według reguł", "Reguła", "Wiersze", "Opis"),
    "en": ("Run parameters", "MUŚ", "As of", "Run", "Created", "State file", "Balance",
           "Data rows", "Accepted (new)", "Accepted earlier", "Rejected", "Rows with warnings",
           "Input files", "File", "Kind", "Rows", "SHA-256", "Rejections by rule", "Rule",
           "Rows", "Description"),
}  # fmt: skip


def fill_summary(ws: Worksheet, result: RunResult, summary: dict[str, Any]) -> None:
    """Instructions, run parameters, balance, files with SHA-256, rejections per rule."""
    from openpyxl.styles import Font

    lang = "en" if result.settings.lang == "en" else "pl"
    L, s = LABELS[lang], summary
    run_id, state_path = result.run_id, result.state_path
    lines: list[list[Any]] = [[x] for x in INSTRUCTIONS[lang]] + [[]]
    heads = {0, len(lines)}
    lines += [[L[0]], [L[1], s.get("mus_id", "")], [L[2], s.get("as_of", "")], [L[3], run_id],
              [L[4], dt.datetime.now().strftime("%Y-%m-%d %H:%M")],
              [L[5], str(state_path) if state_path else ""], []]  # fmt: skip
    heads.add(len(lines))
    lines += [[L[6]], [L[7], s.get("input_rows", 0)], [L[8], s.get("accepted_new", s.get("accepted", 0))],
              [L[9], s.get("already_loaded", 0)], [L[10], s.get("rejected", 0)],
              [L[11], s.get("rows_with_warnings", 0)], []]  # fmt: skip
    heads.add(len(lines))
    lines += [[L[12]], [L[13], L[14], L[15], L[10], L[16]]]
    lines += [
        [f["path"], f["kind"], f["input_rows"], f["rejected"], f["sha256"]]
        for f in s.get("files", [])
    ]
    lines.append([])
    heads.add(len(lines))
    lines += [[L[17]], [L[18], L[19], L[20]]]
    for code, n in s.get("rejections_by_rule", {}).items():
        rule = result.rules.get(code)
        text = rule.title(lang) if rule else ""
        lines.append([code, n, text])
    for line in lines:
        ws.append([safe_text(v) if isinstance(v, str) else v for v in line])
    for cell in ws["A"]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
    for i in heads:
        ws.cell(i + 1, 1).font = Font(bold=True, size=12)
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    ws.cell(1, 1).font = Font(bold=True, size=14)
    for letter, width in zip("ABCDE", (48, 22, 12, 12, 66), strict=True):
        ws.column_dimensions[letter].width = width


def _write_meta(ws: Worksheet, result: RunResult, origins: Origins, mapping: Mapping,
                state_path: Path | None, run_id: str) -> None:  # fmt: skip
    s = result.settings
    settings = {
        "mus_id": s.mus_id, "regon": s.regon, "nip": s.nip, "nfz_branch": s.nfz_branch,
        "as_of": s.as_of.isoformat(), "batch_size": s.batch_size,
        **{k: str(getattr(s, k)) for k in ("scopes", "rules", "identifiers", "template_dir", "xsd")},
    }  # fmt: skip
    rows: list[tuple[str, str]] = [
        ("format", FORMAT), ("format_version", str(FORMAT_VERSION)), ("run_id", run_id),
        ("created", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        ("mus_id", s.mus_id), ("as_of", s.as_of.isoformat()), ("lang", s.lang),
        ("state", str(state_path.resolve()) if state_path else ""),
        ("settings", json.dumps(settings, ensure_ascii=False)),
        ("values", json.dumps(mapping.values, ensure_ascii=False)),
        ("columns", json.dumps({"rules": COL_RULES, "message": COL_MESSAGE, "file": COL_FILE,
                                "row": COL_ROW, "ref": COL_REF, "id": COL_ID}, ensure_ascii=False)),
    ]  # fmt: skip
    rows += [("origin", json.dumps(o, ensure_ascii=False)) for o in origins.items]
    for key, value in rows:
        ws.append([key, value])
        ws.cell(ws.max_row, 2).data_type = "s"
    ws.sheet_state = "veryHidden"


def write_steward_workbook(
    path: Path,
    result: RunResult,
    summary: Any,
    mapping: Mapping,
) -> None:
    """Write the steward's workbook for ``result`` to ``path`` (mode 0600, atomically)."""
    from openpyxl import Workbook

    lang = result.settings.lang
    origins = origins_of(result, mapping)
    merged = Mapping(values={**origins.values, **mapping.values})
    state_path, run_id = result.state_path, result.run_id
    wb = Workbook()
    fix = wb.active
    fix.title = FIX_SHEET
    _write_issue_sheet(fix, result, result.errors, origins, merged, lang, True)
    warn = wb.create_sheet(WARN_SHEET)
    _write_issue_sheet(warn, result, result.warnings, origins, merged, lang, True)
    fill_summary(wb.create_sheet(SUMMARY_SHEET), result, summary)
    _write_meta(wb.create_sheet(META_SHEET), result, origins, merged, state_path, run_id)
    buf = io.BytesIO()
    wb.save(buf)
    write_private(path, buf.getvalue())
