"""The go-live sequence from the command line against the embedded emulator: provider data,
slots with a gap and their complement, readiness, activation refused until ready, then done."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from cer_loader.cli import cli

from conftest import SAMPLE


def test_golive_sequence_against_the_embedded_emulator(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLE / "cer-loader.toml", tmp_path / "cer-loader.toml")
    r = CliRunner()

    def run(*args: str, **kw: object) -> tuple[int, str]:
        res = r.invoke(cli, list(args), **kw)  # type: ignore[arg-type]
        return res.exit_code, res.output

    prov = str(SAMPLE / "placowka.toml")
    code, out = run("provider", prov, "--out", "p", "--submit")
    assert code == 0 and "Wysłano zapiszHarmonogram: ACCEPTED 1" in out, out
    code, out = run("activate", "--out", "a", "--provider", prov)
    assert code == 2 and "nie jest gotowe" in out  # steps 3-5 missing: refused
    code, out = run("run", str(SAMPLE / "wizyty_poradnia.csv"), "--mapping", str(SAMPLE / "mapping.toml"),
                    "--out", "w", "--submit")  # fmt: skip
    assert code == 1, out  # rows rejected by our rules; what was sent was accepted
    for slots in ("sloty.csv", "sloty_uzupelnienie.csv"):
        code, out = run(
            "slots", str(SAMPLE / slots), "--provider", prov, "--out", f"s-{slots}", "--submit"
        )
        assert "Wysłano zapiszSloty: ACCEPTED 1" in out, out
    code, out = run("readiness", "--provider", prov, "--out", "r")
    assert code == 0 and "Gotowe do aktywacji" in out, out
    code, out = run("activate", "--out", "a", "--provider", prov)
    assert code == 0 and "Wysłano aktywujMus: ACCEPTED 1" in out, out
    code, out = run("readiness", "--provider", prov)
    assert out.count("[x]") == 6 and code == 0, out
    code, out = run("reconcile", str(SAMPLE / "wizyty_poradnia.csv"), "--mapping", str(SAMPLE / "mapping.toml"),
                    "--out", "z", "--emulator-store", ".cer-loader/emulator-000000927722-001.sqlite")  # fmt: skip
    # the rows our rules rejected never went: CeR misses exactly those still in the future
    assert code == 1 and "brak w CeR: 11" in out and "różnią się: 0" in out, out
    assert "w CeR, a nieznane rejestrowi: 0" in out


def test_activation_with_an_override_needs_the_typed_mus_and_is_recorded(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLE / "cer-loader.toml", tmp_path / "cer-loader.toml")
    r = CliRunner()
    wrong = r.invoke(
        cli,
        ["activate", "--out", "a", "--override", "pilne uruchomienie"],
        input="000000000000-000\n",
    )
    assert wrong.exit_code == 2 and "nie potwierdzono" in wrong.output
    ok = r.invoke(
        cli,
        ["activate", "--out", "a", "--override", "pilne uruchomienie"],
        input="000000927722-001\n",
    )
    assert ok.exit_code == 0, ok.output
    payload = (tmp_path / "a" / "payload" / "aktywujMus_0001.xml").read_text(encoding="utf-8")
    assert (
        "<uzasadnieniePominieciaGotowosci>pilne uruchomienie</uzasadnieniePominieciaGotowosci>"
        in payload
    )
