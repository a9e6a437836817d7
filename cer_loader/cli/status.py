"""``cer-loader status``: every batch of a MUŚ's ledger with its state, and record counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cer_loader.cli.common import Command, _fail, _lang, config_path, debug_option, lang_option
from cer_loader.cli.lang import bi

TEXT = {
    "pl": {
        "head": "Rejestr wysyłek MUŚ {mus}: {path}",
        "none": "brak rejestru wysyłek (nic jeszcze nie wygenerowano dla tego MUŚ)",
        "batch": "  {id:<44} {state:<10} rekordy: {n:>6}  {file}",
        "counts": "Wizyty: przyjęte przez CeR {ACCEPTED}, odrzucone przez CeR {REFUSED}, "
        "oczekujące {PENDING}, do ponownego wygenerowania {SUPERSEDED}",
        "attempts": "Próby wysyłki: {n} (ostatnia: {last})",
        "no_mus": "podaj --ledger PLIK albo --mus ID (i --config)",
        "unfinished": "Przebieg {run} przerwany przed zapisaniem raportów w {out}: jego paczki "
        "są w rejestrze, raporty mogą być niepełne; uruchom go ponownie do nowego katalogu",
    },
    "en": {
        "head": "Submission ledger of MUŚ {mus}: {path}",
        "none": "no submission ledger (nothing rendered for this MUŚ yet)",
        "batch": "  {id:<44} {state:<10} records: {n:>6}  {file}",
        "counts": "Appointments: accepted by CeR {ACCEPTED}, refused by CeR {REFUSED}, "
        "pending {PENDING}, to be rendered again {SUPERSEDED}",
        "attempts": "Send attempts: {n} (last: {last})",
        "no_mus": "give --ledger FILE or --mus ID (and --config)",
        "unfinished": "Run {run} stopped before its reports were written in {out}: its "
        "batches are in the ledger, its reports may be incomplete; run it again into a new folder",
    },
}


def ledger_file(ledger: Path | None, mus: str | None, opts: dict[str, Any]) -> tuple[Path, str]:
    """The ledger a command means: ``--ledger``, else the MUŚ's default beside the config."""
    from cer_loader.errors import UsageError
    from cer_loader.ledger import default_ledger_path
    from cer_loader.settings import load_settings

    config = config_path(opts)
    mus_id = mus or (load_settings(config, {}).mus_id if config else "")
    if ledger is not None:
        return ledger, mus_id
    if not mus_id:
        raise UsageError(TEXT["pl"]["no_mus"], TEXT["en"]["no_mus"])
    return default_ledger_path(mus_id, config), mus_id


def _stored_mus(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'mus_id'").fetchone()
        return str(row[0]) if row else ""
    finally:
        conn.close()


@click.command(
    cls=Command,
    help=bi("Stan wysyłek MUŚ: każda paczka i liczby wizyt (z rejestru wysyłek).",
            "The MUŚ's submissions: every batch and appointment counts (from the ledger)."),
)  # fmt: skip
@click.option(
    "--ledger",
    "ledger",
    type=click.Path(path_type=Path),
    metavar="PLIK",
    help=bi(
        "Rejestr wysyłek (domyślnie ten MUŚ obok cer-loader.toml).",
        "The ledger (default: the MUŚ's beside cer-loader.toml).",
    ),
)
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    metavar="PLIK",
    help=bi(
        "Konfiguracja placówki (MUŚ i miejsce rejestru).",
        "Provider configuration (MUŚ and where the ledger is).",
    ),
)
@click.option("--mus", "mus", metavar="ID", help=bi("Identyfikator MUŚ.", "MUŚ id."))
@click.option(
    "--attempts",
    "show_attempts",
    is_flag=True,
    help=bi("Także każda próba wysyłki.", "Every send attempt too."),
)
@lang_option
@debug_option
def status(
    ledger: Path | None, config: Path | None, mus: str | None, show_attempts: bool, lang: str | None,
    debug: bool,
) -> None:  # fmt: skip
    from cer_loader.ledger import open_ledger

    language = _lang(lang)
    t = TEXT[language]
    try:
        path, mus_id = ledger_file(ledger, mus, {"config": config})
        if not path.exists():
            click.echo(t["none"] + f": {path}")
            return
        book = open_ledger(path, mus_id or _stored_mus(path), create=False)
        assert book is not None
        with book:
            click.echo(t["head"].format(mus=book.mus_id, path=path))
            for b in book.batches():
                click.echo(
                    t["batch"].format(id=b.batch_id, state=b.state, n=b.records, file=b.file)
                )
            click.echo(t["counts"].format(**book.record_counts()))
            tries = book.attempts()
            last = tries[-1]["started"] if tries else "-"
            click.echo(t["attempts"].format(n=len(tries), last=last))
            for run_id, out in book.unfinished_runs():
                click.echo(t["unfinished"].format(run=run_id, out=out))
            if show_attempts:
                for a in tries:
                    click.echo(
                        f"  {a['started']} {a['batch_id']} {a['kind']} {a['outcome']} "
                        f"http={a['http_status'] or '-'} codes={a['cer_codes'] or '-'} "
                        f"{a['duration_ms'] or 0} ms sha256={a['request_sha256'] or '-'}"
                    )
    except BaseException as exc:  # noqa: BLE001 - one place turns errors into exit codes
        _fail(exc, language, debug)
