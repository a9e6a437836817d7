"""Column path, step 4: a chunk's taken messages → their rows as Arrow text columns.

``collect`` turns what ``bulk`` read on a chunk (``Part``: keys, the field map's columns) into
the rows of the messages it takes (``Taken``): every value stays an Arrow ``large_string``
array (what pandas' Arrow-backed ``str`` holds), so no Python string is made per value. The
few values the columns cannot give are patched in by index: a non-ASCII value of a message
whose view is not its text (``bulk_bytes.real``), and every field of a message the column map
does not cover (``bulk_fields.simple``), which the per-message fast path reads
(``fast.fields_of``). A message the field map cannot take is listed as unparseable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.hl7v2.bulk_bytes import real
from cer_loader.ingest.hl7v2.bulk_cols import concat, mask
from cer_loader.ingest.hl7v2.events import Event
from cer_loader.ingest.hl7v2.fast import fields_of
from cer_loader.ingest.hl7v2.field_map import FieldPlan
from cer_loader.ingest.hl7v2.tokens import NULL

__all__ = ["FIELDS", "Part", "Taken", "blank_text", "collect", "empty", "large"]

FIELDS = [f for f in FIELD_NAMES if f != "appointment_id"]
TEXT = pa.large_string()


@dataclass
class Taken:
    """The messages the column path reads (see ``bulk``), in file order; the per-row values
    are Arrow chunks, one per chunk of the dump read."""

    index: np.ndarray  # 1-based message numbers of every taken message
    codec: list[str]  # per taken message
    note: list[str]
    rows: np.ndarray  # per loaded row (a taken message the field map could read): its number
    refs: list[pa.Array]  # per loaded row: its source reference ("MSH-10 … / SCH-2 …")
    cols: dict[str, list[pa.Array]]  # FIELD_NAMES + "_sources" (dictionary), per loaded row
    gone: list[tuple[str, str, int, str, str]] = field(default_factory=list)  # unparseable
    keys: tuple[list, list, list] = ([], [], [])  # Arrow arrays of the control, filler and
    # placer keys of the taken messages ("sender\0control", "namespace\0id"; "" none)


@dataclass
class Part:
    """What ``bulk`` read on one chunk, for its messages of the column domain."""

    index: np.ndarray
    cand: np.ndarray
    control: pa.Array
    fid: pa.Array
    pid: pa.Array
    keys: list[pa.Array]  # control, filler and placer keys ("" none) for the counts
    codec: list[str]
    note: list[str]
    raw: Sequence[bytes]  # the chunk's messages (``dom``: each domain message's place in it)
    dom: np.ndarray
    exact: np.ndarray
    cols: dict[str, tuple[pa.Array, pa.Array]]
    simple: np.ndarray


def empty() -> Taken:
    cols: dict[str, list[pa.Array]] = {name: [] for name in [*FIELD_NAMES, "_sources"]}
    return Taken(np.zeros(0, np.int64), [], [], np.zeros(0, np.int64), [], cols, [], ([], [], []))


def large(values: pa.Array) -> pa.Array:
    return values if values.type == TEXT else values.cast(TEXT)


def blank_text(n: int) -> pa.Array:
    """``n`` empty strings."""
    offsets = pa.py_buffer(np.zeros(n + 1, np.int64))
    return pa.LargeStringArray.from_buffers(n, offsets, pa.py_buffer(b""))


def _patched(values: pa.Array, patch: dict[int, str]) -> pa.Array:
    """``values`` with the value at each key of ``patch`` replaced (one ``take``)."""
    if not patch:
        return values
    if isinstance(values, pa.DictionaryArray):
        codes = values.indices.to_numpy().copy()
        codes[np.fromiter(patch, np.int64, len(patch))] = len(values.dictionary) + np.arange(
            len(patch)
        )
        more = pa.array(list(patch.values()), TEXT)
        book = pa.concat_arrays([values.dictionary, more])
        return pa.DictionaryArray.from_arrays(pa.array(codes), book)
    idx = np.arange(len(values), dtype=np.int64)
    idx[np.fromiter(patch, np.int64, len(patch))] = len(values) + np.arange(len(patch))
    more = pa.array(list(patch.values()), TEXT)
    return pa.concat_arrays([values, more]).take(pa.array(idx))


def _sources(appt_src: pa.Array, sources: list[pa.Array | None]) -> pa.Array:
    """``rows``' source column: ``name=source`` of every field sent, joined by ``;``, built
    once per distinct combination of sources (a dump has few), as a dictionary array (the
    texts are long: each row holds its combination's number)."""
    names = ["appointment_id", *FIELDS]
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
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    stacked = [[int(code[k]) for code in codes] for k in first.tolist()]  # one row per combination
    texts = [
        ";".join(f"{names[k]}={books[k][c]}" for k, c in enumerate(combo) if c) for combo in stacked
    ]
    codes = pa.array(inverse.reshape(-1).astype(np.int32))
    return pa.DictionaryArray.from_arrays(codes, pa.array(texts, TEXT))


def _refs(control: pa.Array, src: pa.Array, appt: pa.Array) -> pa.Array:
    """``rows``' reference per row: ``MSH-10 <control>`` and ``<SCH-n> <id>``, as sent."""
    none = pa.scalar(None, TEXT)
    msh = pc.if_else(pc.equal(control, ""), none, concat("MSH-10 ", control))
    sch = pc.if_else(pc.equal(src, ""), none, concat(src, " ", appt))
    return large(pc.fill_null(concat(msh, sch, sep=" / ", skip=True), ""))


def collect(t: Taken, p: Part, sel: np.ndarray, plan: FieldPlan) -> None:
    """Append to ``t`` the messages of ``p`` where ``sel`` (see the module doc)."""
    if not sel.any():
        return
    where = pa.array(sel)
    rows = np.flatnonzero(sel)
    m = len(rows)
    codec = [p.codec[k] for k in rows.tolist()]
    index = p.index[rows]
    control = large(p.control.filter(where))
    fid, pid = p.fid.filter(where), p.pid.filter(where)
    has_f = pc.not_equal(fid, "")
    appt = large(pc.if_else(has_f, fid, pid))
    src = large(pc.if_else(has_f, "SCH-2", pc.if_else(pc.equal(pid, ""), "", "SCH-1")))
    for kind in range(3):
        t.keys[kind].append(p.keys[kind].filter(where))
    exact = p.exact[rows]
    values: dict[str, pa.Array] = {}
    patches: dict[str, dict[int, str]] = {name: {} for name in [*FIELDS, "_sources"]}
    for name in FIELDS:
        col = p.cols.get(name)
        if col is None:
            values[name] = blank_text(m)
            continue
        v = large(pc.fill_null(col[0].filter(where), ""))
        odd = np.flatnonzero(~mask(pc.string_is_ascii(v)) & ~exact).tolist()
        if odd:
            texts = v.take(pa.array(odd)).to_pylist()
            patches[name].update({k: real(x, codec[k]) for k, x in zip(odd, texts, strict=True)})
        values[name] = v
    sources = [p.cols[name][1].filter(where) if name in p.cols else None for name in FIELDS]
    values["_sources"] = _sources(src, sources)
    keep = np.ones(m, bool)
    odd_rows = np.flatnonzero(~p.simple[rows])
    _per_message(t, p, plan, rows, odd_rows, (control, appt, src), patches, keep)
    t.index = np.concatenate([t.index, index])
    t.codec += codec
    t.note += [p.note[k] for k in rows.tolist()]
    kept = None if keep.all() else pa.array(keep)

    def done(values: pa.Array) -> pa.Array:
        return values if kept is None else values.filter(kept)

    t.cols["appointment_id"].append(done(appt))
    for name in [*FIELDS, "_sources"]:
        t.cols[name].append(done(_patched(values[name], patches[name])))
    t.rows = np.concatenate([t.rows, index[keep]])
    t.refs.append(done(_refs(control, src, appt)))


def _per_message(
    t: Taken,
    p: Part,
    plan: FieldPlan,
    rows: np.ndarray,
    ks: np.ndarray,
    ids: tuple[pa.Array, pa.Array, pa.Array],
    patches: dict[str, dict[int, str]],
    keep: np.ndarray,
) -> None:
    """The fields of the rows ``ks`` (among ``rows``) read message by message, as patches;
    a message the field map cannot take is listed and ``keep`` cleared."""
    if not len(ks):
        return
    pick = pa.array(ks)
    control, appt, src = (a.take(pick).to_pylist() for a in ids)
    for j, k in enumerate(ks.tolist()):
        ev = Event(int(p.index[rows[k]]), control[j], "SIU^S12", "siu", "new", "booked")
        codec = p.codec[rows[k]]
        ev.text = p.raw[int(p.dom[rows[k]])].decode(codec)
        ev.codec = codec
        try:
            got = fields_of(ev, plan)
        except Exception:  # noqa: BLE001 - a message the field map cannot take: listed
            keep[k] = False
            t.gone.append((appt[j], "unparseable", ev.index, control[j], "SIU^S12"))
            continue
        bits = [f"appointment_id={src[j]}"] if src[j] else []
        for name in FIELDS:
            value, source = got.get(name, ("", ""))
            if value == NULL:
                value, source = "", source + ":null"
            patches[name][k] = value
            if source:
                bits.append(f"{name}={source}")
        patches["_sources"][k] = ";".join(bits)
