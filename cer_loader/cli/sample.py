"""``cer-loader sample``: a realistic, reproducible clinic export for demos and benchmarks."""

from __future__ import annotations

from pathlib import Path

import click

from cer_loader.cli.common import _fail

TEXT = {
    "pl": "Zapisano {rows} wierszy ({defective} z wadą) do {data}; mapowanie: {mapping}; "
    "konfiguracja: {config}\nUruchom: cer-loader run {data} --mapping {mapping} --config {config} --out WYNIKI",
    "en": "Wrote {rows} rows ({defective} with a defect) to {data}; mapping: {mapping}; "
    "configuration: {config}\nRun: cer-loader run {data} --mapping {mapping} --config {config} --out RESULTS",
}


@click.command(
    help="Tworzy przykładowy eksport wizyt (CSV cp1250, XLSX lub HL7) z mapowaniem obok."
)
@click.option("--rows", type=int, required=True, help="liczba wierszy / number of rows")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "hl7"]), default="csv",
              help="rodzaj eksportu / kind of export")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="plik eksportu (mapowanie obok) / export file (mapping beside it)")  # fmt: skip
@click.option("--defects", type=float, default=0.01, show_default=True,
              help="udział wierszy z wadą odrzucaną przez reguły / share of rows with a defect")  # fmt: skip
@click.option("--seed", type=int, default=1, show_default=True,
              help="ziarno losowania (ten sam plik za każdym razem) / random seed")  # fmt: skip
@click.option(
    "--lang", type=click.Choice(["pl", "en"]), default="pl", help="język komunikatów / language"
)
def sample(rows: int, fmt: str, out: Path, defects: float, seed: int, lang: str) -> None:
    from cer_loader.samples.writers import write_sample

    try:
        w = write_sample(out, fmt, rows, defects, seed)
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, False)
        return
    click.echo(TEXT[lang].format(rows=w.rows, defective=w.defective, data=w.data,
                                 mapping=w.mapping, config=w.config))  # fmt: skip
