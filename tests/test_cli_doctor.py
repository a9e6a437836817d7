"""``cer-loader doctor``: what is wrong with a machine or configuration, in plain words."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from cer_loader.cli import cli

from conftest import SAMPLE


def test_doctor_all_fine_is_exit_0(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(SAMPLE / "cer-loader.toml", tmp_path / "cer-loader.toml")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["doctor", "--mapping", str(SAMPLE / "mapping.toml"),
                                      "--out", str(tmp_path / "wyniki")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[OK] konfiguracja" in result.output and "Wszystko gotowe." in result.output
    assert "BŁĄD" not in result.output


def test_doctor_names_each_problem_in_polish_and_english(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "zly.toml"
    bad.write_text('[provider]\nmus_id = "123"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["doctor", "--config", str(bad), "--out", "/proc/nie-ma"])
    assert result.exit_code == 1
    assert "[BŁĄD]" in result.output and "nie ma postaci" in result.output
    assert "nie można zapisywać" in result.output and "Do poprawy: 2." in result.output
    result = CliRunner().invoke(cli, ["doctor", "--lang", "en", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "no configuration file" in result.output
