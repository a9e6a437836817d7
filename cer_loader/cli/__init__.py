"""Command line (the only package that imports click): one module per command, registered in
``_register``; :mod:`cer_loader.cli.common` holds what they share and
:mod:`cer_loader.cli.lang` makes click speak Polish (``--lang en``: English).

Exit codes: 0 all rows accepted · 1 some rows rejected or nothing loaded · 2 usage, configuration
or input error · 3 fatal error · 130 interrupted.
"""

from __future__ import annotations

import logging
import os
from importlib.metadata import version

import click

from cer_loader.cli.common import Group, lang_option
from cer_loader.cli.lang import bi, lang


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    word = "version" if lang() == "en" else "wersja"
    click.echo(f"cer-loader, {word} {version('cer-loader')}")
    ctx.exit()


@click.group(
    cls=Group,
    help=bi("cer-loader: zasilenie inicjalne Centralnej e-Rejestracji (CeR, P1).",
            "cer-loader: the initial load of Centralna e-Rejestracja (CeR, P1)."),
)  # fmt: skip
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help=bi("Pokazuje wersję i kończy.", "Show the version and exit."))  # fmt: skip
@lang_option
def cli(lang: str | None) -> None:
    logging.basicConfig(
        level=os.environ.get("CER_LOADER_LOG", "WARNING"),
        format="%(levelname)s %(name)s %(message)s",
    )


def _register() -> None:
    """Add every command to the group, in the order ``--help`` lists them (explicit, no import
    side effects)."""
    from cer_loader.cli import (
        devcerts,
        doctor,
        emulator,
        golive,
        inspect,
        rules,
        run,
        sample,
        status,
        submit,
    )

    commands = (
        *run.COMMANDS,
        submit.submit,
        status.status,
        inspect.inspect,
        rules.rules,
        sample.sample,
    )
    for command in (*commands, *golive.COMMANDS, emulator.emulator, devcerts.dev_certs,
                    doctor.doctor):  # fmt: skip
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="cer-loader")
