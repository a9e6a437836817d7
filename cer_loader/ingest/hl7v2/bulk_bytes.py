"""Column path, step 1: a chunk of raw messages → one Arrow string array and each message's charset.

The column path (``bulk``) reads many messages at once with Arrow compute instead of one
message at a time. Here the raw bytes of a chunk of messages are looked at with numpy, once:

* ``view``: every message as Arrow text in which each byte ≥ 0x80 stands as the Latin-1
  character of that value (so splitting at the ASCII delimiters is exact whatever the
  charset); a value read from it is turned into the message's text by ``real``.
* ``exact``: for a single-byte charset whose letters are two UTF-8 bytes, as the stand-ins
  are, the stand-ins are replaced in place by the decoded letters, so the view is the text.
* the charset decision of ``charset.decode`` for each message, taken on whole columns for the
  common cases (pure ASCII; a declared or default single-byte Polish code page or UTF-8 whose
  bytes cannot be UTF-8, with the cp1250 / ISO-8859-2 guess of ``polish_text``); a message
  whose bytes might be UTF-8 is decided by ``decode`` itself.
* ``ok``: the message is in the column domain as far as bytes tell: the standard delimiters
  (``MSH|^~\\&|``), CR-separated segments (no LF), no escape character after MSH-2, no
  explicit null ``""`` anywhere, no control character Python counts as white space, and no
  character whose case mapping or digit / space class would make a byte-wise reading differ
  from ``str`` methods on the decoded text (``unsafe``). Messages outside it take the
  general path, so nothing is read differently.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.ingest.hl7v2.charset import CP1250, LATIN2, UTF8, codec_for, decode
from cer_loader.ingest.hl7v2.framing import Messages
from cer_loader.ingest.polish_text import CP1250_ONLY, LATIN2_ONLY

__all__ = ["Chunk", "read_chunk", "real", "unsafe"]

_STD = np.frombuffer(b"MSH|^~\\&|", np.uint8)
_CP_ONLY = np.zeros(256, bool)
_CP_ONLY[list(CP1250_ONLY)] = True
_ISO_ONLY = np.zeros(256, bool)
_ISO_ONLY[list(LATIN2_ONLY)] = True


def unsafe(ch: str) -> bool:
    """A character a byte-wise reading cannot treat as an opaque letter: white space, a digit
    or number, or one whose upper / lower / case-folded form holds an ASCII character."""
    if ch.isspace() or ch.isdigit() or ch.isnumeric() or ch.isdecimal():
        return True
    return any(ord(c) < 128 for c in ch.upper() + ch.lower() + ch.casefold())


@cache
def _unsafe_bytes(codec: str) -> np.ndarray:
    """Bytes ≥ 0x80 a single-byte ``codec`` cannot decode or decodes to an ``unsafe`` character."""
    table = np.zeros(256, bool)
    for b in range(128, 256):
        try:
            ch = bytes([b]).decode(codec)
        except UnicodeDecodeError:
            table[b] = True
            continue
        table[b] = unsafe(ch)
    return table


def real(value: str, codec: str) -> str:
    """A value read from ``view`` as the message's decoded text."""
    return value if value.isascii() else value.encode("latin-1").decode(codec)


@dataclass
class Chunk:
    view: pa.LargeStringArray  # the messages, bytes ≥ 0x80 as Latin-1 characters
    ok: np.ndarray  # bool per message: in the column domain (bytes and charset)
    codec: list[str]  # per message: the codec ``decode`` picks ("" outside ``ok``)
    note: list[str]  # per message: ``decode``'s note ("" none)
    exact: np.ndarray  # bool per message: its view is its decoded text (``real`` not needed)
    lens: np.ndarray  # bytes per message


def _per_message(n: int, where: np.ndarray, offs: np.ndarray, weights: np.ndarray | None = None):
    msg = np.searchsorted(offs, where, side="right") - 1
    return np.bincount(msg, weights=weights, minlength=n)[:n]


def read_chunk(messages: Sequence[bytes], charset: str | None, default: str) -> Chunk:
    """See the module doc; ``charset`` / ``default`` as for ``charset.decode``."""
    n = len(messages)
    if isinstance(messages, Messages):  # no object per message touched: one gather
        lens, u8 = messages.lengths(), messages.joined()
    else:
        lens = np.array(list(map(len, messages)), np.int64)
        u8 = np.frombuffer(b"".join(messages), np.uint8)
    offs = np.zeros(n + 1, np.int64)
    np.cumsum(lens, out=offs[1:])
    ok = lens >= len(_STD)
    starts = np.where(ok, offs[:-1], 0)
    head = u8[starts[:, None] + np.arange(len(_STD))] if n and len(u8) >= len(_STD) else None
    if head is None:
        ok[:] = False
    else:
        ok &= (head == _STD).all(axis=1)
    # white space to str.strip / isspace: 9-12 and 28-31 (uint8 arithmetic wraps below 9 / 28;
    # two ranges compared are faster than a table lookup per byte)
    ctrl = ((u8 - np.uint8(9)) <= 3) | ((u8 - np.uint8(28)) <= 3)
    ok &= _per_message(n, np.flatnonzero(ctrl), offs) == 0
    del ctrl
    ok &= _per_message(n, np.flatnonzero(u8 == 0x5C), offs) == 1  # the one in MSH-2
    quote = np.flatnonzero(u8 == 0x22)
    quotes = quote[:-1][np.diff(quote) == 1]  # '""': a quote right after another
    ok &= _per_message(n, quotes, offs) == 0
    hi = np.flatnonzero(u8 >= 0x80)
    b = u8[hi]
    hmsg = np.searchsorted(offs, hi, side="right") - 1
    prev = u8[hi - 1]  # a message starts with "MSH": never a high byte first
    nxt = np.zeros(len(hi), np.uint8)
    inner = hi + 1 < offs[hmsg + 1]
    nxt[inner] = u8[hi[inner] + 1]
    cont, lead = (b & 0xC0) == 0x80, b >= 0xC0
    bad = (cont & (prev < 0x80)) | (lead & (nxt < 0x80)) | (b == 0xC0) | (b == 0xC1) | (b >= 0xF5)
    n_hi = np.bincount(hmsg, minlength=n)[:n]
    not_utf8 = np.bincount(hmsg, weights=bad, minlength=n)[:n] > 0
    c1 = np.bincount(hmsg, weights=(b >= 0x80) & (b <= 0x9F), minlength=n)[:n] > 0
    cp = np.bincount(hmsg, weights=_CP_ONLY[b], minlength=n)[:n]
    iso = np.bincount(hmsg, weights=_ISO_ONLY[b], minlength=n)[:n]
    unsafe_in = {
        c: np.bincount(hmsg, weights=_unsafe_bytes(c)[b], minlength=n)[:n] > 0
        for c in (CP1250, LATIN2)
    }
    out = _expanded(u8, hi)
    view = _as_text(out, offs, hi, n)
    labels = _labels(view)
    if charset:
        fixed = codec_for(charset)[0] or default
        codec, note = [""] * n, [""] * n
        for k in np.flatnonzero(ok).tolist():
            got = _fixed(messages[k], fixed, n_hi[k])
            ok[k] = got is not None
            codec[k] = got or ""
    else:
        guess = np.where(c1 | (cp > iso), 1, np.where(iso > cp, 2, 0))  # 0: the preferred one
        codec, note = _decided(labels, ok, n_hi == 0, not_utf8, guess, unsafe_in, default)
        maybe = np.flatnonzero(ok & np.array([c == "?" for c in codec], bool)).tolist()
        for k in maybe:  # bytes that may be UTF-8: ``decode`` itself decides
            got_utf8 = _as_utf8(messages[k], labels[k], charset, default)
            ok[k] = got_utf8 is not None
            codec[k], note[k] = got_utf8 or ("", "")
    exact = _decode_view(out, hi, b, hmsg, codec)
    exact |= n_hi == 0
    return Chunk(view, ok, codec, note, exact, lens)


def _decided(
    labels: list[str],
    ok: np.ndarray,
    ascii: np.ndarray,
    not_utf8: np.ndarray,
    guess: np.ndarray,
    unsafe_in: dict[str, np.ndarray],
    default: str,
) -> tuple[list[str], list[str]]:
    """``decode``'s codec and note per message, decided once per distinct (label, case):
    ``"?"`` where the bytes may be UTF-8 (the caller asks ``decode``); ``ok`` is cleared where
    the column path cannot read the message."""
    base_default = codec_for(default)[0] or UTF8
    names, lid = np.unique(np.array(labels, dtype=object), return_inverse=True)
    lid = lid.reshape(-1)
    case = np.where(ascii, 0, np.where(not_utf8, 1 + guess, 4))  # 1-3: guess (pref, cp, iso)
    key = lid * 5 + case
    combos, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.reshape(-1)
    decided = []
    for combo in combos.tolist():
        label = str(names[combo // 5])
        found, known = codec_for(label)
        base = found or base_default
        single, utf = base in (CP1250, LATIN2), base in (UTF8, "utf_8")
        kind = combo % 5
        if not known:
            decided.append(("", "", False))
        elif kind == 0:
            decided.append((base, "", True))
        elif kind == 4 or not (single or utf):
            decided.append(("?", "", single or utf))
        else:
            picked = [base if single else CP1250, CP1250, LATIN2][kind - 1]
            why = f"{label or '(empty)'}->{picked}" if picked != base or not single else ""
            decided.append((picked, why, True))
    usable = np.array([d[2] for d in decided], bool)[inverse]
    picked_cp = np.array([d[0] == CP1250 for d in decided], bool)[inverse]
    picked_iso = np.array([d[0] == LATIN2 for d in decided], bool)[inverse]
    ok &= usable
    ok &= ~(picked_cp & unsafe_in[CP1250]) | ~np.isin(case, (1, 2, 3))
    ok &= ~(picked_iso & unsafe_in[LATIN2]) | ~np.isin(case, (1, 2, 3))
    codecs_of, notes_of = [d[0] for d in decided], [d[1] for d in decided]
    order = inverse.tolist()
    return [codecs_of[i] for i in order], [notes_of[i] for i in order]


def _fixed(raw: bytes, codec: str, n_hi: int) -> str | None:
    """The codec of a message read with an override charset, or None (general path)."""
    if not n_hi:
        return codec
    name = codecs.lookup(codec).name if codec else ""
    if name in (CP1250, LATIN2) and not (set(raw) & _bad_set(name)):
        return codec
    return None


@cache
def _bad_set(codec: str) -> frozenset[int]:
    return frozenset(np.flatnonzero(_unsafe_bytes(codec)).tolist())


def _as_utf8(raw: bytes, label: str, charset: str | None, default: str) -> tuple[str, str] | None:
    """``decode`` for a message whose bytes may be UTF-8: (codec, note) when it is read as
    UTF-8 with no unsafe character, else None (general path)."""
    dec = decode(raw, label, charset, default)
    if isinstance(dec, tuple) and len(dec) == 3 and dec.codec == UTF8:
        if not any(unsafe(ch) for ch in set(dec.text) if ord(ch) > 127):
            return dec.codec, dec.note
    return None


def _expanded(u8: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The bytes with each high byte → its Latin-1 character (two UTF-8 bytes)."""
    if not len(hi):
        return u8.copy()
    # Latin-1 decoded and UTF-8 encoded by Python's codecs in C: the same bytes as inserting
    # the continuation byte after each high byte, without numpy's general insert
    return np.frombuffer(bytearray(codecs.latin_1_decode(u8.data)[0].encode("utf-8")), np.uint8)


def _as_text(out: np.ndarray, offs: np.ndarray, hi: np.ndarray, n: int) -> pa.LargeStringArray:
    voffs = offs + np.searchsorted(hi, offs)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(voffs), pa.py_buffer(out))


def _labels(view: pa.Array) -> list[str]:
    """MSH-18 rep 1 of each message as ``charset.msh18`` reads it ("" where absent)."""
    got = pc.extract_regex(view, r"^(?:[^|\r]*\|){17}(?P<l>[^|\r~]*)")
    raw = pc.fill_null(pc.struct_field(got, [0]), "").to_pylist()
    return [_label(r) if r else "" for r in raw]


@cache
def _label(raw: str) -> str:
    return raw.strip().upper()


@cache
def _utf8_pairs(codec: str) -> tuple[np.ndarray, np.ndarray]:
    """Per byte ≥ 0x80: whether ``codec`` decodes it to a character of two UTF-8 bytes, and
    those two bytes."""
    two = np.zeros(256, bool)
    pairs = np.zeros((256, 2), np.uint8)
    for b in range(128, 256):
        try:
            enc = bytes([b]).decode(codec).encode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(enc) == 2:
            two[b], pairs[b] = True, list(enc)
    return two, pairs


def _decode_view(
    out: np.ndarray, hi: np.ndarray, b: np.ndarray, hmsg: np.ndarray, codec: list[str]
) -> np.ndarray:
    """Turn the Latin-1 stand-ins of single-byte messages into their decoded characters in
    place (every ISO-8859-2 letter and most cp1250 ones are two UTF-8 bytes, as the stand-in
    is); bool per message: its view is now its decoded text."""
    n = len(codec)
    exact = np.zeros(n, bool)
    lead = hi + np.arange(len(hi))
    for name in (CP1250, LATIN2):
        mine = np.array([c == name for c in codec], bool)
        if not mine.any():
            continue
        two, pairs = _utf8_pairs(name)
        sel = mine[hmsg]
        misfit = np.bincount(hmsg[sel & ~two[b]], minlength=n)[:n] > 0
        fits = sel & ~misfit[hmsg]  # a message is turned whole or not at all
        out[lead[fits]] = pairs[b[fits], 0]
        out[lead[fits] + 1] = pairs[b[fits], 1]
        exact |= mine & ~misfit
    return exact
