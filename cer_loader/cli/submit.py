"""``cer-loader submit OUT_DIR`` and what ``run --submit`` shares with it: choosing the target
(the embedded emulator when none is configured), the production guard, passwords from the
environment or a hidden prompt (never an argument), and the end-of-run lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click

from cer_loader.cli.common import (
    PATH,
    Command,
    Progress,
    _fail,
    _lang,
    config_path,
    debug_option,
    lang_option,
)
from cer_loader.cli.lang import bi

TEXT = {
    "pl": {
        "embedded": "Brak skonfigurowanego celu: wysyłka do wbudowanego emulatora CeR ({url}, "
        "magazyn {store})",
        "no_target": "cel '{name}' nie jest skonfigurowany w [targets.{name}] pliku cer-loader.toml",
        "need_flag": "cel 'production' wymaga opcji --production",
        "confirm": "Wysyłka na PRODUKCJĘ CeR. Wpisz identyfikator MUŚ, aby potwierdzić",
        "not_confirmed": "nie potwierdzono identyfikatora MUŚ - nic nie wysłano",
        "password": "Hasło (zmienna {env} nie jest ustawiona)",
        "no_payload": "brak katalogu z paczkami: {dir}",
        "done": "Paczki: {states}",
        "counts": "CeR ({target}): wysłane {submitted}, przyjęte przez CeR {accepted_by_cer}, "
        "odrzucone przez CeR {refused_by_cer}, bez odpowiedzi {unknown}, niewysłane {not_sent}",
        "fault": "WYSYŁKA PRZERWANA: błąd warstwy '{layer}' ({code}); nie ponawiam "
        "(powtarzanie może zablokować konto)",
        "breaker": "Wysyłka wstrzymana po powtarzających się błędach połączenia; uruchom "
        "ponownie później: cer-loader submit {out}",
        "rebuilt": "Raporty odtworzone z plików wejściowych przebiegu, z odpowiedziami CeR "
        "(odrzucone przez CeR rekordy w arkuszu „Do poprawy” i w report.html): {files}",
        "unchanged": "Nic nowego od CeR od poprzedniej wysyłki: raporty w {out} bez zmian",
        "not_rebuilt": "UWAGA: report.xlsx i report.html NIE zawierają odpowiedzi CeR, bo {reason}; "
        "odpowiedzi dopisano tylko do {files} (rekordy odrzucone przez CeR: reguła "
        "cer-refused:... w rejected.csv)",
    },
    "en": {
        "embedded": "No target configured: submitting to the embedded CeR emulator ({url}, "
        "store {store})",
        "no_target": "target '{name}' is not configured in [targets.{name}] of cer-loader.toml",
        "need_flag": "the 'production' target needs --production",
        "confirm": "Submitting to PRODUCTION CeR. Type the MUŚ id to confirm",
        "not_confirmed": "the MUŚ id was not confirmed - nothing sent",
        "password": "Password (variable {env} is not set)",
        "no_payload": "no payload folder: {dir}",
        "done": "Batches: {states}",
        "counts": "CeR ({target}): submitted {submitted}, accepted by CeR {accepted_by_cer}, "
        "refused by CeR {refused_by_cer}, no answer {unknown}, not sent {not_sent}",
        "fault": "SUBMISSION STOPPED: the '{layer}' layer failed ({code}); not retrying "
        "(repeating it can lock the account)",
        "breaker": "Submission paused after repeated connection failures; run again later: "
        "cer-loader submit {out}",
        "rebuilt": "Reports rebuilt from the run's input files with CeR's answers (records "
        "CeR refused in the 'Do poprawy' sheet and report.html): {files}",
        "unchanged": "Nothing new from CeR since the last submission: the reports in {out} "
        "are unchanged",
        "not_rebuilt": "NOTE: report.xlsx and report.html do NOT hold CeR's answers because "
        "{reason}; the answers were added to {files} only (records CeR refused: rule "
        "cer-refused:... in rejected.csv)",
    },
}


def _password(lang: str) -> Callable[[str], str]:
    """A secret by environment variable name: the variable, else a hidden prompt."""
    import os

    def get(env: str) -> str:
        value = os.environ.get(env)
        if value:
            return value
        return str(click.prompt(TEXT[lang]["password"].format(env=env), hide_input=True, err=True))

    return get


def choose_target(
    stack: ExitStack, settings: Any, config: Path | None, name: str, production: bool,
    ledger_path: Path, lang: str, faults: str = "",
) -> tuple[Any, str]:  # fmt: skip
    """Target ``name`` of the configuration and its label, or the embedded emulator (started on
    ``stack``, store beside the ledger) when no target is configured and ``name`` is the default
    ``emulator``; production only with the flag and the MUŚ id typed. Every sending command
    (submit, run --submit, the go-live operations) chooses here."""
    from cer_loader.errors import ConfigError, UsageError
    from cer_loader.settings import load_config
    from cer_loader.submit.targets import load_targets

    t = TEXT[lang]
    doc = load_config(config) if config else {}  # checked: no secret, no unknown key
    targets = load_targets(doc, config.parent if config else Path.cwd())
    if name in targets:
        target, label = targets[name], name
    elif name == "emulator" and not targets:
        from cer_loader import emulator

        store = ledger_path.with_name(f"emulator-{settings.mus_id}.sqlite")
        handle = stack.enter_context(
            emulator.start_in_process(store, faults=faults, certs_dir=None)
        )
        click.echo(t["embedded"].format(url=handle.url, store=store), err=True)
        target, label = handle.target, "emulator (embedded)"
    else:
        raise ConfigError(
            t["no_target"].format(name=name), TEXT["en"]["no_target"].format(name=name)
        )
    if target.production:
        if not production:
            raise UsageError(t["need_flag"], TEXT["en"]["need_flag"])
        typed = click.prompt(t["confirm"], default="", show_default=False, err=True)
        if str(typed).strip() != settings.mus_id:
            raise UsageError(t["not_confirmed"], TEXT["en"]["not_confirmed"])
    return target, label


@contextmanager
def open_client(
    settings: Any, config: Path | None, name: str, production: bool, ledger_path: Path,
    lang: str, faults: str = "",
) -> Iterator[tuple[Any, str]]:  # fmt: skip
    """A ready P1 client for target ``name`` and its label (see :func:`choose_target`)."""
    from cer_loader.submit.client import P1Client
    from cer_loader.submit.context import call_context

    with ExitStack() as stack:
        target, label = choose_target(
            stack, settings, config, name, production, ledger_path, lang, faults
        )
        client = stack.enter_context(
            P1Client(target, password=_password(lang), context=call_context(settings))
        )
        yield client, label


def policy(opts: dict[str, Any]) -> Any:
    from cer_loader.submit.orchestrate import Policy

    return Policy(attempts=opts.pop("attempts", 5), base_s=opts.pop("backoff", 1.0))


def submitter(client: Any, label: str, settings: Any, rules: Any) -> Callable[..., Any]:
    """What the pipeline calls after rendering: send this run's files through ``client``."""
    from cer_loader.submit.context import call_context
    from cer_loader.submit.orchestrate import submit

    def send(ledger: Any, files: list[Path], progress: Callable[[str, int, int], None]) -> Any:
        return submit(
            ledger, client, target=label, context=call_context(settings), files=files,
            progress=progress, policy=rules,
        )  # fmt: skip

    return send


def end_lines(sub: dict[str, Any], lang: str, out_dir: Path) -> list[str]:
    """The end-of-run lines: counts, every batch's state, and why it stopped early."""
    t = TEXT[lang]
    states = ", ".join(f"{b['batch_id']} {b['state']}" for b in sub["batches"]) or "-"
    lines = [t["counts"].format(**sub), t["done"].format(states=states)]
    if sub.get("fault"):
        lines.append(t["fault"].format(**sub["fault"]))
    elif sub.get("breaker_open"):
        lines.append(t["breaker"].format(out=out_dir))
    return lines


def submission_options(fn: Any) -> Any:
    for option in reversed([
        click.option("--target", "target", default="emulator", show_default=True, metavar="NAZWA",
                     help=bi("Cel z [targets.NAZWA] (emulator, integration, production).", "Target from [targets.NAME] (emulator, integration, production).")),
        click.option("--production", is_flag=True,
                     help=bi("Zgoda na wysyłkę na produkcję (i tak trzeba wpisać MUŚ).", "Consent to send to production (the MUŚ id must still be typed).")),
        click.option("--attempts", type=click.IntRange(1, 20), default=5, show_default=True, metavar="N",
                     help=bi("Prób na paczkę przy błędach przejściowych.", "Attempts per batch on transient errors.")),
        click.option("--backoff", type=click.FloatRange(0, 60), default=1.0, show_default=True, metavar="SEKUNDY",
                     help=bi("Podstawa odstępu między próbami [s] (rośnie 2x, losowo, maks. 60 s).", "Base delay between attempts [s] (doubles, jittered, at most 60 s).")),
    ]):  # fmt: skip
        fn = option(fn)
    return fn


@click.command(
    cls=Command,
    help=bi("Wysyła paczki z OUT_DIR/payload do CeR (rejestr wysyłek pilnuje, by nic nie poszło "
            "dwa razy) i dopisuje odpowiedzi CeR do raportów.",
            "Sends the payload files in OUT_DIR/payload to CeR (the submission ledger makes sure "
            "nothing goes twice) and adds CeR's answers to the reports."),
)  # fmt: skip
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--config", type=PATH, metavar="PLIK",
              help=bi("Konfiguracja placówki (domyślnie ./cer-loader.toml).",
                      "Provider configuration (default ./cer-loader.toml)."))  # fmt: skip
@click.option("--mus", "mus_id", metavar="ID",
              help=bi("Identyfikator MUŚ (domyślnie z OUT_DIR/summary.json).",
                      "MUŚ id (default: from OUT_DIR/summary.json)."))  # fmt: skip
@click.option("--ledger", "ledger_path", type=PATH, metavar="PLIK",
              help=bi("Rejestr wysyłek MUŚ (domyślnie obok cer-loader.toml).",
                      "The MUŚ's submission ledger (default: beside cer-loader.toml)."))  # fmt: skip
@submission_options
@lang_option
@click.option("--quiet", is_flag=True, help=bi("Bez paska postępu.", "No progress bar."))
@debug_option
def submit(out_dir: Path, **opts: Any) -> None:
    from cer_loader.errors import UsageError
    from cer_loader.ledger import default_ledger_path, open_ledger
    from cer_loader.rebuild import merge_answers
    from cer_loader.settings import load_settings
    from cer_loader.submit import refusals
    from cer_loader.submit.context import call_context
    from cer_loader.submit.orchestrate import submit as send

    lang = _lang(opts["lang"])
    try:
        summary_file = out_dir / "summary.json"
        summary = json.loads(summary_file.read_text("utf-8")) if summary_file.is_file() else {}
        config = config_path(opts)
        settings = load_settings(config, {"mus_id": opts["mus_id"] or summary.get("mus_id")})
        settings = settings.checked()
        payload = out_dir / "payload"
        if not payload.is_dir():
            t = "no_payload"
            raise UsageError(TEXT["pl"][t].format(dir=payload), TEXT["en"][t].format(dir=payload))
        ledger_path = opts["ledger_path"] or (
            Path(summary["state_file"]) if summary.get("state_file") else None
        ) or default_ledger_path(settings.mus_id, config)  # fmt: skip
        ledger = open_ledger(ledger_path, settings.mus_id, create=False)
        if ledger is None:
            raise UsageError(
                f"brak rejestru wysyłek: {ledger_path}", f"no submission ledger: {ledger_path}"
            )
        with (
            ledger,
            open_client(
                settings, config, opts["target"], opts["production"], ledger_path, lang
            ) as (client, label),
        ):
            done = send(
                ledger, client, target=label, context=call_context(settings),
                files=sorted(payload.glob("*.xml")), policy=policy(opts),
                progress=Progress(lang, not opts["quiet"]),
            )  # fmt: skip
            block = refusals.summary(ledger, done)
        progress = Progress(lang, not opts["quiet"])
        merged = merge_answers(  # every report of OUT_DIR, rebuilt from the run's inputs
            out_dir, ledger_path, settings.mus_id, done, lang=lang, progress=progress
        )
        progress.close()
    except BaseException as exc:  # noqa: BLE001 - one place turns errors into exit codes
        _fail(exc, lang, opts["debug"])
        return
    for line in end_lines(block, lang, out_dir):
        click.echo(line)
    files = ", ".join(str(f) for f in merged.files)
    if merged.reason is not None:
        click.echo(TEXT[lang]["not_rebuilt"].format(reason=merged.reason.text(lang), files=files))
    elif files:
        click.echo(TEXT[lang]["rebuilt"].format(files=files))
    else:
        click.echo(TEXT[lang]["unchanged"].format(out=out_dir))
    if block.get("fault"):
        sys.exit(int(block["fault"]["exit_code"]))
    unsettled = block["refused_by_cer"] + block["unknown"] + block["not_sent"]
    sys.exit(1 if unsettled else 0)
