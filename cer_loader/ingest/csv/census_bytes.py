"""The census's view of a file as bytes: physical lines, quotes per line, blank lines — with
numpy over the raw bytes, never decoding the whole file and never calling the reader's parser.
The physical lines are the one thing it shares with the reader (:func:`.physical.line_bounds`:
when the reader split these very bytes from the same offset, its line bounds are taken as they
are, not found twice); ``tests/test_census.py`` holds them to a regex split of the decoded text.

This is exact for every encoding the readers use (UTF-8 with or without BOM, cp1250,
ISO-8859-2, and their per-line mix): in each of them the line ends, ``"`` and an ASCII
delimiter are single bytes that never occur inside another character. Lines are decoded one
by one, as Latin-1 (every byte one character, so quotes and delimiters stay where they are),
only when the census rules need their text (the lines with an odd number of quotes and their
neighbours). Blank lines are judged on bytes (nothing but delimiters, quotes and ASCII
whitespace); a line whose only other bytes are non-ASCII is decoded properly to ask ``str.strip``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import numpy as np

from cer_loader.ingest.csv.encoding import MIXED
from cer_loader.ingest.csv.physical import line_bounds, positions

_ASCII_SPACE = b" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
_BOM = b"\xef\xbb\xbf"


def bom_offset(data: bytes, encoding: str) -> int:
    """Where the census's first line begins: after a UTF-8 BOM when the encoding is UTF-8."""
    return 3 if encoding.startswith("utf-8") and data.startswith(_BOM) else 0


def byte_safe(encoding: str, delimiter: str) -> bool:
    """Whether the byte view is exact for this encoding and delimiter."""
    base = encoding.removesuffix(MIXED).lower().replace("_", "-")
    return base in ("utf-8", "utf-8-sig", "utf8", "cp1250", "iso-8859-2") and (
        len(delimiter) == 1 and delimiter.isascii() and delimiter not in '"\r\n'
    )


class ByteLines(Sequence[str]):
    """The physical lines of ``data`` (``\\r\\n``, ``\\r``, ``\\n`` end one), decoded lazily."""

    def __init__(
        self, data: bytes, encoding: str, bounds: tuple[np.ndarray, np.ndarray] | None = None
    ):
        """``bounds``: the lines' (starts, stops) when already found (the reader's, from
        the same bytes and offset), else found here."""
        self.data = data
        self.arr = np.frombuffer(data, dtype=np.uint8)
        if bounds is None:
            bounds = line_bounds(data, bom_offset(data, encoding))
        self.starts, self.stops = bounds

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, k: int) -> str: ...
    @overload
    def __getitem__(self, k: slice) -> list[str]: ...
    def __getitem__(self, k: int | slice) -> str | list[str]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        return self.data[self.starts[k] : self.stops[k]].decode("latin-1")

    def quote_counts(self) -> np.ndarray:
        if self.data.find(b'"') < 0:
            return np.zeros(len(self), dtype=np.int64)
        q = positions(self.arr, 34, 0)
        line = np.searchsorted(self.stops, q)
        return np.bincount(line, minlength=len(self))

    def blank_lines(self, delimiter: str, encoding: str) -> np.ndarray:
        """Per line: nothing but delimiters, quotes and whitespace (as ``str.strip`` sees it).

        Most lines show a letter or digit within their first bytes, so only the first 8 bytes
        of every line are gathered; lines not decided by them are checked one by one."""
        n = len(self)
        fill = _ASCII_SPACE + b'"' + delimiter.encode("ascii")
        filler = np.zeros(256, dtype=bool)
        filler[list(fill)] = True
        filler[0x80:] = True  # non-ASCII: decided by decoding, below
        blank = self.stops <= self.starts  # empty lines
        todo = np.flatnonzero(~blank)
        check = []
        for o in range(8):
            if not len(todo):
                break
            at = self.starts[todo] + o
            inside = at < self.stops[todo]
            hit = np.zeros(len(todo), dtype=bool)
            hit[inside] = ~filler[self.arr[at[inside]]]
            check.append(todo[~inside])  # every byte was filler: decide below
            todo = todo[inside & ~hit]
        page = encoding.removesuffix(MIXED)
        for k in np.concatenate([todo, *check]).tolist() if n else []:
            raw = self.data[self.starts[k] : self.stops[k]]
            rest = raw.translate(None, fill)
            if not rest:
                blank[k] = True
            elif not rest.isascii():
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    text = raw.decode(page, errors="replace")
                blank[k] = not text.replace(delimiter, "").replace('"', "").strip()
        return blank
