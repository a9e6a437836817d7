"""Header names and table shape: the one folding used to compare headers, unique names for
repeated headers, and the column-count and cell-length limits every tabular reader applies.

``fold`` is the loose form every stage compares headers in (the workbook reader's header search,
the mapping's known spellings, ``inspect``'s proposal): no case, no diacritics (``ł`` too), and
punctuation and runs of spaces reduced to one space, so ``Data wizyty:`` matches ``data_wizyty``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from cer_loader.errors import InputError
from cer_loader.ingest.options import Limits

_NON_WORD = re.compile(r"[\W_]+")
# a cell no export names a column with: an 11-digit run (PESEL-like), a phone, a date, an e-mail
_DATA_CELL = re.compile(
    r"\d{9,}|\d{3}[ -]\d{3}[ -]\d{3}|\b\d{1,4}[-./]\d{1,2}[-./]\d{1,4}\b|[^@\s]+@[^@\s]+\.\w+"
)


def looks_like_data(cells: Iterable[str]) -> bool:
    """Whether a header line holds what only data rows hold (a lost line break, a file with no
    header line): then its cells may be a patient's PESEL, name or phone, and no message
    may quote them."""
    return any(_DATA_CELL.search(str(c)) for c in cells)


def shown(header: str, data_like: bool) -> str:
    """A header as messages quote it: itself, or masked (``K*******``) in a data-like line."""
    if not data_like:
        return header
    return (header[:1] + "*" * max(len(header) - 1, 3)) if len(header) > 3 else "***"


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


def check_columns(path: Path, count: int, limits: Limits, where_pl: str, where_en: str) -> None:
    """A table wider than ``Limits.max_columns`` is refused (the steward workbook could not
    hold it, and no appointment export has that many)."""
    if count > limits.max_columns:
        raise InputError(
            f"{where_pl} ma {count} kolumn, więcej niż limit max_columns = {limits.max_columns}",
            f"{where_en} has {count} columns, more than the limit max_columns = "
            f"{limits.max_columns}",
            path=path,
        )


def cell_too_long(path: Path, row: int, column: str, length: int, limits: Limits) -> InputError:
    return InputError(
        f"wiersz {row}, kolumna „{column}”: komórka ma {length} znaków, więcej niż limit "
        f"max_cell_chars = {limits.max_cell_chars} (tyle mieści komórka Excela); to raczej "
        "uszkodzony eksport niż dane wizyty",
        f"row {row}, column '{column}': the cell has {length} characters, more than the limit "
        f"max_cell_chars = {limits.max_cell_chars} (what an Excel cell holds); more likely a "
        "damaged export than appointment data",
        path=path,
        line=row,
    )


def check_cell_length(
    path: Path, headers: list[str], columns: list[list[str]], rows: list[int], limits: Limits
) -> None:
    """The first cell longer than ``Limits.max_cell_chars`` is an InputError naming it."""
    for name, col in zip(headers, columns, strict=True):
        if col and max(map(len, col)) > limits.max_cell_chars:
            k = next(i for i, t in enumerate(col) if len(t) > limits.max_cell_chars)
            raise cell_too_long(path, rows[k], name, len(col[k]), limits)
