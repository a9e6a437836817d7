"""HL7 dumps through the whole run: fold, mapping by HL7 path, not-loaded listing, counts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cer_loader.cli import cli

from conftest import FIXTURES
from rowkit import KEY44

HL7_FIXTURES = FIXTURES / "hl7"
FIXTURE_NAMES = sorted(p.name for p in HL7_FIXTURES.glob("*.hl7"))
PESEL = "44051401359"


def message(trigger: str, ctrl: str, appt: str, start: str = "202701151030", **kw: str) -> str:
    segs = [
        f"MSH|^~\\&|HIS|SZPITAL|CER|P1|20261120120000||SIU^{trigger}^SIU_S12|{ctrl}|P|2.5||||||UNICODE UTF-8",
        f"SCH||{appt}|||||||20|MIN|^^^{start}",
        f"TQ1|||||||{start}",
        f"PID|1||{kw.get('pesel', PESEL)}^^^^NI||{kw.get('last', 'Łęcka')}^{kw.get('first', 'Żaneta')}||19440514|{kw.get('sex', 'M')}|||||601234567",
        "RGS|1",
        "AIS|1||02.1100.001.02^Kardiologia",
        "AIL|1||GAB-1^Gabinet 1",
        "AIP|1||5425740^Nowak^Jan",
        f"ZSK|{kw.get('kind', 'kontynuacja')}|{kw.get('category', '')}|{kw.get('key', '')}",
    ]
    return "\r".join(segs) + "\r"


MAPPING = """
[hl7]
visit_kind = "ZSK-1"
medical_category = "ZSK-2"
referral_key = "ZSK-3"
"""


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    msgs = [
        message("S12", "M1", "A1"),  # booked, stays
        message("S12", "M2", "A2", start="202701161000"),
        message("S15", "M3", "A2", start="202701161000"),  # cancelled
        message("S12", "M4", "A3", start="202701171000"),
        message("S13", "M5", "A3", start="202701181100"),  # rescheduled
        message("S12", "M4", "A3", start="202701171000"),  # delivered twice: counts once
        message("S14", "M6", "A9"),  # update for an id never booked
        message(
            "S12", "M7", "A4", start="202701191000", kind="pierwsza", category="pilny", key=KEY44
        ),
        message("S12", "M8", "A5", start="202701201000", pesel="44051401358"),  # bad checksum
    ]
    path = tmp_path / "dump.hl7"
    path.write_bytes("".join(f"\x0b{m}\x1c\r" for m in msgs).encode("utf-8"))
    (tmp_path / "m.toml").write_text(MAPPING)
    return path


def test_dump_through_the_run(dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(dump), "--mapping", str(tmp_path / "m.toml"),
                                      "--mus", "000000927722-001", "--as-of", "2026-12-01",
                                      "--out", str(out)])  # fmt: skip
    assert result.exit_code == 1, result.output
    s = json.loads((out / "summary.json").read_text())
    assert s["hl7"]["messages"] == 9 and s["hl7"]["duplicate_messages"] == 1
    assert s["hl7"]["not_loaded_by_reason"] == {"cancelled": 1, "update-without-booking": 1}
    assert (s["input_rows"], s["accepted"], s["rejected"]) == (4, 3, 1)
    assert s["rejections_by_rule"] == {"pesel-checksum": 1}
    f = s["files"][0]["balance"]
    assert f["total_records"] == f["skipped_rows"] + f["data_rows"] and f["holds"]
    nl = list(csv.DictReader((out / "not_loaded.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert {(r["appointment_id"], r["reason"], r["control_id"]) for r in nl} == {
        ("A2", "cancelled", "M3"), ("A9", "update-without-booking", "M6"),
    }  # fmt: skip
    xml = next((out / "payload").glob("*.xml")).read_text()
    assert (
        "2027-01-18T11:00:00+01:00" in xml and "2027-01-17T10:00" not in xml
    )  # the reschedule won
    assert "<kategoriaMedyczna>PILNY</kategoriaMedyczna>" in xml and KEY44 in xml
    rej = list(csv.DictReader((out / "rejected.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rej[0]["source_ref"].startswith("MSH-10 M8") and rej[0]["source_row"] == "9"
    assert "wizyty niezaładowane: 2 (cancelled 1, update-without-booking 1)" in result.output
    # messages that load nothing: S12+S15 of A2, the folded S13 of A3, the repeat, the orphan S14
    assert "+ pominięte 5" in result.output


def test_fixtures_are_there() -> None:
    assert len(FIXTURE_NAMES) >= 12, f"HL7 fixtures missing in {HL7_FIXTURES}"


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_fixtures_run_through_validate(fixture: str, tmp_path: Path) -> None:
    """Every message of every fixture is loaded (accepted or rejected) or listed, never lost."""
    result = CliRunner().invoke(cli, ["validate", str(HL7_FIXTURES / fixture), "--mus", "000000927722-001",
                                      "--as-of", "2027-01-01", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["input_rows"] == s["accepted"] + s["rejected"] and s["balance_holds"]
    h = s["hl7"]
    assert h["loaded_appointments"] == s["input_rows"]
    assert h["messages"] == s["balance"]["physical_records"]
    assert h["loaded_appointments"] + h["not_loaded"] <= h["appointments"] + h["messages"]


def test_rejected_hl7_rows_say_which_field_fed_each_value(dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    CliRunner().invoke(cli, ["validate", str(dump), "--mapping", str(tmp_path / "m.toml"),
                             "--mus", "000000927722-001", "--as-of", "2026-12-01", "--out", str(out)])  # fmt: skip
    rows = list(csv.DictReader((out / "rejected.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert (
        rows
        and "start=TQ1-7" in rows[0]["hl7_sources"]
        and "patient_pesel=PID-3" in rows[0]["hl7_sources"]
    )


def test_updates_book_option_for_dumps_that_start_mid_stream(tmp_path: Path) -> None:
    msgs = [message("S14", "U1", "X1"), message("S13", "U2", "X2", start="202701201000"),
            message("S15", "U3", "X3")]  # fmt: skip
    path = tmp_path / "mid.hl7"
    path.write_bytes("".join(msgs).encode("utf-8"))
    outcomes = {}
    for flag in ("false", "true"):
        (tmp_path / f"m_{flag}.toml").write_text(MAPPING + f"[source]\nhl7_updates_book = {flag}\n")
        out = tmp_path / f"out_{flag}"
        CliRunner().invoke(cli, ["validate", str(path), "--mapping", str(tmp_path / f"m_{flag}.toml"),
                                 "--mus", "000000927722-001", "--as-of", "2026-12-01", "--out", str(out)])  # fmt: skip
        s = json.loads((out / "summary.json").read_text())
        outcomes[flag] = (s["input_rows"], s["hl7"]["not_loaded_by_reason"])
    assert outcomes["false"] == (0, {"update-without-booking": 3})
    assert outcomes["true"] == (2, {"cancelled": 1})  # X1 and X2 upserted, X3 booked-then-cancelled
