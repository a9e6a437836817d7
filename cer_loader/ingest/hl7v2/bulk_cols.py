"""Column helpers of the column path: picking the first value sent, mapping distinct values.

A field of the column path is a pair of Arrow arrays, value and source, null where the field
is not sent (``Col``); ``pick`` is ``fast._first`` over whole columns.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Col",
    "blank",
    "pick",
    "none",
    "mapped",
    "per_distinct",
    "ascii_only",
    "where",
    "mask",
    "concat",
]

Col = tuple[pa.Array, pa.Array]  # (value, source), null where not sent


def none(n: int) -> Col:
    nulls = pa.nulls(n, pa.large_string())
    return nulls, nulls


def where(cond: np.ndarray | pa.Array, col: Col, other: Col) -> Col:
    c = pa.array(cond) if isinstance(cond, np.ndarray) else cond
    return pc.if_else(c, col[0], other[0]), pc.if_else(c, col[1], other[1])


def blank(values: pa.Array) -> bool:
    """Every value is ``""`` (not null): as a candidate it never gives a value."""
    if isinstance(values, pa.ChunkedArray) or values.null_count:
        return False
    if not len(values):
        return True
    if values.type not in (pa.large_string(), pa.string()):
        return False
    width = np.int64 if values.type == pa.large_string() else np.int32
    offs = np.frombuffer(values.buffers()[1], width)
    return bool(offs[values.offset] == offs[values.offset + len(values)])


def pick(n: int, cands: list[tuple[pa.Array, str | pa.Array]]) -> Col:
    """The first candidate value that is not ``""``, with its source; null where none."""
    value, source = none(n)
    for v, src in cands:
        if blank(v):
            continue
        take = pc.and_(pc.is_null(value), pc.not_equal(v, ""))
        s = pa.scalar(src, pa.large_string()) if isinstance(src, str) else src
        value, source = pc.if_else(take, v, value), pc.if_else(take, s, source)
    return value, source


def mask(values: pa.Array) -> np.ndarray:
    """bool per value of a boolean array (null as False)."""
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False)


def ascii_only(values: pa.Array) -> np.ndarray:
    return mask(pc.string_is_ascii(values))


def mapped(values: pa.Array, fn: Callable[[str], str | None]) -> pa.Array:
    """``fn`` of each value, computed once per distinct value (``None`` → null); values must
    be ASCII (the caller leaves other rows)."""
    enc = pc.dictionary_encode(values)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    out = pa.array([fn(v) for v in enc.dictionary.to_pylist()], pa.large_string())
    return out.take(enc.indices)


def per_distinct(values: pa.Array, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``fn`` (element-wise Arrow work) run on the distinct values only when they repeat (a
    dump's practitioners, slots, ...), then spread back; ``fn(values)`` otherwise."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    enc = pc.dictionary_encode(values)
    if 4 * len(enc.dictionary) > len(values) or enc.indices.null_count:
        return fn(values)
    return fn(enc.dictionary).take(enc.indices)


def concat(*parts: pa.Array | str, sep: str = "", skip: bool = False) -> pa.Array:
    """The parts joined with ``sep`` element-wise (null if any part is null, unless ``skip``)."""
    args = [pa.scalar(x, pa.large_string()) if isinstance(x, str) else x for x in parts]
    glue = pa.scalar(sep, pa.large_string())
    if not skip:
        return pc.binary_join_element_wise(*args, glue)
    # pairwise: binary_join_element_wise(null_handling="skip") loses the length of all-null input
    out = args[0]
    for arg in args[1:]:
        both = pc.binary_join_element_wise(out, arg, glue)
        out = pc.if_else(pc.is_null(out), arg, pc.if_else(pc.is_null(arg), out, both))
    return out
