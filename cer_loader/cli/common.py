"""What every command shares: the common options, the progress display, errors to exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cer_loader.errors import CerLoaderError
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


def config_path(opts: dict[str, Any]) -> Path | None:
    """``--config``, else ``./cer-loader.toml`` when it exists."""
    config = opts.get("config")
    if config is None and Path(CONFIG_NAME).is_file():
        config = Path(CONFIG_NAME)
    return Path(config) if config is not None else None


def _settings(opts: dict[str, Any]) -> Any:
    config = config_path(opts)
    opts.pop("config")
    if opts.get("as_of"):
        opts["as_of"] = parse_date(opts["as_of"], "--as-of")
    return load_settings(config, opts)


def _fail(exc: BaseException, lang: str, debug: bool) -> None:
    if isinstance(exc, CerLoaderError):
        click.echo(f"{UI[lang]['error']}: {exc.text(lang)}", err=True)
        sys.exit(exc.exit_code)
    if debug:
        raise exc
    click.echo(
        f"{UI[lang]['error']}: " + UI[lang]["fatal"].format(kind=type(exc).__name__), err=True
    )
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
        click.option("--ledger", "ledger_path", type=click.Path(path_type=Path),
                     help="Rejestr wysyłek MUŚ (domyślnie .cer-loader/ledger-MUŚ.sqlite obok "
                          "cer-loader.toml albo ten z report.xlsx)."),
        click.option("--state", "state_path", type=click.Path(path_type=Path), hidden=True,
                     help="Przestarzałe: to samo co --ledger."),
        click.option("--lang", type=click.Choice(["pl", "en"]), default="pl", show_default=True),
        click.option("--quiet", is_flag=True, help="Bez paska postępu."),
        click.option("--debug", is_flag=True, help="Pełny ślad błędu (bez danych osobowych)."),
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn
