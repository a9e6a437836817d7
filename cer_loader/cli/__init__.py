"""Command line (the only package that imports click): one module per command.

Exit codes: 0 all rows accepted · 1 some rows rejected (reports written) · 2 usage or input
error · 3 fatal error.
"""

from __future__ import annotations

import logging
import os

import click


@click.group(help="cer-loader: zasilenie inicjalne Centralnej e-Rejestracji (CeR, P1).")
@click.version_option(package_name="cer-loader")
def cli() -> None:
    logging.basicConfig(
        level=os.environ.get("CER_LOADER_LOG", "WARNING"),
        format="%(levelname)s %(name)s %(message)s",
    )


def _register() -> None:
    """Add every command to the group, in the order ``--help`` lists them (explicit, no import
    side effects)."""
    from cer_loader.cli import devcerts, emulator, golive, inspect, rules, run, sample, status

    commands = (*run.COMMANDS, status.status, inspect.inspect, rules.rules, sample.sample)
    for command in (*commands, *golive.COMMANDS, emulator.emulator, devcerts.dev_certs):
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="cer-loader")
