"""The fix-and-resubmit loop: fix report.xlsx, run it again, nothing is ever sent twice.

An appointment counts as loaded only when CeR accepted it (the ledger says so): a re-run
renders unsent rows again and supersedes their old batch, so no id is in two sendable batches.
Tests that send through the emulator are in tests/ledger/.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from cer_loader.cli import cli
from cer_loader.ingest.steward import COL_REF, FIX_SHEET
from cer_loader.ledger import open_ledger

from conftest import SAMPLE

SAMPLE_CSV = SAMPLE / "wizyty_poradnia.csv"
SAMPLE_ARGS = [
    "--mapping",
    str(SAMPLE / "mapping.toml"),
    "--config",
    str(SAMPLE / "cer-loader.toml"),
]
# what a steward would type, per appointment id: header -> fixed value
FIXES = {
    "W00024": {"Godz.": "3:30"},  # start-nonexistent (DST gap)
    "W00025": {"Data wizyty": "28.02.2027"},  # start-invalid-date
    "W00026": {"Nr skierowania": "SK/2026/123"},  # referral-required
}


def invoke(*args: str) -> tuple[int, str, dict]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    out = Path(args[args.index("--out") + 1])
    summary = (
        json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    )
    return r.exit_code, r.output, summary


def payload_ids(out: Path) -> list[str]:
    ids = []
    for xml in sorted((out / "payload").glob("*.xml")):
        text = xml.read_text(encoding="utf-8")
        ids += [w for w in (f"W000{i:02d}" for i in range(1, 60)) if f">{w}<" in text]
    return ids


def fix_workbook(path: Path, fixes: dict[str, dict[str, str]]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[FIX_SHEET]
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        for col, value in fixes.get(row[head.index("Nr wizyty")].value, {}).items():
            row[head.index(col)].value = value
    wb.save(path)


def test_round_trip_fixes_rows_and_never_duplicates(tmp_path: Path) -> None:
    first, second, third, again = (tmp_path / n for n in ("first", "second", "third", "again"))
    code, _, s1 = invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(first))
    assert code == 1 and s1["rejected"] == 12 and s1["already_loaded"] == 0
    ledger_file = Path(s1["state_file"])
    assert (
        ledger_file.name == "ledger-000000927722-001.sqlite"
        and not (first / "state.sqlite").exists()
    )
    assert stat.S_IMODE(ledger_file.stat().st_mode) == 0o600
    loaded = payload_ids(first)
    assert len(loaded) == s1["accepted"] == s1["accepted_new"]

    book = tmp_path / "poprawiony.xlsx"
    book.write_bytes((first / "report.xlsx").read_bytes())
    fix_workbook(book, FIXES)
    # no --mapping, no --config: the workbook carries both and names the ledger
    code, out, s2 = invoke("run", str(book), "--out", str(second))
    assert code == 1, out
    assert s2["input_rows"] == 12 and s2["accepted"] == 3 and s2["steward_fixed"] == 3
    assert s2["input_rows"] == s2["accepted"] + s2["rejected"] and s2["balance_holds"]
    assert s2["state_file"] == str(ledger_file)
    assert "Poprawione w arkuszu" in out
    assert sorted(payload_ids(second)) == sorted(FIXES)
    assert not set(payload_ids(second)) & set(loaded)
    # rows still wrong come back, tied to their original file and row
    ws = openpyxl.load_workbook(second / "report.xlsx")[FIX_SHEET]
    head = [c.value for c in ws[1]]
    back = {r[head.index("Nr wizyty")]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert len(back) == 9 and not set(back) & set(FIXES)
    assert back["W00023"][head.index(COL_REF)] in ("", None)  # original had no extra ref
    assert back["W00023"][head.index("CER: wiersz źródłowy")] == "25"
    assert back["W00023"][head.index("CER: plik źródłowy")] == str(SAMPLE_CSV)
    rejected = (second / "rejected.csv").read_text(encoding="utf-8-sig")
    assert "wizyty_poradnia.csv:25" in rejected  # _source_ref keeps the original file:row

    # the same workbook again: nothing was sent, so the 3 rows are rendered again and the
    # second run's batch is superseded (never sendable): no id is in two live batches
    code, out, s3 = invoke("run", str(book), "--out", str(third))
    assert s3["accepted"] == 3 and s3["already_loaded"] == 0 and s3["accepted_new"] == 3
    assert sorted(payload_ids(third)) == sorted(FIXES)
    with open_ledger(ledger_file, "000000927722-001") as ledger:  # type: ignore[union-attr]
        states = {Path(b.file).parent.parent.name: b.state for b in ledger.batches()}
    assert states == {"first": "RENDERED", "second": "SUPERSEDED", "third": "RENDERED"}

    # the original export again: every unsent id rendered again, first's batch superseded
    code, _, s4 = invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(again))
    assert s4["already_loaded"] == 0 and s4["accepted_new"] == s1["accepted"]
    assert s4["input_rows"] == s4["accepted"] + s4["rejected"]
    with open_ledger(ledger_file, "000000927722-001") as ledger:  # type: ignore[union-attr]
        live = [b for b in ledger.batches(("RENDERED",))]
        ids = [r.appointment_id for b in live for r in ledger.records(b)]
    assert len(ids) == len(set(ids)) == s1["accepted"] + len(FIXES)


def test_resubmitted_duplicate_of_a_loaded_visit_stays_rejected(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(first))
    # W00031 repeats an accepted visit: alone in the workbook it has no twin, the state knows
    code, _, s2 = invoke("run", str(first / "report.xlsx"), "--out", str(second))
    assert s2["accepted"] == 0 and s2["rejections_by_rule"].get("visit-loaded-earlier") == 1


def test_same_out_folder_never_overwrites_a_recorded_batch(tmp_path: Path) -> None:
    out = tmp_path / "o"
    invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(out))
    before = (out / "payload" / "zasilInicjalnie_0001.xml").read_bytes()
    book = tmp_path / "b.xlsx"
    book.write_bytes((out / "report.xlsx").read_bytes())
    fix_workbook(book, FIXES)
    r = CliRunner().invoke(cli, ["run", str(book), "--out", str(out)])
    assert r.exit_code == 2 and "nowy katalog" in r.output
    assert (out / "payload" / "zasilInicjalnie_0001.xml").read_bytes() == before


def test_validate_reads_the_state_but_does_not_create_one(tmp_path: Path) -> None:
    code, _, s = invoke("validate", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(tmp_path / "v"))
    assert not Path(s["state_file"]).exists() and s["already_loaded"] == 0


def test_a_changed_header_is_a_clear_error(tmp_path: Path) -> None:
    first = tmp_path / "first"
    invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(first))
    wb = openpyxl.load_workbook(first / "report.xlsx")
    ws = wb[FIX_SHEET]
    ws.cell(1, [c.value for c in ws[1]].index("PESEL") + 1).value = "PESEL pacjenta (nowy)"
    wb.save(tmp_path / "b.xlsx")
    r = CliRunner().invoke(cli, ["run", str(tmp_path / "b.xlsx"), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "brakuje kolumn" in r.output and "Traceback" not in r.output
