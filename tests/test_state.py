"""The run state: per MUŚ, which appointment ids went into which batch; 0600; one transaction."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pandas as pd
import pytest

from cer_loader.errors import ReportError
from cer_loader.ledger import Batch, new_run_id, open_state, visit_digests


def test_create_record_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "state.sqlite"
    state = open_state(path)
    assert state is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    with state:
        added = state.record_run(
            "r1", "M1", ["a.csv"], [Batch("/p/1.xml", "ab", ["A1", "A2"], ["d1", None])]
        )
        assert added == 2
        assert state.loaded_ids("M1") == {"A1", "A2"} and state.loaded_ids("M2") == set()
        assert state.loaded_visits("M1") == {"d1"}
        assert state.batch_files() == {"/p/1.xml"}
        assert state.entry("M1", "A1") == {
            **state.entry("M1", "A1"),
            "run_id": "r1",
            "batch_sha256": "ab",
        }
        # the same id again (a resubmit) is ignored, not duplicated
        assert state.record_run("r2", "M1", ["b.csv"], [Batch("/p/2.xml", "cd", ["A2", "A3"])]) == 1
        assert [r[0] for r in state.runs()] == ["r1", "r2"]
        assert state.entry("M1", "A2")["run_id"] == "r1"


def test_absent_state_not_created_when_asked_not_to(tmp_path: Path) -> None:
    assert open_state(tmp_path / "none.sqlite", create=False) is None
    assert not (tmp_path / "none.sqlite").exists()


def test_a_failed_run_records_nothing(tmp_path: Path) -> None:
    with open_state(tmp_path / "s.sqlite") as state:  # type: ignore[union-attr]
        state.record_run("r1", "M1", [], [Batch("/p/1.xml", "ab", ["A1"])])
        with pytest.raises(ReportError):
            state.record_run("r1", "M1", [], [Batch("/p/2.xml", "cd", ["A9"])])  # run id reused
        assert state.loaded_ids("M1") == {"A1"}


def test_sql_is_parameterised(tmp_path: Path) -> None:
    evil = "x'); DROP TABLE accepted; --"
    with open_state(tmp_path / "s.sqlite") as state:  # type: ignore[union-attr]
        state.record_run(new_run_id(), evil, [evil], [Batch(evil, evil, [evil])])
        assert state.loaded_ids(evil) == {evil}


def test_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ReportError):
        open_state(path)


def test_visit_digest_is_stable_and_needs_every_part() -> None:
    start = pd.to_datetime(["2027-01-12 09:30", "2027-01-12 09:30", None]).tz_localize(
        "Europe/Warsaw"
    )
    f = pd.DataFrame({
        "patient_pesel": ["70051412345", "70051412345", "70051412345"], "n_pesel_present": [True] * 3,
        "n_doc_type": [""] * 3, "n_doc_country": [""] * 3, "patient_document_number": [""] * 3,
        "scope_code": ["S", "S", "S"], "n_start": start,
    })  # fmt: skip
    d = visit_digests(f, "M")
    assert d[0] == d[1] and len(d[0]) == 64 and d[2] is None
    assert "70051412345" not in d[0]
    assert visit_digests(f, "OTHER")[0] != d[0]
    assert sqlite3.sqlite_version
