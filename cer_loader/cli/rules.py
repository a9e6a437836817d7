"""``cer-loader rules``: the rule and scope catalogues as Markdown."""

from __future__ import annotations

from pathlib import Path

import click

from cer_loader.cli.common import _fail


@click.command(help="Wypisuje katalog reguł i zakresów (Markdown).")
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
