"""Our own ``report.xlsx`` read back: the steward's fixed rows → ``SourceTable`` of kind "steward".

Recognised by its very hidden "_cer_loader" sheet (see :mod:`cer_loader.report.workbook`). The rows of
"Do poprawy" are read with the ordinary workbook reader (same cell rules, census, blank rows);
the CER columns are taken off, and each row keeps where it came from originally: the workbook
and its row are ``_source_file``/``_source_row``, the original file and row are
``_source_ref`` ("wizyty.csv:26"). No mapping file is needed: the workbook records, per
original file, which header feeds which CeR field (``cer_loader.mapping.steward_canonical``), and the value maps.

This module also holds the layout both sides share (sheet and column names); ``cer_loader.report.origins``
maps a run's rows back to their original files for the writer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cer_loader.errors import InputError
from cer_loader.ingest.table import SOURCE_REF, SOURCE_ROW, SourceTable

FORMAT, FORMAT_VERSION = "cer-loader-steward-workbook", 1
FIX_SHEET, WARN_SHEET, SUMMARY_SHEET, META_SHEET = (
    "Do poprawy",
    "Ostrzeżenia",
    "Podsumowanie",
    "_cer_loader",
)
COL_RULES, COL_MESSAGE = "CER: reguły", "CER: co poprawić"
COL_FILE, COL_ROW, COL_REF, COL_ID = (
    "CER: plik źródłowy",
    "CER: wiersz źródłowy",
    "CER: odnośnik",
    "CER: id wizyty",
)
CER_COLUMNS = (COL_RULES, COL_MESSAGE, COL_FILE, COL_ROW, COL_REF, COL_ID)
# hidden frame columns of a steward table: the row's original file
ORIGIN, ORIG_FILE, ORIG_ROW, ORIG_REF = (
    "_cer_origin",
    "_cer_orig_file",
    "_cer_orig_row",
    "_cer_orig_ref",
)
# settings a steward workbook carries into its resubmit run (CLI options still win)
SETTING_KEYS = ("mus_id", "regon", "nip", "nfz_branch", "as_of", "batch_size")
PATH_KEYS = ("scopes", "rules", "identifiers", "template_dir", "xsd")
# accepted spellings offered in drop-downs, first one that the value maps accept wins
ENUMS: dict[str, dict[str, list[str]]] = {
    "medical_category": {"pilny": ["pilny"], "stabilny": ["stabilny"]},
    "visit_kind": {"first": ["pierwszorazowa", "pierwsza", "first"],
                   "continuation": ["kontynuacja", "continuation"]},
    "patient_sex": {"F": ["K", "F"], "M": ["M"]},
}  # fmt: skip
_RISKY = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = {c: "\ufffd" for c in [*range(0, 9), 11, 12, *range(14, 32)]}


def safe_text(value: object) -> str:
    """Text a worksheet can hold: no control characters the XML cannot carry."""
    return str(value).translate(_ILLEGAL)


def is_risky(text: str) -> bool:
    return text.startswith(_RISKY)


# --- reading -----------------------------------------------------------------------------


def is_steward_workbook(path: Path) -> bool:
    """True for a workbook that has our metadata sheet (cheap: sheet names only)."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        try:
            return META_SHEET in book.sheet_names
        finally:
            book.close()
    except Exception:  # noqa: BLE001 - not ours, or not readable: the normal reader decides
        return False


def read_meta(path: Path) -> dict[str, Any]:
    """The metadata sheet as a dict (``origin`` rows collected into ``origins``)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    try:
        rows = book.get_sheet_by_name(META_SHEET).to_python()
    finally:
        book.close()
    meta: dict[str, Any] = {"origins": []}
    for row in rows:
        if len(row) < 2 or not row[0]:
            continue
        key, value = str(row[0]), str(row[1])
        if key == "origin":
            meta["origins"].append(json.loads(value))
        elif key in ("settings", "values", "columns"):
            meta[key] = json.loads(value)
        else:
            meta[key] = value
    if meta.get("format") != FORMAT or not meta["origins"]:
        raise InputError(
            "arkusz metadanych cer-loader jest niepełny lub zmieniony; użyj raportu bez zmian w "
            "ukrytych arkuszach",
            "the cer-loader metadata sheet is incomplete or altered", path=path,
        )  # fmt: skip
    if int(meta.get("format_version", "0")) > FORMAT_VERSION:
        raise InputError(
            "raport zapisała nowsza wersja cer-loader; zaktualizuj program",
            "the report was written by a newer cer-loader; please upgrade", path=path,
        )  # fmt: skip
    return meta


def steward_defaults(inputs: list[Path]) -> dict[str, Any]:
    """Run settings recorded in the first steward workbook among ``inputs`` (else empty)."""
    for path in inputs:
        if Path(path).is_file() and is_steward_workbook(path):
            s = read_meta(path).get("settings", {})
            out = {k: s[k] for k in SETTING_KEYS if s.get(k) not in (None, "")}
            out |= {k: Path(s[k]) for k in PATH_KEYS if s.get(k) and Path(s[k]).exists()}
            return out
    return {}


def read_steward(path: Path) -> SourceTable:
    """Read the "Do poprawy" sheet of our own workbook as a table of the original columns."""
    from cer_loader.ingest.workbook.reader import read_workbook

    meta = read_meta(path)
    table = read_workbook(path, sheet=FIX_SHEET, header_row=1)
    origins: list[dict[str, Any]] = meta["origins"]
    data = [h for h in table.headers if h not in CER_COLUMNS]
    needed = {h for o in origins for h in o["columns"].values()} | {COL_FILE, COL_ROW}
    missing = sorted(needed - set(table.headers))
    if missing:
        raise InputError(
            f"w arkuszu „{FIX_SHEET}” brakuje kolumn: {', '.join(missing)} — nie zmieniaj "
            "nagłówków ani kolumn; weź raport jeszcze raz",
            f"sheet '{FIX_SHEET}' lacks the columns: {', '.join(missing)}", path=path,
        )  # fmt: skip
    f = table.frame
    by_path: dict[str, int] = {}
    for k, o in enumerate(origins):
        by_path.setdefault(o["path"], k)
    origin = f[COL_FILE].map(by_path)
    unknown = origin.isna() & ((f[COL_FILE] != "") | (len(origins) > 1))
    if unknown.any():
        first = int(f.loc[unknown, SOURCE_ROW].iloc[0])
        raise InputError(
            f"wiersz {first}: kolumna „{COL_FILE}” zmieniona lub pusta — przywróć ją",
            f"row {first}: column '{COL_FILE}' was changed or emptied", path=path,
        )  # fmt: skip
    out = f[data].copy()
    out[ORIGIN] = origin.fillna(0).astype("int64")
    out[ORIG_FILE] = f[COL_FILE]
    out[ORIG_ROW] = f[COL_ROW]
    out[ORIG_REF] = f[COL_REF] if COL_REF in f.columns else ""
    for col in (c for c in f.columns if c.startswith("_")):
        out[col] = f[col]
    names = out[ORIG_FILE].map(lambda p: Path(p).name if p else "")
    ref = names + ":" + out[ORIG_ROW]
    out[SOURCE_REF] = ref.where(out[ORIG_REF] == "", ref + " " + out[ORIG_REF]).where(
        names != "", ""
    )
    details = {k: v for k, v in table.details.items()}
    details.update(
        format_version=int(meta.get("format_version", "1")), origins=origins,
        values=meta.get("values", {}), state=meta.get("state", ""), first_run=meta.get("run_id", ""),
    )  # fmt: skip
    table.kind, table.frame, table.headers, table.details = "steward", out, data, details
    return table
