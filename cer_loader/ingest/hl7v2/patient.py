"""The patient part of the field map (PID): PESEL, passport, names, phone and e-mail (HL7.md §2).

All values come from the first PID segment, whose fields are split once per message; each
repeating field is split into repetitions and components once and read from those lists.
"""

from __future__ import annotations

from stdnum.pl import pesel as stdpesel

from cer_loader.ingest.hl7v2.tokens import NULL, Got, Message

PESEL_TYPES = {"NNPOL", "NI", "PESEL"}


def _reps(msg: Message, pid: list[str] | tuple[str, ...], field: int) -> list[str]:
    raw = pid[field] if field < len(pid) else ""
    return [] if not raw or raw == NULL else msg.reps(raw)


def _at(cs: list[str], n: int) -> str:
    """Component n (1-based) of a split value, raw; "" when absent."""
    return cs[n - 1] if n <= len(cs) else ""


def patient(msg: Message, pesel_oid: str = "") -> dict[str, Got]:
    """Every patient field this message sends, with the source that won; ``pesel_oid`` (from
    identifiers.toml) marks a PID-3 authority as PESEL."""
    pid = msg.seg("PID")
    if not pid:
        return {}
    comps = msg.comps
    cx3 = [comps(rep) for rep in _reps(msg, pid, 3)]
    out = _names(msg, pid)
    pesel = _pesel(msg, pid, cx3, pesel_oid)
    if pesel:
        out["patient_pesel"] = pesel
    out.update(_contact(msg, pid))
    out.update(_document(msg, cx3))
    return out


def _pesel(
    msg: Message, pid: list[str] | tuple[str, ...], cx3: list[list[str]], pesel_oid: str
) -> Got | None:
    """PID-3 typed NNPOL/NI/PESEL (CX.5/6) or PESEL authority → PID-2/4/19 → PID-3 checksum."""
    leaf = msg.leaf
    for k, cs in enumerate(cx3):
        authority = _at(cs, 4).upper()
        typed = (
            _at(cs, 5).strip().upper() in PESEL_TYPES
            or _at(cs, 6).strip().upper() in PESEL_TYPES
            or "PESEL" in authority
            or (pesel_oid and pesel_oid in authority)
        )
        if typed and leaf(cs, 1):
            return leaf(cs, 1), f"PID-3[{k + 1}]"
    for field in (2, 4, 19):
        for k, rep in enumerate(_reps(msg, pid, field)):
            cs = msg.comps(rep)
            value = leaf(cs, 1)
            if value and (
                _at(cs, 5).strip().upper() in PESEL_TYPES or (len(value) == 11 and value.isdigit())
            ):
                return value, f"PID-{field}" + (f"[{k + 1}]" if k else "")
    for k, cs in enumerate(cx3):
        value = leaf(cs, 1)
        if len(value) == 11 and stdpesel.is_valid(value):
            return value, f"PID-3[{k + 1}] (checksum)"
    return None


def _document(msg: Message, cx3: list[list[str]]) -> dict[str, Got]:
    leaf = msg.leaf
    for k, cs in enumerate(cx3):
        if leaf(cs, 5).upper() == "PPN" and leaf(cs, 1):
            src = f"PID-3[{k + 1}]"
            out = {
                "patient_document_type": ("passport", src),
                "patient_document_number": (leaf(cs, 1), src),
            }
            country = leaf(cs, 9) or leaf(cs, 4)
            if country.isalpha() and len(country) in (2, 3):
                out["patient_document_country"] = (country, src)
            return out
    return {}


def _names(msg: Message, pid: list[str] | tuple[str, ...]) -> dict[str, Got]:
    """PID-5, else PID-9: the repetition with XPN.7 = ``L``, else the first."""
    leaf = msg.leaf
    for field in (5, 9):
        reps = [msg.comps(rep) for rep in _reps(msg, pid, field)]
        if not reps:
            continue
        pick = 0
        if len(reps) > 1:
            pick = next((k for k, cs in enumerate(reps) if leaf(cs, 7).upper() == "L"), 0)
        cs, src = reps[pick], f"PID-{field}" + (f"[{pick + 1}]" if len(reps) > 1 else "")
        out = {}
        last, first = leaf(cs, 1), leaf(cs, 2)
        if last:
            out["patient_last_name"] = (last, src)
        if first:
            out["patient_first_name"] = (first, src)
        if out:
            return out
    if msg.get("PID", 5) == NULL:
        return {"patient_last_name": (NULL, "PID-5"), "patient_first_name": (NULL, "PID-5")}
    return {}


def _xtn_number(msg: Message, cs: list[str]) -> str:
    """The number of one split XTN: XTN.12 → country+area+local → XTN.1 (not an e-mail)."""
    leaf = msg.leaf
    if _at(cs, 12).strip():
        return leaf(cs, 12)
    if len(cs) >= 7:
        country, area, local = leaf(cs, 5), leaf(cs, 6), leaf(cs, 7)
        if local:
            if country and not country.startswith("+"):
                country = "+" + country
            return " ".join(p for p in (country, area, local) if p)
    first = leaf(cs, 1)
    return first if "@" not in first else ""


def _contact(msg: Message, pid: list[str] | tuple[str, ...]) -> dict[str, Got]:
    """Phone: PID-13 → PID-40 → PID-14, ranked CP > PRN/ORN > other; e-mail from XTN.4."""
    out: dict[str, Got] = {}
    for field in (13, 40, 14):
        split = [msg.comps(rep) for rep in _reps(msg, pid, field)]
        if not split:
            continue
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
                mail = msg.leaf(cs, 4)
                use, equipment = _at(cs, 2).strip().upper(), _at(cs, 3).strip().upper()
                if mail and ("@" in mail or use == "NET" or equipment == "INTERNET"):
                    out["patient_email"] = (mail, f"PID-{field}[{k + 1}].4")
                    break
    if "patient_phone" not in out and msg.get("PID", 13) == NULL:
        out["patient_phone"] = (NULL, "PID-13")
    return out
