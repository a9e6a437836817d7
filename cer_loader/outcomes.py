"""One vocabulary for what happens to a record or a file: a stable code and a text in Polish and
English. Rule codes live in ``schemas/rules.toml``; this module holds the other outcomes (reader
warnings, reader rejections, not-loaded reasons, CeR's answers as the tool reports them), each an
``Outcome`` with ``{placeholders}``, and ``Notice``: one occurrence with its values.

Code, log keys and codes are English; only ``Outcome.text`` is for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Outcome:
    code: str  # stable, kebab-case, English: "csv-unclosed-quote", "hl7-cancelled", ...
    pl: str
    en: str

    def text(self, lang: str = "pl", **values: Any) -> str:
        return (self.en if lang == "en" else self.pl).format(**values)


@dataclass(frozen=True)
class Notice:
    """One occurrence of an outcome, with the values its text needs."""

    outcome: Outcome
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.outcome.code

    def text(self, lang: str = "pl") -> str:
        return self.outcome.text(lang, **self.values)


# --- tabular readers: CSV, workbooks, the steward workbook (cer_loader.ingest) ---------------
# Reader warnings: the file was read, but something in it a person should know about.

HEADER_MISSING = Outcome(
    "header-missing",
    "Kolumna {column} nie ma nagłówka; nazwana „{name}”",
    "Column {column} has no header; named '{name}'",
)
HEADER_DUPLICATE = Outcome(
    "header-duplicate",
    "Powtórzony lub zastrzeżony nagłówek „{header}” w kolumnie {column}; nazwany „{name}”",
    "Duplicate or reserved header '{header}' in column {column}; named '{name}'",
)
CSV_UNCLOSED_QUOTES = Outcome(
    "csv-unclosed-quotes",
    "{count} wiersz(y) z niezamkniętym cudzysłowem odrzucono jako csv-unclosed-quote "
    "(pierwszy: wiersz {first})",
    "{count} row(s) with an unclosed quote rejected as csv-unclosed-quote (first: row {first})",
)
CSV_MIXED_ENCODING = Outcome(
    "csv-mixed-encoding",
    "Plik w {encoding} ma {count} linii zapisanych w UTF-8 (linie: {lines}); odczytano je jako "
    "UTF-8 — sprawdź, czy eksport nie skleja plików w różnych kodowaniach",
    "The {encoding} file has {count} line(s) written in UTF-8 (lines: {lines}); they were read "
    "as UTF-8 — check whether the export joins files in different encodings",
)
SHEET_HIDDEN = Outcome(
    "sheet-hidden",
    "Arkusz „{sheet}” jest ukryty; wczytany, bo wskazano go z nazwy",
    "Sheet '{sheet}' is hidden; read because it was named explicitly",
)
CELL_ERROR = Outcome(
    "cell-error",
    "Komórka {cell}: błąd {shown} — odczytana jako pusta",
    "Cell {cell} shows the error {shown}; read as empty",
)
CELL_FORMULA_NO_VALUE = Outcome(
    "cell-formula-no-value",
    "Komórka {cell}: formuła bez zapisanej wartości — odczytana jako pusta; otwórz i zapisz plik "
    "w Excelu/LibreOffice",
    "Cell {cell}: formula without a cached value, read as empty; open and save the file in "
    "Excel/LibreOffice",
)
CELLS_MORE = Outcome(
    "cells-more",
    "… i {count} kolejnych takich komórek",
    "… and {count} more such cells",
)
MERGED_OUTSIDE = Outcome(
    "merged-outside",
    "Scalony zakres {cells} leży poza używanym obszarem arkusza; pominięty",
    "Merged range {cells} lies outside the sheet's used area; ignored",
)
TABULAR_OUTCOMES = (
    HEADER_MISSING, HEADER_DUPLICATE, CSV_UNCLOSED_QUOTES, CSV_MIXED_ENCODING, SHEET_HIDDEN,
    CELL_ERROR, CELL_FORMULA_NO_VALUE, CELLS_MORE, MERGED_OUTSIDE,
)  # fmt: skip

# Transitional: a reader that still writes "Polish text (EN: English text)" strings (the HL7
# reader until it has outcomes of its own) hands them over through ``reader_note``.
READER_NOTE = Outcome("reader-note", "{pl}", "{en}")


def reader_note(text: str) -> Notice:
    """A legacy "Polish (EN: English)" reader warning as a Notice."""
    pl, sep, en = text.partition(" (EN: ")
    if sep and en.endswith(")"):
        return Notice(READER_NOTE, {"pl": pl, "en": en[:-1]})
    return Notice(READER_NOTE, {"pl": text, "en": text})
