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
from cer_loader.ingest.options import Limits
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
    """True for a workbook that has our metadata sheet (cheap and safe: the sheet names in
    ``xl/workbook.xml`` read with zipfile and the hardened parser, no calamine)."""
    import zipfile

    from cer_loader.xmlsafe import parse_bytes

    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("xl/workbook.xml")
            if info.file_size > 16 * 1024 * 1024:
                return False  # no workbook of ours; the normal reader and its limits decide
            root = parse_bytes(zf.read(info))
    except Exception:  # noqa: BLE001 - not ours, or not readable: the normal reader decides
        return False
    return any(el.get("name") == META_SHEET for el in root.iter("{*}sheet"))


def _meta_error(path: Path, key: str, pl: str, en: str) -> InputError:
    return InputError(
        f"arkusz metadanych „{META_SHEET}”, klucz „{key}”: {pl}; użyj raportu bez zmian w "
        "ukrytych arkuszach",
        f"metadata sheet '{META_SHEET}', key '{key}': {en}; use the report without changes to "
        "its hidden sheets",
        path=path,
    )


def _json(path: Path, key: str, value: str, kind: type) -> Any:
    try:
        out = json.loads(value)
    except ValueError:
        raise _meta_error(path, key, "to nie jest poprawny JSON", "not valid JSON") from None
    if not isinstance(out, kind):
        raise _meta_error(
            path, key, f"oczekiwano {kind.__name__}", f"expected a JSON {kind.__name__}"
        )
    return out


def _check_meta(path: Path, meta: dict[str, Any]) -> None:
    """Types of what the resubmit run relies on; a forged or damaged value names its key."""
    for o in meta["origins"]:
        cols = o.get("columns")
        if not isinstance(o.get("path"), str) or not isinstance(cols, dict):
            raise _meta_error(
                path, "origin", "brak „path” (tekst) lub „columns” (słownik)",
                "'path' (text) or 'columns' (object) missing",
            )  # fmt: skip
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in cols.items()):
            raise _meta_error(
                path, "origin", "„columns” musi mapować tekst na tekst", "'columns' must map text"
            )
    values = meta.get("values", {})
    if not all(
        isinstance(m, dict) and all(isinstance(a, str) and isinstance(b, str) for a, b in m.items())
        for m in values.values()
    ):
        raise _meta_error(path, "values", "oczekiwano słowników tekstów", "expected text maps")
    settings = meta.get("settings", {})
    for key in (*SETTING_KEYS, *PATH_KEYS):
        value = settings.get(key)
        kinds: tuple[type, ...] = (int,) if key == "batch_size" else (str,)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
            raise _meta_error(
                path, f"settings.{key}", f"zły typ wartości ({type(value).__name__})",
                f"wrong type of value ({type(value).__name__})",
            )  # fmt: skip
    version = meta.get("format_version", "1")
    if not str(version).isdigit():
        raise _meta_error(path, "format_version", "to nie jest liczba", "not a number")


def read_meta(path: Path, limits: Limits | None = None) -> dict[str, Any]:
    """The metadata sheet as a dict (``origin`` rows collected into ``origins``)."""
    from cer_loader.ingest.workbook.opening import open_checked

    with open_checked(Path(path), limits or Limits()) as book:
        rows = book.get_sheet_by_name(META_SHEET).to_python()
    meta: dict[str, Any] = {"origins": []}
    kinds = {"settings": dict, "values": dict, "columns": dict}
    for row in rows:
        if len(row) < 2 or not row[0]:
            continue
        key, value = str(row[0]), row[1]
        if not isinstance(value, str):
            raise _meta_error(path, key, "wartość musi być tekstem", "the value must be text")
        if key == "origin":
            meta["origins"].append(_json(path, key, value, dict))
        elif key in kinds:
            meta[key] = _json(path, key, value, kinds[key])
        else:
            meta[key] = value
    if meta.get("format") != FORMAT or not meta["origins"]:
        raise InputError(
            "arkusz metadanych cer-loader jest niepełny lub zmieniony; użyj raportu bez zmian w "
            "ukrytych arkuszach",
            "the cer-loader metadata sheet is incomplete or altered", path=path,
        )  # fmt: skip
    _check_meta(path, meta)
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


def read_steward(path: Path, limits: Limits | None = None) -> SourceTable:
    """Read the "Do poprawy" sheet of our own workbook as a table of the original columns."""
    from cer_loader.ingest.workbook.reader import read_workbook

    meta = read_meta(path, limits)
    table = read_workbook(path, sheet=FIX_SHEET, header_row=1, limits=limits)
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
