"""The "Podsumowanie" and hidden "_cer_loader" sheets of the steward workbook (xlsxwriter).

"Podsumowanie": instructions, run parameters, the balance, input files with SHA-256 and the
rejections per rule. "_cer_loader" (very hidden): the machine metadata that
:mod:`cer_loader.ingest.steward` reads back. Every text through :func:`cer_loader.sanitize.clean`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping as MappingABC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cer_loader.ingest.steward import (  # fmt: skip
    COL_FILE,
    COL_ID,
    COL_MESSAGE,
    COL_REF,
    COL_ROW,
    COL_RULES,
    FORMAT,
    FORMAT_VERSION,
)
from cer_loader.mapping import Mapping
from cer_loader.report.origins import Origins
from cer_loader.sanitize import clean

if TYPE_CHECKING:
    from xlsxwriter.workbook import Workbook

    from cer_loader.result import RunResult

MAX_CELL = 32_767  # characters a spreadsheet cell holds

INSTRUCTIONS = {
    "pl": [
        "Jak poprawić odrzucone wiersze",
        "1. Arkusz „Do poprawy” zawiera tylko odrzucone wiersze, z kolumnami jak w pliku źródłowym.",
        "2. Popraw podświetlone komórki; komentarz w komórce i pierwsza kolumna „CER: co poprawić” "
        "mówią, co jest nie tak i co sprawi, że wiersz przejdzie.",
        "3. Nie zmieniaj nagłówków, nie usuwaj i nie przestawiaj kolumn; nie zmieniaj szarych "
        "kolumn „CER: …” po prawej — wiążą wiersz z plikiem źródłowym.",
        "   Kolumna A („CER: co poprawić”) mówi, co jest nie tak; czerwone komórki to błędy, "
        "żółte (arkusz „Ostrzeżenia”) to ostrzeżenia.",
        "4. Wiersz, którego nie da się poprawić, usuń z arkusza (pozostanie odrzucony).",
        "5. Zapisz plik jako .xlsx i uruchom: cer-loader run report.xlsx --out NOWY_KATALOG",
        "6. Wiersze już przyjęte wcześniej nie trafią do paczki drugi raz.",
    ],
    "en": [
        "How to fix the rejected rows",
        "1. Sheet 'Do poprawy' holds only the rejected rows, with the source file's columns.",
        "2. Fix the highlighted cells; the cell comment and the first column 'CER: co poprawić' "
        "say what is wrong and what would make the row pass.",
        "3. Do not change headers, delete or move columns; do not edit the grey 'CER: …' columns "
        "on the right: they tie each row to its source file.",
        "   Column A ('CER: co poprawić') says what is wrong; red cells are errors, yellow ones "
        "(sheet 'Ostrzeżenia') are warnings.",
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


def cell_text(value: object) -> str:
    return clean(value)[:MAX_CELL]


def rule_title(result: RunResult, code: str, lang: str) -> str:
    rule = result.rules.get(code)
    return rule.title(lang) if rule is not None else ""


def write_summary_sheet(
    wb: Workbook, name: str, result: RunResult, summary: MappingABC[str, Any], created: dt.datetime
) -> None:
    """Instructions, run parameters, balance, files with SHA-256, rejections per rule."""
    lang = "en" if result.settings.lang == "en" else "pl"
    L, s = LABELS[lang], summary
    state_path = result.state_path
    lines: list[list[Any]] = [[x] for x in INSTRUCTIONS[lang]] + [[]]
    heads = {0, len(lines)}
    lines += [[L[0]], [L[1], s.get("mus_id", "")], [L[2], s.get("as_of", "")],
              [L[3], result.run_id], [L[4], created.astimezone().strftime("%Y-%m-%d %H:%M")],
              [L[5], str(state_path) if state_path else ""], []]  # fmt: skip
    heads.add(len(lines))
    lines += [[L[6]], [L[7], s.get("input_rows", 0)],
              [L[8], s.get("accepted_new", s.get("accepted", 0))],
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
        lines.append([code, n, rule_title(result, code, lang)])
    ws = wb.add_worksheet(name)
    text = wb.add_format({"num_format": "@", "valign": "top"})
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "font_size": 12})
    for letter, width in zip("ABCDE", (48, 22, 12, 12, 66), strict=True):
        ws.set_column(f"{letter}:{letter}", width)
    for r, line in enumerate(lines):
        for c, v in enumerate(line):
            if isinstance(v, bool) or not isinstance(v, int | float):
                fmt = title if r == 0 and c == 0 else head if c == 0 and r in heads else text
                ws.write_string(r, c, cell_text(v), fmt)
            else:
                ws.write_number(r, c, v)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)


def write_meta_sheet(
    wb: Workbook, name: str, result: RunResult, origins: Origins, mapping: Mapping,
    created: dt.datetime,
) -> None:  # fmt: skip
    s = result.settings
    state_path: Path | None = result.state_path
    settings = {
        "mus_id": s.mus_id, "regon": s.regon, "nip": s.nip, "nfz_branch": s.nfz_branch,
        "as_of": s.as_of.isoformat(), "batch_size": s.batch_size,
        **{k: str(getattr(s, k)) for k in ("scopes", "rules", "identifiers", "template_dir", "xsd")},
    }  # fmt: skip
    rows: list[tuple[str, str]] = [
        ("format", FORMAT), ("format_version", str(FORMAT_VERSION)), ("run_id", result.run_id),
        ("created", created.astimezone(dt.UTC).isoformat(timespec="seconds")),
        ("mus_id", s.mus_id), ("as_of", s.as_of.isoformat()), ("lang", s.lang),
        ("state", str(state_path.resolve()) if state_path else ""),
        ("settings", json.dumps(settings, ensure_ascii=False)),
        ("values", json.dumps(mapping.values, ensure_ascii=False)),
        ("columns", json.dumps({"rules": COL_RULES, "message": COL_MESSAGE, "file": COL_FILE,
                                "row": COL_ROW, "ref": COL_REF, "id": COL_ID}, ensure_ascii=False)),
    ]  # fmt: skip
    rows += [("origin", json.dumps(o, ensure_ascii=False)) for o in origins.items]
    ws = wb.add_worksheet(name)
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, cell_text(value))
    ws.very_hidden()
