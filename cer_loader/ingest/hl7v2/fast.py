"""The fast path for the common message: the header and the field map without ``Message``.

Most dumps hold messages with the standard delimiters (``MSH|^~\\&|``), CR-separated segments,
no escape sequence and every segment name once. For such a message ``Plain`` splits the
segments once and the field map below reads values with plain functions instead of the
``Message`` accessors, which cost most of the reading time (measured: ~2/3 of it). Every
function here mirrors its counterpart in ``events`` / ``field_map`` / ``patient`` for that case
and returns exactly what it returns; ``plain`` decides per message, and a message it declines
(``None``) takes the general path, so nothing is read differently or dropped.
``tests/test_hl7_fast.py`` holds the fast path to the general one over generated dumps.
"""

from __future__ import annotations

from cer_loader.ingest.hl7v2.events import ACTIONS, SRM_TRIGGERS, Event, general
from cer_loader.ingest.hl7v2.fast_patient import fast_patient
from cer_loader.ingest.hl7v2.fast_tokens import Plain, get, leaf, plain
from cer_loader.ingest.hl7v2.field_map import (
    _BIRTH,
    _DTM_FIELDS,
    _SCHEDULE,
    _SCOPE,
    _SEX,
    NPWZ_AUTHORITIES,
    NPWZ_TYPES,
    FieldPlan,
    _date,
)
from cer_loader.ingest.hl7v2.timing import duration as _duration
from cer_loader.ingest.hl7v2.timing import start as _start
from cer_loader.ingest.hl7v2.tokens import NULL, Got, Leaf, Path

__all__ = ["Plain", "plain", "fast_header", "fast_extract", "fields_of"]


def _ei(got: list[str] | tuple[str, ...], field_no: int) -> tuple[str, str] | None:
    raw = got[field_no] if field_no < len(got) else ""
    if not raw or raw == NULL:
        return None
    cs = raw.split("~")[0].split("^")
    ident = leaf(cs, 1)
    return (leaf(cs, 2), ident) if ident else None


def fast_header(msg: Plain, index: int) -> Event:
    """``events.header`` for a ``Plain`` message."""
    msh = msg.split["MSH"][:]
    if len(msh) < 11:
        msh += [""] * (11 - len(msh))
    control = msh[10].strip()
    control = "" if control == NULL else control
    sender = f"{msh[3]}|{msh[4]}"
    msh9 = [c.strip().upper() for c in msh[9].split("^")] + ["", ""]
    mtype, trigger, structure = msh9[:3]
    if not trigger and "_" in structure:
        trigger = structure.split("_", 1)[1]
    event = f"{mtype}^{trigger}" if trigger else mtype
    if not mtype or mtype == NULL:
        return Event(index, control, event, "unparseable", sender=sender)
    when = msh[7]
    if not when.isdigit():
        when = when.split("+")[0].split("-")[0].split(".")[0].split("^")[0]
        when = when if when.isdigit() else ""
    ev = Event(index, control, event, "other", when=when, sender=sender)
    if mtype == "SIU" and trigger in ACTIONS:
        ev.kind = "siu"
        ev.action, ev.status = ACTIONS[trigger]
        sch = msg.seg("SCH")
        ev.filler, ev.placer = _ei(sch, 2), _ei(sch, 1)
    elif mtype == "SRM" and trigger in SRM_TRIGGERS:
        ev.kind, ev.action = "srm", "request"
        arq = msg.seg("ARQ")
        ev.filler, ev.placer = _ei(arq, 2), _ei(arq, 1)
    seg = "SCH" if ev.kind == "siu" else "ARQ"
    ev.id_source = f"{seg}-2" if ev.filler else f"{seg}-1" if ev.placer else ""
    return ev


def _first(msg: Plain, leaves: tuple[Leaf, ...]) -> Got | None:
    null: Got | None = None
    seg = msg.seg
    for text, name, field, comp in leaves:
        v = get(seg(name), field, comp)
        if v == NULL:
            null = null or (NULL, text)
        elif v:
            return v, text
    return null


def _npwz_in(raw: str, npwz_oid: str) -> str:
    upper = raw.upper()
    if "PWZ" not in upper and "NIL" not in upper and not (npwz_oid and npwz_oid in raw):
        return ""
    for rep in raw.split("~"):
        cs = rep.split("^")
        ident = leaf(cs, 1)
        if not ident:
            continue
        authority = cs[8] if len(cs) > 8 else ""
        namespace = authority.split("&", 1)[0].strip().upper()
        if (
            (npwz_oid and npwz_oid in authority)
            or leaf(cs, 13).upper() in NPWZ_TYPES
            or namespace in NPWZ_AUTHORITIES
        ):
            return ident
    return ""


def _practitioner(msg: Plain, npwz_oid: str) -> Got | None:
    aip = msg.seg("AIP")
    ident = _npwz_in(aip[3], npwz_oid) if len(aip) > 3 and aip[3] else ""
    if ident:
        return ident, "AIP-3 (#1, NPWZ)"
    pv1 = msg.seg("PV1")
    ident = _npwz_in(pv1[7], npwz_oid) if len(pv1) > 7 and pv1[7] else ""
    return (ident, "PV1-7 (NPWZ)") if ident else None


def _part1(raw: str) -> str:
    if "^" in raw:
        raw = raw.split("^")[0]
    if "&" in raw:
        raw = raw.split("&")[0]
    return raw.strip()


def _notes(msg: Plain) -> Got | None:
    if "SCH" not in msg.split or "NTE" not in msg.split:
        return None
    segments, texts = msg.segments, []
    k = next(i for i, seg in enumerate(segments) if seg[:3] == "SCH") + 1
    while k < len(segments):
        name = segments[k][:3]
        if name == "NTE":
            nte = segments[k].split("|")
            raw = nte[3] if len(nte) > 3 else ""
            texts += [_part1(r) for r in raw.split("~")]
        elif name != "TQ1":
            break
        k += 1
    text = "\n".join(t for t in texts if t and t != NULL)
    return (text, "NTE-3 (SCH)") if text else None


def _value(msg: Plain, path: Path) -> str:
    """``Message.value`` without escapes."""
    got = msg.split.get(path.segment)
    if got is None:
        return ""
    if path.field >= len(got):
        return ""
    raw = got[path.field]
    if not raw:
        return ""
    if raw == NULL:
        return NULL
    if path.segment == "MSH" and path.field <= 2:
        return raw
    if "~" in raw:
        rs = raw.split("~")
        raw = rs[path.rep - 1] if path.rep <= len(rs) else ""
    elif path.rep != 1:
        return ""
    comp, sub = path.comp, path.sub
    if "^" in raw:
        cs = raw.split("^")
        if comp > len(cs):
            return ""
        raw = cs[comp - 1]
    elif comp != 1:
        return ""
    if "&" in raw:
        ss = raw.split("&")
        if sub > len(ss):
            return ""
        raw = ss[sub - 1]
    elif sub != 1:
        return ""
    return raw.strip()


def fast_extract(msg: Plain, fields: FieldPlan) -> dict[str, Got]:
    """``field_map.extract`` for a ``Plain`` message."""
    got: dict[str, Got] = {}
    start, when = _start(msg)
    if start:
        got["start"] = start
    found = _duration(msg, when)
    if found:
        got["duration_minutes"] = found
    for name, value in (
        ("scope_code", _first(msg, _SCOPE)),
        ("schedule_id", _first(msg, _SCHEDULE)),
        ("practitioner_npwz", _practitioner(msg, fields.npwz_oid)),
        ("patient_birth_date", _date(_first(msg, _BIRTH))),
        ("patient_sex", _first(msg, _SEX)),
        ("notes", _notes(msg)),
    ):
        if value:
            got[name] = value
    got.update(fast_patient(msg, fields.pesel_oid))
    if "patient_sex" in got and got["patient_sex"][0].upper() in ("F", "M"):
        got["patient_sex"] = (got["patient_sex"][0].upper(), got["patient_sex"][1])
    for name, path in fields.custom.items():
        text = _value(msg, path)
        if text and text != NULL and name in _DTM_FIELDS:
            text = _DTM_FIELDS[name](text) or text
        if text:
            got[name] = (text, str(path))
        else:
            got.pop(name, None)
    return got


def fields_of(ev: Event, plan: FieldPlan) -> dict[str, Got]:
    """The field map of one kept message: the fast path when it takes it, else ``general``."""
    msg = plain(ev.text)
    return fast_extract(msg, plan) if msg is not None else general(ev, plan)
