"""The field map: canonical CeR field ← HL7 path, with the fallbacks of HL7.md §2 and provenance.

``extract(msg, custom)`` returns ``{field: (value, source)}`` for every field the message sends;
``value`` is ``NULL`` when the only thing sent was an explicit ``""``. ``source`` names the path
that won (``"PID-3[2]"``, ``"TQ1-7"``); a start where AIS-4 or SCH-11.4 disagree with the winner
gets ``" (≠AIS-4)"`` appended. A ``custom`` path replaces the default chain for its field.

Decisions beyond HL7.md: the first resource group's AIS/AIL/AIP is used when there are several
(``"AIS-3 (1/3)"`` says so); SCH-19 / AIG are not used as location or practitioner fallbacks
(they cannot be told apart from equipment); a TS start needs at least an hour.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from stdnum.pl import pesel as stdpesel

from .tokens import NULL, Message, Path, parse_path

Got = tuple[str, str]  # (value or NULL, source)
PESEL_OID = "2.16.840.1.113883.3.4424.1.1.616"
NPWZ_OID = "2.16.840.1.113883.3.4424.1.6.2"
PESEL_TYPES = {"NNPOL", "NI", "PESEL"}
_TS = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})?(\d{2})?(?:\.\d*)?)?\s*(?:([+-])(\d{2})(\d{2}))?$"
)
_UNIT_NAMES = {
    1: "/M/MIN/MINS/MINUTE/MINUTES/MINUT",
    60: "H/HR/HRS/HOUR/HOURS/GODZ",
    1 / 60: "S/SEC/SECOND/SECONDS",
    1440: "D/DAY/DAYS",
}
_UNITS = {name: factor for factor, names in _UNIT_NAMES.items() for name in names.split("/")}
_P: dict[str, Path] = {}
_RESOURCE_TIMES = ("AIL-6", "AIP-6", "AIG-8")
_START_PATHS = ("TQ1-7", "SCH-11.4", "AIS-4", "AIL-6", "AIP-6", "AIG-8", "ARQ-11.1", "SCH-11.1")


def P(text: str) -> Path:
    """A cached ``Path`` for a literal path in this module."""
    try:
        return _P[text]
    except KeyError:
        got = _P[text] = parse_path(text)  # type: ignore[assignment]
        return got  # type: ignore[return-value]


def first(msg: Message, *paths: str) -> Got | None:
    """The first non-empty value among ``paths``; NULL if only explicit nulls were sent."""
    null: Got | None = None
    for text in paths:
        v = msg.value(P(text))
        if v == NULL:
            null = null or (NULL, text)
        elif v:
            return v, text
    return null


@lru_cache(maxsize=1 << 16)
def parse_ts(text: str) -> tuple[str, datetime | None] | None:
    """HL7 TS/DTM → (``YYYY-MM-DD HH:MM[:SS][+HH:MM]``, datetime); ``None`` without an hour."""
    m = _TS.match(text.strip())
    if not m or m[4] is None:
        return None
    y, mo, d, hh, mi, ss, sign, oh, om = m.groups()
    out = f"{y}-{mo}-{d} {hh}:{mi or '00'}" + (f":{ss}" if ss else "")
    tz = None
    if sign:
        out += f"{sign}{oh}:{om}"
        delta = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(-delta if sign == "-" else delta)
    try:
        when = datetime(int(y), int(mo), int(d), int(hh), int(mi or 0), int(ss or 0), tzinfo=tz)
    except ValueError:
        when = None
    return out, when


def minutes(qty: str, unit: str = "") -> str:
    """``"30"``, ``"M30"``, ``"2 hours"``, qty + unit → whole minutes as text, "" when unclear."""
    qty, unit = qty.strip().replace(",", "."), unit.strip().upper()
    m = re.fullmatch(r"([A-Za-z]*)\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)", qty)
    if not m:
        return ""
    factor = _UNITS.get(unit or (m[1] or m[3]).upper())
    if factor is None:
        return ""
    value = round(float(m[2]) * factor, 6)
    return str(int(value)) if value > 0 and value == int(value) else ""


def _start(msg: Message) -> tuple[Got | None, datetime | None]:
    """TQ1-7 → SCH-11.4 → AIS-4 → AIL-6/AIP-6/AIG-8 → ARQ-11.1 → SCH-11.1 (lenient).

    A resource time at exactly midnight is weak evidence (AWS sample): a later source with a
    real time wins over it. Unparseable text is returned as is when nothing parses, so the
    normalizer rejects it visibly instead of the start silently going missing.
    """
    found: list[tuple[str, str, datetime | None]] = []
    raw_first: Got | None = None
    for k, path in enumerate(_START_PATHS):
        if k >= 3 and found and not _weak(found[0]):
            break  # the first three are always read: they are compared for conflicts
        v = msg.value(P(path))
        if not v or v == NULL:
            continue
        parsed = parse_ts(v)
        if parsed is None:
            raw_first = raw_first or (v, path)
        else:
            found.append((path, *parsed))
    if not found:
        return raw_first, None
    win = next((f for f in found if not _weak(f)), found[0])
    path, text, when = win
    wall = when.replace(tzinfo=None) if when else None
    differ = [
        p
        for p, _, w in found
        if p != path
        and p in ("TQ1-7", "SCH-11.4", "AIS-4")
        and w
        and wall
        and w.replace(tzinfo=None) != wall
    ]
    return (text, path + (" (≠" + ",".join(differ) + ")" if differ else "")), when


def _weak(found: tuple[str, str, datetime | None]) -> bool:
    return found[0] in _RESOURCE_TIMES and found[1][11:16] == "00:00"


def _duration(msg: Message, start: datetime | None) -> Got | None:
    for path in ("TQ1-8", "SCH-11.5"):
        end = parse_ts(msg.value(P(path)))
        if start and end and end[1]:
            a, b = start, end[1]
            if (a.tzinfo is None) != (b.tzinfo is None):
                a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
            got = minutes(str((b - a).total_seconds() / 60))
            if got:
                return got, path
    pairs = (
        ("TQ1-6.1", "TQ1-6.2"),
        ("SCH-9", "SCH-10"),
        ("AIS-7", "AIS-8"),
        ("AIL-9", "AIL-10"),
        ("AIP-9", "AIP-10"),
        ("AIG-11", "AIG-12"),
        ("ARQ-9", "ARQ-10"),
        ("SCH-11.3", ""),
    )
    for qty, unit in pairs:
        q = msg.value(P(qty))
        if q and q != NULL:
            got = minutes(q, msg.value(P(unit)) if unit else "")
            if got:
                return got, f"{qty}+{unit}" if unit else qty
    return None


def _of_many(msg: Message, got: Got | None, seg: str) -> Got | None:
    n = len(msg.positions(seg))
    if got and n > 1 and got[1].startswith(seg):
        return got[0], f"{got[1]} (1/{n})"
    return got


def _practitioner(msg: Message) -> Got | None:
    for k, pos in enumerate(msg.positions("AIP")):
        raw = msg.raw_field("AIP", 3, pos=pos)
        if NPWZ_OID in raw and msg.part(raw, 1):
            return msg.part(raw, 1), f"AIP-3 (#{k + 1}, NPWZ OID)"
    return _of_many(msg, first(msg, "AIP-3.1", "PV1-7.1"), "AIP")


def _cx_reps(msg: Message, field: int) -> list[str]:
    raw = msg.raw_field("PID", field)
    return [] if not raw or raw == NULL else msg.reps(raw)


def _at(cs: list[str], n: int) -> str:
    """Component n (1-based) of a split value, raw; "" when absent."""
    return cs[n - 1] if n <= len(cs) else ""


def _pesel(msg: Message) -> Got | None:
    reps = _cx_reps(msg, 3)
    split = [msg.comps(rep) for rep in reps]
    for k, cs in enumerate(split):
        kinds = {_at(cs, 5).strip().upper(), _at(cs, 6).strip().upper()}
        authority = _at(cs, 4).upper()
        typed = kinds & PESEL_TYPES or "PESEL" in authority or PESEL_OID in authority
        if typed and msg.part(cs[0]):
            return msg.part(cs[0]), f"PID-3[{k + 1}]"
    for field in (2, 4, 19):
        for k, rep in enumerate(_cx_reps(msg, field)):
            cs = msg.comps(rep)
            value = msg.part(cs[0])
            if value and (
                _at(cs, 5).strip().upper() in PESEL_TYPES or (len(value) == 11 and value.isdigit())
            ):
                return value, f"PID-{field}" + (f"[{k + 1}]" if k else "")
    for k, cs in enumerate(split):
        value = msg.part(cs[0])
        if len(value) == 11 and stdpesel.is_valid(value):
            return value, f"PID-3[{k + 1}] (checksum)"
    return None


def _document(msg: Message) -> dict[str, Got]:
    for k, rep in enumerate(_cx_reps(msg, 3)):
        if msg.part(rep, 5).upper() == "PPN" and msg.part(rep, 1):
            src = f"PID-3[{k + 1}]"
            out = {
                "patient_document_type": ("passport", src),
                "patient_document_number": (msg.part(rep, 1), src),
            }
            country = msg.part(rep, 9) or msg.part(rep, 4)
            if country.isalpha() and len(country) in (2, 3):
                out["patient_document_country"] = (country, src)
            return out
    return {}


def _names(msg: Message) -> dict[str, Got]:
    for field in (5, 9):
        reps = _cx_reps(msg, field)
        if not reps:
            continue
        pick = next((k for k, r in enumerate(reps) if msg.part(r, 7).upper() == "L"), 0)
        rep, src = reps[pick], f"PID-{field}" + (f"[{pick + 1}]" if len(reps) > 1 else "")
        out = {}
        if msg.part(rep, 1):
            out["patient_last_name"] = (msg.part(rep, 1), src)
        if msg.part(rep, 2):
            out["patient_first_name"] = (msg.part(rep, 2), src)
        if out:
            return out
    got = msg.value(P("PID-5"))
    return (
        {"patient_last_name": (NULL, "PID-5"), "patient_first_name": (NULL, "PID-5")}
        if got == NULL
        else {}
    )


def _xtn_number(msg: Message, cs: list[str]) -> str:
    """The number of one split XTN: XTN.12 → country+area+local → XTN.1 (not an e-mail)."""
    if _at(cs, 12).strip():
        return msg.part(cs[11])
    country, area, local = (
        (msg.part(_at(cs, n)) for n in (5, 6, 7)) if len(cs) >= 7 else ("", "", "")
    )
    if local:
        if country and not country.startswith("+"):
            country = "+" + country
        return " ".join(p for p in (country, area, local) if p)
    first = msg.part(cs[0])
    return first if "@" not in first else ""


def _contact(msg: Message) -> dict[str, Got]:
    out: dict[str, Got] = {}
    for field in (13, 40, 14):
        split = [msg.comps(rep) for rep in _cx_reps(msg, field)]
        if "patient_phone" not in out:
            ranked = []
            for k, cs in enumerate(split):
                number = _xtn_number(msg, cs)
                if number:
                    equipment, use = _at(cs, 3).strip().upper(), _at(cs, 2).strip().upper()
                    rank = 0 if equipment == "CP" else 1 if use in ("PRN", "ORN") else 2
                    ranked.append((rank, k, number))
            if ranked:
                _, k, number = min(ranked)
                out["patient_phone"] = (number, f"PID-{field}[{k + 1}]")
        if "patient_email" not in out:
            for k, cs in enumerate(split):
                mail = msg.part(_at(cs, 4))
                use, equipment = _at(cs, 2).strip().upper(), _at(cs, 3).strip().upper()
                if mail and ("@" in mail or use == "NET" or equipment == "INTERNET"):
                    out["patient_email"] = (mail, f"PID-{field}[{k + 1}].4")
                    break
    if "patient_phone" not in out and msg.value(P("PID-13")) == NULL:
        out["patient_phone"] = (NULL, "PID-13")
    return out


def _notes(msg: Message) -> Got | None:
    names, texts = msg.names, []
    for pos in msg.positions("SCH")[:1]:
        for k in range(pos + 1, len(names)):
            if names[k] == "NTE":
                texts += [msg.part(r) for r in msg.reps(msg.raw_field("NTE", 3, pos=k))]
            elif names[k] != "TQ1":
                break
    text = "\n".join(t for t in texts if t and t != NULL)
    return (text, "NTE-3 (SCH)") if text else None


def _date(got: Got | None) -> Got | None:
    if got and got[0] != NULL and len(got[0]) >= 8 and got[0][:8].isdigit():
        v = got[0]
        return f"{v[:4]}-{v[4:6]}-{v[6:8]}", got[1]
    return got


SIMPLE: dict[str, Callable[[Message], Got | None]] = {
    "scope_code": lambda m: _of_many(
        m, first(m, "AIS-3.1", "SCH-8.1", "SCH-7.1", "ARQ-8.1", "ARQ-7.1"), "AIS"
    ),
    "schedule_id": lambda m: _of_many(m, first(m, "AIL-3.1", "PV1-3.1"), "AIL"),
    "practitioner_npwz": _practitioner,
    "patient_pesel": _pesel,
    "patient_birth_date": lambda m: _date(first(m, "PID-7.1")),
    "patient_sex": lambda m: first(m, "PID-8.1"),
    "notes": _notes,
}


def compile_paths(field_paths: dict[str, str] | None) -> dict[str, Path]:
    """Parse the user's ``{field: path}``; raises ``ValueError`` naming a bad path."""
    out = {}
    for name, text in (field_paths or {}).items():
        path = parse_path(text)
        if path is None:
            raise ValueError(f"{name}: {text!r}")
        out[name] = path
    return out


def extract(msg: Message, custom: dict[str, Path]) -> dict[str, Got]:
    """Every canonical field this message sends, with the source that won."""
    got: dict[str, Got] = {}
    start, when = _start(msg)
    if start:
        got["start"] = start
    duration = _duration(msg, when)
    if duration:
        got["duration_minutes"] = duration
    for name, fn in SIMPLE.items():
        value = fn(msg)
        if value:
            got[name] = value
    got.update(_names(msg))
    got.update(_contact(msg))
    got.update(_document(msg))
    if "patient_sex" in got and got["patient_sex"][0].upper() in ("F", "M"):
        got["patient_sex"] = (got["patient_sex"][0].upper(), got["patient_sex"][1])
    for name, path in custom.items():
        value = msg.value(path)
        if name == "start" and value and value != NULL:
            value = (parse_ts(value) or (value,))[0]
        if value:
            got[name] = (value, str(path))
        else:
            got.pop(name, None)
    return got
