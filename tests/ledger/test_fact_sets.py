"""Facts written in several blobs (fact_sets, at most SET_ROWS rows each) read back as the one
set they were written as: the same rows, in order, the last of a repeated key winning."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cer_loader.ledger import facts, open_ledger

MUS = "000000927722-001"


def written(tmp_path: Path, name: str) -> tuple[int, list[dict[str, object]]]:
    start = pd.Timestamp("2026-12-02 09:00", tz="Europe/Warsaw").tz_convert("UTC")
    frame = pd.DataFrame({
        "key": ["k1", "k2", "k3", "k2", "k4"], "local_id": ["A1", "A2", "A3", "A2b", "A4"],
        "schedule_id": ["G1", "", "G2", "G1", None], "scope_code": "02.1100.001.02",
        "start": [start + pd.Timedelta(minutes=20 * i) for i in range(5)],
        "end": [start + pd.Timedelta(minutes=20 * i + 15) for i in range(5)],
    })  # fmt: skip
    led = open_ledger(tmp_path / name, MUS)
    assert led is not None
    with led:
        facts.write_facts(led, "zasilInicjalnie", frame)
        sets = led._conn.execute("SELECT COUNT(*) FROM fact_sets").fetchone()[0]
        return sets, facts.facts_of(led, "zasilInicjalnie").to_pylist()


def test_sets_of_two_rows_read_as_one_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_set = written(tmp_path, "one.sqlite")
    monkeypatch.setattr(facts, "SET_ROWS", 2)
    three_sets = written(tmp_path, "three.sqlite")
    assert (one_set[0], three_sets[0]) == (1, 3)
    assert three_sets[1] == one_set[1]
    assert [r["local_id"] for r in one_set[1]] == ["A1", "A3", "A2b", "A4"]
