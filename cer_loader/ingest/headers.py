"""Header names: the one folding used to compare them, and unique names for repeated headers.

``fold`` is the loose form every stage compares headers in (the workbook reader's header search,
the mapping's known spellings, ``inspect``'s proposal): no case, no diacritics (``ł`` too), and
punctuation and runs of spaces reduced to one space, so ``Data wizyty:`` matches ``data_wizyty``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_NON_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Text for loose header matching: no case, no diacritics (ł too), words separated by one space."""
    t = unicodedata.normalize("NFKD", str(text).replace("ł", "l").replace("Ł", "L"))
    t = "".join(c for c in t if not unicodedata.combining(c)).casefold()
    return " ".join(_NON_WORD.sub(" ", t).split())


class UniqueNames:
    """Hands out unique names in order, in linear time however many headers repeat.

    ``add("Uwagi")`` three times gives ``Uwagi``, ``Uwagi (2)``, ``Uwagi (3)``: the next number
    to try is kept per base name, so 50k copies of one header cost 50k steps, not 50k².
    """

    def __init__(self, reserved: Iterable[str] = ()):
        self.taken: set[str] = set(reserved)
        self._next: dict[str, int] = {}

    def add(self, name: str) -> str:
        if name not in self.taken:
            self.taken.add(name)
            return name
        n = self._next.get(name, 2)
        while f"{name} ({n})" in self.taken:
            n += 1
        self._next[name] = n + 1
        out = f"{name} ({n})"
        self.taken.add(out)
        return out
