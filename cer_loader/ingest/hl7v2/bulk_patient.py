"""The patient part of the column path (PID): ``fast_patient`` on whole columns.

Every PID field read here holds one repetition (``bulk_fields`` leaves other messages), so a
repetition index is always ``[1]`` and the ranking of phone numbers has one candidate.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.pl import pesel as stdpesel

from cer_loader.ingest.hl7v2.bulk_cols import (
    Col,
    ascii_only,
    concat,
    mapped,
    mask,
    none,
    pick,
    where,
)
from cer_loader.ingest.hl7v2.bulk_split import Segments, at, comps, empty, leaf
from cer_loader.ingest.hl7v2.bulk_split import strip as trim
from cer_loader.ingest.hl7v2.patient import PESEL_TYPES

__all__ = ["patient_columns"]

_TYPES = pa.array(sorted(PESEL_TYPES))
_NONE = pa.scalar(None, pa.large_string())


def _up(values: pa.Array) -> pa.Array:
    return pc.ascii_upper(trim(values))


def _eleven(values: pa.Array) -> pa.Array:
    return pc.match_substring_regex(values, r"^[0-9]{11}$")


def _checksum(v: str) -> str | None:
    return "1" if stdpesel.is_valid(v) else None


def _pesel(s: Segments, cx3: pa.Array, sent3: pa.Array, oid: str) -> Col:
    n = s.n
    authority = pc.ascii_upper(at(cx3, 4))
    typed = pc.or_(pc.is_in(_up(at(cx3, 5)), _TYPES), pc.is_in(_up(at(cx3, 6)), _TYPES))
    typed = pc.or_(typed, pc.match_substring(authority, "PESEL"))
    if oid:
        typed = pc.or_(typed, pc.match_substring(authority, oid))
    id3 = leaf(cx3, 1)
    cands = [(pc.if_else(pc.and_(sent3, typed), id3, ""), "PID-3[1]")]
    for number in (2, 4, 19):
        if not s.sent("PID", number):  # the candidate gives nothing (``pick``)
            continue
        cs = comps(s.field("PID", number))
        value = leaf(cs, 1)
        hit = pc.or_(pc.is_in(_up(at(cs, 5)), _TYPES), _eleven(value))
        cands.append((pc.if_else(hit, value, ""), f"PID-{number}"))
    value, source = pick(n, cands)
    eleven = mask(pc.and_(pc.and_(sent3, _eleven(id3)), pc.is_null(value)))
    if not eleven.any():  # the checksum fallback: only where nothing above was found
        return value, source
    valid = mapped(pc.if_else(pa.array(eleven), id3, ""), lambda v: _checksum(v) if v else None)
    return pick(
        n,
        [
            (pc.fill_null(value, ""), source),
            (pc.if_else(pc.is_valid(valid), id3, ""), "PID-3[1] (checksum)"),
        ],
    )


def _document(cx3: pa.Array, sent3: pa.Array, simple: np.ndarray) -> dict[str, Col]:
    n = len(cx3)
    number = leaf(cx3, 1)
    ppn = mask(
        pc.and_(
            pc.and_(sent3, pc.equal(pc.ascii_upper(leaf(cx3, 5)), "PPN")), pc.not_equal(number, "")
        )
    )
    if not ppn.any():
        return {}
    src = pa.scalar("PID-3[1]", pa.large_string())
    c9 = leaf(cx3, 9)
    country = pc.if_else(pc.equal(c9, ""), leaf(cx3, 4), c9)
    simple &= ~ppn | ascii_only(country)
    fine = pa.array(ppn & mask(pc.match_substring_regex(country, r"^[A-Za-z]{2,3}$")))
    has = pa.array(ppn)
    return {
        "patient_document_type": where(
            has, (pa.array(["passport"] * n, pa.large_string()), src), none(n)
        ),
        "patient_document_number": where(has, (number, src), none(n)),
        "patient_document_country": where(fine, (country, src), none(n)),
    }


def _names(s: Segments) -> dict[str, Col]:
    n = s.n
    done = np.zeros(n, bool)
    last, first = none(n), none(n)
    for number in (5, 9):
        if not s.sent("PID", number):  # no name here: nothing is used
            continue
        cs = comps(s.field("PID", number))
        a, b = leaf(cs, 1), leaf(cs, 2)
        have_a, have_b = ~empty(a), ~empty(b)
        use = ~done & (have_a | have_b)
        src = pa.scalar(f"PID-{number}", pa.large_string())
        last = where(use & have_a, (a, src), last)
        first = where(use & have_b, (b, src), first)
        done |= use
    return {"patient_last_name": last, "patient_first_name": first}


def _number(cs: pa.Array) -> pa.Array:
    """``fast_patient._xtn_number`` of one repetition."""
    twelve = pc.not_equal(trim(at(cs, 12)), "")
    country, area, local = leaf(cs, 5), leaf(cs, 6), leaf(cs, 7)
    plus = pc.if_else(
        pc.or_(pc.equal(country, ""), pc.starts_with(country, "+")),
        country,
        concat("+", country),
    )
    parts = [pc.if_else(pc.equal(p, ""), _NONE, p) for p in (plus, area, local)]
    joined = concat(*parts, sep=" ", skip=True)
    seven = pc.and_(pc.greater_equal(pc.list_value_length(cs), 7), pc.not_equal(local, ""))
    one = leaf(cs, 1)
    one = pc.if_else(pc.match_substring(one, "@"), "", one)
    return pc.if_else(twelve, leaf(cs, 12), pc.if_else(seven, joined, one))


def _contact(s: Segments) -> dict[str, Col]:
    n = s.n
    phones, mails = [], []
    for number in (13, 40, 14):
        if not s.sent("PID", number):  # neither a phone nor a mail: nothing to pick
            continue
        raw = s.field("PID", number)
        cs = comps(raw)
        sent = pc.not_equal(raw, "")
        phones.append((pc.if_else(sent, pc.fill_null(_number(cs), ""), ""), f"PID-{number}[1]"))
        mail = leaf(cs, 4)
        net = pc.or_(pc.equal(_up(at(cs, 2)), "NET"), pc.equal(_up(at(cs, 3)), "INTERNET"))
        ok = pc.and_(sent, pc.or_(pc.match_substring(mail, "@"), net))
        mails.append((pc.if_else(ok, mail, ""), f"PID-{number}[1].4"))
    return {"patient_phone": pick(n, phones), "patient_email": pick(n, mails)}


def patient_columns(s: Segments, oid: str) -> tuple[dict[str, Col], np.ndarray]:
    """The PID fields of ``fast_patient`` as columns (null where not sent or no PID), and
    per message whether they were read exactly here."""
    n = s.n
    simple = np.ones(n, bool)
    raw3 = s.field("PID", 3)
    sent3 = pc.not_equal(raw3, "")
    cx3 = comps(raw3)
    out = _names(s)
    out["patient_pesel"] = _pesel(s, cx3, sent3, oid)
    out.update(_contact(s))
    out.update(_document(cx3, sent3, simple))
    present = pa.array(s.has("PID"))
    return {k: where(present, v, none(n)) for k, v in out.items()}, simple
