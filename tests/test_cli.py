"""The command line: exit codes, outputs, Polish/English, no tracebacks, no personal data shown."""

from __future__ import annotations

import csv
import json
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from cer_loader.cli import cli

from conftest import SAMPLE
from rowkit import BASE

SAMPLE_CSV = SAMPLE / "wizyty_poradnia.csv"
SAMPLE_ARGS = [
    "--mapping",
    str(SAMPLE / "mapping.toml"),
    "--config",
    str(SAMPLE / "cer-loader.toml"),
]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def good_csv(path: Path, rows: int = 3) -> Path:
    cols = list(BASE)
    lines = [";".join(cols)]
    for i in range(rows):
        values = {**BASE, "appointment_id": f"G{i}", "start_time": f"1{i}:00"}
        lines.append(";".join(values[c] for c in cols))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sample_run_exit_1_and_outputs(tmp_path: Path) -> None:
    code, out = invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(tmp_path))
    assert code == 1, out
    assert "Bilans się zgadza" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["input_rows"] == summary["accepted"] + summary["rejected"]
    assert summary["balance_holds"] and summary["rejected"] > 0 and summary["accepted"] > 0
    for name in ("rejected.csv", "warnings.csv", "summary.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    payload = list((tmp_path / "payload").glob("*.xml"))
    assert [p["records"] for p in summary["payload"]] == [summary["accepted"]]
    assert len(payload) == 1 and stat.S_IMODE(payload[0].stat().st_mode) == 0o600
    raw = (tmp_path / "rejected.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert {r["rule"] for r in rows} >= {"pesel-checksum", "start-nonexistent", "duplicate-visit"}
    assert len({(r["source_file"], r["source_row"]) for r in rows}) == summary["rejected"]
    head = list(rows[0])
    assert head[:8] == ["source_file", "source_row", "source_ref", "appointment_id", "rule", "field",
                        "value", "message"]  # fmt: skip
    assert "PESEL" in head and "Nazwisko" in head  # original columns follow
    bad = next(r for r in rows if r["rule"] == "pesel-checksum")
    assert bad["PESEL"] not in bad["value"] + bad["message"]  # masked outside the original columns
    assert bad["value"].startswith("*")


def test_no_personal_data_on_the_terminal(tmp_path: Path) -> None:
    code, out = invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(tmp_path))
    text = SAMPLE_CSV.read_bytes().decode("cp1250")
    pesels = {
        f for line in text.splitlines()[1:] for f in line.split(";") if f.isdigit() and len(f) >= 10
    }
    assert pesels and not any(p in out for p in pesels)
    assert "Kowalska" not in out


def test_all_accepted_exit_0(tmp_path: Path) -> None:
    src = good_csv(tmp_path / "ok.csv")
    code, out = invoke("run", str(src), "--mus", "000000927722-001", "--as-of", "2026-12-01",
                       "--out", str(tmp_path / "out"))  # fmt: skip
    assert code == 0, out
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["accepted"] == 3


def test_validate_writes_no_payload(tmp_path: Path) -> None:
    code, _ = invoke("validate", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(tmp_path))
    assert code == 1
    assert not (tmp_path / "payload").exists()
    assert (tmp_path / "rejected.csv").exists()


def test_english(tmp_path: Path) -> None:
    code, out = invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(tmp_path), "--lang", "en")
    assert code == 1 and "Balance holds" in out
    rows = list(
        csv.DictReader((tmp_path / "rejected.csv").read_text(encoding="utf-8-sig").splitlines())
    )
    assert any("check digit" in r["message"] for r in rows)


@pytest.mark.parametrize(
    "setup,expected",
    [
        ("missing-input", "nie ma takiego pliku"),
        ("bad-toml", "błędny TOML"),
        ("unknown-column", "kolumny 'Brak takiej' nie ma w pliku"),
        ("unknown-field", "nieznane pole CeR"),
        ("bad-mus", "nie ma postaci"),
        ("bad-as-of", "nie jest datą"),
        ("bad-scopes", "kod 'xx'"),
    ],
)
def test_usage_and_input_errors_exit_2_one_line(tmp_path: Path, setup: str, expected: str) -> None:
    src = good_csv(tmp_path / "ok.csv")
    args = ["run", str(src), "--mus", "000000927722-001", "--out", str(tmp_path / "out")]
    if setup == "missing-input":
        args[1] = str(tmp_path / "nope.csv")
    elif setup == "bad-toml":
        (tmp_path / "m.toml").write_text("[columns\n")
        args += ["--mapping", str(tmp_path / "m.toml")]
    elif setup == "unknown-column":
        (tmp_path / "m.toml").write_text('[columns]\npatient_pesel = "Brak takiej"\n')
        args += ["--mapping", str(tmp_path / "m.toml")]
    elif setup == "unknown-field":
        (tmp_path / "m.toml").write_text('[columns]\npesel = "PESEL"\n')
        args += ["--mapping", str(tmp_path / "m.toml")]
    elif setup == "bad-mus":
        args[3] = "927722-1"
    elif setup == "bad-as-of":
        args += ["--as-of", "31.02.2026"]
    elif setup == "bad-scopes":
        (tmp_path / "s.toml").write_text('[[scope]]\ncode = "xx"\nkind = "aos"\n')
        args += ["--scopes", str(tmp_path / "s.toml")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_click_usage_error_is_2() -> None:
    assert CliRunner().invoke(cli, ["run"]).exit_code == 2


def test_inspect_proposes_a_mapping(tmp_path: Path) -> None:
    code, out = invoke("inspect", str(SAMPLE_CSV))
    assert code == 0
    assert "kodowanie: cp1250" in out and "separator: ;" in out
    assert "'" not in out.split("#")[0] and "_hl7" not in out  # no reprs, no internal columns
    assert 'patient_pesel = "PESEL"' in out and 'start_date = "Data wizyty"' in out
    proposal = out[out.index("[source]") :]
    (tmp_path / "m.toml").write_text(proposal, encoding="utf-8")
    code, _ = invoke("run", str(SAMPLE_CSV), "--mapping", str(tmp_path / "m.toml"), "--config",
                     str(SAMPLE / "cer-loader.toml"), "--out", str(tmp_path / "o"))  # fmt: skip
    assert code == 1


def test_swapped_template_and_xsd(tmp_path: Path) -> None:
    from cer_loader.resources import data_dir

    tpl = tmp_path / "tpl"
    shutil.copytree(data_dir("templates"), tpl)
    xsd = tmp_path / "my.xsd"
    shutil.copy(data_dir("schemas") / "zasilInicjalnie.xsd", xsd)
    src = good_csv(tmp_path / "ok.csv")
    text = (
        (tpl / "zasilInicjalnie.xml")
        .read_text()
        .replace('wersjaKontraktu="draft-1"', 'wersjaKontraktu="site-1"')
    )
    (tpl / "zasilInicjalnie.xml").write_text(text)
    code, out = invoke("run", str(src), "--mus", "000000927722-001", "--as-of", "2026-12-01",
                       "--template-dir", str(tpl), "--xsd", str(xsd), "--out", str(tmp_path / "o"))  # fmt: skip
    assert code == 0, out
    assert (
        b'wersjaKontraktu="site-1"' in next((tmp_path / "o" / "payload").glob("*.xml")).read_bytes()
    )


def test_rules_command_matches_docs() -> None:
    from conftest import ROOT

    code, out = invoke("rules")
    assert code == 0
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == out


def test_reader_warnings_are_shown_in_the_chosen_language(tmp_path: Path) -> None:
    src = tmp_path / "dup.csv"
    src.write_text(
        "PESEL;Nazwisko;Nazwisko;Data wizyty\n44051401359;A;B;12.01.2027\n", encoding="utf-8"
    )
    base = ["validate", str(src), "--mus", "000000927722-001", "--as-of", "2026-12-01"]
    _, pl = invoke(*base, "--out", str(tmp_path / "a"))
    _, en = invoke(*base, "--out", str(tmp_path / "b"), "--lang", "en")
    assert "! Powtórzony lub zastrzeżony nagłówek „Nazwisko”" in pl and "(EN:" not in pl
    assert "! Duplicate or reserved header 'Nazwisko'" in en
    summary = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    notes = summary["files"][0]["reader_warnings"]
    assert [n["code"] for n in notes] == ["header-duplicate"]
    assert notes[0]["text"].startswith("Duplicate or reserved header 'Nazwisko' in column 3")


def test_unexpected_failure_is_exit_3_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cer_loader.pipeline as pipeline

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("44051401359 should never be shown")

    monkeypatch.setattr(pipeline, "run", boom)
    result = CliRunner().invoke(cli, ["run", str(good_csv(tmp_path / "ok.csv")), "--mus",
                                      "000000927722-001", "--out", str(tmp_path / "o")])  # fmt: skip
    assert result.exit_code == 3
    assert "Traceback" not in result.output and "44051401359" not in result.output
    assert "RuntimeError" in result.output and "--debug" in result.output


def test_render_error_is_exit_3(tmp_path: Path) -> None:
    from cer_loader.resources import data_dir

    tpl = tmp_path / "tpl"
    shutil.copytree(data_dir("templates"), tpl)
    text = (tpl / "zasilInicjalnie.xml").read_text().replace("{{ r.scope_code }}", "{{ r.nope }}")
    (tpl / "zasilInicjalnie.xml").write_text(text)
    code, out = invoke("run", str(good_csv(tmp_path / "ok.csv")), "--mus", "000000927722-001",
                       "--as-of", "2026-12-01", "--template-dir", str(tpl), "--out", str(tmp_path / "o"))  # fmt: skip
    assert code == 3 and "nieznanej zmiennej" in out
