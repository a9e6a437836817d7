"""report.html: self-contained (no network), Polish by default, chart and masked examples."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from cer_loader.cli import cli

from conftest import SAMPLE

SAMPLE_ARGS = [
    "--mapping",
    str(SAMPLE / "mapping.toml"),
    "--config",
    str(SAMPLE / "cer-loader.toml"),
]


def html_of(out: Path, *extra: str) -> str:
    r = CliRunner().invoke(cli, ["run", str(SAMPLE / "wizyty_poradnia.csv"), *SAMPLE_ARGS,
                                 "--out", str(out), *extra])  # fmt: skip
    assert r.exit_code == 1, r.output
    return (out / "report.html").read_text(encoding="utf-8")


def test_self_contained_with_chart_and_masked_examples(tmp_path: Path) -> None:
    html = html_of(tmp_path)
    assert "http" not in html.lower() and "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", html)
    assert html.count('<g class="bar">') == 12 and "<svg" in html
    assert "Bilans się zgadza" in html and 'lang="pl"' in html
    assert "pesel-checksum" in html and "*********25" in html  # masked example
    assert "70050541625" not in html and "Błędna" not in html  # the PESEL and name from that row
    assert "wizyty_poradnia.csv:25" in html
    assert len(html) < 40_000


def test_english(tmp_path: Path) -> None:
    assert "Balance holds" in html_of(tmp_path, "--lang", "en")


def test_autoescape(tmp_path: Path) -> None:
    from cer_loader.report.html import _bars

    assert _bars({"a": 4, "b": 2})[1]["w"] == 210
    csv = tmp_path / "x<b>.csv"
    csv.write_bytes((SAMPLE / "wizyty_poradnia.csv").read_bytes())
    r = CliRunner().invoke(cli, ["run", str(csv), *SAMPLE_ARGS, "--out", str(tmp_path / "o")])
    assert r.exit_code == 1
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "x&lt;b&gt;.csv" in html and "x<b>.csv" not in html
