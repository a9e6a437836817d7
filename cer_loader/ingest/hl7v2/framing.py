"""A dump (bytes) → one ``bytes`` chunk per message, before any decoding (HL7.md §3.1–3.3, §5.1).

Handles a UTF-8 BOM, MLLP framing (0x0B … 0x1C 0x0D, possibly mixed with bare messages),
FHS/BHS/BTS/FTS batch envelopes with their counts checked, and CR / LF / CRLF segment
separators. A message starts at a segment that begins with ``MSH`` followed by a field
separator (not the substring ``MSH`` anywhere), so splitting works on the raw bytes whatever
the charset of each message (every supported charset keeps ASCII bytes as ASCII).

Count mismatches, unclosed batches and junk between messages are warnings, never errors.

A dump without envelopes (the common one) gives its messages as ranges of its bytes
(``Messages``: each message's ``bytes`` made when asked for); one with envelopes, as a list of
copies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np

from cer_loader.ingest.csv.physical import positions
from cer_loader.outcomes import (
    HL7_BATCH_UNCLOSED,
    HL7_COUNT_MISMATCH,
    HL7_COUNT_UNREADABLE,
    HL7_FILE_UNCLOSED,
    HL7_JUNK,
    HL7_TRAILER_UNOPENED,
    Notice,
)

BOM = b"\xef\xbb\xbf"
_MLLP = bytes.maketrans(b"\x0b\x1c", b"\r\r")
# a segment start: beginning of data or after CR/LF; MSH/FHS/BHS need a field separator after the name
_SEGMENT_START = rb"(?:(MSH|FHS|BHS)[^A-Za-z0-9\r\n ]|(BTS|FTS)(?![A-Za-z0-9]))"
_FIRST = re.compile(_SEGMENT_START)
# searched in a copy with LF turned into CR (same offsets): a single literal first byte lets the
# regex engine skip ahead ~3x faster than the class [\r\n]
_BOUNDARY = re.compile(rb"\r" + _SEGMENT_START)
_ENVELOPE = (b"FHS", b"BHS", b"BTS", b"FTS")
_ENVELOPE_WORDS = np.array([a << 16 | b << 8 | c for a, b, c in _ENVELOPE], np.int32)
_MSH_WORD = ord("M") << 16 | ord("S") << 8 | ord("H")
_SEPARATOR = np.ones(256, bool)  # a byte that may follow MSH as its field separator
_SEPARATOR[list(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789\r\n ")] = False
BLOCK = 1 << 22  # bytes scanned at a time for the line starts: a mask of the whole dump
# (400 MB at 1M messages) is page faults more than compares (~0.7 s whole, 0.4 s in blocks)
MAX_COUNT_DIGITS = 9  # BTS-1 / FTS-1: a longer number is no count (and int() of 5000 digits fails)


class Messages(Sequence[bytes]):
    """The messages of a dump as ranges of its bytes, each message's ``bytes`` made when it is
    asked for. Held instead of a list of copies (the size of the file again, and a Python
    object per message): a forked process reads the ranges it is given without writing the
    reference count of a million shared objects (each write copies the page it is on), and the
    column path takes a chunk's bytes in one gather (``joined``). Compares equal to any
    sequence of the same messages."""

    __slots__ = ("data", "starts", "ends")

    def __init__(self, data: bytes, starts: np.ndarray, ends: np.ndarray) -> None:
        self.data, self.starts, self.ends = data, starts, ends

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, k: int) -> bytes: ...
    @overload
    def __getitem__(self, k: slice) -> Sequence[bytes]: ...
    def __getitem__(self, k: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(k, slice):
            if k.step is not None and k.step < 0:
                return list(self)[k]
            return Messages(self.data, self.starts[k], self.ends[k])
        return self.data[int(self.starts[k]) : int(self.ends[k])]

    def __iter__(self) -> Iterator[bytes]:
        return map(self.data.__getitem__, map(slice, self.starts.tolist(), self.ends.tolist()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Messages({len(self)})"

    def lengths(self) -> np.ndarray:
        return self.ends - self.starts

    def joined(self) -> np.ndarray:
        """The messages' bytes end to end (``b"".join(self)``), as a uint8 array: the range
        they span less the line breaks between them."""
        u8 = np.frombuffer(self.data, np.uint8)
        if not len(self):
            return u8[:0]
        lo, hi = int(self.starts[0]), int(self.ends[-1])
        gaps = self.starts[1:] - self.ends[:-1]
        some = np.flatnonzero(gaps)
        if not len(some):
            return u8[lo:hi]
        g, at = gaps[some], self.ends[:-1][some] - lo
        keep = np.ones(hi - lo, bool)
        keep[np.repeat(at - (np.cumsum(g) - g), g) + np.arange(int(g.sum()))] = False
        return u8[lo:hi][keep]


@dataclass
class Dump:
    messages: Sequence[bytes]  # each starts with b"MSH"
    offsets: list[int]  # byte offset of each message in the de-framed data
    warnings: list[Notice] = field(default_factory=list)
    batches: int = 0
    files: int = 0
    envelope: bool = False  # any FHS/BHS/BTS/FTS seen


def deframe(data: bytes) -> bytes:
    """Strip a UTF-8 BOM and turn MLLP start/end bytes into segment breaks."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if b"\x0b" in data or b"\x1c" in data:
        data = data.translate(_MLLP)
    return data


def count_msh(data: bytes) -> int:
    """Independent census: lines starting with ``MSH`` + separator, after any line break
    (found from the ``M`` bytes, not from the line breaks ``split_dump`` starts from; the
    ``M`` bytes found a block at a time, as the CSV reader finds its bytes: no mask the size
    of the dump)."""
    u8 = np.frombuffer(data, np.uint8)
    m = positions(u8, 77)
    m = m[m + 3 < len(u8)]  # "M" with three bytes after it
    m = m[(u8[m + 1] == 83) & (u8[m + 2] == 72) & _SEPARATOR[u8[m + 3]]]  # "SH" + separator
    before = u8[np.maximum(m - 1, 0)]
    return int(
        np.count_nonzero(((before == 10) | (before == 13)) & (m > 0)) + np.count_nonzero(m == 0)
    )


def _count(segment: bytes) -> int | None | str:
    """BTS-1 / FTS-1 as an int (the separator is the 4th byte); ``None`` when absent, the
    text when it is no count of at most ``MAX_COUNT_DIGITS`` ASCII digits."""
    if len(segment) < 5:
        return None
    first = segment[4:].split(segment[3:4], 1)[0].strip()
    if not first:
        return None
    if first.isdigit() and first.isascii() and len(first) <= MAX_COUNT_DIGITS:
        return int(first)
    return "?"


def split_dump(data: bytes) -> Dump:
    """Split de-framed bytes (see ``deframe``) into messages and check batch envelopes."""
    u8 = np.frombuffer(data, np.uint8)
    at = _line_starts(u8)
    if not _envelope_at(u8, at):
        return _messages_only(data, u8, at)
    return _split_all(data)


def _line_starts(u8: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """0 and every position right after a CR or LF (one compare over the data, a block of
    ``block`` bytes at a time: bytes below 14 are rare in a dump)."""
    found = [np.zeros(1, np.int64)]
    for lo in range(0, len(u8), block):
        seg = u8[lo : lo + block]
        low = np.flatnonzero(seg < 14)
        found.append(low[(seg[low] == 13) | (seg[low] == 10)] + (lo + 1))
    return np.concatenate(found)


def _words(u8: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The line starts with three bytes after them, and those bytes as one number."""
    at = at[at + 3 <= len(u8)]
    return at, u8[at].astype(np.int32) << 16 | u8[at + 1].astype(np.int32) << 8 | u8[at + 2]


def _envelope_at_line_start(data: bytes) -> bool:
    """An FHS / BHS / BTS / FTS name at the start of the data or right after a CR or LF: the
    only places ``_split_all`` takes one as a segment."""
    u8 = np.frombuffer(data, np.uint8)
    return _envelope_at(u8, _line_starts(u8))


def _envelope_at(u8: np.ndarray, at: np.ndarray) -> bool:
    return bool(np.isin(_words(u8, at)[1], _ENVELOPE_WORDS).any())


def _split_all(data: bytes) -> Dump:
    """``split_dump`` for any data (envelopes included)."""
    head = _FIRST.match(data)
    starts = [(0, (head.group(1) or head.group(2)).decode())] if head else []
    starts += [
        (m.start() + 1, (m.group(1) or m.group(2)).decode())
        for m in _BOUNDARY.finditer(data.replace(b"\n", b"\r"))
    ]
    messages: list[bytes] = []
    dump = Dump(messages=messages, offsets=[])
    if starts and data[: starts[0][0]].strip():
        _junk(dump, 0, data[: starts[0][0]])
    batch_open = file_open = False
    in_batch = in_file = 0
    for k, (pos, kind) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(data)
        chunk = data[pos:end]
        if kind == "MSH":
            # trailing breaks (incl. former MLLP bytes) must not make an LF message look CR-separated
            messages.append(chunk.rstrip(b"\r\n"))
            dump.offsets.append(pos)
            in_batch += 1
            continue
        dump.envelope = True
        line_end = _line_end(chunk)
        segment, rest = chunk[:line_end], chunk[line_end:]
        if rest.strip():
            _junk(dump, pos + line_end, rest)
        if kind == "FHS":
            file_open, in_file = True, 0
            dump.files += 1
        elif kind == "BHS":
            batch_open, in_batch = True, 0
            dump.batches += 1
            in_file += 1
        elif kind == "BTS":
            _check(dump, "BTS", _count(segment), in_batch, batch_open)
            batch_open, in_batch = False, 0
        else:  # FTS
            _check(dump, "FTS", _count(segment), in_file, file_open)
            file_open, in_file = False, 0
    if batch_open:
        dump.warnings.append(Notice(HL7_BATCH_UNCLOSED))
    if file_open:
        dump.warnings.append(Notice(HL7_FILE_UNCLOSED))
    return dump


def _messages_only(data: bytes, u8: np.ndarray | None = None, at: np.ndarray | None = None) -> Dump:
    """``split_dump`` for data holding no FHS / BHS / BTS / FTS at all (the common dump): the
    same messages, offsets and junk warning as ``_split_all``, found on the line starts with
    numpy (a message starts at a line that starts with ``MSH`` + separator; it ends before the
    next one, less its trailing CR / LF)."""
    u8 = np.frombuffer(data, np.uint8) if u8 is None else u8
    at, word = _words(u8, _line_starts(u8) if at is None else at)
    at = at[(word == _MSH_WORD) & (at + 3 < len(u8))]
    at = at[_SEPARATOR[u8[np.minimum(at + 3, max(len(u8) - 1, 0))]]]
    starts = at.tolist()
    dump = Dump(messages=[], offsets=starts)
    if starts and data[: starts[0]].strip():
        _junk(dump, 0, data[: starts[0]])
    ends = np.append(at[1:], len(u8)).astype(np.int64)[: len(at)]
    k = np.arange(len(at))
    while len(k):  # trailing CR / LF off (``rstrip``), never past the message's start
        k = k[ends[k] > at[k]]
        k = k[(u8[ends[k] - 1] == 13) | (u8[ends[k] - 1] == 10)]
        ends[k] -= 1
    dump.messages = Messages(data, at.astype(np.int64), ends)
    return dump


def _line_end(chunk: bytes) -> int:
    ends = [i for i in (chunk.find(b"\r"), chunk.find(b"\n")) if i >= 0]
    return min(ends) if ends else len(chunk)


def _check(dump: Dump, seg: str, declared: int | None | str, seen: int, opened: bool) -> None:
    if not opened:
        opener = "BHS" if seg == "BTS" else "FHS"
        dump.warnings.append(Notice(HL7_TRAILER_UNOPENED, {"segment": seg, "opener": opener}))
    if isinstance(declared, str):
        dump.warnings.append(
            Notice(HL7_COUNT_UNREADABLE, {"segment": seg, "digits": MAX_COUNT_DIGITS})
        )
    elif declared is not None and declared != seen:
        what_pl, what_en = ("wiadomości", "messages") if seg == "BTS" else ("partii", "batches")
        dump.warnings.append(
            Notice(
                HL7_COUNT_MISMATCH,
                {
                    "segment": seg,
                    "declared": declared,
                    "seen": seen,
                    "what_pl": what_pl,
                    "what_en": what_en,
                },
            )  # fmt: skip
        )


def _junk(dump: Dump, offset: int, text: bytes) -> None:
    # no preview of the bytes: they may hold patient data
    dump.warnings.append(Notice(HL7_JUNK, {"size": len(text.strip()), "offset": offset}))
