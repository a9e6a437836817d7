"""``cer-loader run`` and ``cer-loader validate``: the CLI passes its options to
:func:`cer_loader.pipeline.run`, which decides the settings and does the work."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from cer_loader.cli.common import Command, Progress, _fail, _lang, common, config_path, echo
from cer_loader.cli.lang import bi
from cer_loader.cli.submit import open_client, policy, submission_options, submitter

NOTHING = {
    "pl": "Nic nie załadowano: żadna wizyta nie została przyjęta (kod wyjścia 1).",
    "en": "Nothing loaded: no appointment was accepted (exit code 1).",
}
EPILOG = bi(
    """\b
Kody wyjścia:
  0  wszystkie wiersze przyjęte
  1  zakończono, ale część wierszy odrzucono albo nic nie załadowano
  2  błąd wywołania, konfiguracji lub pliku wejściowego
  3  nieoczekiwany błąd        130  przerwano (Ctrl-C)

\b
Przykład:
  cer-loader run wizyty.csv --mapping mapping.toml --config cer-loader.toml --out wyniki1
  cer-loader run wyniki1/report.xlsx --out wyniki2   # po poprawkach w arkuszu""",
    """\b
Exit codes:
  0  all rows accepted
  1  finished, but some rows were rejected or nothing was loaded
  2  usage, configuration or input error
  3  unexpected error          130  interrupted (Ctrl-C)

\b
Example:
  cer-loader run visits.csv --mapping mapping.toml --config cer-loader.toml --out results1
  cer-loader run results1/report.xlsx --out results2   # after fixing the workbook""",
)


def _run(render: bool, **opts: Any) -> None:
    from cer_loader.pipeline import run
    from cer_loader.report.summary import format_summary

    lang = _lang(opts["lang"])
    opts["lang"] = lang
    debug = opts.pop("debug")
    progress = Progress(lang, not opts.pop("quiet"))
    inputs = list(opts.pop("inputs"))
    out_dir = opts.pop("out_dir")
    mapping = opts.pop("mapping")
    ledger_path = opts.pop("ledger_path") or opts.pop("state_path")  # --state: the old name
    opts.pop("state_path", None)
    config = config_path(opts)
    opts.pop("config")
    send = opts.pop("submit", False)
    target, production = opts.pop("target", "emulator"), opts.pop("production", False)
    rules = policy(opts)
    try:
        if opts.get("as_of"):
            from cer_loader.settings import parse_date

            opts["as_of"] = parse_date(opts["as_of"], "--as-of")
        with ExitStack() as stack:
            settings, hook = None, None
            if send:
                from cer_loader.ledger import default_ledger_path
                from cer_loader.pipeline import build_settings

                settings = build_settings([Path(p) for p in inputs], config, opts).checked()
                where = ledger_path or default_ledger_path(settings.mus_id, config)
                client, label = stack.enter_context(
                    open_client(settings, config, target, production, where, lang)
                )
                hook = submitter(client, label, settings, rules)
            done = run(
                inputs, settings, config_path=config, options=opts, mapping_path=mapping,
                out_dir=out_dir, render=render, progress=progress, ledger_path=ledger_path,
                submitter=hook,
            )  # fmt: skip
        progress.close()
        titles = {code: r.title(lang) for code, r in done.result.rules.items()}
        echo(format_summary(dict(done.summary), titles, lang, out_dir))
        if done.result.nothing_loaded:
            echo(NOTHING[lang])
    except BaseException as exc:  # noqa: BLE001 - one place turns errors into exit codes
        progress.close()
        _fail(exc, lang, debug)
    sys.exit(done.exit_code)


@click.command(
    cls=Command, epilog=EPILOG,
    help=bi("Waliduje pliki, tworzy paczki zasilInicjalnie i raporty.",
            "Validates the files, writes the zasilInicjalnie payload and the reports."),
)  # fmt: skip
@common
@click.option(
    "--submit",
    is_flag=True,
    help=bi(
        "Wyślij paczki do CeR (bez skonfigurowanego celu: wbudowany emulator).",
        "Send the payload to CeR (no target configured: the embedded emulator).",
    ),
)
@submission_options
def run(**opts: Any) -> None:
    _run(True, **opts)


@click.command(
    cls=Command, epilog=EPILOG,
    help=bi("Tylko walidacja i raporty, bez tworzenia paczek XML.",
            "Validation and reports only, no XML payload."),
)  # fmt: skip
@common
def validate(**opts: Any) -> None:
    _run(False, **opts)


COMMANDS = (run, validate)
