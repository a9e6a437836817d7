"""Crash safety: the submitting process (``python -m cer_loader submit``) is killed with
SIGKILL at random moments of a faulty run against an emulator in another process, then rerun
until done; the emulator holds every accepted record exactly once and the ledger agrees."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from cer_loader import emulator
from cer_loader.ledger import open_ledger
from cer_loader.pipeline import run
from cer_loader.settings import load_settings
from cer_loader.submit.devcerts import DEV_PASSWORD, DEV_PASSWORD_ENV, ensure_dev_certs

from conftest import SAMPLE

MUS = "000000927722-001"
FAULTS = "latency:250,busy:0.15,reset-before:0.1,reset-after:0.2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "emulator died"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the emulator did not start")


def attempts(ledger_file: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{ledger_file}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])
    finally:
        conn.close()


def crash_run(tmp_path: Path, kills: int, seed: int) -> dict[str, object]:
    certs = tmp_path / "certs"
    dev = ensure_dev_certs(certs)
    port = free_port()
    config = tmp_path / "cer-loader.toml"
    config.write_text(
        (SAMPLE / "cer-loader.toml").read_text(encoding="utf-8")
        + f'\n[targets.emulator]\nurl = "https://127.0.0.1:{port}/services/CeRZasilenieWS"\n'
        f'ca_bundle = "{dev.ca_bundle}"\ntls_p12 = "{dev.client_tls_p12}"\n'
        f'wss_p12 = "{dev.client_wss_p12}"\ntls_password_env = "{DEV_PASSWORD_ENV}"\n'
        f'wss_password_env = "{DEV_PASSWORD_ENV}"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, {"batch_size": 3})
    ledger_file = tmp_path / "ledger.sqlite"
    out = tmp_path / "out"
    run(
        [SAMPLE / "wizyty_poradnia.csv"], settings, mapping_path=SAMPLE / "mapping.toml",
        out_dir=out, ledger_path=ledger_file,
    )  # fmt: skip
    env = {**os.environ, DEV_PASSWORD_ENV: DEV_PASSWORD, "CER_LOADER_LOG": "DEBUG"}
    store = tmp_path / "cer.sqlite"
    emu = subprocess.Popen(
        [sys.executable, "-m", "cer_loader", "emulator", "--port", str(port), "--store",
         str(store), "--certs", str(certs), "--faults", FAULTS, "--seed", str(seed)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    cmd = [sys.executable, "-m", "cer_loader", "submit", str(out), "--config", str(config),
           "--ledger", str(ledger_file), "--quiet", "--backoff", "0.05", "--lang", "en"]  # fmt: skip
    rng = random.Random(seed)
    logs: list[str] = []
    killed = 0
    try:
        wait_listening(port, emu)
        for _ in range(kills):
            before = attempts(ledger_file)
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            # interpreter start-up takes seconds on a busy machine: wait until this process
            # has begun its work (a new attempt journaled), then kill at a random moment
            for _ in range(300):
                if proc.poll() is not None or attempts(ledger_file) > before:
                    break
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            out_b, err_b = proc.communicate()
            logs.append(out_b.decode() + err_b.decode())
        finals = 0
        while finals < 15:  # rerun until nothing is left to settle
            finals += 1
            done = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
            logs.append(done.stdout.decode() + done.stderr.decode())
            ledger = open_ledger(ledger_file, MUS)
            assert ledger is not None
            with ledger:
                states = Counter(b.state for b in ledger.batches())
            if not {"RENDERED", "IN_FLIGHT", "UNKNOWN"} & set(states):
                break
    finally:
        emu.send_signal(signal.SIGTERM)
        emu.wait(timeout=20)
        if emu.stderr is not None:
            emu.stderr.close()
    held = emulator.list_records(store)
    keys = [k for k, _, _ in held]
    assert len(keys) == len(set(keys)), "the emulator stored a record twice"
    ledger = open_ledger(ledger_file, MUS)
    assert ledger is not None
    with ledger:
        accepted = {
            r.key for b in ledger.batches() for r in ledger.records(b) if r.state == "ACCEPTED"
        }
        states = Counter(b.state for b in ledger.batches())
        outcomes = Counter(str(a["outcome"]) for a in ledger.attempts())
    assert set(keys) == accepted and len(accepted) == 27
    assert outcomes["INTERRUPTED"] >= 1  # at least one kill landed while a batch was in flight
    assert states == Counter({"ACCEPTED": 9})
    text = "\n".join(logs)
    assert "Traceback" not in text
    sample = (SAMPLE / "wizyty_poradnia.csv").read_text(encoding="cp1250")
    pesels = set(re.findall(r";(\d{11});", sample))  # every PESEL of the sample
    assert pesels and not any(p in text for p in pesels)
    print(
        f"\nkills attempted {kills}, processes killed mid-run {killed}, final reruns {finals}, "
        f"attempt outcomes {dict(outcomes)}"
    )
    return {"killed": killed, "finals": finals, "outcomes": outcomes}


def test_sigkill_at_5_random_points(tmp_path: Path) -> None:
    crash_run(tmp_path, kills=5, seed=7)


@pytest.mark.slow
def test_sigkill_at_20_random_points(tmp_path: Path) -> None:
    crash_run(tmp_path, kills=20, seed=11)
