"""Cell texts of the steward workbook as Arrow columns: cleaned, cut, and escaped for the sheet.

A workbook sheet of 100k rejected rows holds ~2.7M cells; turning each into its XML with a
Python call per cell costs more than everything else the workbook does. Here a column is one
Arrow array and every step is one compute call over all of it:

- :func:`text_column`: values as the texts a cell holds, what :func:`cer_loader.sanitize.clean`
  gives per value (characters a workbook cannot carry replaced) cut to :data:`MAX_CELL`
  characters — what ``cell_text`` did one value at a time;
- :func:`inline_texts`: a column's ``<t>…</t>`` bodies exactly as xlsxwriter's inline-string
  writer escapes them (its ``_x????_`` control escapes, CR as ``_x000D_``, ``xml:space`` for
  edge whitespace, ``& < >``; at most 32,767 UTF-16 units), and which cells start like a
  formula (those get the quote-prefixed format).

A value that looks like rich text (``<r>…</r>``) is escaped like any other, where xlsxwriter
copies it raw into the sheet (a cell could forge a formula). Tests hold every function here to
the per-value routine it replaces (:func:`text_xml` is that routine for one text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.sanitize import FORMULA_PREFIXES, clean_column

MAX_CELL = 32_767  # characters a spreadsheet cell holds
TEXT = pa.large_string()  # a column of long notes may pass 2 GB at 1M rows
_UTF16_HALF = MAX_CELL // 2  # shorter strings cannot pass Excel's limit of UTF-16 units
_CONTROL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
# cer_loader.sanitize's characters a workbook cannot carry, for RE2 (Arrow strings are valid
# UTF-8: no lone surrogates, the rest of that class)
_BAD = r"[\x{0}-\x{8}\x{b}\x{c}\x{e}-\x{1f}\x{7f}-\x{9f}]"
_REPLACEMENT = "\ufffd"
# all of str.isspace, for RE2: a text starting or ending so keeps its spaces (xml:space)
_WHITE = "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace()) + "]"
_EDGE_WHITE = f"^{_WHITE}|{_WHITE}$"
_FORMULA = "^[" + "".join(f"\\x{{{ord(p):x}}}" for p in FORMULA_PREFIXES) + "]"
assert all(len(p) == 1 for p in FORMULA_PREFIXES)  # one character each: a class above
OPEN, OPEN_SPACE = "<t>", '<t xml:space="preserve">'


def scalar(text: str) -> pa.Scalar:
    return pa.scalar(text, TEXT)


def _any(flags: pa.Array) -> bool:
    return bool(pc.any(flags).as_py())


def _table(chars: str) -> np.ndarray:
    """A lookup by byte: which of the ASCII ``chars`` it is."""
    out = np.zeros(256, dtype=bool)
    out[[ord(c) for c in chars]] = True
    return out


_BAD_ASCII = _table("".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])))
_WHITE_ASCII = _table("".join(chr(c) for c in range(0x80) if chr(c).isspace()))
_FORMULA_BYTE = _table("".join(FORMULA_PREFIXES))


def _layout(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(UTF-8 bytes, offsets: text i is bytes[offsets[i]:offsets[i + 1]]) of a large string
    array without nulls."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    data = arr.buffers()[2]
    values = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return values, offsets


def _has_bad(arr: pa.Array) -> bool:
    """Whether a text holds a character :data:`_BAD` names (C0 and DEL by byte, C1 as the
    UTF-8 pairs C2 80 … C2 9F)."""
    values, offsets = _layout(arr)
    values = values[offsets[0] : offsets[-1]] if len(offsets) else values[:0]
    if _BAD_ASCII[values].any():
        return True
    lead = np.flatnonzero(values[:-1] == 0xC2)
    return bool(((values[lead + 1] >= 0x80) & (values[lead + 1] <= 0x9F)).any())


def text_column(values: pd.Series | Sequence[object]) -> pa.LargeStringArray:
    """``values`` (texts; None or NA for an empty cell) as cell texts: ``clean``-ed, cut to
    :data:`MAX_CELL` characters."""
    try:
        arr = pa.array(values, type=TEXT)
    except (UnicodeEncodeError, pa.ArrowInvalid, pa.ArrowTypeError):
        # lone surrogates (Arrow holds UTF-8 only), or not texts: cleaned one by one
        arr = pa.array(clean_column(values), type=TEXT)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count:
        arr = arr.fill_null("")
    if _has_bad(arr):
        arr = pc.replace_substring_regex(arr, _BAD, _REPLACEMENT)
    _, offsets = _layout(arr)
    if len(arr) and int(np.diff(offsets).max()) > MAX_CELL:  # bytes: at least the characters
        arr = pc.utf8_slice_codeunits(arr, 0, MAX_CELL)
    return arr


def utf16_cut(text: str) -> str:
    """At most 32,767 UTF-16 units (characters beyond U+FFFF count twice), as xlsxwriter cuts."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > MAX_CELL:
            return text[:i]
    return text


def text_xml(text: str) -> str:
    """``<t>…</t>`` for one text, as xlsxwriter's inline-string writer escapes it."""
    if len(text) > _UTF16_HALF:
        text = utf16_cut(text)
    if "_x" in text:
        text = _CONTROL_ESCAPE.sub(r"_x005F\1", text)
    if "\r" in text:
        text = text.replace("\r", "_x000D_")
    preserve = text[:1].isspace() or text[-1:].isspace()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"{OPEN_SPACE if preserve else OPEN}{text}</t>"


@dataclass(frozen=True)
class InlineTexts:
    """A column's cells as the sheet holds them: ``body`` (the escaped text between ``<t>``
    and ``</t>``), and per cell whether it is ``empty``, whether it keeps its spaces
    (``preserve``: ``<t xml:space="preserve">``) and whether it is ``quoted`` (starts like a
    formula)."""

    body: pa.Array
    empty: np.ndarray
    preserve: np.ndarray
    quoted: np.ndarray


def _edges(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per text: whether it is empty, its first and last byte (0 when empty)."""
    values, offsets = _layout(arr)
    empty = offsets[1:] == offsets[:-1]
    if not len(values):
        zero = np.zeros(len(arr), dtype=np.uint8)
        return empty, zero, zero, np.zeros(0, dtype=np.uint8)
    first = np.where(empty, 0, values[np.minimum(offsets[:-1], len(values) - 1)])
    last = np.where(empty, 0, values[np.maximum(offsets[1:] - 1, 0)])
    return empty, first, last, values[offsets[0] : offsets[-1]]


def inline_texts(texts: pa.Array) -> InlineTexts:
    """:func:`text_xml` of every text of ``texts`` (a :func:`text_column`), split in parts."""
    empty, first, _, _ = _edges(texts)
    quoted = _FORMULA_BYTE[first]  # every formula prefix is one ASCII character
    body = texts
    _, offsets = _layout(body)
    if len(body) and int(np.diff(offsets).max()) > _UTF16_HALF:
        long = pc.greater(pc.utf8_length(body), _UTF16_HALF)
        at = np.flatnonzero(long.to_numpy(zero_copy_only=False))
        cut = [utf16_cut(t) for t in body.take(pa.array(at)).to_pylist()]
        body = pc.replace_with_mask(body, long, pa.array(cut, type=TEXT))
    raw = utf8_bytes(body).tobytes() if len(body) else b""  # one C-speed scan per character
    if b"_x" in raw:
        body = pc.replace_substring_regex(body, _CONTROL_ESCAPE.pattern, r"_x005F\1")
    if b"\r" in raw:
        body = pc.replace_substring(body, "\r", "_x000D_")
    _, first, last, _ = _edges(body)
    preserve = _WHITE_ASCII[first] | _WHITE_ASCII[last]
    wide = np.flatnonzero((first >= 0x80) | (last >= 0x80))  # a non-ASCII character at an edge
    if len(wide):
        found = pc.match_substring_regex(body.take(pa.array(wide)), _EDGE_WHITE)
        preserve[wide] |= found.to_numpy(zero_copy_only=False)
    for char, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        if char.encode() in raw:
            body = pc.replace_substring(body, char, escaped)
    return InlineTexts(body, empty, preserve, quoted)


def lengths(texts: pa.Array) -> np.ndarray:
    """Characters of every text."""
    return pc.utf8_length(texts).to_numpy(zero_copy_only=False).astype(np.int64)


def utf8_bytes(joined: pa.Array) -> memoryview:
    """The bytes of every string of ``joined`` one after the other (Arrow's value buffer)."""
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    assert joined.type == TEXT and joined.null_count == 0
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)
    lo, hi = offsets[joined.offset], offsets[joined.offset + len(joined)]
    if hi == lo:
        return memoryview(b"")
    return memoryview(joined.buffers()[2])[lo:hi]
