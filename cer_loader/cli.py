"""Command line: ``cer-loader run | validate | inspect``. The only module that imports click.

Exit codes: 0 all rows accepted · 1 some rows rejected (reports written) · 2 usage or input
error · 3 fatal error.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from cer_loader.errors import CerLoaderError
from cer_loader.mapping import load_mapping, proposal_toml
from cer_loader.settings import load_settings, parse_date

CONFIG_NAME = "cer-loader.toml"
UI = {
    "pl": {
        "error": "błąd",
        "fatal": "nieoczekiwany błąd ({kind}); szczegóły: uruchom ponownie z --debug",
        "inspect_head": "Plik: {path}",
        "proposal": "# Proponowany plik mapowania (zapisz go i popraw):",
        "stage": {"read": "Wczytywanie", "validate": "Walidacja", "render": "Paczki XML"},
    },
    "en": {
        "error": "error",
        "fatal": "unexpected error ({kind}); for details run again with --debug",
        "inspect_head": "File: {path}",
        "proposal": "# Proposed mapping file (save it and edit):",
        "stage": {"read": "Reading", "validate": "Validating", "render": "XML batches"},
    },
}


class Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, lang: str, enabled: bool) -> None:
        self.lang = lang
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < 1:
            return
        label = UI[self.lang]["stage"].get(stage, stage)
        width = 30
        filled = int(width * done / total)
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        click.echo(f"\r{label:<12} [{bar}] {done}/{total}", nl=False, err=True)
        if end:
            click.echo("", err=True)


def _lang(value: str) -> str:
    return "en" if value == "en" else "pl"


def _settings(opts: dict[str, Any]) -> Any:
    config = opts.pop("config")
    if config is None and Path(CONFIG_NAME).is_file():
        config = Path(CONFIG_NAME)
    if opts.get("as_of"):
        opts["as_of"] = parse_date(opts["as_of"], "--as-of")
    return load_settings(config, opts)


def _fail(exc: BaseException, lang: str, debug: bool) -> None:
    if isinstance(exc, CerLoaderError):
        click.echo(f"{UI[lang]['error']}: {exc.text(lang)}", err=True)
        sys.exit(exc.exit_code)
    if debug:
        raise exc
    click.echo(f"{UI[lang]['error']}: " + UI[lang]["fatal"].format(kind=type(exc).__name__), err=True)
    sys.exit(3)


def common(fn: Any) -> Any:
    options = [
        click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path)),
        click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
                     help="Katalog wyników / output folder."),
        click.option("--mapping", type=click.Path(path_type=Path), help="Plik mapowania (TOML)."),
        click.option("--config", type=click.Path(path_type=Path),
                     help=f"Konfiguracja placówki (domyślnie ./{CONFIG_NAME})."),
        click.option("--scopes", type=click.Path(path_type=Path), help="Katalog zakresów (TOML)."),
        click.option("--as-of", "as_of", help="Data stanu RRRR-MM-DD (domyślnie dziś)."),
        click.option("--mus", "mus_id", help="Identyfikator MUŚ: księga-część VII."),
        click.option("--regon"), click.option("--nip"), click.option("--nfz-branch", "nfz_branch"),
        click.option("--template-dir", "template_dir", type=click.Path(path_type=Path)),
        click.option("--xsd", type=click.Path(path_type=Path)),
        click.option("--batch-size", "batch_size", type=int, help="Rekordów w paczce (5000)."),
        click.option("--state", "state_path", type=click.Path(path_type=Path),
                     help="Plik stanu przebiegów (domyślnie OUT/state.sqlite albo ten z report.xlsx)."),
        click.option("--lang", type=click.Choice(["pl", "en"]), default="pl", show_default=True),
        click.option("--quiet", is_flag=True, help="Bez paska postępu."),
        click.option("--debug", is_flag=True, help="Pełny ślad błędu (bez danych osobowych)."),
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn


def _run(render: bool, **opts: Any) -> None:
    from cer_loader.ingest.steward import steward_defaults
    from cer_loader.pipeline import run
    from cer_loader.report.summary import format_summary

    lang = _lang(opts["lang"])
    debug = opts.pop("debug")
    quiet = opts.pop("quiet")
    inputs = list(opts.pop("inputs"))
    out_dir = opts.pop("out_dir")
    mapping = opts.pop("mapping")
    state_path = opts.pop("state_path")
    try:
        for key, value in steward_defaults(inputs).items():  # a resubmitted report.xlsx
            if opts.get(key) is None:
                opts[key] = value
        settings = _settings(opts)
        done = run(
            inputs, settings, mapping_path=mapping, out_dir=out_dir, render=render,
            progress=Progress(lang, not quiet), state_path=state_path,
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - one place turns errors into exit codes
        _fail(exc, lang, debug)
        return
    titles = {
        code: r.message(lang).replace("{value}", "…").replace("{other_row}", "…")
        for code, r in done.result.rules.items()
    }
    click.echo(format_summary(done.summary, titles, lang, out_dir))
    sys.exit(done.exit_code)


@click.group(help="cer-loader: zasilenie inicjalne Centralnej e-Rejestracji (CeR, P1).")
@click.version_option(package_name="cer-loader")
def cli() -> None:
    logging.basicConfig(
        level=os.environ.get("CER_LOADER_LOG", "WARNING"),
        format="%(levelname)s %(name)s %(message)s",
    )


@cli.command(help="Waliduje pliki i tworzy paczki zasilInicjalnie oraz raporty.")
@common
def run(**opts: Any) -> None:
    _run(True, **opts)


@cli.command(help="Tylko walidacja i raporty, bez tworzenia paczek XML.")
@common
def validate(**opts: Any) -> None:
    _run(False, **opts)


@cli.command(help="Pokazuje, co wykryto w pliku, i proponuje plik mapowania.")
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


@cli.command(help="Wypisuje katalog reguł i zakresów (Markdown).")
@click.option("--rules", "rules_path", type=click.Path(path_type=Path))
@click.option("--scopes", "scopes_path", type=click.Path(path_type=Path))
@click.option("--lang", type=click.Choice(["pl", "en"]), default="pl")
def rules(rules_path: Path | None, scopes_path: Path | None, lang: str) -> None:
    from cer_loader.catalogues.markdown import rules_markdown
    from cer_loader.catalogues.rules import load_rules
    from cer_loader.catalogues.scopes import load_scopes
    from cer_loader.settings import Settings

    try:
        base = Settings()
        catalogue = load_rules(rules_path or base.rules)
        scopes = load_scopes(scopes_path or base.scopes)
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, False)
        return
    click.echo(rules_markdown(catalogue, scopes), nl=False)


def main() -> None:
    cli(prog_name="cer-loader")
