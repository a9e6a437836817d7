"""report.xlsx: rejected rows with their original columns, marked cells, drop-downs, text only."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cer_loader.cli import cli
from cer_loader.ingest.steward import (
    COL_FILE,
    COL_ID,
    COL_MESSAGE,
    COL_REF,
    COL_ROW,
    COL_RULES,
    FIX_SHEET,
    META_SHEET,
    SUMMARY_SHEET,
    WARN_SHEET,
)  # fmt: skip

from conftest import SAMPLE
from rowkit import BASE

SAMPLE_ARGS = [
    "--mapping",
    str(SAMPLE / "mapping.toml"),
    "--config",
    str(SAMPLE / "cer-loader.toml"),
]
RISKY = {"notes": "=1+1", "schedule_id": "@x", "duration_minutes": "-5",
         "patient_phone": "+48 601 234 567", "referral_number": "\tx"}  # fmt: skip


def run_sample(out: Path, *extra: str) -> openpyxl.Workbook:
    result = CliRunner().invoke(
        cli, ["run", str(SAMPLE / "wizyty_poradnia.csv"), *SAMPLE_ARGS, "--out", str(out), *extra]
    )
    assert result.exit_code == 1, result.output
    return openpyxl.load_workbook(out / "report.xlsx")


def header(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    return [c.value for c in ws[1]]


def test_sheets_rows_and_layout(tmp_path: Path) -> None:
    wb = run_sample(tmp_path)
    assert stat.S_IMODE((tmp_path / "report.xlsx").stat().st_mode) == 0o600
    assert wb.sheetnames == [FIX_SHEET, WARN_SHEET, SUMMARY_SHEET, META_SHEET]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    ws = wb[FIX_SHEET]
    head = header(ws)
    # what to fix first, where a steward reads first; provenance last
    assert head[:2] == [COL_MESSAGE, COL_RULES]
    assert head[2:5] == ["Nr wizyty", "Data wizyty", "Godz."] and "PESEL" in head
    assert head[-4:] == [COL_FILE, COL_ROW, COL_REF, COL_ID]
    assert ws.max_row - 1 == 12  # one row per rejected input row, not per issue
    assert (
        ws.freeze_panes == "B2"
        and ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}13"
    )
    rows = {
        r[2].value: dict(zip(head, [c for c in r], strict=True)) for r in ws.iter_rows(min_row=2)
    }
    bad = rows["W00023"]  # pesel-checksum
    assert bad[COL_RULES].value == "pesel-checksum" and "PESEL" in bad[COL_MESSAGE].value
    assert bad["PESEL"].fill.fgColor.rgb.endswith("FFC7CE") and bad["PESEL"].comment is not None
    assert bad["PESEL"].value not in bad[COL_MESSAGE].value  # masked in the message
    assert bad["PESEL"].data_type == "s" and bad["NPWZ lekarza"].data_type == "s"
    assert bad["Nazwisko"].fill.fgColor.rgb in (None, "00000000")
    dst = rows["W00024"]  # start-nonexistent: both date and time marked
    assert dst["Data wizyty"].comment and dst["Godz."].comment
    assert bad[COL_ROW].value == "25" and bad[COL_FILE].value.endswith("wizyty_poradnia.csv")
    # drop-downs on the enumerated columns
    lists = {ws.cell(1, openpyxl.utils.column_index_from_string(str(dv.sqref).split(":")[0][:-1])).value:
             dv.formula1 for dv in ws.data_validations.dataValidation}  # fmt: skip
    assert lists["Kategoria"] == '"pilny,stabilny"'
    assert lists["Rodzaj wizyty"] == '"pierwszorazowa,kontynuacja"'
    assert lists["Płeć"] == '"K,M"'
    assert wb[WARN_SHEET].max_row - 1 == 6  # rows with warnings (two of them: landline only)


def test_summary_sheet_has_instructions_parameters_and_hashes(tmp_path: Path) -> None:
    wb = run_sample(tmp_path)
    text = "\n".join(str(c.value) for row in wb[SUMMARY_SHEET].iter_rows() for c in row if c.value)
    assert "cer-loader run report.xlsx --out NOWY_KATALOG" in text
    assert "popraw" in text.lower() and "Nie zmieniaj" in text
    assert "000000927722-001" in text and "2026-12-01" in text
    import hashlib

    assert hashlib.sha256((SAMPLE / "wizyty_poradnia.csv").read_bytes()).hexdigest() in text
    assert "pesel-checksum" in text
    meta = dict(r for r in wb[META_SHEET].iter_rows(values_only=True))
    assert meta["mus_id"] == "000000927722-001" and meta["as_of"] == "2026-12-01"
    assert (
        meta["state"].endswith("ledger-000000927722-001.sqlite")
        and '"patient_pesel": "PESEL"' in meta["origin"]
    )


def test_english_messages(tmp_path: Path) -> None:
    wb = run_sample(tmp_path, "--lang", "en")
    head = header(wb[FIX_SHEET])
    msgs = [
        r[head.index(COL_MESSAGE)] for r in wb[FIX_SHEET].iter_rows(min_row=2, values_only=True)
    ]
    assert any("check digit" in m for m in msgs)


def risky_csv(path: Path) -> Path:
    cols = list(BASE) + [c for c in RISKY if c not in BASE]
    row = {**BASE, **RISKY, "patient_pesel": "70051412340"}  # bad checksum: rejected
    lines = [";".join(cols), ";".join(row[c] for c in cols)]
    lines.append(
        ";".join({**row, "appointment_id": "A2", "patient_pesel": "00012345678"}[c] for c in cols)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_formula_injection_stays_text_and_ids_stay_text(tmp_path: Path) -> None:
    src = risky_csv(tmp_path / "in.csv")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["validate", str(src), "--mus", "000000927722-001",
                                 "--as-of", "2026-12-01", "--out", str(out)])  # fmt: skip
    assert r.exit_code == 1, r.output
    wb = openpyxl.load_workbook(out / "report.xlsx")
    ws = wb[FIX_SHEET]
    head = header(ws)
    cells = dict(zip(head, ws[2], strict=True))
    for name, value in RISKY.items():
        cell = cells[name]
        assert cell.value == value and cell.data_type == "s", name
        assert cell.quotePrefix, name
    assert dict(zip(head, ws[3], strict=True))["patient_pesel"].value == "00012345678"
    raw = openpyxl.load_workbook(out / "report.xlsx", data_only=False)[FIX_SHEET]
    assert not any(c.data_type == "f" for row in raw.iter_rows() for c in row)


def test_libreoffice_opens_and_converts_it(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc")
    run_sample(tmp_path / "o")
    profile = tmp_path / "lo-profile"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(tmp_path / "o" / "report.xlsx")],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "report.pdf"
    assert proc.returncode == 0 and pdf.is_file() and pdf.stat().st_size > 5000, proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
