"""Free slots: reading, every slot rule, overlaps (within a schedule and with booked
appointments), coverage and gaps, the zapiszSloty payload, the balance."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.golive.catalogue import load_golive
from cer_loader.golive.run import run_slots
from cer_loader.golive.slots import check_slots, coverage
from cer_loader.settings import Settings
from cer_loader.xmlsafe import parse_bytes

AS_OF = dt.date(2026, 12, 1)
MUS = "000000927722-001"
CARDIO = "02.1100.001.02"
HEAD = "Id terminu;Harmonogram;Data;Godzina;Czas (min);Rodzaj terminu;Kod świadczenia;NPWZ lekarza"


def write(tmp_path: Path, *rows: str, name: str = "sloty.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join([HEAD, *rows]) + "\r\n").encode("cp1250"))
    return path


def row(i: int, day: str = "02.12.2026", time: str = "8:00", sched: str = "GAB-1", dur: str = "20",
        kind: str = "procedura", scope: str = CARDIO, npwz: str = "8159083") -> str:  # fmt: skip
    return ";".join([f"S{i}", sched, day, time, dur, kind, scope, npwz])


def run(tmp_path: Path, *rows: str, **kw: object):  # type: ignore[no-untyped-def]
    return run_slots([write(tmp_path, *rows)], Settings(mus_id=MUS, as_of=AS_OF),
                     out_dir=tmp_path / "out", **kw)  # type: ignore[arg-type]  # fmt: skip


def rules_of(result) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return dict(result.summary["rejections_by_rule"])


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        (row(2, day="30.11.2026"), "slot-start-past"),
        (row(2, day="31.02.2027"), "slot-start-invalid"),
        (row(2, day="28.03.2027", time="2:30"), "slot-start-nonexistent"),
        (row(2, dur="0"), "slot-duration-invalid"),
        (row(2, dur="dużo"), "slot-duration-invalid"),
        (row(2, kind="wieczorny"), "slot-type-unknown"),
        (row(2, scope="99.9999.999.99"), "slot-scope-unknown"),
        (row(2, sched=""), "slot-schedule-missing"),
    ],
)
def test_each_rule_rejects_its_row_and_only_it(tmp_path: Path, bad: str, rule: str) -> None:
    r = run(tmp_path, row(1, day="03.12.2026"), bad)
    assert rules_of(r) == {rule: 1}
    assert r.summary["accepted"] == 1 and r.summary["rejected"] == 1
    rejected = (tmp_path / "out" / "rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rejected) == 2 and rejected[1].startswith(f"{tmp_path / 'sloty.csv'};3;S2;{rule};")


def test_slot_types_are_read_in_any_spelling(tmp_path: Path) -> None:
    rows = [row(i, day=f"0{i}.12.2026", kind=k) for i, k in
            enumerate(["Procedura", "KONTYNUACJA LECZENIA", "domyślna", "D"], start=2)]  # fmt: skip
    r = run(tmp_path, *rows)
    assert r.summary["rejected"] == 0
    assert list(r.slots["n_slot_type"]) == ["PROCEDURA_ODPOWIEDNIA", "KONTYNUACJA_LECZENIA",
                                             "PROCEDURA_DOMYSLNA", "PROCEDURA_DOMYSLNA"]  # fmt: skip


def test_overlapping_slots_of_one_schedule_are_rejected_but_other_schedules_may_share_a_time(
    tmp_path: Path,
) -> None:
    r = run(tmp_path, row(1, time="8:00"), row(2, time="8:10"), row(3, time="8:10", sched="GAB-2"),
            row(4, time="8:20"))  # fmt: skip
    flagged = r.issues[r.issues["rule"] == "slot-overlap"]
    assert sorted(r.slots.loc[flagged["row"], "slot_id"]) == [
        "S2",
        "S4",
    ]  # 8:10 hits 8:00; 8:20 hits 8:10


def test_a_slot_over_an_appointment_cer_holds_is_rejected(tmp_path: Path) -> None:
    start = pd.Timestamp("2026-12-02 08:00", tz="Europe/Warsaw").tz_convert("UTC")
    booked = pd.DataFrame({"schedule_id": ["GAB-1", "GAB-2"], "start": [start, start],
                           "end": [start + pd.Timedelta(minutes=30)] * 2})  # fmt: skip
    r = run(tmp_path, row(1, time="8:20"), row(2, time="8:40"), row(3, time="8:20", sched="GAB-3"),
            booked=booked)  # fmt: skip
    assert rules_of(r) == {"slot-overlaps-appointment": 1}
    assert r.slots.loc[r.issues["row"], "slot_id"].tolist() == ["S1"]


def test_payload_holds_accepted_slots_and_is_xsd_valid(tmp_path: Path) -> None:
    r = run(tmp_path, row(1), row(2, day="30.11.2026"), row(3, time="9:00", npwz="1234567"))
    assert [p.records for p in r.payload] == [2]
    doc = parse_bytes(r.payload[0].path.read_bytes())
    ns = {"s": "urn:cer-loader:zapiszSloty:draft-1"}
    slots = doc.findall(".//s:slot", ns)
    assert [s.findtext("s:identyfikatorSlotu", namespaces=ns) for s in slots] == ["S1", "S3"]
    assert slots[0].find("s:termin", ns).get("poczatek") == "2026-12-02T08:00:00+01:00"
    assert slots[0].find("s:lekarz", ns) is not None and slots[1].find("s:lekarz", ns) is None
    assert r.summary["warnings"] == 1  # the bad NPWZ is left out with a warning
    assert oct(r.payload[0].path.stat().st_mode & 0o777) == "0o600"


def test_coverage_finds_gaps_and_a_schedule_that_stops_short(tmp_path: Path) -> None:
    days = pd.bdate_range("2026-12-02", "2027-03-05")
    rows = [row(i, day=d.strftime("%d.%m.%Y")) for i, d in enumerate(days)
            if not (dt.date(2027, 1, 4) <= d.date() <= dt.date(2027, 1, 15))]  # fmt: skip
    rows += [row(1000 + i, day=d.strftime("%d.%m.%Y"), sched="GAB-2")
             for i, d in enumerate(days) if d.date() <= dt.date(2027, 2, 10)]  # fmt: skip
    r = run(tmp_path, *rows)
    cov = {c["schedule_id"]: c for c in r.summary["coverage"]["schedules"]}
    assert cov["GAB-1"]["reaches_horizon"] and cov["GAB-1"]["gaps"] == [
        ["2027-01-02", "2027-01-17"]
    ]
    assert not cov["GAB-2"]["reaches_horizon"] and cov["GAB-2"]["last_day"] == "2027-02-10"
    assert r.summary["coverage"]["schedules_short"] == ["GAB-2"]
    assert r.summary["exit_code"] == 1 and r.summary["rejected"] == 0
    coverage_csv = (tmp_path / "out" / "coverage.csv").read_text(encoding="utf-8-sig")
    assert "GAB-2;" in coverage_csv and "2027-01-02..2027-01-17" in coverage_csv


def test_full_coverage_and_clean_slots_exit_zero(tmp_path: Path) -> None:
    days = pd.date_range("2026-12-01", "2027-03-02", freq="5D")
    r = run(tmp_path, *[row(i, day=d.strftime("%d.%m.%Y")) for i, d in enumerate(days)])
    assert r.summary["coverage"]["holds"] and r.exit_code == 0


def test_balance_counts_blank_rows(tmp_path: Path) -> None:
    r = run(tmp_path, row(1), ";;;;;;;", "", row(2, time="9:00"))
    f = r.summary["files"][0]["balance"]
    assert f["holds"] and f["header"] == 1 and f["accepted"] == 2 and f["blank"] >= 1


def test_formula_in_a_source_cell_is_neutralised_in_rejected_csv(tmp_path: Path) -> None:
    r = run(tmp_path, row(1, kind='=HYPERLINK("http://x")'))
    assert rules_of(r) == {"slot-type-unknown": 1}
    with open(tmp_path / "out" / "rejected.csv", encoding="utf-8-sig", newline="") as fh:
        cells = [c for line in csv.reader(fh, delimiter=";") for c in line]
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert not any(c.startswith("=") for c in cells)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 120), min_size=1, max_size=40), st.integers(1, 20))
def test_gaps_and_covered_days_partition_the_horizon(offsets: list[int], gap_days: int) -> None:
    golive = load_golive()
    golive = type(golive)(3, gap_days, golive.slot_types, golive.mobile_point_scopes, golive.path)
    starts = [pd.Timestamp(AS_OF + dt.timedelta(days=o)).tz_localize("Europe/Warsaw") + pd.Timedelta(hours=9)
              for o in offsets]  # fmt: skip
    s = pd.DataFrame({"schedule_id": "G", "n_start": pd.Series(starts).dt.tz_convert("UTC")})
    s["n_end"] = s["n_start"] + pd.Timedelta(minutes=20)
    cov = coverage(s, s.index, golive, AS_OF).iloc[0]
    horizon = dt.date.fromisoformat(cov["horizon"])
    slot_days = {AS_OF + dt.timedelta(days=o) for o in offsets}
    in_gap = {dt.date.fromisoformat(a) + dt.timedelta(days=k) for a, b in cov["gaps"]
              for k in range((dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days + 1)}  # fmt: skip
    assert not (in_gap & slot_days)  # a gap never holds a slot
    day = AS_OF
    run_len = 0
    while day <= horizon:  # every run of empty days longer than the limit is inside a gap
        run_len = 0 if day in slot_days else run_len + 1
        if run_len > gap_days:
            assert day in in_gap
        day += dt.timedelta(days=1)
    assert cov["reaches_horizon"] == (max(slot_days) >= horizon)


def test_check_slots_works_without_any_file() -> None:
    s = pd.DataFrame({f: [""] for f in ("slot_id", "schedule_id", "start", "start_date", "start_time",
                      "duration_minutes", "slot_type", "scope_code", "practitioner_npwz")})  # fmt: skip
    for col in ("_reader_issue", "_reader_value"):
        s[col] = ""
    s.loc[0, ["schedule_id", "start", "duration_minutes", "slot_type", "scope_code"]] = [
        "G", "2027-01-05 10:00", "15", "K", CARDIO]  # fmt: skip
    out, issues = check_slots(s, golive=load_golive(), scope_codes={CARDIO}, as_of=AS_OF)
    assert issues.empty and out.loc[0, "n_slot_type"] == "KONTYNUACJA_LECZENIA"


def test_summary_json_is_written(tmp_path: Path) -> None:
    run(tmp_path, row(1))
    doc = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert doc["operation"] == "zapiszSloty" and doc["balance_holds"]


def test_steward_workbook_marks_the_faulty_cell_and_reads_back_fixed(tmp_path: Path) -> None:
    import openpyxl

    r = run(tmp_path, row(1), row(2, kind="wieczorny", time="9:00"))
    assert rules_of(r) == {"slot-type-unknown": 1}
    book = tmp_path / "out" / "report.xlsx"
    assert oct(book.stat().st_mode & 0o777) == "0o600"
    wb = openpyxl.load_workbook(book)
    ws = wb["Do poprawy"]
    head = [c.value for c in ws[1]]
    assert head[0] == "CER: co poprawić" and "Rodzaj terminu" in head
    kind = ws.cell(2, head.index("Rodzaj terminu") + 1)
    assert kind.value == "wieczorny" and kind.fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(2, head.index("Godzina") + 1).fill.fgColor.rgb in (None, "00000000")
    kind.value = "kontynuacja"
    fixed = tmp_path / "fixed.xlsx"
    wb.save(fixed)
    again = run_slots([fixed], Settings(mus_id=MUS, as_of=AS_OF), out_dir=tmp_path / "out2")
    assert again.summary["accepted"] == 1 and again.summary["rejected"] == 0
    assert again.slots.loc[0, "n_slot_type"] == "KONTYNUACJA_LECZENIA"
