"""Sending the go-live operations: one client per operation against the chosen target (or the
embedded emulator when none is configured), each operation's batches sent from its own ledger by
the same exactly-once orchestration as the initial load."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from cer_loader.cli.lang import bi

TEXT = {
    "pl": {
        "embedded": "Emulator CeR (wbudowany): {url} (magazyn: {store})",
        "no_target": "brak celu [targets.{name}] w konfiguracji",
        "need_flag": "wysyłka na produkcję wymaga --production",
        "confirm": "Wpisz identyfikator MUŚ, aby potwierdzić wysyłkę na produkcję",
        "not_confirmed": "nie potwierdzono identyfikatora MUŚ - nic nie wysłano",
        "sent": "Wysłano {op}: {states}",
        "fault": "Wysyłka {op} przerwana: warstwa {layer}, kod {code}",
    },
    "en": {
        "embedded": "CeR emulator (embedded): {url} (store: {store})",
        "no_target": "no target [targets.{name}] in the configuration",
        "need_flag": "sending to production needs --production",
        "confirm": "Type the MUŚ id to confirm sending to production",
        "not_confirmed": "the MUŚ id was not confirmed - nothing sent",
        "sent": "Sent {op}: {states}",
        "fault": "Sending {op} stopped: layer {layer}, code {code}",
    },
}


def submit_options(fn: Any) -> Any:
    for option in reversed([
        click.option("--submit", is_flag=True, help=bi("Wyślij przygotowane paczki do CeR (rejestr pilnuje, by nic nie poszło dwa razy).", "Send the prepared payload to CeR (the ledger sees that nothing goes twice).")),
        click.option("--target", default="emulator", show_default=True, metavar="NAZWA", help=bi("Cel z [targets.NAZWA] w cer-loader.toml.", "Target from [targets.NAME] in cer-loader.toml.")),
        click.option("--production", is_flag=True, help=bi("Zgoda na wysyłkę na produkcję (i tak trzeba wpisać MUŚ).", "Allow sending to production (the MUŚ id must still be typed).")),
    ]):  # fmt: skip
        fn = option(fn)
    return fn


@contextmanager
def clients(settings: Any, config: Path | None, name: str, production: bool, ledger: Path,
            lang: str) -> Iterator[Callable[[str], Any]]:  # fmt: skip
    """A factory: operation name -> a ready P1 client for it, on one target for the whole run."""
    from cer_loader.errors import ConfigError, UsageError
    from cer_loader.resources import data_dir, load_toml
    from cer_loader.submit.client import P1Client
    from cer_loader.submit.context import call_context
    from cer_loader.submit.contract import load_contract
    from cer_loader.submit.targets import load_targets

    t = TEXT[lang]
    doc = load_toml(config, "konfiguracja", "configuration") if config else {}
    targets = load_targets(doc, config.parent if config else Path.cwd())
    with ExitStack() as stack:
        if name in targets:
            target = targets[name]
        elif name == "emulator" and not targets:
            from cer_loader import emulator

            store = ledger.with_name(f"emulator-{settings.mus_id}.sqlite")
            handle = stack.enter_context(emulator.start_in_process(store))
            click.echo(t["embedded"].format(url=handle.url, store=store), err=True)
            target = handle.target
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
        from cer_loader.cli.submit import _password  # the one way a secret is asked for

        password = _password(lang)

        def client(operation: str) -> Any:
            contract = load_contract(data_dir("schemas") / "operations" / f"{operation}.toml")
            u = urlsplit(target.url)
            op_target = dataclasses.replace(
                target, url=f"{u.scheme}://{u.netloc}{contract.service_path}"
            )
            return stack.enter_context(P1Client(op_target, password=password, contract=contract,
                                                context=call_context(settings)))  # fmt: skip

        yield client


def send_operations(operations: list[str], client: Callable[[str], Any], settings: Any, ledger: Path,
                    target: str, lang: str, progress: Any) -> tuple[list[str], bool]:  # fmt: skip
    """Send each operation's RENDERED batches; lines to print and whether all were accepted."""
    from cer_loader.golive.journal import open_operation_ledger
    from cer_loader.submit.context import call_context
    from cer_loader.submit.orchestrate import submit

    t, lines, ok = TEXT[lang], [], True
    for op in operations:
        led = open_operation_ledger(ledger, op, settings.mus_id, create=False)
        if led is None:
            continue
        with led:
            done = submit(
                led, client(op), target=target, context=call_context(settings), progress=progress
            )
        states = ", ".join(f"{k} {v}" for k, v in sorted(done.states().items())) or "-"
        lines.append(t["sent"].format(op=op, states=states))
        if done.fault is not None:
            lines.append(t["fault"].format(op=op, layer=done.fault.layer, code=done.fault.code))
            ok = False
            break
        ok = ok and set(done.states()) <= {"ACCEPTED"}
    return lines, ok
