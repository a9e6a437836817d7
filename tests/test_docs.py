"""The README's commands and transcript stay true; every command has help; docs name every rule."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from cer_loader.catalogues.rules import load_rules
from cer_loader.cli import cli
from cer_loader.resources import data_dir

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_has_the_two_commands_and_ci_runs_the_test_one() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert any("pip install ." in b and "cer-loader run sample_data/" in b for b in blocks)
    test_cmd = next(b for b in blocks if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e '.[test]'" in ci and "\npytest\n" in ci
    assert "pip install -e '.[test]'" in test_cmd


def test_readme_transcript_matches_a_real_run(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    block = re.search(r"```text\n\$ (cer-loader run .*?)\n(.*?)\n\$ echo", README, re.S)
    assert block
    args = shlex.split(block.group(1))[1:]
    out = tmp_path / "out"
    shown_out = args[args.index("--out") + 1]
    args[args.index("--out") + 1] = str(out)
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args)
    shown = [ln for ln in block.group(2).splitlines() if ln.strip() != "..."]
    real = result.output.replace(str(out), shown_out).splitlines()
    for line in shown:
        assert line in real, line
    assert result.exit_code == 1


def test_every_command_has_help() -> None:
    for name, command in cli.commands.items():  # type: ignore[attr-defined]
        assert command.help, name
        assert CliRunner().invoke(cli, [name, "--help"]).exit_code == 0


def test_docs_name_every_rule() -> None:
    rules = load_rules(data_dir("schemas") / "rules.toml")
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert all(f"`{code}`" in text for code in rules)
    payload = (ROOT / "docs" / "payload.md").read_text(encoding="utf-8")
    assert "not public" in payload


def test_every_sample_in_the_readme_runs(tmp_path: Path) -> None:
    """The workbook and HL7 samples the README shows run and balance."""
    import json

    from conftest import SAMPLE

    cases = [
        ([str(SAMPLE / "wizyty_arkusz.xlsx")], (25, 21, 4)),
        ([str(SAMPLE / "siu_dump.hl7"), "--mapping", str(SAMPLE / "mapping_hl7.toml")], (3, 2, 1)),
    ]
    for i, (args, expected) in enumerate(cases):
        out = tmp_path / str(i)
        result = CliRunner().invoke(cli, ["run", *args, "--config", str(SAMPLE / "cer-loader.toml"),
                                          "--out", str(out)])  # fmt: skip
        assert result.exit_code == 1, result.output
        s = json.loads((out / "summary.json").read_text())
        assert (s["input_rows"], s["accepted"], s["rejected"]) == expected
        assert s["balance_holds"]
        assert f"cer-loader run {args[0].replace(str(ROOT) + '/', '')}" in README


def test_readme_sample_commands_run_in_order_without_tripping(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every `cer-loader run sample_data/...` of the README, in the order shown, in one folder:
    none stops on another's outputs (each has its own --out)."""
    import shutil

    commands = re.findall(r"(cer-loader run sample_data/[^`\n]*)", README)
    assert len(commands) >= 3
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    monkeypatch.chdir(tmp_path)
    outs = set()
    for command in dict.fromkeys(commands):  # the transcript repeats the first one
        args = shlex.split(command)[1:]
        outs.add(args[args.index("--out") + 1])
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, (command, result.output)
    assert len(outs) == len(dict.fromkeys(commands))


def test_the_overwrite_refusal_says_what_to_do(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from conftest import SAMPLE

    args = ["run", str(SAMPLE / "wizyty_poradnia.csv"), "--mapping", str(SAMPLE / "mapping.toml"),
            "--config", str(SAMPLE / "cer-loader.toml"), "--out", str(tmp_path / "out")]  # fmt: skip
    assert CliRunner().invoke(cli, args).exit_code == 1  # then another export, same folder
    args[1:4] = [str(SAMPLE / "siu_dump.hl7"), "--mapping", str(SAMPLE / "mapping_hl7.toml")]
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 2
    assert f"--out {tmp_path / 'out'}-2" in again.output and "rejestr" in again.output
