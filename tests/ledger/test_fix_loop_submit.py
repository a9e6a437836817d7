"""The steward loop with submission: what CeR accepted is never rendered or sent again."""

from __future__ import annotations

from pathlib import Path

from test_fix_loop import FIXES, SAMPLE_ARGS, SAMPLE_CSV, fix_workbook, invoke, payload_ids

from cer_loader import emulator
from cer_loader.ledger import open_ledger


def test_round_trip_with_submit_sends_each_appointment_once(
    tmp_path: Path, _own_ledgers: Path
) -> None:
    first, second, third, again = (tmp_path / n for n in ("first", "second", "third", "again"))
    code, out, s1 = invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(first), "--submit")
    assert s1["submission"]["accepted_by_cer"] == 27, out
    book = tmp_path / "poprawiony.xlsx"
    book.write_bytes((first / "report.xlsx").read_bytes())
    fix_workbook(book, FIXES)
    code, out, s2 = invoke("run", str(book), "--out", str(second), "--submit")
    assert sorted(payload_ids(second)) == sorted(FIXES) and s2["submission"]["accepted_by_cer"] == 3
    # the same workbook again, and the original export again: CeR holds them all
    code, out, s3 = invoke("run", str(book), "--out", str(third), "--submit")
    assert (
        s3["already_loaded"] == 3
        and payload_ids(third) == []
        and s3["submission"]["submitted"] == 0
    )
    code, out, s4 = invoke("run", str(SAMPLE_CSV), *SAMPLE_ARGS, "--out", str(again), "--submit")
    # the 3 rows fixed in the workbook are still wrong in the export, but CeR holds them: they
    # count as already loaded and do not come back for fixing
    assert s4["already_loaded"] == 30 and s4["rejected"] == 9 and payload_ids(again) == []
    import openpyxl

    from cer_loader.ingest.steward import FIX_SHEET

    ws = openpyxl.load_workbook(again / "report.xlsx")[FIX_SHEET]
    head = [c.value for c in ws[1]]
    back = {r[head.index("Nr wizyty")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert len(back) == 9 and not back & set(FIXES)
    store = _own_ledgers / "emulator-000000927722-001.sqlite"
    keys = [k for k, _, _ in emulator.list_records(store)]
    assert len(keys) == len(set(keys)) == 30
    ledger = open_ledger(_own_ledgers / "ledger-000000927722-001.sqlite", "000000927722-001")
    assert ledger is not None
    with ledger:
        assert ledger.record_counts()["ACCEPTED"] == 30
