"""Which of the four encodings Polish exports use a file is in, and decoding it without mojibake.

Order of the test (:func:`detect_encoding`):

1. a UTF-8 BOM that decodes strictly → ``utf-8-sig``; strict UTF-8 → ``utf-8``
   (pure ASCII is reported as ``utf-8``: every candidate gives the same text);
2. otherwise the file is a single-byte Polish code page. cp1250 (Windows) and ISO-8859-2
   share most Polish letters but put six on different bytes::

       letter   ą  ś  ź  Ą  Ś  Ź
       cp1250   B9 9C 9F A5 8C 8F
       8859-2   B1 B6 BC A1 A6 AC

   Bytes 0x80–0x9F are C1 control characters in ISO-8859-2, so text that holds them is
   cp1250. Otherwise both decodings are made and the one with more Polish letters wins; a tie
   goes to cp1250 (Windows exports are the common case);
3. UTF-16 (a ``FF FE``/``FE FF`` BOM or NUL bytes) and bytes that neither candidate can decode
   (cp1250 leaves 81 83 88 90 98 undefined) raise :class:`InputError` rather than produce a
   silent mojibake.

**Mixed files.** An export glued from parts (a cp1250 file with some rows appended in UTF-8)
would decode as cp1250 without an error and put ``ZaĹĽĂłĹ‚Ä‡kowska`` into the payload. So a
file that is not UTF-8 as a whole is examined line by line (:func:`utf8_lines`; a vectorised
byte scan, only lines holding a UTF-8 multi-byte sequence are looked at): a line that is valid
UTF-8, holds a multi-byte sequence and does not read as more Polish in the code page is a
UTF-8 line. Such lines are decoded as UTF-8, the rest in the code page; the encoding is then
reported as e.g. ``cp1250+utf-8`` and the reader warns naming the lines (``csv-mixed-encoding``).
We decode rather than refuse because each line is unambiguous on its own and refusing would
stop a whole load over rows that can be read exactly. A forced ``[source] encoding`` is taken
as is, without this examination.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from cer_loader.errors import InputError
from cer_loader.ingest.csv.physical import positions
from cer_loader.ingest.polish_text import guess_codepage

ENCODINGS = ("utf-8-sig", "utf-8", "cp1250", "iso-8859-2")
POLISH_LETTERS = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
_BOM = b"\xef\xbb\xbf"


def _polish_score(text: str) -> int:
    return sum(text.count(ch) for ch in POLISH_LETTERS)


MIXED = "+utf-8"  # suffix of a code page label whose file holds UTF-8 lines too


def _line_bounds(data: bytes) -> np.ndarray:
    """Offsets of the ``\n`` bytes, with -1 first and len(data) last: line k is
    ``data[b[k] + 1 : b[k + 1]]``."""
    arr = np.frombuffer(data, dtype=np.uint8)
    return np.concatenate(([-1], positions(arr, 10), [len(data)]))


def _full_utf8_lines(arr: np.ndarray, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Lines holding non-ASCII bytes that all belong to well-formed UTF-8 sequences.

    Works on the non-ASCII byte positions only (sparse in any text), so it costs a few numpy
    passes whatever the size: per line, the bytes covered by a valid lead byte with its
    continuation bytes must equal the non-ASCII bytes."""
    none = np.empty(0, dtype=np.int64)
    hi = positions(arr, 0x80, above=True)
    if not len(hi):
        return none, none
    b, last = arr[hi], len(arr) - 1
    conts = [(hi + k <= last) & ((arr[np.minimum(hi + k, last)] & 0xC0) == 0x80) for k in (1, 2, 3)]
    width = np.zeros(len(hi), dtype=np.int64)
    width[(b >= 0xC2) & (b <= 0xDF) & conts[0]] = 2
    width[((b & 0xF0) == 0xE0) & conts[0] & conts[1]] = 3
    width[(b >= 0xF0) & (b <= 0xF4) & conts[0] & conts[1] & conts[2]] = 4
    if not width.any():  # no well-formed sequence anywhere: no line can be UTF-8
        return none, none
    bounds = _line_bounds(data)
    line = np.searchsorted(bounds, hi) - 1
    n = len(bounds) - 1
    covered = np.bincount(line, weights=width, minlength=n)
    total = np.bincount(line, minlength=n)
    return np.flatnonzero((total > 0) & (covered == total) & (covered > 0)), bounds


def utf8_lines(data: bytes, codepage: str) -> list[int]:
    """0-based indices (by ``\\n``) of the lines of a code-page file that are UTF-8."""
    arr = np.frombuffer(data, dtype=np.uint8)
    if len(arr) < 2:
        return []
    found = []
    lines, bounds = _full_utf8_lines(arr, data)
    for k in lines.tolist():
        line = data[bounds[k] + 1 : bounds[k + 1]]
        try:
            as_utf8 = line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        as_page = line.decode(codepage, errors="replace")
        if "\ufffd" in as_page or _polish_score(as_utf8) >= _polish_score(as_page):
            found.append(k)
    return found


def _without(data: bytes, lines: list[int]) -> bytes:
    """``data`` with the given lines emptied (their line ends kept)."""
    if not lines:
        return data
    bounds = _line_bounds(data)
    parts, pos = [], 0
    for k in lines:
        parts.append(data[pos : bounds[k] + 1])
        pos = int(bounds[k + 1])
    parts.append(data[pos:])
    return b"".join(parts)


def _decode_mixed(data: bytes, codepage: str, lines: list[int]) -> str:
    bounds = _line_bounds(data)
    parts, pos = [], 0
    for k in lines:
        start, end = int(bounds[k]) + 1, int(bounds[k + 1])
        parts += [data[pos:start].decode(codepage), data[start:end].decode("utf-8")]
        pos = end
    parts.append(data[pos:].decode(codepage))
    return "".join(parts)


def detect_encoding(data: bytes, *, path: str | Path | None = None) -> str:
    """Return ``"utf-8-sig"``, ``"utf-8"``, ``"cp1250"`` or ``"iso-8859-2"`` for ``data``, with
    ``+utf-8`` appended to a code page when some lines are UTF-8 (module docstring)."""
    return _detect(data, path, keep_text=False)[0]


_CHUNK = 16 << 20


def is_utf8(data: bytes) -> bool:
    """Whether ``data`` is well-formed UTF-8 (what ``bytes.decode("utf-8")`` accepts), checked
    by Arrow's validator in chunks cut at character starts (chunks that all validate make a
    valid whole, and a valid whole cuts into valid chunks): a code-page file fails in its first
    chunk, a UTF-8 file is read ~10x faster than by Python's decoder, and no text is made."""
    view, a = memoryview(data), 0
    while a < len(data):
        b = min(a + _CHUNK, len(data))
        for _ in range(3):  # on to the next character's start (valid UTF-8 cuts cleanly there)
            if b < len(data) and 0x80 <= data[b] < 0xC0:
                b += 1
        if not _valid_utf8(view[a:b]):
            return False
        a = b
    return True


def _valid_utf8(chunk: memoryview) -> bool:
    offsets = pa.py_buffer(np.array([0, len(chunk)], dtype=np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(chunk)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def detect_and_decode(data: bytes, *, path: str | Path | None = None) -> tuple[str, str]:
    """The detected encoding and the text (a UTF-8 file is decoded once, not twice)."""
    enc, text = _detect(data, path)
    return enc, text if text is not None else decode(data, enc, path=path)


def _detect(data: bytes, path: str | Path | None, keep_text: bool = True) -> tuple[str, str | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise InputError(
            "Plik wygląda na UTF-16 albo plik binarny; zapisz go jako CSV w UTF-8.",
            "The file looks like UTF-16 or binary; save it as CSV in UTF-8.",
            path=path,
            line=1,
        )
    label = "utf-8-sig" if data.startswith(_BOM) else "utf-8"
    if not keep_text:
        if is_utf8(data):
            return label, None
    else:
        try:
            return label, data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    mixed = utf8_lines(data, "cp1250")
    if mixed:
        base = _single_byte(_without(data, mixed), path)
        if mixed != utf8_lines(data, base):
            base = "cp1250"
        return base + MIXED, None
    return _single_byte(data, path), None


_CP1250_UNDEFINED = b"\x81\x83\x88\x90\x98"  # bytes cp1250 leaves undefined


def _single_byte(data: bytes, path: str | Path | None) -> str:
    """cp1250 or ISO-8859-2 (the shared guess), after a check for bytes cp1250 cannot decode
    (one C pass, no decoding of the whole file)."""
    if any(data.find(bytes([b])) >= 0 for b in _CP1250_UNDEFINED):  # memchr, no copy
        at = min(k for k in (data.find(bytes([b])) for b in _CP1250_UNDEFINED) if k >= 0)
        line = data[:at].count(b"\n") + 1
        raise InputError(
            f"Nie rozpoznano kodowania znaków: bajt 0x{data[at]:02X} (pozycja {at}) "
            "nie jest poprawny ani w UTF-8, ani w Windows-1250, a w ISO-8859-2 byłby znakiem "
            "sterującym. Zapisz plik ponownie jako UTF-8.",
            f"Undetectable encoding: byte 0x{data[at]:02X} at offset {at} is valid "
            "in neither UTF-8 nor Windows-1250 and would be a control character in ISO-8859-2. "
            "Save the file as UTF-8.",
            path=path,
            line=line,
        )
    return guess_codepage(data)  # the cp1250 / ISO-8859-2 guess every reader shares


def decode(data: bytes, encoding: str, *, path: str | Path | None = None) -> str:
    """Decode strictly; an undecodable byte raises :class:`InputError` naming its offset and line.

    A label ending in ``+utf-8`` decodes the lines :func:`utf8_lines` finds as UTF-8."""
    try:
        if encoding.endswith(MIXED):
            page = encoding.removesuffix(MIXED)
            return _decode_mixed(data, page, utf8_lines(data, page))
        return data.decode(encoding)
    except LookupError as exc:
        raise InputError(
            f"Nieznane kodowanie znaków „{encoding}”.",
            f"Unknown encoding '{encoding}'.",
            path=path,
        ) from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if b"\n" not in data[: exc.start]:
            line = data[: exc.start].count(b"\r") + 1
        raise InputError(
            f"Bajt 0x{data[exc.start]:02X} (pozycja {exc.start}) nie pasuje do kodowania "
            f"{encoding}; plik ma inne kodowanie albo jest uszkodzony.",
            f"Byte 0x{data[exc.start]:02X} at offset {exc.start} is not valid {encoding}; "
            "the file has another encoding or is damaged.",
            path=path,
            line=line,
        ) from exc
