"""The cp1250 / ISO-8859-2 guess for Polish bytes that are not UTF-8, shared by every reader.

The two code pages share most Polish letters but put six on different bytes::

    letter   ą  ś  ź  Ą  Ś  Ź
    cp1250   B9 9C 9F A5 8C 8F
    8859-2   B1 B6 BC A1 A6 AC

Bytes 0x80–0x9F are C1 control characters in ISO-8859-2, so bytes holding any of them are
cp1250. Otherwise the code page whose own six letters occur more often wins (the same as
decoding both ways and counting Polish letters: every other Polish letter decodes alike);
a tie goes to ``prefer``.
"""

from __future__ import annotations

import re

CP1250, ISO_8859_2 = "cp1250", "iso-8859-2"
CP1250_ONLY = b"\x8c\x8f\x9c\x9f\xa5\xb9"  # Ś Ź ś ź Ą ą in cp1250
LATIN2_ONLY = b"\xa1\xa6\xac\xb1\xb6\xbc"  # Ą Ś Ź ą ś ź in ISO-8859-2
POLISH_SHARED = b"\xa3\xaf\xb3\xbf"  # Ł Ż ł ż: the same in both (symbols £ ¯ ³ ¿ in Latin-1)
_C1 = re.compile(rb"[\x80-\x9f]")


def has_c1(data: bytes) -> bool:
    """Any byte 0x80–0x9F: impossible in ISO-8859-2 text."""
    return _C1.search(data) is not None


def scores(data: bytes) -> tuple[int, int]:
    """How many bytes of ``data`` are cp1250-only and ISO-8859-2-only Polish letters."""
    n = len(data)
    return n - len(data.translate(None, CP1250_ONLY)), n - len(data.translate(None, LATIN2_ONLY))


def guess_codepage(data: bytes, prefer: str = CP1250) -> str:
    """``CP1250`` or ``ISO_8859_2`` for non-UTF-8 Polish ``data`` (see the module docstring)."""
    if has_c1(data):
        return CP1250
    cp, iso = scores(data)
    if cp != iso:
        return CP1250 if cp > iso else ISO_8859_2
    return prefer
