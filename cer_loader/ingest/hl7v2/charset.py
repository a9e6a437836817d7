"""Character set per message: MSH-18 read from raw bytes, aliases, the CP1250 / ISO-8859-2 trap.

Order of decisions for one message (HL7.md §3.5):

1. ``override`` (the ``charset`` argument) is trusted as given.
2. MSH-18 rep 1, mapped through ``ALIASES`` (standard table 0211 plus what senders really
   write: ``UTF-8``, ``CP1250``, ``WINDOWS-1250``, ...); unknown labels fall back to
   ``default`` with a note.
3. Empty MSH-18 or ``ASCII``: ``default``.

Then plausibility: pure ASCII needs nothing. A declared single-byte set whose bytes are valid
UTF-8 (with non-ASCII) is read as UTF-8; ISO-8859-2 and CP1250 differ exactly on
``ś ź ą Ś Ź Ą`` (CP1250 ``8C 8F 9C 9F A5 B9`` vs ISO ``A1 A6 AC B1 B6 BC``), so the one with
more of its own Polish bytes wins; ``8859/1`` carrying Polish-looking bytes is read as one of
the two. Invalid UTF-8 is read as the more plausible of the two. Every such switch returns a
``note`` that the reader turns into a warning.
"""

from __future__ import annotations

import codecs
from functools import lru_cache
from typing import NamedTuple

UTF8, CP1250, LATIN2, LATIN1 = "utf-8", "cp1250", "iso8859-2", "iso8859-1"

ALIASES: dict[str, str | None] = {
    "": None,
    "ASCII": None,
    "ISO IR6": None,
    "8859/1": LATIN1,
    "ISO IR100": LATIN1,
    "8859/2": LATIN2,
    "ISO IR101": LATIN2,
    "ISO-8859-2": LATIN2,
    "ISO8859-2": LATIN2,
    "LATIN2": LATIN2,
    "8859/15": "iso8859-15",
    "UNICODE UTF-8": UTF8,
    "UTF-8": UTF8,
    "UTF8": UTF8,
    "CP1250": CP1250,
    "CP-1250": CP1250,
    "WINDOWS-1250": CP1250,
    "WINDOWS1250": CP1250,
    "WIN1250": CP1250,
    "WIN-1250": CP1250,
    "MS-EE": CP1250,
}
for _n in (3, 4, 5, 6, 7, 8, 9):
    ALIASES[f"8859/{_n}"] = f"iso8859-{_n}"

_CP1250_ONLY = b"\x8c\x8f\x9c\x9f\xa5\xb9"  # Ś Ź ś ź Ą ą in CP1250
_LATIN2_ONLY = b"\xa1\xa6\xac\xb1\xb6\xbc"  # Ą Ś Ź ą ś ź in ISO-8859-2
_POLISH_SHARED = b"\xa3\xaf\xb3\xbf"  # Ł Ż ł ż: same in both, symbols (£ ¯ ³ ¿) in Latin-1
_MULTIBYTE_UNSUPPORTED = ("UNICODE", "UTF-16", "UTF-32", "UNICODE UTF-16", "UNICODE UTF-32")


class Decoded(NamedTuple):
    text: str
    codec: str
    note: str  # "" when the declared/default charset was used as is


def msh18(raw: bytes) -> str:
    """MSH-18 rep 1 of a raw message (ASCII-safe), upper-cased and stripped; "" when absent."""
    end = len(raw)
    for sep in (b"\r", b"\n"):
        i = raw.find(sep, 0, end)
        if i >= 0:
            end = i
    line = raw[:end]
    if len(line) < 4:
        return ""
    fields = line.split(line[3:4])
    if len(fields) < 18:
        return ""
    value = fields[17]
    if len(fields[1]) >= 2:
        value = value.split(fields[1][1:2], 1)[0]
    return value.decode("latin-1").strip().upper()


@lru_cache(maxsize=256)  # called once per message with a handful of distinct labels
def codec_for(label: str) -> tuple[str | None, bool]:
    """(Python codec or None for "use the default", known?) for an MSH-18 / user label."""
    key = " ".join(label.strip().upper().replace("_", " ").split())
    if key in ALIASES:
        return ALIASES[key], True
    if key in _MULTIBYTE_UNSUPPORTED:
        return None, False
    try:
        return codecs.lookup(key.replace(" ", "-")).name, True
    except LookupError:
        return None, False


def _scores(raw: bytes) -> tuple[int, int]:
    """How many bytes of ``raw`` are CP1250-only and ISO-8859-2-only Polish letters."""
    n = len(raw)
    return n - len(raw.translate(None, _CP1250_ONLY)), n - len(raw.translate(None, _LATIN2_ONLY))


def _strict(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _polish(raw: bytes, prefer: str) -> str:
    cp, iso = _scores(raw)
    if cp > iso:
        return CP1250
    if iso > cp:
        return LATIN2
    return prefer


def decode(raw: bytes, declared: str, override: str | None, default: str = UTF8) -> Decoded:
    """Decode one raw message; see the module docstring for the order of decisions."""
    if override:
        codec = codec_for(override)[0] or default
        text = _strict(raw, codec)
        if text is None:
            return Decoded(raw.decode(codec, errors="replace"), codec, f"invalid-bytes:{codec}")
        return Decoded(text, codec, "")
    codec, known = codec_for(declared)
    note = "" if known else f"unknown-charset:{declared}"
    label = declared or "(empty)"
    codec = codec or codec_for(default)[0] or UTF8
    if raw.isascii():
        return Decoded(raw.decode("ascii"), codec, note)
    if codec in (UTF8, "utf_8"):
        text = _strict(raw, UTF8)
        if text is not None:
            return Decoded(text, UTF8, note)
        guess = _polish(raw, CP1250)
        return Decoded(raw.decode(guess, errors="replace"), guess, note or f"{label}->{guess}")
    as_utf8 = _strict(raw, UTF8)
    if as_utf8 is not None:
        return Decoded(as_utf8, UTF8, note or f"{label}->{UTF8}")
    guess = codec
    if codec in (CP1250, LATIN2):
        guess = _polish(raw, codec)
    elif codec == LATIN1 and any(b in raw for b in (_CP1250_ONLY + _LATIN2_ONLY + _POLISH_SHARED)):
        guess = _polish(raw, LATIN2)
    text = _strict(raw, guess)
    if text is None:
        return Decoded(raw.decode(guess, errors="replace"), guess, note or f"invalid-bytes:{guess}")
    return Decoded(text, guess, note or (f"{label}->{guess}" if guess != codec else ""))
