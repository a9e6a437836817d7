"""The field map: canonical CeR field ← HL7 path, with the fallbacks of HL7.md §2 and provenance.

``extract(msg, custom)`` returns ``{field: (value, source)}`` for every field the message sends;
``value`` is ``NULL`` when the only thing sent was an explicit ``""``. ``source`` names the path
that won (``"PID-3[2]"``, ``"TQ1-7"``); a start where AIS-4 or SCH-11.4 disagree with the winner
gets ``" (≠AIS-4)"`` appended. A ``custom`` path replaces the default chain for its field.

Decisions beyond HL7.md: the first resource group's AIS/AIL/AIP is used when there are several
(``"AIS-3 (1/3)"`` says so); SCH-19 / AIG are not used as location or practitioner fallbacks
(they cannot be told apart from equipment); a TS start needs at least an hour.

The default paths are compiled once at import (``plan``); start and duration live in
``timing``, the PID fields in ``patient``. ``extract`` runs only for messages whose
appointment is loaded (see ``events.final_fields``).
"""

from __future__ import annotations

from cer_loader.ingest.hl7v2.patient import PESEL_OID, PESEL_TYPES
from cer_loader.ingest.hl7v2.patient import patient as _patient
from cer_loader.ingest.hl7v2.timing import duration as _duration
from cer_loader.ingest.hl7v2.timing import minutes, parse_ts
from cer_loader.ingest.hl7v2.timing import start as _start
from cer_loader.ingest.hl7v2.tokens import NULL, Got, Message, Path, parse_path, plan

__all__ = [
    "Got",
    "NPWZ_OID",
    "PESEL_OID",
    "PESEL_TYPES",
    "compile_paths",
    "extract",
    "minutes",
    "parse_ts",
]

NPWZ_OID = "2.16.840.1.113883.3.4424.1.6.2"
_SCOPE = plan("AIS-3.1", "SCH-8.1", "SCH-7.1", "ARQ-8.1", "ARQ-7.1")
_SCHEDULE = plan("AIL-3.1", "PV1-3.1")
_PRACTITIONER = plan("AIP-3.1", "PV1-7.1")
_BIRTH = plan("PID-7.1")
_SEX = plan("PID-8.1")


def _of_many(msg: Message, got: Got | None, seg: str) -> Got | None:
    if got and got[1].startswith(seg):
        n = len(msg.positions(seg))
        if n > 1:
            return got[0], f"{got[1]} (1/{n})"
    return got


def _practitioner(msg: Message) -> Got | None:
    for k, pos in enumerate(msg.positions("AIP")):
        aip = msg.fields(pos)
        raw = aip[3] if len(aip) > 3 else ""
        if NPWZ_OID in raw and msg.part(raw, 1):
            return msg.part(raw, 1), f"AIP-3 (#{k + 1}, NPWZ OID)"
    return _of_many(msg, msg.first(_PRACTITIONER), "AIP")


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
    found = _duration(msg, when)
    if found:
        got["duration_minutes"] = found
    first = msg.first
    for name, value in (
        ("scope_code", _of_many(msg, first(_SCOPE), "AIS")),
        ("schedule_id", _of_many(msg, first(_SCHEDULE), "AIL")),
        ("practitioner_npwz", _practitioner(msg)),
        ("patient_birth_date", _date(first(_BIRTH))),
        ("patient_sex", first(_SEX)),
        ("notes", _notes(msg)),
    ):
        if value:
            got[name] = value
    got.update(_patient(msg))
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
