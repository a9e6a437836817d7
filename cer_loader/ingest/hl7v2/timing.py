"""Start and duration of an appointment: HL7 TS/DTM parsing and the fallbacks of HL7.md §2.

Start: TQ1-7 → SCH-11.4 → AIS-4 → AIL-6 / AIP-6 / AIG-8 → ARQ-11.1 → SCH-11.1 (lenient); a TS
needs at least an hour. Duration: TQ1-8 / SCH-11.5 minus the start, else quantity + units from
TQ1-6, SCH-9/10, AIS-7/8, AIL-9/10, AIP-9/10, AIG-11/12, ARQ-9/10, SCH-11.3 (``M30``, ``30``).
Every path is compiled once at import (``plan``); parsing is cached per distinct text.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Protocol

from cer_loader.ingest.hl7v2.tokens import NULL, Got, plan


class Values(Protocol):
    """What start and duration read: ``Message.get`` (or the fast path's ``Plain.get``)."""

    def get(self, name: str, field: int, comp: int = 1) -> str: ...


_TS = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})?(\d{2})?(?:\.\d*)?)?\s*(?:([+-])(\d{2})(\d{2}))?$"
)
# at most 7 digits (and 6 decimals): a longer "duration" is no duration (400 digits overflow)
_QTY = re.compile(r"([A-Za-z]*)\s*([0-9]{1,7}(?:\.[0-9]{1,6})?)\s*([A-Za-z]*)")
_UNIT_NAMES = {
    1: "/M/MIN/MINS/MINUTE/MINUTES/MINUT",
    60: "H/HR/HRS/HOUR/HOURS/GODZ",
    1 / 60: "S/SEC/SECOND/SECONDS",
    1440: "D/DAY/DAYS",
}
_UNITS = {name: factor for factor, names in _UNIT_NAMES.items() for name in names.split("/")}
_RESOURCE_TIMES = ("AIL-6", "AIP-6", "AIG-8")
_COMPARED = ("TQ1-7", "SCH-11.4", "AIS-4")  # always read, and compared for conflicts
_STARTS = plan("TQ1-7", "SCH-11.4", "AIS-4", "AIL-6", "AIP-6", "AIG-8", "ARQ-11.1", "SCH-11.1")
_ENDS = plan("TQ1-8", "SCH-11.5")
_PAIRS = tuple(
    (plan(qty)[0], plan(unit)[0] if unit else None, f"{qty}+{unit}" if unit else qty)
    for qty, unit in (
        ("TQ1-6.1", "TQ1-6.2"),
        ("SCH-9", "SCH-10"),
        ("AIS-7", "AIS-8"),
        ("AIL-9", "AIL-10"),
        ("AIP-9", "AIP-10"),
        ("AIG-11", "AIG-12"),
        ("ARQ-9", "ARQ-10"),
        ("SCH-11.3", ""),
    )
)


@lru_cache(maxsize=1 << 16)
def parse_ts(text: str) -> tuple[str, datetime | None] | None:
    """HL7 TS/DTM → (``YYYY-MM-DD HH:MM[:SS][+HH:MM]``, datetime); ``None`` without an hour
    or with an offset that cannot exist (±24 h or more, 60 minutes or more)."""
    m = _TS.match(text.strip())
    if not m or m[4] is None:
        return None
    y, mo, d, hh, mi, ss, sign, oh, om = m.groups()
    out = f"{y}-{mo}-{d} {hh}:{mi or '00'}" + (f":{ss}" if ss else "")
    tz = None
    if sign:
        if int(oh) > 23 or int(om) > 59:
            return None  # no such offset (timezone() refuses ±24 h): the text goes on unparsed
        out += f"{sign}{oh}:{om}"
        delta = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(-delta if sign == "-" else delta)
    try:
        when = datetime(int(y), int(mo), int(d), int(hh), int(mi or 0), int(ss or 0), tzinfo=tz)
    except ValueError:
        when = None
    return out, when


_TM = re.compile(
    r"^([01][0-9]|2[0-3])([0-5][0-9])(?:[0-5][0-9](?:\.[0-9]*)?)?\s*(?:[+-][0-9]{4})?$"
)


def dtm_date(text: str) -> str | None:
    """The calendar date of an HL7 DTM (``YYYYMMDD[HHMM[SS[.S]]][+ZZZZ]``) as ``YYYY-MM-DD``,
    as written (no time-zone conversion); ``None`` when the text is no DTM with a day."""
    v = text.strip()
    if len(v) < 8 or not v[:8].isdigit() or not v[:8].isascii():
        return None
    if len(v) > 8 and not _TS.match(v):
        return None
    return f"{v[:4]}-{v[4:6]}-{v[6:8]}"


def dtm_time(text: str) -> str | None:
    """``HH:MM`` of an HL7 DTM with an hour, or of a TM (``HHMM[SS[.S]][+ZZZZ]``); else ``None``."""
    v = text.strip()
    m = _TM.match(v)
    if m:
        return f"{m[1]}:{m[2]}"
    parsed = parse_ts(v)
    return parsed[0][11:16] if parsed else None


@lru_cache(maxsize=1 << 12)
def minutes(qty: str, unit: str = "") -> str:
    """``"30"``, ``"M30"``, ``"2 hours"``, qty + unit → whole minutes as text, "" when unclear."""
    qty, unit = qty.strip().replace(",", "."), unit.strip().upper()
    m = _QTY.fullmatch(qty)
    if not m:
        return ""
    factor = _UNITS.get(unit or (m[1] or m[3]).upper())
    if factor is None:
        return ""
    value = round(float(m[2]) * factor, 6)
    return str(int(value)) if value > 0 and value == int(value) else ""


def _weak(found: tuple[str, str, datetime | None]) -> bool:
    return found[0] in _RESOURCE_TIMES and found[1][11:16] == "00:00"


def start(msg: Values) -> tuple[Got | None, datetime | None]:
    """The start (value, source) and its datetime; see the module docstring for the order.

    A resource time at exactly midnight is weak evidence (AWS sample): a later source with a
    real time wins over it. Unparseable text is returned as is when nothing parses, so the
    normalizer rejects it visibly instead of the start silently going missing. A winner that
    disagrees with TQ1-7 / SCH-11.4 / AIS-4 gets ``" (≠AIS-4)"`` appended to its source.
    """
    get = msg.get
    found: list[tuple[str, str, datetime | None]] = []
    raw_first: Got | None = None
    for k, (path, name, field, comp) in enumerate(_STARTS):
        if k >= 3 and found and not _weak(found[0]):
            break  # the first three are always read: they are compared for conflicts
        v = get(name, field, comp)
        if not v or v == NULL:
            continue
        parsed = parse_ts(v)
        if parsed is None:
            raw_first = raw_first or (v, path)
        else:
            found.append((path, *parsed))
    if not found:
        return raw_first, None
    win = found[0] if not _weak(found[0]) else next((f for f in found if not _weak(f)), found[0])
    path, text, when = win
    if len(found) == 1:
        return (text, path), when
    wall = when.replace(tzinfo=None) if when else None
    differ = [
        p
        for p, t, w in found
        if t != text  # the same text parses to the same time
        and p != path
        and p in _COMPARED
        and w
        and wall
        and w.replace(tzinfo=None) != wall
    ]
    return (text, path + (" (≠" + ",".join(differ) + ")" if differ else "")), when


def duration(msg: Values, begin: datetime | None) -> Got | None:
    """Whole minutes (value, source): end minus ``begin``, else quantity + units."""
    get = msg.get
    if begin:
        for path, name, field, comp in _ENDS:
            v = get(name, field, comp)
            end = parse_ts(v) if v else None
            if end and end[1]:
                a, b = begin, end[1]
                if (a.tzinfo is None) != (b.tzinfo is None):
                    a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
                got = minutes(str((b - a).total_seconds() / 60))
                if got:
                    return got, path
    for (_, name, field, comp), unit, source in _PAIRS:
        q = get(name, field, comp)
        if q and q != NULL:
            got = minutes(q, get(unit[1], unit[2], unit[3]) if unit else "")
            if got:
                return got, source
    return None
