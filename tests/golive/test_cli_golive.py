"""The go-live commands from the command line: exit codes, Polish and English output."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cer_loader.cli import cli

from conftest import SAMPLE

CONFIG = str(SAMPLE / "cer-loader.toml")


def test_slots_sample_reports_the_gap_and_the_short_schedule(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["slots", str(SAMPLE / "sloty.csv"), "--provider",
                                   str(SAMPLE / "placowka.toml"), "--config", CONFIG, "--out",
                                   str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 1, res.output
    assert "GAB-2: 11 terminów, do 2027-02-10 - ZA KRÓTKO" in res.output
    assert "luka 2027-01-02 - 2027-01-17" in res.output
    assert "HPV-MB-01: brak przyjętych terminów" in res.output
    assert (tmp_path / "o" / "payload" / "zapiszSloty_0001.xml").is_file()


def test_provider_sample_is_clean_in_english(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["provider", str(SAMPLE / "placowka.toml"), "--config", CONFIG,
                                   "--out", str(tmp_path / "o"), "--lang", "en"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "The provider file is valid: MUŚ 1, mobile points 1, schedules 3" in res.output


def test_a_missing_slot_file_is_exit_two_without_traceback(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["slots", str(tmp_path / "nie_ma.csv"), "--config", CONFIG,
                                   "--out", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_readiness_lists_every_step_and_writes_html(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["readiness", "--config", CONFIG, "--ledger", str(tmp_path / "l.sqlite"),
                                   "--provider", str(SAMPLE / "placowka.toml"), "--out", str(tmp_path)])  # fmt: skip
    assert res.exit_code == 1, res.output
    assert (
        res.output.count("[ ]") == 6 and "Jeszcze niegotowe" in res.output
    )  # mobile points declared: applies
    assert (tmp_path / "readiness.html").stat().st_mode & 0o777 == 0o600


def test_reconcile_without_a_ledger_is_a_usage_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["reconcile", str(SAMPLE / "wizyty_poradnia.csv"), "--mapping",
                                   str(SAMPLE / "mapping.toml"), "--config", CONFIG, "--ledger",
                                   str(tmp_path / "none.sqlite")])  # fmt: skip
    assert res.exit_code == 2 and "rejestru wysyłek" in res.output


def test_reconcile_finds_appointments_missing_in_cer(tmp_path: Path) -> None:
    from cer_loader.pipeline import run
    from cer_loader.settings import load_settings

    ledger = tmp_path / "l.sqlite"
    run([SAMPLE / "wizyty_poradnia.csv"], load_settings(SAMPLE / "cer-loader.toml", {}),
        mapping_path=SAMPLE / "mapping.toml", out_dir=tmp_path / "o", ledger_path=ledger)  # fmt: skip
    res = CliRunner().invoke(cli, ["reconcile", str(SAMPLE / "wizyty_poradnia.csv"), "--mapping",
                                   str(SAMPLE / "mapping.toml"), "--config", CONFIG, "--ledger", str(ledger),
                                   "--out", str(tmp_path / "r")])  # fmt: skip
    assert res.exit_code == 1, res.output  # rendered but never sent: CeR holds none of them
    assert "brak w CeR:" in res.output and "NIEZGODNE" in res.output
    text = (tmp_path / "r" / "reconcile.csv").read_text(encoding="utf-8-sig")
    assert text.count("missing-in-cer") >= 27
