"""The patient part of the fast path (PID): ``patient.patient`` for a ``Plain`` message."""

from __future__ import annotations

from stdnum.pl import pesel as stdpesel

from cer_loader.ingest.hl7v2.fast_tokens import Plain, at, get, leaf
from cer_loader.ingest.hl7v2.fast_tokens import reps as field_reps
from cer_loader.ingest.hl7v2.patient import PESEL_TYPES
from cer_loader.ingest.hl7v2.tokens import NULL, Got

__all__ = ["fast_patient"]


def fast_patient(msg: Plain, pesel_oid: str) -> dict[str, Got]:
    pid = msg.seg("PID")
    if not pid:
        return {}
    cx3 = [rep.split("^") for rep in field_reps(pid, 3)]
    out = _names(pid)
    pesel = _pesel(pid, cx3, pesel_oid)
    if pesel:
        out["patient_pesel"] = pesel
    out.update(_contact(pid))
    out.update(_document(cx3))
    return out


def _pesel(pid: list[str] | tuple[str, ...], cx3: list[list[str]], pesel_oid: str) -> Got | None:
    for k, cs in enumerate(cx3):
        authority = at(cs, 4).upper()
        typed = (
            at(cs, 5).strip().upper() in PESEL_TYPES
            or at(cs, 6).strip().upper() in PESEL_TYPES
            or "PESEL" in authority
            or (pesel_oid and pesel_oid in authority)
        )
        if typed and leaf(cs, 1):
            return leaf(cs, 1), f"PID-3[{k + 1}]"
    for field in (2, 4, 19):
        for k, rep in enumerate(field_reps(pid, field)):
            cs = rep.split("^")
            value = leaf(cs, 1)
            if value and (
                at(cs, 5).strip().upper() in PESEL_TYPES or (len(value) == 11 and value.isdigit())
            ):
                return value, f"PID-{field}" + (f"[{k + 1}]" if k else "")
    for k, cs in enumerate(cx3):
        value = leaf(cs, 1)
        if len(value) == 11 and stdpesel.is_valid(value):
            return value, f"PID-3[{k + 1}] (checksum)"
    return None


def _document(cx3: list[list[str]]) -> dict[str, Got]:
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


def _names(pid: list[str] | tuple[str, ...]) -> dict[str, Got]:
    for field in (5, 9):
        reps = [rep.split("^") for rep in field_reps(pid, field)]
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
    if get(pid, 5) == NULL:
        return {"patient_last_name": (NULL, "PID-5"), "patient_first_name": (NULL, "PID-5")}
    return {}


def _xtn_number(cs: list[str]) -> str:
    if at(cs, 12).strip():
        return leaf(cs, 12)
    if len(cs) >= 7:
        country, area, local = leaf(cs, 5), leaf(cs, 6), leaf(cs, 7)
        if local:
            if country and not country.startswith("+"):
                country = "+" + country
            return " ".join(p for p in (country, area, local) if p)
    first = leaf(cs, 1)
    return first if "@" not in first else ""


def _contact(pid: list[str] | tuple[str, ...]) -> dict[str, Got]:
    out: dict[str, Got] = {}
    for field in (13, 40, 14):
        split = [rep.split("^") for rep in field_reps(pid, field)]
        if not split:
            continue
        if "patient_phone" not in out:
            ranked = []
            for k, cs in enumerate(split):
                number = _xtn_number(cs)
                if number:
                    equipment, use = at(cs, 3).strip().upper(), at(cs, 2).strip().upper()
                    rank = 0 if equipment == "CP" else 1 if use in ("PRN", "ORN") else 2
                    ranked.append((rank, k, number))
            if ranked:
                _, k, number = min(ranked)
                out["patient_phone"] = (number, f"PID-{field}[{k + 1}]")
        if "patient_email" not in out:
            for k, cs in enumerate(split):
                mail = leaf(cs, 4)
                use, equipment = at(cs, 2).strip().upper(), at(cs, 3).strip().upper()
                if mail and ("@" in mail or use == "NET" or equipment == "INTERNET"):
                    out["patient_email"] = (mail, f"PID-{field}[{k + 1}].4")
                    break
    if "patient_phone" not in out and get(pid, 13) == NULL:
        out["patient_phone"] = (NULL, "PID-13")
    return out
