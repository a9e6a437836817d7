"""``cer-loader rules``: the rule and scope catalogues as Markdown."""

from __future__ import annotations

from pathlib import Path

import click

from cer_loader.cli.common import PATH, Command, _fail, _lang, lang_option
from cer_loader.cli.lang import bi


@click.command(
    cls=Command,
    help=bi("Wypisuje katalog reguł i zakresów (Markdown; docs/rules.md to jego wynik).",
            "Prints the rule and scope catalogues (Markdown; docs/rules.md is its output)."),
)  # fmt: skip
@click.option(
    "--rules",
    "rules_path",
    type=PATH,
    metavar="PLIK",
    help=bi("Własny katalog reguł (TOML).", "Own rule catalogue (TOML)."),
)
@click.option(
    "--scopes",
    "scopes_path",
    type=PATH,
    metavar="PLIK",
    help=bi("Własny katalog zakresów (TOML).", "Own scope catalogue (TOML)."),
)
@lang_option
def rules(rules_path: Path | None, scopes_path: Path | None, lang: str | None) -> None:
    from cer_loader.catalogues.markdown import rules_markdown
    from cer_loader.catalogues.rules import load_rules
    from cer_loader.catalogues.scopes import load_scopes
    from cer_loader.settings import Settings

    try:
        base = Settings()
        catalogue = load_rules(rules_path or base.rules)
        scopes = load_scopes(scopes_path or base.scopes)
    except BaseException as exc:  # noqa: BLE001
        _fail(exc, _lang(lang), False)
    click.echo(rules_markdown(catalogue, scopes), nl=False)
