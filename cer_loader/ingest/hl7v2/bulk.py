"""The column path: the common SIU S12 booking read for a whole dump at once with Arrow compute.

Most dumps are mostly single bookings: one SIU S12 per appointment, its control id, filler and
placer ids used by no other message. Such a message is its own appointment, booked and loaded,
and touches nothing else the fold keeps, so it needs neither the per-message fold nor the
per-message field map. ``take`` finds these messages (``Taken``) chunk by chunk
(``bulk_bytes``: charset and domain from the bytes; ``bulk_tokens``: segments and fields cut on the bytes;
``bulk_fields``: the field map), with every condition checked on whole columns:

* in the column domain of ``bulk_bytes`` and no larger than ``max_message_bytes``;
* MSH-9 ``SIU^S12``; MSH-3/4/10 and SCH-1/2 ASCII (the keys the fold compares);
* its (MSH-3|MSH-4, MSH-10), its filler and its placer id each held by no other message of
  the column domain (any event, SCH or ARQ): checked here. The reader checks the rest of the
  dump (messages outside the domain) against ``Taken.keys`` after the fold of the others and
  reads everything per message when one collides, so the result is always the fold's.

The reader folds every other message as before, skipping these, and joins the rows in the
order the fold would have made them (an appointment's place is its first message).
A taken message whose fields the column map does not cover (``bulk_fields.simple``) gets its
fields from the per-message fast path; every value is the decoded text (``bulk_bytes.real``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.hl7v2.bulk_bytes import read_chunk, real
from cer_loader.ingest.hl7v2.bulk_cols import blank, concat, mask
from cer_loader.ingest.hl7v2.bulk_fields import extract_columns
from cer_loader.ingest.hl7v2.bulk_split import Segments, comps, element, strip
from cer_loader.ingest.hl7v2.events import Event
from cer_loader.ingest.hl7v2.fast import fields_of
from cer_loader.ingest.hl7v2.field_map import FieldPlan
from cer_loader.ingest.hl7v2.tokens import NULL

__all__ = ["CHUNK", "Taken", "take"]

CHUNK = 1 << 16  # messages per chunk: bounds the memory of the Arrow intermediates
THREADS = 2  # chunks read at a time
_FIELDS = [f for f in FIELD_NAMES if f != "appointment_id"]


@dataclass
class Taken:
    """The messages the column path reads (see the module doc), in file order."""

    index: np.ndarray  # 1-based message numbers of every taken message
    codec: list[str]  # per taken message
    note: list[str]
    rows: list[int]  # per loaded row (a taken message the field map could read): its number
    control: list[str]  # per loaded row
    appointment_id: list[str]
    id_source: list[str]
    cols: dict[str, list[str]]  # FIELD_NAMES + sources, one value per taken message
    gone: list[tuple[str, str, int, str, str]] = field(default_factory=list)  # unparseable
    keys: tuple[list, list, list] = ([], [], [])  # Arrow arrays of the control, filler and
    # placer keys of the taken messages ("sender\0control", "namespace\0id"; "" none)


def _ei(s: Segments, name: str, number: int) -> tuple[pa.Array, pa.Array]:
    """(namespace, id) of repetition 1 of an EI field (``fast._ei``): components 2 and 1,
    sub-component 1, stripped (``Segments.get``)."""
    return s.get(name, number, 2), s.get(name, number, 1)


def _key(ns: pa.Array, ident: pa.Array) -> pa.Array:
    """ "namespace\0id", ``""`` where there is no id."""
    if blank(ident):
        return ident
    return pc.if_else(pc.equal(ident, ""), "", _join(ns, ident))


def _join(*parts: pa.Array) -> pa.Array:
    return concat(*parts, sep="\x00")


@dataclass
class _Part:
    index: np.ndarray
    cand: np.ndarray
    sender: pa.Array
    control: pa.Array
    fns: pa.Array
    fid: pa.Array
    pns: pa.Array
    pid: pa.Array
    keys: list[pa.Array]  # control, filler and placer keys ("" none) for the counts
    codec: list[str]
    note: list[str]
    raw: list[bytes]
    exact: np.ndarray
    cols: dict[str, tuple[pa.Array, pa.Array]]
    simple: np.ndarray


def _chunk(messages, start, charset, default, max_bytes, plan) -> _Part | None:
    ch = read_chunk(messages, charset, default)
    ok = ch.ok & (ch.lens <= max_bytes)
    dom = np.flatnonzero(ok)
    if not len(dom):
        return None
    s = Segments(ch.view, ok)
    control = strip(s.field("MSH", 10))
    sender = concat(s.field("MSH", 3), s.field("MSH", 4), sep="|")
    msh9 = comps(s.field("MSH", 9))
    mtype, trig = pc.ascii_upper(strip(element(msh9, 0))), pc.ascii_upper(strip(element(msh9, 1)))
    fns, fid = _ei(s, "SCH", 2)
    pns, pid = _ei(s, "SCH", 1)
    ascii = pc.and_(pc.string_is_ascii(control), pc.string_is_ascii(sender))
    for v in (fns, fid, pns, pid):
        ascii = pc.and_(ascii, pc.string_is_ascii(v))
    cand = mask(pc.and_(pc.equal(mtype, "SIU"), pc.equal(trig, "S12"))) & mask(ascii) & ~s.repeated
    keys = [_key(sender, control), _key(fns, fid), _key(pns, pid)]
    keys += [_key(*_ei(s, "ARQ", 2)), _key(*_ei(s, "ARQ", 1))]
    cols, simple = extract_columns(s, plan)
    dl = dom.tolist()
    return _Part(
        index=dom + start + 1,
        cand=cand,
        sender=sender,
        control=control,
        fns=fns,
        fid=fid,
        pns=pns,
        pid=pid,
        keys=keys,
        codec=[ch.codec[k] for k in dl],
        note=[ch.note[k] for k in dl],
        raw=[messages[k] for k in dl],
        exact=ch.exact[dom],
        cols=cols,
        simple=simple,
    )


def _pylist(values: pa.Array) -> list[str]:
    """The values as Python text, one object per distinct value where values repeat (a
    column of a million rows holds a million references, not a million copies)."""
    enc = pc.dictionary_encode(values)
    if 2 * len(enc.dictionary) > len(values):
        return values.to_pylist()
    book = enc.dictionary.to_pylist()
    return [book[i] for i in enc.indices.to_numpy().tolist()]


def _sources(appt_src: pa.Array, sources: list[pa.Array | None]) -> list[str]:
    """``rows``' source column: ``name=source`` of every field sent, joined by ``;``, built
    once per distinct combination of sources (a dump has few)."""
    names = ["appointment_id", *_FIELDS]
    codes, books = [], []
    for src in [appt_src, *sources]:
        if src is None:
            codes.append(np.zeros(len(appt_src), np.int64))
            books.append([None])
            continue
        enc = pc.dictionary_encode(pc.if_else(pc.equal(src, ""), None, src))
        books.append([None, *enc.dictionary.to_pylist()])
        codes.append(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False) + 1)
    key = np.zeros(len(appt_src), np.int64)  # the combination as one number, renumbered
    for code, book in zip(codes, books, strict=True):
        key = key * len(book) + code
        if key.max(initial=0) > 1 << 40:
            key = np.unique(key, return_inverse=True)[1].reshape(-1)
    combos, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    stacked = [[int(code[k]) for code in codes] for k in first.tolist()]  # one row per combination
    texts = [
        ";".join(f"{names[k]}={books[k][c]}" for k, c in enumerate(combo) if c) for combo in stacked
    ]
    del combos
    return [texts[k] for k in inverse.reshape(-1).tolist()]


def _unique(parts: list[_Keys]) -> list[np.ndarray]:
    """Per part, bool per domain message: its control, filler and placer keys held once."""
    if not parts:
        return []
    groups = [[p[2][0] for p in parts], [p[2][1] for p in parts], [p[2][2] for p in parts]]
    # filler ids are keys in SCH-2 and ARQ-2, placer ids in SCH-1 and ARQ-1
    groups[1] += [p[2][3] for p in parts]
    groups[2] += [p[2][4] for p in parts]
    out = [np.ones(len(p[0]), bool) for p in parts]
    for kind, arrays in enumerate(groups):
        enc = pc.dictionary_encode(pa.chunked_array(arrays, pa.large_string())).combine_chunks()
        codes = enc.indices.to_numpy()
        counts = np.bincount(codes, minlength=len(enc.dictionary))
        once = (counts == 1) | mask(pc.equal(enc.dictionary, ""))  # "": no key
        pos = 0
        for k, p in enumerate(parts):
            n = len(p[0])
            out[k] &= once[codes[pos : pos + n]]
            pos += n
        del kind
    return out


def take(
    messages: list[bytes],
    charset: str | None,
    default: str,
    max_bytes: int,
    plan: FieldPlan,
    threads: int = 1,
) -> Taken:
    """The messages the column path reads, with their rows (see the module doc); ``threads``
    chunks at a time."""
    size = CHUNK if threads < 2 else max(1, min(CHUNK, -(-len(messages) // 2)))

    def one(start: int) -> tuple[_Keys, Taken] | None:
        p = _chunk(messages[start : start + size], start, charset, default, max_bytes, plan)
        if p is None:
            return None
        mine = _empty()  # the chunk's rows now: its Arrow columns are freed with it
        _collect(mine, p, p.cand, plan)
        return (p.index, p.cand, p.keys), mine

    starts = range(0, len(messages), size)
    if len(starts) > 1 and threads > 1:
        # Arrow and numpy release the GIL in their kernels: two chunks at a time keep two
        # cores busy within this process (results in chunk order)
        with ThreadPoolExecutor(min(threads, THREADS)) as pool:
            got = [g for g in pool.map(one, starts) if g is not None]
    else:
        got = [g for g in map(one, starts) if g is not None]
    taken = _empty()
    for _, mine in got:
        _extend(taken, mine)
    once = _unique([keys for keys, _ in got])
    dropped = set()
    for (index, cand, _), u in zip([k for k, _ in got], once, strict=True):
        dropped.update(index[cand & ~u].tolist())
    return _without(taken, dropped) if dropped else taken


_Keys = tuple[np.ndarray, np.ndarray, list[pa.Array]]  # a chunk's domain messages: numbers,
# taken or not, keys


def _extend(t: Taken, more: Taken) -> None:
    t.index = np.concatenate([t.index, more.index])
    pairs: list[tuple[list, list]] = [
        (t.codec, more.codec),
        (t.note, more.note),
        (t.rows, more.rows),
        (t.control, more.control),
        (t.appointment_id, more.appointment_id),
        (t.id_source, more.id_source),
        (t.gone, more.gone),
        *zip(t.keys, more.keys, strict=True),
    ]
    for mine, theirs in pairs:
        mine += theirs
    for name, values in more.cols.items():
        t.cols[name] += values


def _without(t: Taken, dropped: set[int]) -> Taken:
    """``t`` less the messages numbered in ``dropped`` (a key another message holds too)."""
    keep = [k not in dropped for k in t.index.tolist()]
    rows = [k not in dropped for k in t.rows]
    out = _empty()
    out.index = t.index[np.array(keep, bool)]
    out.codec = [c for c, k in zip(t.codec, keep, strict=True) if k]
    out.note = [c for c, k in zip(t.note, keep, strict=True) if k]
    for name in ("rows", "control", "appointment_id", "id_source"):
        setattr(out, name, [v for v, k in zip(getattr(t, name), rows, strict=True) if k])
    for name, values in t.cols.items():
        out.cols[name] = [v for v, k in zip(values, rows, strict=True) if k]
    out.gone = [g for g in t.gone if g[2] not in dropped]
    mask_keep = pa.array(keep)
    for kind in range(3):
        if t.keys[kind]:
            out.keys[kind].append(pa.chunked_array(t.keys[kind]).combine_chunks().filter(mask_keep))
    return out


def _empty() -> Taken:
    cols: dict[str, list[str]] = {name: [] for name in [*FIELD_NAMES, "_sources"]}
    return Taken(np.zeros(0, np.int64), [], [], [], [], [], [], cols, [], ([], [], []))


def _collect(t: Taken, p: _Part, sel: np.ndarray, plan: FieldPlan) -> None:
    if not sel.any():
        return
    where = pa.array(sel)
    rows = np.flatnonzero(sel)
    codec = [p.codec[k] for k in rows.tolist()]
    index = p.index[rows]
    control = p.control.filter(where).to_pylist()
    fid, pid = p.fid.filter(where), p.pid.filter(where)
    has_f = pc.not_equal(fid, "")
    appt = pc.if_else(has_f, fid, pid).to_pylist()
    src_arr = pc.if_else(has_f, "SCH-2", pc.if_else(pc.equal(pid, ""), "", "SCH-1"))
    src = src_arr.to_pylist()
    for kind in range(3):
        t.keys[kind].append(p.keys[kind].filter(where))
    simple = p.simple[rows]
    exact = p.exact[rows]
    values: dict[str, list] = {}
    for name in _FIELDS:
        col = p.cols.get(name)
        if col is None:
            values[name] = [""] * len(rows)
            continue
        v = col[0].filter(where)
        odd = ~mask(pc.string_is_ascii(v)) & ~exact
        vals = _pylist(pc.fill_null(v, ""))
        for k in np.flatnonzero(odd).tolist():
            vals[k] = real(vals[k], codec[k])
        values[name] = vals
    sources = [p.cols[name][1].filter(where) if name in p.cols else None for name in _FIELDS]
    joined = _sources(src_arr, sources)
    keep = np.ones(len(rows), bool)
    for k in np.flatnonzero(~simple).tolist():
        ev = Event(int(index[k]), control[k], "SIU^S12", "siu", "new", "booked")
        ev.text = p.raw[rows[k]].decode(codec[k])
        ev.codec = codec[k]
        try:
            got = fields_of(ev, plan)
        except Exception:  # noqa: BLE001 - a message the field map cannot take: listed
            keep[k] = False
            t.gone.append((appt[k], "unparseable", ev.index, control[k], "SIU^S12"))
            continue
        bits = [f"appointment_id={src[k]}"] if src[k] else []
        for name in _FIELDS:
            value, source = got.get(name, ("", ""))
            if value == NULL:
                value, source = "", source + ":null"
            values[name][k] = value
            if source:
                bits.append(f"{name}={source}")
        joined[k] = ";".join(bits)
    t.index = np.concatenate([t.index, index])
    t.codec += codec
    t.note += [p.note[k] for k in rows.tolist()]
    idx = np.flatnonzero(keep).tolist() if not keep.all() else None

    def kept(xs: list) -> list:
        return xs if idx is None else [xs[i] for i in idx]

    t.cols["appointment_id"] += kept(appt)
    for name in _FIELDS:
        t.cols[name] += kept(values[name])
    t.cols["_sources"] += kept(joined)
    t.rows += kept(index.tolist())
    t.control += kept(control)
    t.appointment_id += kept(appt)
    t.id_source += kept(src)
