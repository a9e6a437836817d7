"""Column path, step 2: the messages of a chunk split into segments and fields, on whole columns.

``Segments`` holds, for messages in the column domain (``bulk_bytes``), each segment name's
text per message (null where the message has no such segment) and splits it into fields on
first use; ``field`` / ``get`` / ``leaf`` / ``at`` are ``fast_tokens``' ``Plain.seg`` /
``get`` / ``leaf`` / ``at`` for a whole column at once, ``""`` where absent. A message that
holds a segment name twice is marked in ``repeated`` (the column path leaves it).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Segments", "element", "part", "strip", "empty"]


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


class Segments:
    """Segment texts and fields by segment name for ``n`` messages (see the module doc)."""

    def __init__(self, view: pa.Array) -> None:
        self.n = len(view)
        segs = pc.split_pattern(view, "\r")
        flat = segs.values
        parent = pc.list_parent_indices(segs).to_numpy()
        keep = pc.not_equal(pc.utf8_trim(flat, " "), "").to_numpy(zero_copy_only=False)
        flat, parent = flat.filter(pa.array(keep)), parent[keep]
        names = pc.utf8_slice_codeunits(flat, 0, 3)
        enc = (
            pc.dictionary_encode(names).combine_chunks()
            if isinstance(names, pa.ChunkedArray)
            else pc.dictionary_encode(names)
        )
        codes = enc.indices.to_numpy()
        dictionary = enc.dictionary.to_pylist()
        key = parent.astype(np.int64) * (len(dictionary) + 1) + codes
        order = np.argsort(key, kind="stable")
        dup = np.zeros(len(key), bool)
        sk = key[order]
        dup[order[1:]] = sk[1:] == sk[:-1]
        self.repeated = np.zeros(self.n, bool)
        self.repeated[parent[dup]] = True
        self.order = np.zeros(len(parent), np.int64)  # position of each kept segment in its message
        if len(parent):
            first = np.r_[0, np.flatnonzero(np.diff(parent)) + 1]
            counts = np.diff(np.r_[first, len(parent)])
            self.order = np.arange(len(parent)) - np.repeat(first, counts)
        self._flat, self._parent, self._codes = flat, parent, codes
        self._index = {name: i for i, name in enumerate(dictionary)}
        self._texts: dict[str, pa.Array] = {}
        self._fields: dict[str, pa.Array] = {}
        self._pos: dict[str, np.ndarray] = {}
        self._holds: dict[str, np.ndarray] = {}

    def has(self, name: str) -> np.ndarray:
        """bool per message: the segment is there."""
        return self.position(name) >= 0

    def position(self, name: str) -> np.ndarray:
        """Position of the (first) segment ``name`` among the message's segments; -1 absent."""
        if name not in self._pos:
            pos = np.full(self.n, -1, np.int64)
            code = self._index.get(name)
            if code is not None:
                sel = np.flatnonzero(self._codes == code)[::-1]  # the first one wins
                pos[self._parent[sel]] = self.order[sel]
            self._pos[name] = pos
        return self._pos[name]

    def text(self, name: str) -> pa.Array:
        """The segment's text per message, null where absent."""
        if name not in self._texts:
            idx = np.full(self.n, -1, np.int64)
            code = self._index.get(name)
            if code is not None:
                sel = np.flatnonzero(self._codes == code)[::-1]
                idx[self._parent[sel]] = sel
            self._texts[name] = self._flat.take(pa.array(np.maximum(idx, 0), mask=idx < 0))
        return self._texts[name]

    def _split(self, name: str) -> pa.Array:
        if name not in self._fields:
            self._fields[name] = pc.split_pattern(self.text(name), "|")
        return self._fields[name]

    def field(self, name: str, number: int) -> pa.Array:
        """Field ``number`` raw (MSH counted as the standard does), ``""`` where absent."""
        if name == "MSH":
            if number == 1:
                return pa.array(["|"] * self.n, pa.large_string())
            number = number - 1 if number >= 2 else number
        return element(self._split(name), number)

    def holds(self, name: str, sep: str) -> bool:
        """Some message's segment ``name`` holds ``sep``."""
        if sep not in self._holds:  # once per separator for every segment name
            has = pc.match_substring(self._flat, sep).to_numpy(zero_copy_only=False)
            self._holds[sep] = np.bincount(self._codes[has], minlength=len(self._index)) > 0
        code = self._index.get(name)
        return code is not None and bool(self._holds[sep][code])

    def get(self, name: str, number: int, comp: int = 1) -> pa.Array:
        """``fast_tokens.get``: repetition 1, component ``comp``, sub-component 1, stripped."""
        rep = part(self.field(name, number), "~", 0, self.holds(name, "~"))
        got = part(rep, "^", comp - 1, self.holds(name, "^"))
        return strip(part(got, "&", 0, self.holds(name, "&")))


def comps(values: pa.Array) -> pa.Array:
    """Components of each value (a list per value)."""
    return pc.split_pattern(values, "^")


def leaf(cs: pa.Array, n: int) -> pa.Array:
    """``fast_tokens.leaf``: component n (1-based), sub-component 1, stripped."""
    return strip(part(element(cs, n - 1), "&", 0))


def at(cs: pa.Array, n: int) -> pa.Array:
    """``fast_tokens.at``: component n (1-based) raw."""
    return element(cs, n - 1)
