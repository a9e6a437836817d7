"""``cer-loader inspect``: what was detected in a file, as a readable report, and a proposed
mapping file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cer_loader.cli.common import (
    PATH,
    Argument,
    Command,
    _fail,
    _lang,
    debug_option,
    echo,
    lang_option,
)
from cer_loader.cli.lang import bi

# label per detail, in the order shown; (Polish, English)
LABELS: dict[str, tuple[str, str]] = {
    "kind": ("rodzaj pliku", "file kind"),
    "encoding": ("kodowanie", "encoding"),
    "delimiter": ("separator", "delimiter"),
    "sheet": ("arkusz", "sheet"),
    "hidden_sheets": ("ukryte arkusze (pominięte)", "hidden sheets (ignored)"),
    "reader": ("czytnik", "reader"),
    "header_row": ("wiersz nagłówka", "header row"),
    "title_rows": ("wiersze tytułowe nad nagłówkiem", "title rows above the header"),
    "headers": ("nagłówki", "headers"),
    "data_rows": ("wiersze danych", "data rows"),
    "blank_rows": ("puste wiersze", "blank rows"),
    "total_records": ("rekordy w pliku", "records in the file"),
    "physical_lines": ("linie fizyczne", "physical lines"),
    "used_rows": ("użyte wiersze arkusza", "used rows of the sheet"),
    "quoted_newlines": ("znaki nowej linii w cudzysłowie", "newlines inside quotes"),
    "multiline_spans": ("rekordy na kilku liniach", "records over several lines"),
    "unclosed_quote_lines": ("linie z niezamkniętym cudzysłowem", "lines with an unclosed quote"),
    "total_rows": ("wiersze podsumowań (Razem)", "total rows"),
    "merged_cells_filled": ("uzupełnione scalone komórki", "merged cells filled"),
    "pesel_zeros_restored": ("PESEL z odtworzonymi zerami", "PESELs with zeros restored"),
    "messages": ("komunikaty HL7", "HL7 messages"),
    "msh_segments": ("segmenty MSH", "MSH segments"),
    "duplicates": ("powtórzone komunikaty", "repeated messages"),
    "appointments": ("wizyty", "appointments"),
    "not_loaded": ("wizyty niezaładowane wg przyczyny", "appointments not loaded by reason"),
    "charsets": ("zestawy znaków", "character sets"),
    "batches": ("paczki FHS/BHS", "FHS/BHS batches"),
    "out_of_order": ("komunikaty nie po kolei", "messages out of order"),
    "reused_control_ids": (
        "komunikaty z powtórzonym MSH-10 i inną treścią",
        "messages reusing an MSH-10 with other content",
    ),
    "sha256": ("SHA-256", "SHA-256"),
    "size": ("rozmiar (bajty)", "size (bytes)"),
}
HIDDEN = {"census", "origins", "values", "state", "first_run", "format_version"}
TEXT = {
    "pl": {"head": "Plik: {path}", "none": "brak",
           "proposal": "# Proponowany plik mapowania (zapisz go i popraw):"},
    "en": {"head": "File: {path}", "none": "none",
           "proposal": "# Proposed mapping file (save it and edit):"},
}  # fmt: skip


def plain(value: Any, none: str) -> str:
    """A value as a person reads it: lists joined, mappings as ``key: value``, no reprs."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {plain(v, none)}" for k, v in value.items()) or none
    if isinstance(value, list | tuple | set):
        items = [("-".join(map(str, v)) if isinstance(v, list | tuple) else str(v)) for v in value]
        return ", ".join(items) or none
    if value == "\t":
        return "TAB"
    return str(value)


def report_lines(table: Any, lang: str) -> list[str]:
    """The detected facts of a table, one labelled line each, internal columns left out."""
    i = 1 if lang == "en" else 0
    none = TEXT[lang]["none"]
    facts: dict[str, Any] = {"kind": table.kind}
    facts.update({k: v for k, v in table.details.items() if k not in HIDDEN})
    census = table.details.get("census") or {}
    facts.update({k: census[k] for k in ("sha256", "size") if k in census})
    if table.header_row:
        facts["header_row"] = table.header_row
    facts["headers"] = [h for h in table.headers if not str(h).startswith("_")]
    facts.update(data_rows=table.data_rows, blank_rows=table.blank_rows,
                 total_records=table.total_records)  # fmt: skip
    order = {k: n for n, k in enumerate(LABELS)}
    lines = []
    for key in sorted(facts, key=lambda k: order.get(k, len(order))):
        label = LABELS.get(key, (key, key))[i]
        lines.append(f"  {label}: {plain(facts[key], none)}")
    return lines


@click.command(
    cls=Command,
    help=bi("Pokazuje, co wykryto w pliku (kodowanie, separator, nagłówek, liczby wierszy), i "
            "proponuje plik mapowania.",
            "Shows what was detected in a file (encoding, delimiter, header, row counts) and "
            "proposes a mapping file."),
)  # fmt: skip
@click.argument("path", type=PATH, metavar="PLIK", cls=Argument)
@click.option("--mapping", type=PATH, metavar="PLIK",
              help=bi("Plik mapowania, którego ustawienia [source] mają być użyte.",
                      "Mapping file whose [source] settings are used."))  # fmt: skip
@lang_option
@debug_option
def inspect(path: Path, mapping: Path | None, lang: str | None, debug: bool) -> None:
    from cer_loader.ingest import read_source
    from cer_loader.mapping import load_mapping, proposal_toml

    language = _lang(lang)
    try:
        table = read_source(path, load_mapping(mapping).reader_options())
    except BaseException as exc:  # noqa: BLE001
        _fail(exc, language, debug)
    echo(TEXT[language]["head"].format(path=path))
    echo("\n".join(report_lines(table, language)))
    if not table.canonical:
        echo("")
        echo(TEXT[language]["proposal"])
        click.echo(proposal_toml(table), nl=False)
