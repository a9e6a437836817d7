"""Reports are safe by construction: no formula, no control character, no unmasked PESEL, phone
or e-mail outside the row's own columns, and a crash leaves the old reports or complete new ones."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cer_loader.cli import cli
from cer_loader.files import Outputs
from cer_loader.ingest.steward import COL_MESSAGE, FIX_SHEET

from rowkit import BASE

MUS_ARGS = ["--mus", "000000927722-001", "--as-of", "2026-12-01"]
FORMULAS = ('=HYPERLINK("http://x","klik")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3")


def write_csv(path: Path, rows: list[dict[str, str]], headers: list[str] | None = None) -> Path:
    cols = headers or list(rows[0])
    lines = [";".join(cols)] + [";".join(r.get(c, "") for c in cols) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(src: Path, out: Path) -> None:
    r = CliRunner().invoke(cli, ["validate", str(src), *MUS_ARGS, "--out", str(out)])
    assert r.exit_code == 1, r.output


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


def test_no_formula_reaches_the_csv_reports(tmp_path: Path) -> None:
    cols = list(BASE) + ["=uwagi"]  # a header too
    rows = [
        {**BASE, "appointment_id": FORMULAS[0], "scope_code": FORMULAS[1], "=uwagi": FORMULAS[2],
         "schedule_id": FORMULAS[3]},
        {**BASE, "appointment_id": "A2", "patient_pesel": "70051412340", "duration_minutes": "-5"},
    ]  # fmt: skip
    src = write_csv(tmp_path / "=plik.csv", rows, cols)  # and the file name
    out = tmp_path / "out"
    run(src, out)
    cells = [c for row in read_csv(out / "rejected.csv") for c in row]
    assert not [c for c in cells if c and c[0] in "=+@\t\r"]
    assert not [c for c in cells if c[:1] == "-" and c != "-5"], "a plain number stays a number"
    assert "'" + FORMULAS[1] in cells and "'" + FORMULAS[0] in cells and "'=uwagi" in cells
    assert any(c.endswith("=plik.csv") and c.startswith("'") or "/=plik.csv" in c for c in cells)
    assert "-5" in cells
    warn = [c for row in read_csv(out / "warnings.csv") for c in row]
    assert not [c for c in warn if c and c[0] in "=+@\t\r"]


@pytest.mark.parametrize(
    "bad", ["\x01", "\x1b[31m", "\x00", "\ud800"], ids=["soh", "esc", "nul", "surrogate"]
)
def test_a_control_character_in_a_rejected_value_never_sinks_the_reports(
    tmp_path: Path, bad: str
) -> None:
    rows = [{**BASE, "scope_code": f"02.11{bad}00", "schedule_id": f"G{bad}1"}]
    src = tmp_path / "in.csv"
    text = ";".join(BASE) + "\n" + ";".join(rows[0].values()) + "\n"
    src.write_bytes(text.encode("utf-8", "surrogatepass"))
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["validate", str(src), *MUS_ARGS, "--out", str(out)])
    if r.exit_code == 2:  # the reader refused the input: a clear answer, nothing half-written
        assert "Traceback" not in r.output and not (out / "report.xlsx").exists()
        return
    assert r.exit_code == 1, r.output
    for name in ("rejected.csv", "warnings.csv", "summary.json", "report.xlsx", "report.html"):
        assert (out / name).is_file(), name
    ws = openpyxl.load_workbook(out / "report.xlsx")[FIX_SHEET]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "\x1b" not in text and "\x01" not in text
    assert "\x1b" not in (out / "rejected.csv").read_text(encoding="utf-8-sig")
    assert json.loads((out / "summary.json").read_text())["exit_code"] == 1


def test_a_nul_after_the_first_4_kb_never_sinks_the_reports(tmp_path: Path) -> None:
    good = [{**BASE, "appointment_id": f"A{i}"} for i in range(60)]
    bad = {**BASE, "appointment_id": "B1", "scope_code": "02.1100\x00.001.02"}
    src = write_csv(tmp_path / "in.csv", [*good, bad])
    assert src.read_bytes().index(b"\x00") > 4096
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["validate", str(src), *MUS_ARGS, "--out", str(out)])
    assert r.exit_code in (1, 2), r.output
    if r.exit_code == 1:
        assert (out / "report.xlsx").is_file() and (out / "report.html").is_file()
        openpyxl.load_workbook(out / "report.xlsx")


def test_personal_data_in_a_row_the_reader_set_aside_is_masked(tmp_path: Path) -> None:
    """A stray quote: the value is the raw line, its field a source header; mask by content."""
    cols = list(BASE)
    good = ";".join(BASE.values())
    stray = ";".join({**BASE, "appointment_id": "A2", "patient_first_name": 'An"na'}.values())
    extra = ";".join({**BASE, "appointment_id": "A3"}.values()) + ";nadmiarowe"
    src = tmp_path / "in.csv"
    src.write_text("\n".join([";".join(cols), good, stray, extra]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run(src, out)
    rows = list(csv.DictReader((out / "rejected.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows, "the set-aside rows are rejected"
    pesel, phone, mail = BASE["patient_pesel"], BASE["patient_phone"], BASE["patient_email"]
    for r in rows:
        for col in ("value", "message"):
            assert pesel not in r[col] and phone not in r[col] and mail not in r[col], (col, r)
    ws = openpyxl.load_workbook(out / "report.xlsx")[FIX_SHEET]
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2, values_only=True):
        assert pesel not in str(row[head.index(COL_MESSAGE)])


def test_outputs_are_all_or_nothing(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "summary.json"
    a.write_text("old a"), b.write_text("old b")
    with pytest.raises(RuntimeError), Outputs() as out:
        out.write(a, b"new a")
        with out.open(b) as fh:
            fh.write("new b")
        raise RuntimeError("crash before the renames")
    assert (a.read_text(), b.read_text()) == ("old a", "old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "summary.json"]  # no leftovers
    with Outputs() as out:
        out.write(a, b"new a")
        tmp = out.reserve(b)
        tmp.write_text("new b")
        assert out.paths == [a, b] and a.read_text() == "old a"
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    for p in (a, b):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_a_failed_writer_leaves_the_previous_run_reports(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src = write_csv(tmp_path / "in.csv", [{**BASE, "patient_pesel": "70051412340"}])
    out = tmp_path / "out"
    run(src, out)
    before = {
        p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.suffix != ".sqlite"
    }

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr("cer_loader.report.writer.write_html_report", boom)
    src2 = write_csv(tmp_path / "in2.csv", [{**BASE, "appointment_id": "Z9", "patient_pesel": "1"}])
    r = CliRunner().invoke(cli, ["validate", str(src2), *MUS_ARGS, "--out", str(out)])
    assert r.exit_code == 3
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.suffix != ".sqlite"}
    assert after == before  # the old set, untouched; no temporary file left behind
