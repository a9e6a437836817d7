"""``cer-loader run`` and ``cer-loader validate``."""

from __future__ import annotations

import sys
from typing import Any

import click

from cer_loader.cli.common import Progress, _fail, _lang, _settings, common, config_path


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
    ledger_path = opts.pop("ledger_path") or opts.pop("state_path")
    opts.pop("state_path", None)
    try:
        for key, value in steward_defaults(inputs).items():  # a resubmitted report.xlsx
            if opts.get(key) is None:
                opts[key] = value
        config = config_path(opts)
        settings = _settings(opts)
        done = run(
            inputs, settings, mapping_path=mapping, out_dir=out_dir, render=render,
            progress=Progress(lang, not quiet), ledger_path=ledger_path, config_path=config,
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - one place turns errors into exit codes
        _fail(exc, lang, debug)
        return
    titles = {code: r.title(lang) for code, r in done.result.rules.items()}
    click.echo(format_summary(dict(done.summary), titles, lang, out_dir))
    sys.exit(done.exit_code)


@click.command(help="Waliduje pliki i tworzy paczki zasilInicjalnie oraz raporty.")
@common
def run(**opts: Any) -> None:
    _run(True, **opts)


@click.command(help="Tylko walidacja i raporty, bez tworzenia paczek XML.")
@common
def validate(**opts: Any) -> None:
    _run(False, **opts)


COMMANDS = (run, validate)
