"""``run --submit`` and ``submit OUT_DIR``: CeR's answers in the reports, exit codes, the
embedded emulator, the production guard."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cer_loader import emulator
from cer_loader.cli import cli
from cer_loader.ingest.steward import FIX_SHEET
from cer_loader.pipeline import run
from cer_loader.settings import load_settings
from cer_loader.submit.client import P1Client
from cer_loader.submit.context import call_context
from cer_loader.submit.devcerts import ensure_dev_certs
from cer_loader.submit.orchestrate import Policy, submit

from conftest import SAMPLE

ARGS = ["--mapping", str(SAMPLE / "mapping.toml"), "--config", str(SAMPLE / "cer-loader.toml")]
CSV = str(SAMPLE / "wizyty_poradnia.csv")


def test_refused_records_join_every_report_pointing_at_source_rows(tmp_path: Path) -> None:
    settings = load_settings(SAMPLE / "cer-loader.toml", {"batch_size": 10})
    certs = ensure_dev_certs(tmp_path / "certs").dir
    with emulator.start_in_process(
        tmp_path / "cer.sqlite", faults="refuse:0.3", certs_dir=certs, seed=3
    ) as emu:
        client = P1Client(
            emu.target, password=lambda e: os.environ[e], context=call_context(settings)
        )

        def hook(ledger, files, progress):  # type: ignore[no-untyped-def]
            return submit(ledger, client, target="emulator", context=call_context(settings), files=files,
                          policy=Policy(base_s=0.01), progress=progress)  # fmt: skip

        with client:
            done = run(
                [Path(CSV)], settings, mapping_path=SAMPLE / "mapping.toml",
                out_dir=tmp_path / "out", ledger_path=tmp_path / "l.sqlite", submitter=hook,
            )  # fmt: skip
    sub = done.summary["submission"]
    refused = sub["refused_by_cer"]
    assert sub["submitted"] == 27 == sub["accepted_by_cer"] + refused and refused > 0
    assert sub["unknown"] == 0 and done.exit_code == 1
    assert done.summary["accepted"] == 27 - refused and done.summary["rejected"] == 12 + refused
    assert done.summary["balance_holds"]
    with open(tmp_path / "out" / "rejected.csv", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["rule"].startswith("cer-refused:")]
    assert len(rows) == refused and all(r["source_row"].isdigit() for r in rows)
    assert all("CeR odrzucił" in r["message"] for r in rows)
    ws = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")[FIX_SHEET]
    assert ws.max_row - 1 == 12 + refused
    assert "cer-refused:" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_run_submit_on_embedded_defaults_then_a_new_out_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # dev certs made once here
    r = CliRunner().invoke(cli, ["run", CSV, *ARGS, "--out", str(tmp_path / "a"), "--submit"])
    assert r.exit_code == 1, r.output  # 12 rows rejected by validation
    assert "przyjęte przez CeR 27" in r.output and "zasilInicjalnie_0001.xml ACCEPTED" in r.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["submission"]["accepted_by_cer"] == 27
    r = CliRunner().invoke(cli, ["run", CSV, *ARGS, "--out", str(tmp_path / "b"), "--submit"])
    assert "pominięte): 27" in r.output and not list((tmp_path / "b" / "payload").glob("*.xml"))
    r = CliRunner().invoke(
        cli, ["status", "--config", str(SAMPLE / "cer-loader.toml"), "--lang", "en"]
    )
    assert "accepted by CeR 27" in r.output


def test_submit_out_dir_later_and_production_needs_flag_and_typed_mus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    CliRunner().invoke(cli, ["run", CSV, *ARGS, "--out", str(tmp_path / "a")])
    dev = ensure_dev_certs(tmp_path / "cache" / "cer-loader" / "dev-certs")
    config = tmp_path / "cer-loader.toml"
    config.write_text(
        (SAMPLE / "cer-loader.toml").read_text(encoding="utf-8")
        + f'\n[targets.production]\nurl = "https://127.0.0.1:9/x"\nca_bundle = "{dev.ca_bundle}"\n'
        f'wss_p12 = "{dev.client_wss_p12}"\n',
        encoding="utf-8",
    )
    r = CliRunner().invoke(
        cli, ["submit", str(tmp_path / "a"), "--config", str(config), "--target", "production"]
    )
    assert r.exit_code == 2 and "--production" in r.output
    r = CliRunner().invoke(
        cli,
        [
            "submit",
            str(tmp_path / "a"),
            "--config",
            str(config),
            "--target",
            "production",
            "--production",
        ],
        input="000000927722-999\n",
    )
    assert r.exit_code == 2 and "nie potwierdzono" in r.output
    # the default target, nothing configured: the embedded emulator; reports gain the answers
    r = CliRunner().invoke(cli, ["submit", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output  # submit's own outcome: everything sent was accepted
    assert "przyjęte przez CeR 27" in r.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["submission"]["accepted_by_cer"] == 27
    r = CliRunner().invoke(cli, ["submit", str(tmp_path / "a")])  # again: nothing to send
    assert "wysłane 0" in r.output
