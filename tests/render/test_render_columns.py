"""Payload values computed on whole Arrow columns (no pandas) against per-record Python:
Europe/Warsaw wall time and offset (zoneinfo), ISO dates before and after 1970, document roots."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cer_loader.render.columns import RENDER_COLUMNS, payload_table

WARSAW = ZoneInfo("Europe/Warsaw")
MUS = "000000927722-001"
PESEL_OID = "2.16.840.1.113883.3.4424.1.1.616"
ROOTS = {"passport": "2.16.840.1.113883.4.330.{country}", "other": "1.2.3"}
TYPES = {
    "n_start": pa.timestamp("us", tz="UTC"), "n_duration": pa.int64(),
    "n_request": pa.timestamp("us"), "n_birth": pa.timestamp("us"), "n_npwz_ok": pa.bool_(),
    "n_pesel_present": pa.bool_(), "n_email_ok": pa.bool_(),
}  # fmt: skip
ONE = {
    "n_start": dt.datetime(2027, 1, 12, 8, 30, tzinfo=dt.UTC), "n_duration": 20,
    "n_request": dt.datetime(2026, 11, 15), "n_birth": dt.datetime(1970, 5, 14),
    "n_npwz_ok": True, "n_pesel_present": True, "n_email_ok": True, "n_visit_kind": "",
    "n_category": "stabilny", "n_doc_type": "", "n_doc_country": "",
}  # fmt: skip


def table(n: int, **columns: list[Any]) -> pa.Table:
    """``n`` records: the given columns, every other one as in ONE (or its own name as text)."""
    data = {c: columns.get(c, [ONE.get(c, c)] * n) for c in RENDER_COLUMNS}
    return pa.table({c: pa.array(v, TYPES.get(c, pa.large_string())) for c, v in data.items()})


def values(t: pa.Table, name: str) -> list[Any]:
    return payload_table(t, MUS, PESEL_OID, ROOTS).column(name).to_pylist()


def wall_with_offset(utc: dt.datetime) -> str:
    local = utc.astimezone(WARSAW)
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%dT%H:%M:%S") + offset[:3] + ":" + offset[3:]


INSTANTS = st.datetimes(min_value=dt.datetime(1980, 1, 1), max_value=dt.datetime(2099, 12, 31))


@settings(deadline=None)  # the first example builds the zone's offset tables
@given(st.lists(INSTANTS, max_size=40))
def test_start_is_warsaw_wall_time_with_its_offset(naive: list[dt.datetime]) -> None:
    utc = [d.replace(tzinfo=dt.UTC) for d in naive]  # microseconds too: they are cut off
    assert values(table(len(utc), n_start=utc), "start") == [wall_with_offset(u) for u in utc]


def test_both_sides_of_the_clock_changes() -> None:
    utc = [dt.datetime(2027, 3, 28, 0, 59, 59, tzinfo=dt.UTC), dt.datetime(2027, 3, 28, 1, tzinfo=dt.UTC),
           dt.datetime(2027, 10, 31, 0, 59, tzinfo=dt.UTC), dt.datetime(2027, 10, 31, 1, tzinfo=dt.UTC)]  # fmt: skip
    assert values(table(4, n_start=utc), "start") == [
        "2027-03-28T01:59:59+01:00", "2027-03-28T03:00:00+02:00",
        "2027-10-31T02:59:00+02:00", "2027-10-31T02:00:00+01:00",
    ]  # fmt: skip


@settings(deadline=None)
@given(st.lists(st.none() | st.datetimes(min_value=dt.datetime(1900, 1, 1)), max_size=40))
@example([dt.datetime(1969, 1, 1, 23, 59, 59, 1)])  # truncated towards 1970 it was the next day
def test_dates_are_iso_days_and_empty_when_missing(days: list[dt.datetime | None]) -> None:
    got = values(table(len(days), n_birth=days, n_request=days), "birth_date")
    assert got == ["" if d is None else d.date().isoformat() for d in days]


def test_identifier_roots_durations_flags_and_visit_kinds() -> None:
    t = table(
        4,
        n_pesel_present=[True, False, False, False],
        n_doc_type=["", "passport", "passport", "other"],
        n_doc_country=["", "DE", None, "UA"],
        n_duration=[20, None, 5, 1440],
        n_email_ok=[True, False, True, False],
        n_visit_kind=["", "first", "continuation", "other"],
    )
    assert values(t, "id_root") == [PESEL_OID, "2.16.840.1.113883.4.330.DE", None, "1.2.3"]
    assert values(t, "id_ext") == ["patient_pesel"] + ["patient_document_number"] * 3
    assert values(t, "duration") == ["20", "", "5", "1440"]
    assert values(t, "email") == ["patient_email", "", "patient_email", ""]
    assert values(t, "visit_kind") == ["PIERWSZORAZOWA", "PIERWSZORAZOWA", "KONTYNUACJA", None]
    assert values(t, "category") == ["STABILNY"] * 4
