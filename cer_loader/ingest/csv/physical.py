"""The reader's view of a file's bytes as physical lines, without splitting the text.

``\\r\\n``, ``\\r`` and ``\\n`` each end one line (a final line end adds no line), exactly as
:func:`.framing.split_lines` splits decoded text. The line ends, ``"`` and the delimiter are
single bytes that occur inside no other character in the encodings read this way (UTF-8 and
the single-byte Polish code pages), so lines and quotes are found with numpy over the bytes
(in chunks, so no temporary is larger than :data:`CHUNK`), and a line is decoded only when
the framing asks for its text: the lines holding a quote, their neighbours, the first lines.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import overload

import numpy as np

CHUNK = 1 << 20  # bytes compared at a time: the boolean temporary stays in the cache


def positions(arr: np.ndarray, byte: int, start: int = 0, *, above: bool = False) -> np.ndarray:
    """Offsets (int64, ascending) of ``byte`` in ``arr[start:]`` (``above``: of the bytes
    ``>= byte``)."""
    found = []
    for a in range(start, len(arr), CHUNK):
        part = arr[a : a + CHUNK]
        found.append(np.flatnonzero(part >= byte if above else part == byte).astype(np.int64) + a)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def line_bounds(data: bytes, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(starts, stops) of the physical lines of ``data[start:]``: line ``k`` is
    ``data[starts[k]:stops[k]]``, without its line end (int64 arrays)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = positions(arr, 10, start)
    crlf = np.zeros(0, dtype=bool)
    if data.find(b"\r", start) >= 0:
        cr = positions(arr, 13, start)
        follows = np.minimum(cr + 1, len(arr) - 1)
        lone = cr[(cr + 1 >= len(arr)) | (arr[follows] != 10)]
        if len(lone):
            ends = np.sort(np.concatenate((ends, lone)))
        before = np.maximum(ends - 1, start)  # a \n right after a \r ends a \r\n line
        crlf = (arr[ends] == 10) & (ends > start) & (arr[before] == 13)
    starts = np.concatenate(([start], ends + 1)).astype(np.int64)
    stops = np.concatenate((ends, [len(data)])).astype(np.int64)
    if len(crlf):  # a line ended by \r\n stops before its \r
        stops[: len(ends)] -= crlf
    if starts[-1] >= len(data):  # a final line end adds no line
        starts, stops = starts[:-1], stops[:-1]
    return starts, stops


class PhysicalLines(Sequence[str]):
    """The physical lines of ``data[start:]``; ``lines[k]`` decodes line ``k`` with ``codec``."""

    def __init__(
        self,
        data: bytes,
        start: int,
        codec: str,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        self.data, self.codec = data, codec
        self.arr = np.frombuffer(data, dtype=np.uint8)
        self.starts, self.stops = bounds if bounds is not None else line_bounds(data, start)

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, k: int) -> str: ...
    @overload
    def __getitem__(self, k: slice) -> list[str]: ...
    def __getitem__(self, k: int | slice) -> str | list[str]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        return self.data[self.starts[k] : self.stops[k]].decode(self.codec)

    def byte_lengths(self) -> np.ndarray:
        return self.stops - self.starts

    def quote_lines(self) -> np.ndarray:
        """Indices of the lines holding a ``"`` (ascending, each once)."""
        if self.data.find(b'"', int(self.starts[0]) if len(self) else 0) < 0:
            return np.empty(0, dtype=np.int64)
        q = positions(self.arr, 34, int(self.starts[0]))
        return np.unique(np.searchsorted(self.stops, q, side="left"))

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Byte range from the start of line ``first`` to the start of the line after ``last``
        (its line end included; the end of the data after the last line)."""
        end = int(self.starts[last + 1]) if last + 1 < len(self) else len(self.data)
        return int(self.starts[first]), end


class FileBytes:
    """One read of an input file, shared by the reader and the census so neither reads, hashes
    or splits the bytes twice: the SHA-256 is computed in a thread as soon as the bytes are
    read (hashlib lets go of the GIL), and the reader leaves here the physical lines it found
    when it split these very bytes (``start``: the offset they begin at, after a BOM)."""

    def __init__(self, data: bytes):
        self.data = data
        self.start: int | None = None
        self.bounds: tuple[np.ndarray, np.ndarray] | None = None
        self._hash = hashlib.sha256()
        self._thread = threading.Thread(target=self._hash.update, args=(data,), daemon=True)
        self._thread.start()

    def sha256(self) -> str:
        self._thread.join()
        return self._hash.hexdigest()

    def lines_from(self, start: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The reader's line bounds when they begin at ``start``, else None."""
        return self.bounds if self.start == start else None
