"""Column path, step 3: ``fast.fast_extract`` on whole columns, for the messages it covers.

``extract_columns`` returns ``{field: (value, source)}`` as Arrow columns (null where the
field is not sent) and ``simple``: per message, whether every field was read here exactly as
``fast_extract`` reads it. It is not where a message needs what only the per-message path
does: repetitions in a field read by repetition (PID-2/3/4/5/9/13/14/19/40, AIP-3, PV1-7),
NTE segments, start candidates (TQ1-7, SCH-11.4, AIS-4) that disagree or none of them a
timestamp, an end time (TQ1-8, SCH-11.5), non-ASCII text where a value is parsed (times,
quantities, mapped DTM fields) or a passport country. Those messages take the fast path.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.ingest.hl7v2.bulk_cols import (
    Col,
    ascii_only,
    blank,
    concat,
    mapped,
    mask,
    none,
    per_distinct,
    pick,
    where,
)
from cer_loader.ingest.hl7v2.bulk_patient import patient_columns
from cer_loader.ingest.hl7v2.bulk_split import Segments, at, comps, element, empty, leaf, part
from cer_loader.ingest.hl7v2.bulk_split import strip as trim
from cer_loader.ingest.hl7v2.field_map import (
    _BIRTH,
    _DTM_FIELDS,
    _SCHEDULE,
    _SCOPE,
    _SEX,
    NPWZ_AUTHORITIES,
    NPWZ_TYPES,
    FieldPlan,
)
from cer_loader.ingest.hl7v2.timing import _COMPARED, _ENDS, _PAIRS, minutes, parse_ts
from cer_loader.ingest.hl7v2.tokens import Path

__all__ = ["extract_columns"]

_REPEATED = {"PID": (2, 3, 4, 5, 9, 13, 14, 19, 40), "AIP": (3,), "PV1": (7,)}


def _leaves(s: Segments, leaves: tuple) -> list[tuple[pa.Array, str]]:
    """The candidates of ``pick``, less fields no message sends (they give nothing)."""
    return [(s.get(name, f, comp), text) for text, name, f, comp in leaves if s.sent(name, f)]


def _start_text(v: str) -> str | None:
    parsed = parse_ts(v) if v else None
    return parsed[0] if parsed else None


def _timestamps(v: pa.Array) -> pa.Array:
    """``parse_ts(v)[0]`` per value (null where no timestamp): digits only (10, 12 or 14 of
    them) on whole columns, any other text through ``parse_ts`` once per distinct value."""
    return per_distinct(v, _stamps)


def _stamps(v: pa.Array) -> pa.Array:
    digits = mask(pc.match_substring_regex(v, r"^[0-9]{10}(?:[0-9]{2}){0,2}$"))
    if not digits.any():
        return mapped(v, _start_text)
    cut = [pc.utf8_slice_codeunits(v, a, b) for a, b in ((0, 4), (4, 6), (6, 8), (8, 10))]
    minute = pc.utf8_slice_codeunits(v, 10, 12)
    second = pc.utf8_slice_codeunits(v, 12, 14)
    text = concat(
        concat(cut[0], cut[1], cut[2], sep="-"),
        concat(cut[3], pc.if_else(pc.equal(minute, ""), "00", minute), sep=":"),
        sep=" ",
    )
    text = pc.if_else(pc.equal(second, ""), text, concat(text, second, sep=":"))
    if digits.all():
        return text
    rest = mapped(pc.if_else(pa.array(digits), "", v), _start_text)
    return pc.if_else(pa.array(digits), text, rest)


def _start(s: Segments, simple: np.ndarray) -> Col:
    n = s.n
    texts = []
    for path in _COMPARED:
        name, _, rest = path.partition("-")
        number, _, comp = rest.partition(".")
        if not s.sent(name, int(number)):  # no timestamp, nothing to compare
            continue
        v = s.get(name, int(number), int(comp or 1))
        simple &= ascii_only(v)
        texts.append((_timestamps(v), path))
    value, source = pick(n, [(pc.fill_null(t, ""), p) for t, p in texts])
    simple &= mask(pc.is_valid(value))
    for t, _ in texts:  # every timestamp among the three the same text: no conflict to name
        simple &= ~mask(pc.and_(pc.is_valid(t), pc.not_equal(t, value)))
    for _, seg, at_field, at_comp in _ENDS:
        if s.sent(seg, at_field):
            simple &= empty(s.get(seg, at_field, at_comp))
    return value, source


def _minutes(key: str) -> str | None:
    qty, _, unit = key.partition("\x00")
    return minutes(qty, unit) or None


def _duration(s: Segments, simple: np.ndarray) -> Col:
    cands = []
    for (_, name, field, comp), unit, source in _PAIRS:
        if not s.sent(name, field):  # no quantity: the candidate gives nothing
            continue
        q = s.get(name, field, comp)
        if blank(q):  # a component no message sends (SCH-11.3 beside SCH-11.4): nothing
            continue
        u = s.get(unit[1], unit[2], unit[3]) if unit else pa.array([""] * s.n, pa.large_string())
        sent = ~empty(q)
        simple &= ~sent | (ascii_only(q) & ascii_only(u))
        got = mapped(concat(q, u, sep="\x00"), _minutes)
        got = pc.if_else(pa.array(sent), got, pa.scalar(None, pa.large_string()))
        cands.append((pc.fill_null(got, ""), source))
    return pick(s.n, cands)


def _npwz(raw: pa.Array, oid: str) -> pa.Array:
    """``fast._npwz_in`` for one repetition: the id, ``""`` when it is no NPWZ."""
    return per_distinct(raw, lambda values: _npwz_of(values, oid))


def _npwz_of(raw: pa.Array, oid: str) -> pa.Array:
    upper = pc.ascii_upper(raw)
    pre = pc.or_(pc.match_substring(upper, "PWZ"), pc.match_substring(upper, "NIL"))
    cs = comps(raw)
    ident = leaf(cs, 1)
    authority = at(cs, 9)
    namespace = pc.ascii_upper(trim(part(authority, "&", 0)))
    typed = pc.is_in(pc.ascii_upper(leaf(cs, 13)), pa.array(sorted(NPWZ_TYPES)))
    named = pc.is_in(namespace, pa.array(sorted(NPWZ_AUTHORITIES)))
    hit = pc.or_(typed, named)
    if oid:
        pre = pc.or_(pre, pc.match_substring(raw, oid))
        hit = pc.or_(hit, pc.match_substring(authority, oid))
    ok = pc.and_(pc.and_(pre, hit), pc.not_equal(ident, ""))
    return pc.if_else(ok, ident, "")


def _practitioner(s: Segments, oid: str) -> Col:
    cands = [("AIP", 3, "AIP-3 (#1, NPWZ)"), ("PV1", 7, "PV1-7 (NPWZ)")]
    return pick(s.n, [(_npwz(s.field(g, f), oid), src) for g, f, src in cands if s.sent(g, f)])


def _date(col: Col) -> Col:
    v = col[0]
    dated = mask(pc.match_substring_regex(v, r"^[0-9]{8}"))
    iso = concat(
        pc.utf8_slice_codeunits(v, 0, 4),
        pc.utf8_slice_codeunits(v, 4, 6),
        pc.utf8_slice_codeunits(v, 6, 8),
        sep="-",
    )
    return pc.if_else(pa.array(dated), iso, v), col[1]


def _value(s: Segments, path: Path) -> pa.Array:
    """``fast._value``: the user's path, ``""`` where not sent."""
    raw = s.field(path.segment, path.field)
    if path.segment == "MSH" and path.field <= 2:
        return raw
    rep = part(raw, "~", path.rep - 1)
    return trim(part(part(rep, "^", path.comp - 1), "&", path.sub - 1))


def _as_dtm(fn: Callable[[str], str | None]) -> Callable[[str], str | None]:
    def conv(v: str) -> str | None:
        return (fn(v) or v) if v else v

    return conv


def extract_columns(s: Segments, plan: FieldPlan) -> tuple[dict[str, Col], np.ndarray]:
    """See the module doc."""
    n = s.n
    simple = ~s.repeated & ~s.has("NTE")
    for name, numbers in _REPEATED.items():
        for number in numbers:
            if s.sent(name, number):
                simple &= ~mask(pc.match_substring(s.field(name, number), "~"))
    got: dict[str, Col] = {
        "start": _start(s, simple),
        "duration_minutes": _duration(s, simple),
        "scope_code": pick(n, _leaves(s, _SCOPE)),
        "schedule_id": pick(n, _leaves(s, _SCHEDULE)),
        "practitioner_npwz": _practitioner(s, plan.npwz_oid),
        "patient_birth_date": _date(pick(n, _leaves(s, _BIRTH))),
    }
    sex = pick(n, _leaves(s, _SEX))
    upper = pc.is_in(sex[0], pa.array(["F", "M", "f", "m"]))
    got["patient_sex"] = (pc.if_else(upper, pc.ascii_upper(sex[0]), sex[0]), sex[1])
    pid, pid_simple = patient_columns(s, plan.pesel_oid)
    simple &= pid_simple
    got.update(pid)
    for name, path in plan.custom.items():
        if not s.sent(path.segment, path.field):
            got[name] = none(n)  # not sent by any message
            continue
        text = _value(s, path)
        if name in _DTM_FIELDS:
            fn = _DTM_FIELDS[name]
            simple &= empty(text) | ascii_only(text)
            conv = mapped(text, _as_dtm(fn))
            text = pc.fill_null(conv, "")
        sent = pa.array(~empty(text))
        got[name] = where(sent, (text, pa.scalar(str(path), pa.large_string())), none(n))
    return got, simple


__all__ += ["element"]
