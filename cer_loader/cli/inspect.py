"""``cer-loader inspect``: what was detected in a file, and a proposed mapping file."""

from __future__ import annotations

from pathlib import Path

import click

from cer_loader.cli.common import UI, _fail
from cer_loader.mapping import load_mapping, proposal_toml


@click.command(help="Pokazuje, co wykryto w pliku, i proponuje plik mapowania.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(path_type=Path))
@click.option("--lang", type=click.Choice(["pl", "en"]), default="pl")
@click.option("--debug", is_flag=True)
def inspect(path: Path, mapping: Path | None, lang: str, debug: bool) -> None:
    from cer_loader.ingest import read_source

    try:
        table = read_source(path, load_mapping(mapping).reader_options())
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, debug)
        return
    click.echo(UI[lang]["inspect_head"].format(path=path))
    for key, value in table.details.items():
        click.echo(f"  {key}: {value!r}")
    click.echo(f"  header_row: {table.header_row}")
    click.echo(f"  headers: {', '.join(table.headers)}")
    click.echo(f"  data_rows: {table.data_rows}  blank_rows: {table.blank_rows}")
    click.echo(f"  total_records: {table.total_records}")
    if not table.canonical:
        click.echo("")
        click.echo(UI[lang]["proposal"])
        click.echo(proposal_toml(table), nl=False)
