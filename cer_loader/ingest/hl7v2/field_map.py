"""The field map: canonical CeR field ← HL7 path, with the fallbacks of HL7.md §2 and provenance.

``extract(msg, custom)`` returns ``{field: (value, source)}`` for every field the message sends;
``value`` is ``NULL`` when the only thing sent was an explicit ``""``. ``source`` names the path
that won (``"PID-3[2]"``, ``"TQ1-7"``); a start where AIS-4 or SCH-11.4 disagree with the winner
gets ``" (≠AIS-4)"`` appended. A ``custom`` path replaces the default chain for its field.

Decisions beyond HL7.md: the first resource group's AIS/AIL/AIP is used when there are several
(``"AIS-3 (1/3)"`` says so); SCH-19 / AIG are not used as location or practitioner fallbacks
(they cannot be told apart from equipment); a TS start needs at least an hour. A practitioner
is taken from AIP-3 / PV1-7 only when the identifier is typed or OID'd as an NPWZ (local staff
ids such as ``PKHO`` are not NPWZ numbers); a mapped path (``practitioner_npwz = "AIP-3.1"``)
takes any value. Date fields read from a mapped path get HL7 DTM turned into ISO dates.

The default paths are compiled once at import (``plan``); start and duration live in
``timing``, the PID fields in ``patient``. ``extract`` runs only for messages whose
appointment is loaded (see ``events.final_fields``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cer_loader.ingest.hl7v2.patient import PESEL_TYPES
from cer_loader.ingest.hl7v2.patient import patient as _patient
from cer_loader.ingest.hl7v2.timing import dtm_date, dtm_time, minutes, parse_ts
from cer_loader.ingest.hl7v2.timing import duration as _duration
from cer_loader.ingest.hl7v2.timing import start as _start
from cer_loader.ingest.hl7v2.tokens import NULL, Got, Message, Path, parse_path, plan

__all__ = [
    "FieldPlan",
    "Got",
    "NPWZ_TYPES",
    "PESEL_TYPES",
    "compile_paths",
    "extract",
    "minutes",
    "parse_ts",
]

# an XCN identifier is an NPWZ when typed so (XCN.13), issued by such an authority (XCN.9
# namespace) or under the NPWZ OID of identifiers.toml; a local staff id never is
NPWZ_TYPES = {"NPWZ", "PWZ"}
NPWZ_AUTHORITIES = {"NPWZ", "PWZ", "NIL"}


@dataclass(frozen=True)
class FieldPlan:
    """What ``extract`` needs besides the message: the user's paths and the P1 OIDs."""

    custom: dict[str, Path] = field(default_factory=dict)  # field -> user path ([hl7])
    pesel_oid: str = ""  # identifiers.toml [oid] pesel: a PID-3 authority naming it is PESEL
    npwz_oid: str = ""  # identifiers.toml [oid] npwz: an XCN authority naming it is NPWZ


_SCOPE = plan("AIS-3.1", "SCH-8.1", "SCH-7.1", "ARQ-8.1", "ARQ-7.1")
_SCHEDULE = plan("AIL-3.1", "PV1-3.1")
_BIRTH = plan("PID-7.1")
_SEX = plan("PID-8.1")


def _of_many(msg: Message, got: Got | None, seg: str) -> Got | None:
    if got and got[1].startswith(seg):
        n = len(msg.positions(seg))
        if n > 1:
            return got[0], f"{got[1]} (1/{n})"
    return got


def _npwz_in(msg: Message, raw: str, npwz_oid: str) -> str:
    """The id of the first repetition of an XCN field that is typed or OID'd as an NPWZ."""
    if msg.delims.escape not in raw:  # no escape: a marker must appear literally (fast path)
        upper = raw.upper()
        if "PWZ" not in upper and "NIL" not in upper and not (npwz_oid and npwz_oid in raw):
            return ""
    for rep in msg.reps(raw):
        cs = msg.comps(rep)
        ident = msg.leaf(cs, 1)
        if not ident:
            continue
        authority = cs[8] if len(cs) > 8 else ""
        namespace = authority.split(msg.delims.subcomponent, 1)[0].strip().upper()
        if (
            (npwz_oid and npwz_oid in authority)
            or msg.leaf(cs, 13).upper() in NPWZ_TYPES
            or namespace in NPWZ_AUTHORITIES
        ):
            return ident
    return ""


def _practitioner(msg: Message, npwz_oid: str) -> Got | None:
    """AIP-3, then PV1-7: only an identifier typed or OID'd as an NPWZ (``NPWZ_TYPES``)."""
    for k, pos in enumerate(msg.positions("AIP")):
        aip = msg.fields(pos)
        ident = _npwz_in(msg, aip[3], npwz_oid) if len(aip) > 3 and aip[3] else ""
        if ident:
            return ident, f"AIP-3 (#{k + 1}, NPWZ)"
    pv1 = msg.seg("PV1")
    ident = _npwz_in(msg, pv1[7], npwz_oid) if len(pv1) > 7 and pv1[7] else ""
    return (ident, "PV1-7 (NPWZ)") if ident else None


def _notes(msg: Message) -> Got | None:
    """NTE-3 of the NTE segments right after SCH (TQ1 may sit in between)."""
    where = msg.positions("SCH")
    if not where:
        return None
    segments, texts = msg.segments, []
    for k in range(where[0] + 1, len(segments)):
        name = segments[k][:3]
        if name == "NTE":
            texts += [msg.part(r) for r in msg.reps(msg.raw_field("NTE", 3, pos=k))]
        elif name != "TQ1":
            break
    text = "\n".join(t for t in texts if t and t != NULL)
    return (text, "NTE-3 (SCH)") if text else None


def _date(got: Got | None) -> Got | None:
    if got and got[0] != NULL and len(got[0]) >= 8 and got[0][:8].isdigit():
        v = got[0]
        return f"{v[:4]}-{v[4:6]}-{v[6:8]}", got[1]
    return got


def _start_text(text: str) -> str | None:
    parsed = parse_ts(text)
    return parsed[0] if parsed else None


# date and time fields read from a mapped path (Z-segments included): HL7 DTM → the ISO forms
# the normalizer reads; a value that is no DTM is passed on as sent (and rejected visibly there)
_DTM_FIELDS = {
    "start": _start_text,
    "start_date": dtm_date,
    "request_date": dtm_date,
    "patient_birth_date": dtm_date,
    "start_time": dtm_time,
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


def extract(msg: Message, fields: FieldPlan) -> dict[str, Got]:
    """Every canonical field this message sends, with the source that won."""
    got: dict[str, Got] = {}
    start, when = _start(msg)
    if start:
        got["start"] = start
    found = _duration(msg, when)
    if found:
        got["duration_minutes"] = found
    first = msg.first
    for name, value in (
        ("scope_code", _of_many(msg, first(_SCOPE), "AIS")),
        ("schedule_id", _of_many(msg, first(_SCHEDULE), "AIL")),
        ("practitioner_npwz", _practitioner(msg, fields.npwz_oid)),
        ("patient_birth_date", _date(first(_BIRTH))),
        ("patient_sex", first(_SEX)),
        ("notes", _notes(msg)),
    ):
        if value:
            got[name] = value
    got.update(_patient(msg, fields.pesel_oid))
    if "patient_sex" in got and got["patient_sex"][0].upper() in ("F", "M"):
        got["patient_sex"] = (got["patient_sex"][0].upper(), got["patient_sex"][1])
    for name, path in fields.custom.items():
        text = msg.value(path)
        if text and text != NULL and name in _DTM_FIELDS:
            text = _DTM_FIELDS[name](text) or text  # what is no DTM goes on as sent
        if text:
            got[name] = (text, str(path))
        else:
            got.pop(name, None)
    return got
