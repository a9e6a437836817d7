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
        "sent": "Wysłano {op}: {states}",
        "fault": "Wysyłka {op} przerwana: warstwa {layer}, kod {code}",
    },
    "en": {
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
    from cer_loader.cli.submit import _password, choose_target  # one way to pick and ask
    from cer_loader.resources import data_dir
    from cer_loader.submit.client import P1Client
    from cer_loader.submit.context import call_context
    from cer_loader.submit.contract import load_contract

    with ExitStack() as stack:
        target, _ = choose_target(stack, settings, config, name, production, ledger, lang)
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
