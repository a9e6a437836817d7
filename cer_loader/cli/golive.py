"""``cer-loader slots`` and ``cer-loader provider``: the go-live steps around the initial load."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cer_loader.cli.common import Progress, _fail, _lang, _settings

_PATH = click.Path(path_type=Path)


def _shared(fn: Any) -> Any:
    options = [
        click.option("--config", type=_PATH, help="Konfiguracja placówki (domyślnie ./cer-loader.toml)."),
        click.option("--as-of", "as_of", help="Data stanu RRRR-MM-DD (domyślnie dziś)."),
        click.option("--mus", "mus_id", help="Identyfikator MUŚ: księga-część VII."),
        click.option("--scopes", type=_PATH, help="Katalog zakresów (TOML)."),
        click.option("--golive", "golive_path", type=_PATH,
                     help="Katalog go-live: rodzaje terminów, horyzont (domyślnie wbudowany)."),
        click.option("--template-dir", "template_dir", type=_PATH, help="Katalog szablonów operacji CeR."),
        click.option("--schema-dir", "schema_dir", type=_PATH, help="Katalog schematów XSD operacji CeR."),
        click.option("--lang", type=click.Choice(["pl", "en"]), default="pl", show_default=True,
                     help="Język komunikatów."),
        click.option("--debug", is_flag=True, help="Pełny ślad błędu (bez danych osobowych)."),
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn


def _paths(opts: dict[str, Any]) -> Any:
    from cer_loader.golive.run import GoLivePaths

    base = GoLivePaths()
    return GoLivePaths(
        template_dir=opts.pop("template_dir") or base.template_dir,
        schema_dir=opts.pop("schema_dir") or base.schema_dir,
        golive=opts.pop("golive_path"),
    )


@click.command(
    help="Sprawdza wolne terminy (zapiszSloty): tylko przyszłe, bez nakładania się, pokrycie "
    "trzech miesięcy; tworzy paczki XML i raporty.",
    epilog="Kody wyjścia: 0 wszystko przyjęte i pokrycie wystarcza · 1 są odrzucenia albo luki "
    "w pokryciu · 2 błąd użycia, konfiguracji lub pliku · 3 błąd krytyczny.\n\n"
    "Przykład: cer-loader slots sample_data/sloty.csv --provider sample_data/placowka.toml "
    "--config sample_data/cer-loader.toml --out wyniki_sloty",
)
@click.argument("inputs", nargs=-1, required=True, type=_PATH)
@click.option("--out", "out_dir", type=_PATH, required=True, help="Katalog wyników.")
@click.option("--mapping", type=_PATH, help="Plik mapowania terminów (TOML).")
@click.option("--provider", "provider_path", type=_PATH,
              help="Plik placówki: harmonogramy, których dotyczą terminy.")  # fmt: skip
@click.option("--quiet", is_flag=True, help="Bez paska postępu.")
@_shared
def slots(**opts: Any) -> None:
    from cer_loader.golive.console import format_slots
    from cer_loader.golive.run import run_slots

    lang, debug, quiet = _lang(opts["lang"]), opts.pop("debug"), opts.pop("quiet")
    inputs, out_dir = list(opts.pop("inputs")), opts.pop("out_dir")
    mapping, provider = opts.pop("mapping"), opts.pop("provider_path")
    try:
        paths = _paths(opts)
        done = run_slots(inputs, _settings(opts), mapping_path=mapping, provider_path=provider,
                         out_dir=out_dir, paths=paths, progress=Progress(lang, not quiet))  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - one place turns errors into exit codes
        _fail(exc, lang, debug)
        return
    click.echo(format_slots(done.summary, lang, str(out_dir)))
    sys.exit(done.exit_code)


@click.command(
    help="Sprawdza plik placówki (dane MUŚ, punkty mobilne, harmonogramy) i tworzy paczki "
    "zapiszDaneMus, importujMobilnePunktyObslugi i zapiszHarmonogram.",
    epilog="Kody wyjścia: 0 plik poprawny · 1 plik ma problemy (nic nie przygotowano) · 2 błąd "
    "użycia lub konfiguracji · 3 błąd krytyczny.\n\nPrzykład: cer-loader provider "
    "sample_data/placowka.toml --config sample_data/cer-loader.toml --out wyniki_placowka",
)
@click.argument("provider_path", type=_PATH)
@click.option("--out", "out_dir", type=_PATH, required=True, help="Katalog wyników.")
@_shared
def provider(**opts: Any) -> None:
    from cer_loader.golive.console import format_provider
    from cer_loader.golive.run import run_provider

    lang, debug = _lang(opts["lang"]), opts.pop("debug")
    path, out_dir = opts.pop("provider_path"), opts.pop("out_dir")
    try:
        paths = _paths(opts)
        done = run_provider(path, _settings(opts), out_dir=out_dir, paths=paths)
        rules = paths.rules("provider_rules.toml")
    except Exception as exc:  # noqa: BLE001
        _fail(exc, lang, debug)
        return
    problems = [(p.where, p.code, rules[p.code].message(lang).replace("{value}", p.value))
                for p in done.problems]  # fmt: skip
    click.echo(format_provider(done.summary, problems, lang))
    sys.exit(done.exit_code)


COMMANDS = (slots, provider)
