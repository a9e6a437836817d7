"""report.html: --template-dir honoured, the rules left out of the table counted, an HL7 section."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

from cer_loader.cli import cli
from cer_loader.pipeline import run
from cer_loader.report.html import render_html
from cer_loader.settings import Settings

from conftest import SAMPLE

CONFIG = ["--config", str(SAMPLE / "cer-loader.toml")]


def test_a_report_template_in_the_template_dir_wins(tmp_path: Path) -> None:
    templates = tmp_path / "szablony"
    templates.mkdir()
    for p in (SAMPLE.parent / "templates").glob("*.xml*"):
        (templates / p.name).write_bytes(p.read_bytes())
    (templates / "report.html.j2").write_text(
        "<p>Nasz raport {{ s.mus_id }}: {{ s.rejected }}</p>", encoding="utf-8"
    )
    out = tmp_path / "o"
    r = CliRunner().invoke(cli, ["validate", str(SAMPLE / "wizyty_poradnia.csv"), "--mapping",
                                 str(SAMPLE / "mapping.toml"), *CONFIG, "--template-dir",
                                 str(templates), "--out", str(out)])  # fmt: skip
    assert r.exit_code == 1, r.output
    assert (out / "report.html").read_text(encoding="utf-8") == (
        "<p>Nasz raport 000000927722-001: 12</p>"
    )


def test_the_rules_beyond_the_table_are_counted(tmp_path: Path) -> None:
    settings = Settings(mus_id="000000927722-001", as_of=dt.date(2026, 12, 1))
    done = run([SAMPLE / "wizyty_poradnia.csv"], settings, mapping_path=SAMPLE / "mapping.toml")
    summary = dict(done.summary)
    rules = {f"rule-{i}": 30 - i for i in range(13)}
    summary["rejections_by_rule"] = rules
    html = render_html(done.result, summary, clock=lambda: dt.datetime(2027, 1, 2, 3, 4))
    assert "oraz 3 reguły więcej (57 wierszy)" in html  # rule-10..12: 20 + 19 + 18 rows
    assert "2027-01-02 03:04" in html  # the clock is injected


def test_hl7_runs_get_a_section_on_messages_and_appointments(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["validate", str(SAMPLE / "siu_dump.hl7"), "--mapping",
                                 str(SAMPLE / "mapping_hl7.toml"), *CONFIG, "--out",
                                 str(tmp_path)])  # fmt: skip
    assert r.exit_code == 1, r.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "HL7: komunikaty i wizyty" in html
    assert "8 komunikatów, w tym 1 powtórzony" in html and "5 wizyt" in html
    assert "Wizyty niezaładowane" in html and "cancelled" in html and "wizyta odwołana" in html
    assert "pominięte 5" in html and "niezaładowane 5" not in html
