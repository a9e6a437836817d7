"""Character set per message: MSH-18 read from raw bytes, aliases, the CP1250 / ISO-8859-2 trap.

Order of decisions for one message (HL7.md §3.5):

1. ``override`` (the ``charset`` argument) is trusted as given.
2. MSH-18 rep 1, mapped through ``ALIASES`` (standard table 0211 plus what senders really
   write: ``UTF-8``, ``CP1250``, ``WINDOWS-1250``, ...). A label that names no usable
   character set (unknown, a codec that is no text encoding such as ``ROT13`` or ``HEX``,
   ``IDNA``, UTF-16, control characters) refuses the message: ``Refused``, listed as not loaded.
3. Empty MSH-18 or ``ASCII``: ``default``.

Then plausibility: pure ASCII needs nothing. A declared single-byte set whose bytes are valid
UTF-8 (with non-ASCII) is read as UTF-8; ISO-8859-2 and CP1250 differ exactly on
``ś ź ą Ś Ź Ą`` (CP1250 ``8C 8F 9C 9F A5 B9`` vs ISO ``A1 A6 AC B1 B6 BC``), so the one with
more of its own Polish bytes wins; ``8859/1`` carrying Polish-looking bytes is read as one of
the two (the guess itself: ``cer_loader.ingest.polish_text``, shared with the CSV reader). Invalid UTF-8 is read as the more plausible of the two. Every such switch returns a
``note`` that the reader turns into a warning.
"""

from __future__ import annotations

import codecs
from functools import lru_cache
from typing import NamedTuple

from cer_loader.ingest.polish_text import (
    CP1250_ONLY,
    ISO_8859_2,
    LATIN2_ONLY,
    POLISH_SHARED,
    guess_codepage,
)

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

_MULTIBYTE_UNSUPPORTED = ("UNICODE", "UTF-16", "UTF-32", "UNICODE UTF-16", "UNICODE UTF-32")
# Python codecs that decode bytes to str but are no character set a sender can mean
_NOT_CHARSETS = {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7", "undefined"}
_PROBE = b"MSH|^~\\&|ABC xyz 019|\r\n"  # a charset must read ASCII as ASCII (framing needs it)
MAX_LABEL = 40  # longer MSH-18 labels are no charset name


class Decoded(NamedTuple):
    text: str
    codec: str
    note: str  # "" when the declared/default charset was used as is


class Refused(NamedTuple):
    """A message whose charset cannot be used: not decoded, listed as not loaded."""

    label: str  # MSH-18 as declared, printable (control characters shown as "?")


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
    """(Python codec or None for "use the default", known?) for an MSH-18 / user label.

    Only character sets are known: codecs that are no text encoding (``ROT13``, ``HEX``,
    ``ZLIB``, ``BASE64``, ...), ``IDNA`` and the like, UTF-16/32 and anything that does not read
    ASCII as ASCII are unknown, as is a label holding control characters.
    """
    key = " ".join(label.strip().upper().replace("_", " ").split())
    if key in ALIASES:
        return ALIASES[key], True
    if key in _MULTIBYTE_UNSUPPORTED or len(key) > MAX_LABEL or not key.isprintable():
        return None, False
    try:
        info = codecs.lookup(key.replace(" ", "-"))
        name = info.name
        usable = (
            getattr(info, "_is_text_encoding", True)
            and name not in _NOT_CHARSETS
            and _PROBE.decode(name) == _PROBE.decode("ascii")
        )
    except (LookupError, ValueError, UnicodeError):
        return None, False
    return (name, True) if usable else (None, False)


def printable(label: str) -> str:
    """An MSH-18 label safe to show: control characters as ``?``, at most ``MAX_LABEL`` long."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in label[:MAX_LABEL])
    return shown + ("…" if len(label) > MAX_LABEL else "")


def _strict(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _polish(raw: bytes, prefer: str) -> str:
    """The shared cp1250 / ISO-8859-2 guess, as this module names the codecs."""
    return (
        CP1250
        if guess_codepage(raw, CP1250 if prefer == CP1250 else ISO_8859_2) == CP1250
        else LATIN2
    )


def decode(
    raw: bytes, declared: str, override: str | None, default: str = UTF8
) -> Decoded | Refused:
    """Decode one raw message; see the module docstring for the order of decisions."""
    if override:
        codec = codec_for(override)[0] or default
        text = _strict(raw, codec)
        if text is None:
            return Decoded(raw.decode(codec, errors="replace"), codec, f"invalid-bytes:{codec}")
        return Decoded(text, codec, "")
    found, known = codec_for(declared)
    if not known:
        return Refused(printable(declared))
    label = declared or "(empty)"
    codec = found or codec_for(default)[0] or UTF8
    if raw.isascii():
        return Decoded(raw.decode("ascii"), codec, "")
    if codec in (UTF8, "utf_8"):
        text = _strict(raw, UTF8)
        if text is not None:
            return Decoded(text, UTF8, "")
        guess = _polish(raw, CP1250)
        return Decoded(raw.decode(guess, errors="replace"), guess, f"{label}->{guess}")
    as_utf8 = _strict(raw, UTF8)
    if as_utf8 is not None:
        return Decoded(as_utf8, UTF8, f"{label}->{UTF8}")
    guess = codec
    if codec in (CP1250, LATIN2):
        guess = _polish(raw, codec)
    elif codec == LATIN1 and any(b in raw for b in (CP1250_ONLY + LATIN2_ONLY + POLISH_SHARED)):
        guess = _polish(raw, LATIN2)
    text = _strict(raw, guess)
    if text is None:
        return Decoded(raw.decode(guess, errors="replace"), guess, f"invalid-bytes:{guess}")
    return Decoded(text, guess, f"{label}->{guess}" if guess != codec else "")
