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

from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.ingest.hl7v2.bulk_bytes import read_chunk
from cer_loader.ingest.hl7v2.bulk_cols import blank, concat, mask
from cer_loader.ingest.hl7v2.bulk_fields import extract_columns
from cer_loader.ingest.hl7v2.bulk_rows import Part, Taken, blank_text, collect, empty
from cer_loader.ingest.hl7v2.bulk_split import Segments, comps, element, strip
from cer_loader.ingest.hl7v2.field_map import FieldPlan
from cer_loader.ingest.hl7v2.forked import Forked

__all__ = ["CHUNK", "Taken", "take"]

CHUNK = 1 << 16  # messages per chunk: bounds the memory of the Arrow intermediates


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


def _chunk(messages, start, charset, default, max_bytes, plan) -> Part | None:
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
    return Part(
        index=dom + start + 1,
        cand=cand,
        control=control,
        fid=fid,
        pid=pid,
        keys=keys,
        codec=[ch.codec[k] for k in dl],
        note=[ch.note[k] for k in dl],
        raw=messages,
        dom=dom,
        exact=ch.exact[dom],
        cols=cols,
        simple=simple,
    )


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
    messages: Sequence[bytes],
    charset: str | None,
    default: str,
    max_bytes: int,
    plan: FieldPlan,
    workers: int = 1,
) -> Taken:
    """The messages the column path reads, with their rows (see the module doc); ``workers``
    2: the later half of the chunks is read in a forked process meanwhile."""
    size = CHUNK if workers < 2 else max(1, min(CHUNK, -(-len(messages) // 2)))
    job = (messages, size, charset, default, max_bytes, plan)
    starts = list(range(0, len(messages), size))
    if len(starts) > 1 and workers > 1:
        got = _in_two(job, starts)
    else:
        got = [_one(job, start) for start in starts]
    taken = empty()
    for _, mine in got:
        _extend(taken, mine)
    once = _unique([keys for keys, _ in got])
    dropped = set()
    for (index, cand, _), u in zip([k for k, _ in got], once, strict=True):
        dropped.update(index[cand & ~u].tolist())
    return _without(taken, dropped) if dropped else taken


_Job = tuple[Sequence[bytes], int, str | None, str, int, FieldPlan]


def _one(job: _Job, start: int) -> tuple[_Keys, Taken]:
    """One chunk's keys and rows (its Arrow intermediates are freed on return)."""
    messages, size, charset, default, max_bytes, plan = job
    p = _chunk(messages[start : start + size], start, charset, default, max_bytes, plan)
    mine = empty()
    if p is None:
        return (np.zeros(0, np.int64), np.zeros(0, bool), _no_keys()), mine
    collect(mine, p, p.cand, plan)
    keys = (p.index, p.cand, p.keys)
    del p
    # the chunk's intermediates go back to the system, not kept by Arrow's allocator for the
    # next chunk (at 1M messages the kept memory was ~0.6 GB of the peak)
    pa.default_memory_pool().release_unused()
    return keys, mine


def _no_keys() -> list[pa.Array]:
    return [blank_text(0) for _ in range(5)]


def _in_two(job: _Job, starts: list[int]) -> list[tuple[_Keys, Taken]]:
    """The chunks at ``starts``, the later half read in a forked process (numpy and Arrow
    hold the GIL between their kernels: two threads of one process did 1.5× the work of one,
    two processes 2×) while this one reads the first half; in chunk order. A chunk the child
    does not deliver (it failed to start, died, or failed) is read here (``forked``).

    What the fork costs in memory is kept small: the child is given the dump's messages as
    ranges of its bytes (``framing.Messages``) and touches no object per message (a reference
    count written is a copy-on-write page copied: with a list of a million ``bytes`` it copied
    the half it read), and it sends each chunk's rows as soon as they are read, so it never
    holds more than one chunk's. At 1M messages, summed PSS: 2.80 GB with a list of the
    messages and the half sent at the end, 1.81 GB so; 1.69 GB in one process."""
    cut = (len(starts) + 1) // 2
    later = starts[cut:]
    with Forked(_chunks, (job, later), len(later)) as child:
        first = [_one(job, start) for start in starts[:cut]]
        sent = child.results()
    second = [
        mine if mine is not None else _one(job, start)
        for start, mine in zip(later, sent, strict=True)
    ]
    return first + second


def _chunks(job: _Job, starts: list[int]) -> Iterator[tuple[_Keys, Taken] | None]:
    """The forked process's work: each chunk's keys and rows (``None``: this one failed, the
    parent reads it)."""
    for start in starts:
        try:
            yield _one(job, start)
        except Exception:  # noqa: BLE001 - the parent reads this chunk itself
            yield None


_Keys = tuple[np.ndarray, np.ndarray, list[pa.Array]]  # a chunk's domain messages: numbers,
# taken or not, keys


def _extend(t: Taken, more: Taken) -> None:
    t.index = np.concatenate([t.index, more.index])
    t.rows = np.concatenate([t.rows, more.rows])
    pairs: list[tuple[list, list]] = [
        (t.codec, more.codec),
        (t.note, more.note),
        (t.refs, more.refs),
        (t.gone, more.gone),
        *zip(t.keys, more.keys, strict=True),
    ]
    for mine, theirs in pairs:
        mine += theirs
    for name, values in more.cols.items():
        t.cols[name] += values


def _without(t: Taken, dropped: set[int]) -> Taken:
    """``t`` less the messages numbered in ``dropped`` (a key another message holds too)."""
    gone = np.fromiter(dropped, np.int64, len(dropped))
    keep = ~np.isin(t.index, gone)
    rows = pa.array(~np.isin(t.rows, gone))
    out = empty()
    out.index, out.rows = t.index[keep], t.rows[~np.isin(t.rows, gone)]
    out.codec = [c for c, k in zip(t.codec, keep.tolist(), strict=True) if k]
    out.note = [c for c, k in zip(t.note, keep.tolist(), strict=True) if k]
    out.refs = [_joined(t.refs).filter(rows)]
    for name, values in t.cols.items():
        out.cols[name] = [_joined(values).filter(rows)]
    out.gone = [g for g in t.gone if g[2] not in dropped]
    mask_keep = pa.array(keep)
    for kind in range(3):
        if t.keys[kind]:
            out.keys[kind].append(pa.chunked_array(t.keys[kind]).combine_chunks().filter(mask_keep))
    return out


def _joined(chunks: list[pa.Array]) -> pa.Array:
    return pa.concat_arrays(chunks) if chunks else blank_text(0)
