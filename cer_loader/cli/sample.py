"""``cer-loader sample``: a realistic, reproducible clinic export for demos and benchmarks."""

from __future__ import annotations

from pathlib import Path

import click

from cer_loader.cli.common import Command, _fail, _lang, lang_option
from cer_loader.cli.lang import bi

TEXT = {
    "pl": "Zapisano {rows} wierszy ({defective} z wadą) do {data}; mapowanie: {mapping}; "
    "konfiguracja: {config}\nUruchom: cer-loader run {data} --mapping {mapping} --config {config} --out WYNIKI",
    "en": "Wrote {rows} rows ({defective} with a defect) to {data}; mapping: {mapping}; "
    "configuration: {config}\nRun: cer-loader run {data} --mapping {mapping} --config {config} --out RESULTS",
}


@click.command(
    cls=Command,
    help=bi("Tworzy przykładowy eksport wizyt (CSV cp1250, XLSX lub HL7) z plikami mapowania i "
            "konfiguracji obok; część wierszy ma wady, które odrzucą reguły.",
            "Writes a sample appointment export (cp1250 CSV, XLSX or HL7) with mapping and "
            "configuration files beside it; some rows carry defects the rules reject."),
)  # fmt: skip
@click.option("--rows", type=click.IntRange(1), required=True, metavar="N",
              help=bi("Liczba wierszy (wizyt).", "Number of rows (appointments)."))  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "hl7"]), default="csv",
              show_default=True,
              help=bi("Rodzaj eksportu: csv, xlsx albo hl7 (zrzut SIU).",
                      "Kind of export: csv, xlsx or hl7 (an SIU dump)."))  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), required=True, metavar="PLIK",
              help=bi("Plik eksportu; PLIK.mapping.toml i PLIK.cer-loader.toml powstają obok.",
                      "Export file; FILE.mapping.toml and FILE.cer-loader.toml are written "
                      "beside it."))  # fmt: skip
@click.option("--defects", type=click.FloatRange(0, 1), default=0.01, show_default=True,
              metavar="UDZIAŁ",
              help=bi("Udział wierszy z jedną wadą odrzucaną przez reguły (0-1).",
                      "Share of rows carrying one defect a rule rejects (0-1)."))  # fmt: skip
@click.option("--seed", type=int, default=1, show_default=True, metavar="N",
              help=bi("Ziarno losowania (to samo ziarno: ten sam plik).",
                      "Random seed (the same seed: the same file)."))  # fmt: skip
@lang_option
def sample(rows: int, fmt: str, out: Path, defects: float, seed: int, lang: str | None) -> None:
    from cer_loader.samples.writers import write_sample

    lang = _lang(lang)
    try:
        w = write_sample(out, fmt, rows, defects, seed)
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, False)
        return
    click.echo(TEXT[lang].format(rows=w.rows, defective=w.defective, data=w.data,
                                 mapping=w.mapping, config=w.config))  # fmt: skip
