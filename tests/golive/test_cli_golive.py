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
