"""The command line speaks Polish (click's own texts included), English with --lang en; every
option is explained; progress moves by rows."""

from __future__ import annotations

import io
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cer_loader.cli import cli
from cer_loader.cli.common import Progress

from conftest import SAMPLE


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_help_headings_are_polish_by_default() -> None:
    code, out = invoke("--help")
    assert code == 0
    assert "Użycie:" in out and "Opcje:" in out and "Polecenia:" in out
    assert "Pokazuje ten opis i kończy." in out and "Usage:" not in out


def test_help_in_english_with_lang_en() -> None:
    code, out = invoke("run", "--help", "--lang", "en")
    assert code == 0
    assert "Usage:" in out and "Options:" in out and "Show this message and exit." in out
    assert "Exit codes:" in out and "Example:" in out and "Output folder" in out
    assert "Użycie" not in out and "Katalog wyników" not in out


def test_run_help_lists_exit_codes_and_an_example() -> None:
    _, out = invoke("run", "--help")
    assert "Kody wyjścia:" in out and "Przykład:" in out
    for code in ("0 ", "1 ", "2 ", "3 ", "130"):
        assert f"  {code}" in out
    assert "cer-loader run wizyty.csv" in out


@pytest.mark.parametrize(
    "args,pl,en",
    [
        (["run"], "Brak argumentu", "Missing argument"),
        (["run", "x.csv"], "Brak opcji '--out'", "Missing option '--out'"),
        (["run", "x.csv", "--out", "o", "--nope"], "Nie ma opcji", "No such option"),
        (["nope"], "Nie ma polecenia", "No such command"),
        (["run", "x.csv", "--out", "o", "--batch-size", "dużo"], "nie jest poprawną liczbą",
         "is not a valid integer"),
    ],
)  # fmt: skip
def test_usage_errors_in_both_languages(args: list[str], pl: str, en: str) -> None:
    code, out = invoke(*args)
    assert code == 2 and pl in out and "Błąd:" in out and "Użycie:" in out, out
    code, out = invoke(*args, "--lang", "en")
    assert code == 2 and en in out and "Error:" in out, out
    # a usage error raised before --lang is parsed: the environment decides
    code, out = invoke(*args, env={"CER_LOADER_LANG": "en"})
    assert code == 2 and en in out, out


def test_lang_given_before_the_error_is_honoured() -> None:
    code, out = invoke("run", "--lang=en")
    assert code == 2 and "Missing argument" in out


def test_version_text_in_both_languages() -> None:
    assert "cer-loader, wersja" in invoke("--version")[1]
    assert "cer-loader, version" in invoke("--version", "--lang", "en")[1]


def all_commands() -> list[click.Command]:
    assert isinstance(cli, click.Group)
    return [cli, *cli.commands.values()]


def _squeezed(text: str) -> str:
    return "".join(text.split())  # help is wrapped (also at hyphens): compare without spaces


CLICK_TYPE_WORDS = ("TEXT", "INTEGER", "FLOAT", "RANGE", "PATH", "DIRECTORY", "FILENAME")


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: c.name or "cli")
def test_every_option_has_help_in_both_languages(command: click.Command) -> None:
    """Every command and every option of the group: a Polish help text with an English twin,
    both shown by ``--help`` in their language, metavars in words of that language."""
    from cer_loader.cli.lang import _EN

    assert command.help and command.help in _EN, f"{command.name}: no bilingual help"
    options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
    for param in options:
        assert param.help, f"{command.name} {param.opts} has no help"
        assert param.help in _EN, f"{command.name} {param.opts} has no English help"
        assert _EN[param.help] != param.help, f"{command.name} {param.opts}: not translated"
    args = [command.name] if command is not cli else []
    code, pl = invoke(*args, "--help")
    assert code == 0, pl
    code, en = invoke(*args, "--help", "--lang", "en")
    assert code == 0, en
    for param in options:
        assert param.help is not None
        assert _squeezed(param.help) in _squeezed(pl), f"{param.opts}: Polish help not shown"
        assert _squeezed(_EN[param.help]) in _squeezed(en), f"{param.opts}: English not shown"
    assert _squeezed(_EN[command.help].split(".")[0]) in _squeezed(en)
    for word in CLICK_TYPE_WORDS:  # click's default metavars are English words
        assert f" {word}" not in pl, f"{command.name}: metavar {word} in the Polish help"
    for word in ("PLIK", "KATALOG", "ŚCIEŻKA", "DATA ", "NAZWA", "Opcje", "domyślnie"):
        assert word not in en, f"{command.name}: '{word}' in the English help"


def test_inspect_english_report(tmp_path: Path) -> None:
    code, out = invoke("inspect", str(SAMPLE / "siu_dump.hl7"), "--lang", "en")
    assert code == 0 and "HL7 messages: 8" in out and "_hl7_sources" not in out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == len(set(lines))  # each line once
    assert "{" not in out and "[" not in out  # no Python reprs


@pytest.mark.parametrize("name", ["wizyty_poradnia.csv", "wizyty_arkusz.xlsx", "siu_dump.hl7"])
@pytest.mark.parametrize("language", ["pl", "en"])
def test_inspect_labels_every_fact(name: str, language: str) -> None:
    """Every detected fact has a label in the language: no internal key (reused_control_ids)
    printed as it is named in the code."""
    code, out = invoke("inspect", str(SAMPLE / name), "--lang", language)
    assert code == 0, out
    facts = out.split("\n# ")[0].splitlines()[1:]
    assert facts and all(line.startswith("  ") and ": " in line for line in facts), facts
    raw = [line for line in facts if re.match(r"\s+[a-z0-9]+_[a-z0-9_]+:", line)]
    assert not raw, raw


def test_progress_moves_by_rows() -> None:
    stream = io.StringIO()
    progress = Progress("pl", True, stream=stream)
    for done in (0, 250, 500, 1000):
        progress("validate", done, 1000)
    progress("render", 10, 20)
    progress("render", 20, 20)
    text = stream.getvalue()
    assert "Walidacja" in text and "500/1000" in text and "1000/1000" in text
    assert "Paczki XML" in text and "20/20" in text


def test_pipeline_reports_real_counts_for_each_stage(tmp_path: Path) -> None:
    from cer_loader.pipeline import run

    calls: list[tuple[str, int, int]] = []
    run([SAMPLE / "wizyty_poradnia.csv"], config_path=SAMPLE / "cer-loader.toml",
        mapping_path=SAMPLE / "mapping.toml", out_dir=tmp_path,
        progress=lambda s, d, t: calls.append((s, d, t)))  # fmt: skip
    stages = [c[0] for c in calls]
    assert stages.index("read") < stages.index("validate") < stages.index("render")
    assert stages.index("render") < stages.index("report")
    validate = [(d, t) for s, d, t in calls if s == "validate"]
    assert all(t == 39 for _, t in validate)  # the sample's data rows
    assert len({d for d, _ in validate}) > 3  # moves through the checks, not 0 then the end
    assert validate[-1] == (39, 39)
    render = [(d, t) for s, d, t in calls if s == "render"]
    assert render[-1] == (27, 27)
    report = [(d, t) for s, d, t in calls if s == "report"]
    assert report[-1][0] == report[-1][1] and len(report) >= 5
    read = [(d, t) for s, d, t in calls if s == "read"]
    assert read[-1] == (41, 41)  # rows below the header: 39 data rows and 2 blank ones
