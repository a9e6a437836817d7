"""Column path, step 2: a chunk's messages cut into segments, fields and components on the bytes.

``Segments`` tokenises every message of the column domain (``bulk_bytes``: standard
delimiters, CR-separated segments, no escape) at once with numpy: the positions of CR, ``|``,
``^``, ``~`` and ``&`` in the chunk's text are found in one pass each, and a field, component or
sub-component of every message is a (start, end) pair found by ``searchsorted`` among them.
Only the values asked for are copied out as Arrow text (``field``, ``get``); no segment or field
list is ever built. It reads what ``fast_tokens.Plain`` reads: segments split at CR, blank ones
(spaces only) left out, a segment named by its first three characters, MSH fields counted as the
standard does; ``field`` / ``get`` are ``Plain.seg(...)[n]`` / ``fast_tokens.get`` (the domain
holds no white space but the space, so stripping is of spaces). A message that holds a segment
name twice, or a segment whose name is not ASCII, is marked in ``repeated`` (the column path
leaves it to the per-message path).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["Segments", "strings"]

_CR, _PIPE, _CARET, _TILDE, _AMP, _SPACE = 13, 124, 94, 126, 38, 32


def strings(data: pa.Buffer, start: np.ndarray, end: np.ndarray) -> pa.LargeStringArray:
    """The byte ranges ``[start, end)`` of ``data`` (cut at ASCII bytes of UTF-8 text) as text;
    the ranges ascend and do not overlap. They and the gaps between them are one zero-copy
    array over ``data``, of which Arrow's ``take`` copies out every other string."""
    n = len(start)
    if not n:
        return pa.array([], pa.large_string())
    offs = np.empty(2 * n, np.int64)
    offs[0::2], offs[1::2] = start, end
    both = pa.LargeStringArray.from_buffers(2 * n - 1, pa.py_buffer(offs), data)
    return both.take(pa.array(np.arange(0, 2 * n, 2)))


def _next(seps: np.ndarray, rank: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The separator of rank ``rank`` in ``seps`` (a sentinel past the end closes it) where it
    lies before ``end``: (found, its position or ``end``)."""
    at = seps[np.minimum(rank, len(seps) - 1)]
    found = at < end
    return found, np.where(found, at, end)


def _strip(buf: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ranges without leading and trailing spaces (work in proportion to the spaces)."""
    a, b = a.copy(), b.copy()
    top = len(buf) - 1
    k = np.flatnonzero((a < b) & (buf[np.minimum(a, top)] == _SPACE))
    while len(k):
        a[k] += 1
        k = k[(a[k] < b[k]) & (buf[np.minimum(a[k], top)] == _SPACE)]
    k = np.flatnonzero((a < b) & (buf[np.maximum(b - 1, 0)] == _SPACE))
    while len(k):
        b[k] -= 1
        k = k[(a[k] < b[k]) & (buf[np.maximum(b[k] - 1, 0)] == _SPACE)]
    return a, b


class Segments:
    """Segments and fields by segment name for the messages of ``view`` where ``keep`` (all by
    default), in their order (see the module doc)."""

    def __init__(self, view: pa.LargeStringArray, keep: np.ndarray | None = None) -> None:
        offsets, data = view.buffers()[1], view.buffers()[2]
        offs = np.frombuffer(offsets, np.int64)[view.offset : view.offset + len(view) + 1]
        data = data if data is not None else pa.py_buffer(b"")
        buf = np.frombuffer(data, np.uint8)
        dom = np.flatnonzero(keep) if keep is not None else np.arange(len(view))
        n = self.n = len(dom)
        mstart, mend = offs[dom], offs[dom + 1]
        cr = np.flatnonzero(buf == _CR)
        owner = np.searchsorted(mstart, cr, side="right") - 1
        inside = (owner >= 0) & (cr < mend[np.maximum(owner, 0)])
        cut = np.concatenate([cr[inside], mend])  # each segment's end: a CR or its message's end
        parent = np.concatenate([owner[inside], np.arange(n)])
        order = np.argsort(cut, kind="stable")
        cut, parent = cut[order], parent[order]
        start = np.empty_like(cut)
        start[1:] = cut[:-1] + 1
        first = np.ones(len(cut), bool)
        first[1:] = parent[1:] != parent[:-1]
        start[first] = mstart[parent[first]]
        top = max(len(buf) - 1, 0)
        live = cut > start
        for k in np.flatnonzero(live & (buf[np.minimum(start, top)] == _SPACE)).tolist():
            live[k] = bool((buf[start[k] : cut[k]] != _SPACE).any())  # spaces only: left out
        self._start, self._end, self._parent = start[live], cut[live], parent[live]
        start, length = self._start, self._end - self._start
        code = np.zeros(len(start), np.int64)
        self.repeated = np.zeros(n, bool)
        for k in range(3):
            byte = np.where(length > k, buf[np.minimum(start + k, top)], 0).astype(np.int64)
            self.repeated[self._parent[byte >= 0x80]] = True
            code = code << 8 | byte
        self._codes = code
        key = self._parent.astype(np.int64) << 24 | code
        sk = np.sort(key)
        self.repeated[(sk[1:][sk[1:] == sk[:-1]] >> 24).astype(np.int64)] = True
        self.order = np.zeros(len(start), np.int64)  # position of each segment in its message
        if len(start):
            head = np.r_[0, np.flatnonzero(np.diff(self._parent)) + 1]
            self.order = np.arange(len(start)) - np.repeat(head, np.diff(np.r_[head, len(start)]))
        self._buf, self._data, self._mstart = buf, data, mstart
        self._ranks(buf)
        self._first: dict[str, np.ndarray] = {}
        self._ranges: dict[tuple[str, int], tuple[np.ndarray, ...]] = {}

    def _ranks(self, buf: np.ndarray) -> None:
        """Positions of each separator, then a sentinel past the end (so a rank one past the
        last still indexes), and each segment's first ``|``."""
        sentinel = np.array([len(buf) + 1], np.int64)
        self._pipes = np.concatenate([np.flatnonzero(buf == _PIPE), sentinel])
        self._carets = np.concatenate([np.flatnonzero(buf == _CARET), sentinel])
        self._tildes = np.concatenate([np.flatnonzero(buf == _TILDE), sentinel])
        self._amps = np.concatenate([np.flatnonzero(buf == _AMP), sentinel])
        self._head = np.searchsorted(self._pipes, self._start)
        self._ends, self._heads = np.append(self._end, 0), np.append(self._head, 0)  # -1 safe

    @staticmethod
    def _code(name: str) -> int:
        raw = name.encode("ascii")[:3].ljust(3, b"\0")
        return raw[0] << 16 | raw[1] << 8 | raw[2]

    def segment(self, name: str) -> np.ndarray:
        """Index of the (first) segment ``name`` of each message among all segments; -1 absent."""
        if name not in self._first:
            idx = np.full(self.n, -1, np.int64)
            sel = np.flatnonzero(self._codes == self._code(name))[::-1]  # the first one wins
            idx[self._parent[sel]] = sel
            self._first[name] = idx
        return self._first[name]

    def has(self, name: str) -> np.ndarray:
        """bool per message: the segment is there."""
        return self.segment(name) >= 0

    def position(self, name: str) -> np.ndarray:
        """Position of the (first) segment ``name`` among the message's segments; -1 absent."""
        idx = self.segment(name)
        return np.where(idx >= 0, self.order[np.maximum(idx, 0)], -1)

    def span(self, name: str, number: int) -> tuple[np.ndarray, ...]:
        """(start, end, pipe) of field ``number`` (MSH as the standard counts, from MSH-2) in
        the chunk's text, an empty range where absent; ``pipe``: the rank of the ``|`` that
        opens it (clipped to the sentinel where absent)."""
        if (name, number) not in self._ranges:
            idx = self.segment(name)
            have = idx >= 0
            safe = np.maximum(idx, 0)
            seg_end = np.where(have, self._ends[safe], 0)
            piece = number - 1 if name == "MSH" else number
            j = np.where(have, self._heads[safe] + (piece - 1), len(self._pipes) - 1)
            j = np.minimum(j, len(self._pipes) - 1)
            found, at = _next(self._pipes, j, seg_end)
            start = np.where(found, at + 1, self._mstart)  # absent: empty, in its message
            end = np.where(found, _next(self._pipes, j + 1, seg_end)[1], self._mstart)
            self._ranges[(name, number)] = (start, end, np.where(found, j, len(self._pipes) - 1))
        return self._ranges[(name, number)]

    def sent(self, name: str, number: int) -> bool:
        """Some message has field ``number`` of segment ``name`` not empty."""
        if name == "MSH" and number == 1:
            return self.n > 0
        a, b, _ = self.span(name, number)
        return bool((b > a).any())

    def field(self, name: str, number: int) -> pa.LargeStringArray:
        """Field ``number`` raw (MSH counted as the standard does), ``""`` where absent."""
        if name == "MSH" and number == 1:
            return pa.array(["|"] * self.n, pa.large_string())
        a, b, _ = self.span(name, number)
        return strings(self._data, a, b)

    def get(self, name: str, number: int, comp: int = 1) -> pa.LargeStringArray:
        """``fast_tokens.get``: repetition 1, component ``comp``, sub-component 1, stripped."""
        if name == "MSH" and number == 1:
            return pa.array(["|" if comp == 1 else ""] * self.n, pa.large_string())
        a, b, first = self._rep1(name, number)
        if comp > 1:
            found, at = _next(self._carets, first + (comp - 2), b)
            a = np.where(found, at + 1, b)
        b = np.maximum(_next(self._carets, first + (comp - 1), b)[1], a)
        b = np.maximum(_next(self._amps, np.searchsorted(self._amps, a), b)[1], a)
        return strings(self._data, *_strip(self._buf, a, b))

    def _rep1(self, name: str, number: int) -> tuple[np.ndarray, ...]:
        """(start, end) of the field's first repetition, and the rank of the first ``^`` in it."""
        key = (name, -number)
        if key not in self._ranges:
            a, b, _ = self.span(name, number)
            b = _next(self._tildes, np.searchsorted(self._tildes, a), b)[1]
            self._ranges[key] = (a, b, np.searchsorted(self._carets, a))
        return self._ranges[key]
