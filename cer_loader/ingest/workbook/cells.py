"""Spreadsheet cell values → the text a person saw (or meant) in the cell.

calamine hands us ``str``, ``float``, ``int``, ``bool``, ``date``, ``datetime``, ``time`` and
``timedelta``. Every reader must produce ``str``, so:

=================  ======================================================================
value              text
=================  ======================================================================
``str``            unchanged (dates typed as text stay as typed; a 44-digit key stays intact)
integral float     digits only: ``5425740.0`` → ``5425740``, ``44051401359.0`` → ``44051401359``
other float        at most 15 significant digits, as Excel shows them, never scientific
                   notation: ``0.1 + 0.2`` → ``0.3``, ``1e-7`` → ``0.0000001``
``bool``           ``TAK`` / ``NIE`` (Polish yes/no, what the clinics' exports use; Polish Excel
                   would show PRAWDA/FAŁSZ, which nobody types into an appointment export)
``date``           ``YYYY-MM-DD``
``datetime``       ``YYYY-MM-DD HH:MM`` (``:SS`` added when the seconds are not zero)
``time``           ``HH:MM`` (``HH:MM:SS`` when the seconds are not zero)
``timedelta``      ``H:MM`` over total hours (a ``[h]:mm`` duration: 30 h 5 min → ``30:05``)
=================  ======================================================================

Times are rounded to the nearest second first: Excel stores them as fractions of a day, and
09:30 may come back as 09:29:59.9997.

PESEL as a number: people born 2000–2009 have PESELs starting with ``0``; typed into a number
cell they lose it (``02211307589`` → ``2211307589``). :func:`restore_pesel` puts the zeros
back, but only for *numeric* cells of a PESEL column whose value has 9–10 digits; text cells
are never touched.

Cells calamine cannot show (a formula saved without its value, an error such as ``#DIV/0!``)
read as "" — :func:`unseen_cells` finds them in the XLSX so the reader can warn, naming each.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from lxml import etree

from cer_loader.xmlsafe import parse_bytes

# Below this an integral float is an exact integer (and below 2**53): print all its digits.
_EXACT_INT_LIMIT = 1e15
PESEL_HEADER = re.compile(r"pesel", re.IGNORECASE)
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_MAIN_PREFIX = re.compile(
    rb'xmlns:(\w+)="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
)


def number_text(x: float) -> str:
    """A number as Excel shows it in a General cell, but never in scientific notation."""
    if x != x or x in (float("inf"), float("-inf")):  # calamine never yields these
        return ""
    if x == int(x) and abs(x) < _EXACT_INT_LIMIT:
        return str(int(x))
    return np.format_float_positional(x, precision=15, unique=False, fractional=False, trim="-")


def _round_seconds(hour: int, minute: int, second: int, micro: int) -> tuple[int, int, int]:
    total = min(hour * 3600 + minute * 60 + second + (1 if micro >= 500_000 else 0), 86_399)
    return total // 3600, total // 60 % 60, total % 60


def _clock(hour: int, minute: int, second: int) -> str:
    return f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")


def time_text(t: dt.time) -> str:
    if not t.microsecond:
        return t.isoformat("seconds" if t.second else "minutes")
    return _clock(*_round_seconds(t.hour, t.minute, t.second, t.microsecond))


def date_text(d: dt.date) -> str:
    return d.isoformat()


def datetime_text(d: dt.datetime) -> str:
    if d.microsecond:
        if d.microsecond >= 500_000:
            d = d + dt.timedelta(microseconds=1_000_000 - d.microsecond)
        d = d.replace(microsecond=0)
    return d.isoformat(" ", "seconds" if d.second else "minutes")


def duration_text(td: dt.timedelta) -> str:
    seconds = round(td.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return sign + _clock(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _bool_text(value: bool) -> str:
    return "TAK" if value else "NIE"


_CONVERTERS: dict[type, Callable[[Any], str]] = {
    str: str,
    float: number_text,
    bool: _bool_text,
    int: str,
    dt.datetime: datetime_text,
    dt.date: date_text,
    dt.time: time_text,
    dt.timedelta: duration_text,
}


def cell_text(value: object) -> str:
    """One cell value as text (the scalar form of :func:`column_text`)."""
    convert = _CONVERTERS.get(value.__class__)
    if convert is not None:
        return convert(value)
    return "" if value is None else str(value)


def floats_text(values: np.ndarray) -> list[str]:
    """Vectorised :func:`number_text` over a float64 array."""
    exact = np.isfinite(values) & (np.trunc(values) == values) & (np.abs(values) < _EXACT_INT_LIMIT)
    if exact.all():
        return values.astype(np.int64).astype(str).tolist()
    out = np.empty(len(values), dtype=object)
    out[exact] = values[exact].astype(np.int64).astype(str)
    out[~exact] = [number_text(float(x)) for x in values[~exact]]
    return out.tolist()


def column_text(values: Sequence[object]) -> list[str]:
    """A column of cell values as text; text cells pass through, numbers are converted in bulk."""
    out = list(values)
    others = [i for i, v in enumerate(out) if v.__class__ is not str]
    if not others:
        return out  # type: ignore[return-value]
    floats = [i for i in others if out[i].__class__ is float]
    if floats:
        arr = np.fromiter((out[i] for i in floats), dtype=np.float64, count=len(floats))
        for i, text in zip(floats, floats_text(arr), strict=True):
            out[i] = text
    if len(floats) < len(others):
        get = _CONVERTERS.get
        for i in others:
            v = out[i]
            convert = get(v.__class__)
            out[i] = convert(v) if convert is not None else cell_text(v)
    return out  # type: ignore[return-value]


def restore_pesel(raw: Sequence[Any], texts: list[str]) -> int:
    """Left-pad numeric PESELs of 9–10 digits to 11 in ``texts``; returns how many were padded."""
    restored = 0
    for i, v in enumerate(raw):
        if v.__class__ in (float, int) and 100_000_000 <= v < 10_000_000_000 and v == int(v):
            texts[i] = str(int(v)).zfill(11)
            restored += 1
    return restored


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def unseen_cells(data: bytes, sheet: str) -> list[tuple[str, str]]:
    """XLSX cells calamine reads as "" although they are not empty: ``(ref, shown)`` pairs.

    ``shown`` is the error a person sees (``#DIV/0!``) for an error value, or "" for a formula
    saved without a cached value (written by a tool that does not calculate). XLS and ODS store
    values with their formulas, so only XLSX is scanned; when the sheet XML has no formula and
    no error cell (one substring search each) nothing is parsed.
    """
    if not data.startswith(b"PK"):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = _sheet_part(zf, sheet)
            if part is None:
                return []
            xml = zf.read(part)
        prefix = _MAIN_PREFIX.search(xml[:4096])
        formula = b"<" + prefix.group(1) + b":f" if prefix else b"<f"
        if formula not in xml and b't="e"' not in xml:
            return []
        found = []
        cells = etree.iterparse(
            io.BytesIO(xml), tag=f"{_MAIN}c", resolve_entities=False, no_network=True,
            load_dtd=False,
        )  # fmt: skip
        for _event, cell in cells:
            value = cell.find(f"{_MAIN}v")
            if cell.get("t") == "e":
                shown = value.text if value is not None else None
                found.append((cell.get("r", "?"), shown or "#N/A"))
            elif cell.find(f"{_MAIN}f") is not None:
                if value is None or (not value.text and cell.get("t") not in ("str", "inlineStr")):
                    found.append((cell.get("r", "?"), ""))
            cell.clear()
        return found
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
        return []


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    book = parse_bytes(zf.read("xl/workbook.xml"))
    rels = parse_bytes(zf.read("xl/_rels/workbook.xml.rels"))
    rid = next(
        (s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet") if s.get("name") == sheet), None
    )
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None
