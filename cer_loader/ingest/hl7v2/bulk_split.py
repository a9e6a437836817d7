"""Column path: Arrow helpers that cut the values ``Segments`` (``bulk_tokens``) copies out.

``element`` / ``part`` / ``comps`` / ``leaf`` / ``at`` are ``fast_tokens``' list indexing,
``str.split`` pieces, ``leaf`` and ``at`` for a whole column of field values at once, ``""``
where absent; ``strip`` strips spaces (the column domain holds no other white space).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.ingest.hl7v2.bulk_tokens import Segments

__all__ = ["Segments", "element", "part", "strip", "empty", "comps", "leaf", "at"]


def element(lists: pa.Array, k: int) -> pa.Array:
    """Item ``k`` (0-based) of each list, ``""`` where the list is shorter or null."""
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    offs = lists.offsets.to_numpy()
    start = offs[:-1]
    have = (offs[1:] - start) > k
    if lists.null_count:
        have &= lists.is_valid().to_numpy(zero_copy_only=False)
    idx = pa.array(np.where(have, start + k, 0), mask=~have)
    return pc.fill_null(lists.values.take(idx), "")


def part(values: pa.Array, sep: str, k: int, maybe: bool = True) -> pa.Array:
    """Piece ``k`` (0-based) of each value split at ``sep``; ``""`` where there is none.
    ``maybe=False``: the caller knows no value holds ``sep``."""
    if not maybe or not pc.any(pc.match_substring(values, sep)).as_py():
        return values if k == 0 else pc.if_else(pc.is_null(values), values, "")
    return element(pc.split_pattern(values, sep, max_splits=k + 1), k)


def strip(values: pa.Array) -> pa.Array:
    """``str.strip`` (the domain holds no white space but the space)."""
    return pc.utf8_trim(values, " ")


def empty(values: pa.Array) -> np.ndarray:
    return pc.equal(values, "").to_numpy(zero_copy_only=False)


def comps(values: pa.Array) -> pa.Array:
    """Components of each value (a list per value)."""
    return pc.split_pattern(values, "^")


def leaf(cs: pa.Array, n: int) -> pa.Array:
    """``fast_tokens.leaf``: component n (1-based), sub-component 1, stripped."""
    return strip(part(element(cs, n - 1), "&", 0))


def at(cs: pa.Array, n: int) -> pa.Array:
    """``fast_tokens.at``: component n (1-based) raw."""
    return element(cs, n - 1)
