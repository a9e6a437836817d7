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


def plural_pl(n: int) -> int:
    """The Polish form after the number ``n``: 0 one (1 wiadomość), 1 few (2–4, 22–24, not
    12–14: 2 wiadomości mają), 2 many (5 wiadomości ma)."""
    n = abs(int(n))
    if n == 1:
        return 0
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return 1
    return 2


@dataclass(frozen=True)
class Outcome:
    """``pl``/``en``: the text; for an outcome about ``{count}`` things, the form after 5 /
    the plural, with ``pl_one``, ``pl_few`` (2–4) and ``en_one`` for the other forms."""

    code: str  # stable, kebab-case, English: "csv-unclosed-quote", "hl7-cancelled", ...
    pl: str
    en: str
    pl_one: str = ""
    pl_few: str = ""
    en_one: str = ""

    def text(self, lang: str = "pl", **values: Any) -> str:
        n = values.get("count")
        if lang == "en":
            chosen = self.en_one if n == 1 and self.en_one else self.en
        else:
            form = plural_pl(n) if isinstance(n, int) else 2
            chosen = {0: self.pl_one, 1: self.pl_few}.get(form) or self.pl
        return chosen.format(**values)


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
    "{count} wierszy z niezamkniętym cudzysłowem odrzucono jako csv-unclosed-quote "
    "(pierwszy: wiersz {first})",
    "{count} rows with an unclosed quote rejected as csv-unclosed-quote (first: row {first})",
    pl_one="1 wiersz z niezamkniętym cudzysłowem odrzucono jako csv-unclosed-quote "
    "(wiersz {first})",
    pl_few="{count} wiersze z niezamkniętym cudzysłowem odrzucono jako csv-unclosed-quote "
    "(pierwszy: wiersz {first})",
    en_one="1 row with an unclosed quote rejected as csv-unclosed-quote (row {first})",
)
CSV_MIXED_ENCODING = Outcome(
    "csv-mixed-encoding",
    "Plik w {encoding} ma {count} linii zapisanych w UTF-8 (linie: {lines}); odczytano je jako "
    "UTF-8 — sprawdź, czy eksport nie skleja plików w różnych kodowaniach",
    "The {encoding} file has {count} lines written in UTF-8 (lines: {lines}); they were read "
    "as UTF-8 — check whether the export joins files in different encodings",
    pl_one="Plik w {encoding} ma 1 linię zapisaną w UTF-8 (linia {lines}); odczytano ją jako "
    "UTF-8 — sprawdź, czy eksport nie skleja plików w różnych kodowaniach",
    pl_few="Plik w {encoding} ma {count} linie zapisane w UTF-8 (linie: {lines}); odczytano je "
    "jako UTF-8 — sprawdź, czy eksport nie skleja plików w różnych kodowaniach",
    en_one="The {encoding} file has 1 line written in UTF-8 (line {lines}); it was read as "
    "UTF-8 — check whether the export joins files in different encodings",
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
    pl_one="… i 1 kolejna taka komórka",
    pl_few="… i {count} kolejne takie komórki",
    en_one="… and 1 more such cell",
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


# --- writing a run's reports again with CeR's answers (cer_loader.report.recipe) ------------
# Why ``cer-loader submit OUT_DIR`` could not rebuild report.xlsx / report.html from the run's
# inputs (it then updates summary.json and rejected.csv only).

REBUILD_NO_RECIPE = Outcome(
    "rebuild-no-recipe",
    "summary.json nie zapisuje wejść przebiegu (utworzyła go starsza wersja cer-loader)",
    "summary.json does not record the run's inputs (an earlier cer-loader version wrote it)",
)
REBUILD_VERSION = Outcome(
    "rebuild-version",
    "przebieg wykonała inna wersja cer-loader ({then}, teraz {now}); reguły mogły się zmienić",
    "another cer-loader version made the run ({then}, now {now}); its rules may differ",
)
REBUILD_MISSING = Outcome(
    "rebuild-missing",
    "brak pliku {what_pl} {path}",
    "the {what_en} {path} is gone",
)
REBUILD_CHANGED = Outcome(
    "rebuild-changed",
    "plik {what_pl} {path} zmienił się od przebiegu (inny SHA-256)",
    "the {what_en} {path} changed since the run (SHA-256 differs)",
)
REBUILD_EDITED = Outcome(
    "rebuild-edited",
    "arkusz {path} zmienił się od przebiegu (poprawki wprowadzone w nim?) - nie nadpisuję go; "
    "poprawiony arkusz uruchom: cer-loader run {path} --out NOWY_KATALOG",
    "the workbook {path} changed since the run (edited in place?) - not overwriting it; run "
    "the edited workbook: cer-loader run {path} --out NEW_FOLDER",
)
REBUILD_FAILED = Outcome(
    "rebuild-failed",
    "odtworzenie raportów nie powiodło się: {error}",
    "rebuilding the reports failed: {error}",
)
REBUILD_OUTCOMES = (
    REBUILD_NO_RECIPE, REBUILD_VERSION, REBUILD_MISSING, REBUILD_CHANGED, REBUILD_EDITED,
    REBUILD_FAILED,
)  # fmt: skip


# --- HL7 v2 dumps (cer_loader.ingest.hl7v2) ----------------------------------------------------
# Not-loaded reasons: why a message or an appointment of a dump is accounted for but not loaded
# (``not_loaded.csv``); the code is the reason column, stable across releases.


def _nl(code: str, pl: str, en: str) -> Outcome:
    return Outcome(code, pl, en)


HL7_NOT_LOADED: dict[str, Outcome] = {
    o.code: o
    for o in (
        _nl("cancelled", "wizyta odwołana (SIU^S15)", "appointment cancelled (SIU^S15)"),
        _nl("deleted", "wizyta usunięta jako błędnie umówiona (SIU^S17)",
            "appointment deleted as booked in error (SIU^S17)"),
        _nl("discontinued", "wizyta przerwana (SIU^S16)", "appointment discontinued (SIU^S16)"),
        _nl("no-show", "pacjent nie przyszedł (SIU^S26)", "patient did not show up (SIU^S26)"),
        _nl("request-only", "tylko prośba o termin (SRM), bez rezerwacji",
            "a request only (SRM), never booked"),
        _nl("update-without-booking", "zmiana wizyty, której rezerwacji nie ma w pliku",
            "an update for an appointment never booked in the file"),
        _nl("not-scheduling", "komunikat innego typu niż terminarz (np. ADT, ACK)",
            "not a scheduling message (e.g. ADT, ACK)"),
        _nl("unparseable", "komunikat nieczytelny (uszkodzony MSH albo treść)",
            "unreadable message (broken MSH or content)"),
        _nl("charset-unknown", "MSH-18 nie wskazuje kodowania znaków, którego można użyć",
            "MSH-18 names no character set that can be used"),
        _nl("too-large", "komunikat większy niż dopuszczalny rozmiar",
            "message larger than the size limit"),
    )
}  # fmt: skip

# Reader warnings of the HL7 reader: the dump was read, but a person should know this.
HL7_CHARSET_SWITCH = Outcome(
    "hl7-charset-switch",
    "{count} wiadomości (pierwsza nr {first}): deklarowane kodowanie {declared} nie pasuje do "
    "treści, odczytano jako {used}",
    "{count} messages, first #{first}: declared charset {declared} does not fit the bytes, "
    "read as {used}",
    pl_one="1 wiadomość (nr {first}): deklarowane kodowanie {declared} nie pasuje do treści, "
    "odczytano jako {used}",
    en_one="1 message, #{first}: declared charset {declared} does not fit the bytes, read as "
    "{used}",
)
HL7_INVALID_BYTES = Outcome(
    "hl7-invalid-bytes",
    "{count} wiadomości (pierwsza nr {first}): bajty niepoprawne w {codec}, zastąpione znakiem �",
    "{count} messages, first #{first}: bytes invalid in {codec} replaced with �",
    pl_one="1 wiadomość (nr {first}): bajty niepoprawne w {codec}, zastąpione znakiem �",
    en_one="1 message, #{first}: bytes invalid in {codec} replaced with �",
)
HL7_CHARSET_REFUSED = Outcome(
    "hl7-charset-refused",
    "{count} wiadomości (pierwsza nr {first}) ma w MSH-18 „{label}”, czego nie można użyć jako "
    "kodowania znaków; nie wczytano ich (lista w not_loaded.csv)",
    "{count} messages, first #{first}: MSH-18 '{label}' is no usable character set; they were "
    "not loaded (listed in not_loaded.csv)",
    pl_one="1 wiadomość (nr {first}) ma w MSH-18 „{label}”, czego nie można użyć jako "
    "kodowania znaków; nie wczytano jej (lista w not_loaded.csv)",
    pl_few="{count} wiadomości (pierwsza nr {first}) mają w MSH-18 „{label}”, czego nie można "
    "użyć jako kodowania znaków; nie wczytano ich (lista w not_loaded.csv)",
    en_one="1 message, #{first}: MSH-18 '{label}' is no usable character set; it was not "
    "loaded (listed in not_loaded.csv)",
)
HL7_TOO_LARGE = Outcome(
    "hl7-too-large",
    "{count} wiadomości (pierwsza nr {first}) ma więcej niż {limit} B; nie wczytano ich (lista w "
    "not_loaded.csv)",
    "{count} messages, first #{first}: larger than {limit} bytes; not loaded (listed in "
    "not_loaded.csv)",
    pl_one="1 wiadomość (nr {first}) ma więcej niż {limit} B; nie wczytano jej (lista w "
    "not_loaded.csv)",
    pl_few="{count} wiadomości (pierwsza nr {first}) mają więcej niż {limit} B; nie wczytano ich "
    "(lista w not_loaded.csv)",
    en_one="1 message, #{first}: larger than {limit} bytes; not loaded (listed in not_loaded.csv)",
)
HL7_UNREADABLE = Outcome(
    "hl7-unreadable",
    "{count} wiadomości (pierwsza nr {first}) nie dało się odczytać ({error}); nie wczytano ich "
    "(lista w not_loaded.csv)",
    "{count} messages, first #{first}: could not be read ({error}); not loaded (listed in "
    "not_loaded.csv)",
    pl_one="1 wiadomość (nr {first}) jest nieczytelna ({error}); nie wczytano jej (lista w "
    "not_loaded.csv)",
    en_one="1 message, #{first}: could not be read ({error}); not loaded (listed in "
    "not_loaded.csv)",
)
HL7_CONTROL_ID_REUSED = Outcome(
    "hl7-control-id-reused",
    "{count} wiadomości powtarza MSH-10 wcześniejszej, ale z inną treścią; wczytano je w "
    "kolejności pliku (np. nr {examples})",
    "{count} messages repeat an earlier MSH-10 with different content; read in file order "
    "(e.g. #{examples})",
    pl_one="1 wiadomość powtarza MSH-10 wcześniejszej, ale z inną treścią; wczytano ją w "
    "kolejności pliku (nr {examples})",
    pl_few="{count} wiadomości powtarzają MSH-10 wcześniejszych, ale z inną treścią; wczytano je "
    "w kolejności pliku (np. nr {examples})",
    en_one="1 message repeats an earlier MSH-10 with different content; read in file order "
    "(#{examples})",
)
HL7_OUT_OF_ORDER = Outcome(
    "hl7-out-of-order",
    "{count} wiadomości ma MSH-7 wcześniejszy niż poprzednia dla tej samej wizyty; decyduje "
    "kolejność w pliku",
    "{count} messages are dated (MSH-7) before the previous one for the same appointment; file "
    "order decides",
    pl_one="1 wiadomość ma MSH-7 wcześniejszy niż poprzednia dla tej samej wizyty; decyduje "
    "kolejność w pliku",
    pl_few="{count} wiadomości mają MSH-7 wcześniejszy niż poprzednie dla tej samej wizyty; "
    "decyduje kolejność w pliku",
    en_one="1 message is dated (MSH-7) before the previous one for the same appointment; file "
    "order decides",
)
HL7_BATCH_UNCLOSED = Outcome(
    "hl7-batch-unclosed",
    "Partia BHS nie jest zamknięta segmentem BTS",
    "batch BHS has no closing BTS",
)
HL7_FILE_UNCLOSED = Outcome(
    "hl7-file-unclosed",
    "Plik FHS nie jest zamknięty segmentem FTS",
    "file FHS has no closing FTS",
)
HL7_TRAILER_UNOPENED = Outcome(
    "hl7-trailer-unopened",
    "{segment} bez otwierającego {opener}",
    "{segment} without an opening {opener}",
)
HL7_COUNT_MISMATCH = Outcome(
    "hl7-count-mismatch",
    "{segment}-1 deklaruje {declared} {what_pl}, a jest ich {seen}",
    "{segment}-1 declares {declared} {what_en}, found {seen}",
)
HL7_COUNT_UNREADABLE = Outcome(
    "hl7-count-unreadable",
    "{segment}-1 nie jest liczbą (do {digits} cyfr); licznika nie sprawdzono",
    "{segment}-1 is not a number (up to {digits} digits); the count was not checked",
)
HL7_JUNK = Outcome(
    "hl7-junk",
    "Pominięto {size} B danych spoza wiadomości HL7 od bajtu {offset}",
    "skipped {size} bytes outside any HL7 message at byte {offset}",
)
HL7_OUTCOMES = (
    *HL7_NOT_LOADED.values(), HL7_CHARSET_SWITCH, HL7_INVALID_BYTES, HL7_CHARSET_REFUSED,
    HL7_TOO_LARGE, HL7_UNREADABLE, HL7_CONTROL_ID_REUSED, HL7_OUT_OF_ORDER, HL7_BATCH_UNCLOSED,
    HL7_FILE_UNCLOSED, HL7_TRAILER_UNOPENED, HL7_COUNT_MISMATCH, HL7_COUNT_UNREADABLE, HL7_JUNK,
)  # fmt: skip
