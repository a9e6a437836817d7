"""Sync monitoring's comparison: each finding, the past left out, patients by digest only."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.golive.reconcile import DIFFERENT, GONE, MISSING, compare

T0 = pd.Timestamp("2027-01-10 09:00", tz="UTC")
AS_OF = pd.Timestamp("2026-12-01", tz="UTC")


def frame(rows: list[dict[str, object]], export: bool) -> pd.DataFrame:
    base = {
        "start": T0,
        "scope_code": "02.1100.001.02",
        "patient_digest": "p1",
        "category": "PILNY",
    }
    if export:
        base |= {"active": True, "source_file": "e.csv", "source_row": 2}
    return pd.DataFrame([base | r for r in rows])


def test_each_finding() -> None:
    export = frame([{"appointment_id": "A"}, {"appointment_id": "B", "start": T0 + pd.Timedelta(hours=1)},
                    {"appointment_id": "C", "patient_digest": "p2", "category": "STABILNY"},
                    {"appointment_id": "D", "active": False}, {"appointment_id": "E"}], export=True)  # fmt: skip
    held = frame([{"appointment_id": "A"}, {"appointment_id": "B"}, {"appointment_id": "C"},
                  {"appointment_id": "D"}, {"appointment_id": "F"}], export=False)  # fmt: skip
    out = compare(export, held, AS_OF)
    got = {(r.finding, r.appointment_id, r.fields) for r in out.itertuples()}
    assert got == {(MISSING, "E", ""), (DIFFERENT, "B", "start"), (DIFFERENT, "C", "patient_digest,category"),
                   (GONE, "D", ""), (GONE, "F", "")}  # fmt: skip
    assert list(out["finding"]) == [MISSING, DIFFERENT, DIFFERENT, GONE, GONE]


def test_the_past_is_not_compared() -> None:
    old = T0 - pd.Timedelta(days=60)
    out = compare(frame([{"appointment_id": "A", "start": old}], True),
                  frame([{"appointment_id": "B", "start": old}], False), AS_OF)  # fmt: skip
    assert out.empty


@settings(max_examples=80, deadline=None)
@given(st.sets(st.integers(0, 30)), st.sets(st.integers(0, 30)))
def test_in_sync_exactly_when_both_hold_the_same_ids(a: set[int], b: set[int]) -> None:
    export = frame([{"appointment_id": f"X{i}"} for i in sorted(a)], True) if a else frame([], True).reindex(
        columns=["appointment_id", "start", "scope_code", "patient_digest", "category", "active",
                 "source_file", "source_row"])  # fmt: skip
    held = frame([{"appointment_id": f"X{i}"} for i in sorted(b)], False) if b else frame([], False).reindex(
        columns=["appointment_id", "start", "scope_code", "patient_digest", "category"])  # fmt: skip
    out = compare(export, held, AS_OF)
    assert set(out.loc[out["finding"] == MISSING, "appointment_id"]) == {f"X{i}" for i in a - b}
    assert set(out.loc[out["finding"] == GONE, "appointment_id"]) == {f"X{i}" for i in b - a}
    assert (out["finding"] == DIFFERENT).sum() == 0
