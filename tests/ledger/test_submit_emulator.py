"""End to end through the real emulator over mutual TLS: the sample export rendered in
batches of 5, sent under every fault kind; each batch ends ACCEPTED, PARTIAL, REFUSED or
UNKNOWN (or stays RENDERED when a permanent fault stopped the run), and a clean rerun settles
everything: the emulator holds every accepted record exactly once and agrees with the ledger."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest

from cer_loader import emulator
from cer_loader.ledger import open_ledger
from cer_loader.pipeline import run
from cer_loader.settings import load_settings
from cer_loader.submit.client import P1Client
from cer_loader.submit.context import call_context
from cer_loader.submit.devcerts import ensure_dev_certs
from cer_loader.submit.orchestrate import Policy, submit

from conftest import SAMPLE

MUS = "000000927722-001"
QUICK = Policy(attempts=4, base_s=0.01, cap_s=0.05, breaker=6)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("certs") / "dev"
    ensure_dev_certs(folder)
    return folder


def rendered(tmp_path: Path, batch_size: int = 5):  # type: ignore[no-untyped-def]
    settings = load_settings(SAMPLE / "cer-loader.toml", {"batch_size": batch_size})
    ledger_file = tmp_path / "ledger.sqlite"
    done = run(
        [SAMPLE / "wizyty_poradnia.csv"], settings, mapping_path=SAMPLE / "mapping.toml",
        out_dir=tmp_path / "out", ledger_path=ledger_file,
    )  # fmt: skip
    return settings, ledger_file, [p.path for p in done.result.payload]


def send(settings, ledger_file: Path, store: Path, certs: Path, faults: str, seed: int = 1):  # type: ignore[no-untyped-def]
    with emulator.start_in_process(
        store, faults=faults, certs_dir=certs, seed=seed, hang_s=1.5
    ) as emu:
        client = P1Client(
            emu.target, password=lambda env: os.environ[env], context=call_context(settings),
            timeout=1.0,
        )  # fmt: skip
        ledger = open_ledger(ledger_file, MUS)
        assert ledger is not None
        with client, ledger:
            return submit(
                ledger, client, target="emulator", context=call_context(settings),
                policy=QUICK,
            )  # fmt: skip


def agree(ledger_file: Path, store: Path) -> Counter[str]:
    """The emulator holds each key once, exactly the ledger's accepted records."""
    held = emulator.list_records(store)
    keys = [k for k, _, _ in held]
    assert len(keys) == len(set(keys)), "a record stored twice"
    ledger = open_ledger(ledger_file, MUS)
    assert ledger is not None
    with ledger:
        accepted = {
            r.key for b in ledger.batches() for r in ledger.records(b) if r.state == "ACCEPTED"
        }
        assert set(keys) == accepted
        return Counter(b.state for b in ledger.batches())


@pytest.mark.parametrize(
    "faults",
    [
        "busy:0.5", "reset-before:0.5", "reset-after:0.5", "timeout-after:0.3",
        "fault-signature:0.5", "fault-auth:0.5", "fault-validation:0.5", "refuse:0.3",
        "latency:20,busy:0.2,reset-after:0.2,refuse:0.1",
    ],
)  # fmt: skip
def test_every_fault_kind_settles_and_a_rerun_finishes(
    tmp_path: Path, certs: Path, faults: str
) -> None:
    settings, ledger_file, files = rendered(tmp_path)
    store = tmp_path / "cer.sqlite"
    first = send(settings, ledger_file, store, certs, faults)
    allowed = {"ACCEPTED", "PARTIAL", "REFUSED", "UNKNOWN", "RENDERED"}
    assert {b.state for b in first.batches} <= allowed and len(first.batches) == len(files) == 6
    if first.fault is None and not first.breaker_open:
        assert all(b.state != "RENDERED" for b in first.batches)
    if faults.startswith("fault-") and first.fault is not None:
        assert first.fault.layer in ("signature", "authentication", "validation")
    agree(ledger_file, store)
    for _ in range(3):  # clean reruns settle UNKNOWN (status query) and send what is left
        send(settings, ledger_file, store, certs, "refuse:0.3" if "refuse" in faults else "")
    states = agree(ledger_file, store)
    assert set(states) <= {"ACCEPTED", "PARTIAL", "REFUSED"} and sum(states.values()) == 6
    if "refuse" not in faults:
        assert states == Counter({"ACCEPTED": 6})


def test_throughput_through_the_emulator(tmp_path: Path, certs: Path) -> None:
    settings, ledger_file, files = rendered(tmp_path, batch_size=27)
    store = tmp_path / "cer.sqlite"
    started = time.perf_counter()
    send(settings, ledger_file, store, certs, "")
    took = time.perf_counter() - started
    print(f"\n27 records in {len(files)} batch(es) through the emulator: {took:.2f} s")
    assert agree(ledger_file, store) == Counter({"ACCEPTED": 1})
