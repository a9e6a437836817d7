"""Dates, times and Europe/Warsaw: DST gap and fold, impossible dates, offsets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.normalize.warsaw_time import parse_dates, parse_start, parse_times

WARSAW = ZoneInfo("Europe/Warsaw")


def start(*values: str) -> pd.DataFrame:
    return parse_start(pd.Series(list(values)), None, None)


@pytest.mark.parametrize(
    "text,status",
    [
        ("28.03.2027 02:30", "nonexistent"),  # spring gap 2027
        ("29.03.2026 02:00", "nonexistent"),  # spring gap 2026
        ("31.02.2027 10:00", "invalid-date"),
        ("2027-13-01 10:00", "invalid-date"),
        ("12.01.2027 25:00", "unparseable"),
        ("jutro rano", "unparseable"),
        ("", "missing"),
        ("12.01.2027 09:30", "ok"),
        ("2027-01-12T10:00:00+02:00", "offset-mismatch"),  # winter is +01:00
        ("2027-07-12T10:00:00+02:00", "ok"),
    ],
)
def test_start_status(text: str, status: str) -> None:
    assert start(text)["status"].iloc[0] == status


def test_fold_takes_standard_time_and_flags_it() -> None:
    got = start("31.10.2027 02:30", "31.10.2027 02:30+02:00")
    assert got["ambiguous"].tolist() == [True, False]
    assert got["instant"].iloc[0] == pd.Timestamp("2027-10-31 01:30", tz="UTC")  # +01:00
    assert got["instant"].iloc[1] == pd.Timestamp("2027-10-31 00:30", tz="UTC")  # +02:00 given


def test_start_from_date_and_time_columns() -> None:
    got = parse_start(
        None,
        pd.Series(["12.1.2027", "2027-01-12", "31.02.2027", "28.03.2027"]),
        pd.Series(["9:30", "09:30:15", "10:00", "2:15"]),
    )
    assert got["status"].tolist() == ["ok", "ok", "invalid-date", "nonexistent"]
    assert got["instant"].iloc[0] == pd.Timestamp("2027-01-12 08:30", tz="UTC")


def test_dates_and_times() -> None:
    d, s = parse_dates(
        pd.Series(["1.2.1980", "1980-02-01", "1980-02-01 00:00:00", "30.02.1980", "x", ""])
    )
    assert s.tolist() == ["ok", "ok", "ok", "invalid-date", "unparseable", "missing"]
    assert d.iloc[0] == pd.Timestamp("1980-02-01")
    _, ts = parse_times(pd.Series(["7:05", "07:05:59", "24:00", "7.05", ""]))
    assert ts.tolist() == ["ok", "ok", "unparseable", "unparseable", "missing"]


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2030, 12, 31)))
def test_start_agrees_with_zoneinfo(wall: dt.datetime) -> None:
    """Oracle: zoneinfo. Gap times are rejected; fold times read as standard time (fold=1)."""
    wall = wall.replace(microsecond=0)
    text = wall.strftime("%d.%m.%Y %H:%M:%S")
    got = start(text).iloc[0]
    aware = wall.replace(tzinfo=WARSAW, fold=1)
    round_trip = aware.astimezone(dt.UTC).astimezone(WARSAW).replace(tzinfo=None)
    if round_trip != wall:
        assert got["status"] == "nonexistent"
        return
    assert got["status"] == "ok"
    assert got["instant"].to_pydatetime() == aware.astimezone(dt.UTC)
    is_fold = wall.replace(tzinfo=WARSAW, fold=0).utcoffset() != aware.utcoffset()
    assert bool(got["ambiguous"]) == is_fold


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), st.booleans())
def test_dates_round_trip_in_both_styles(day: dt.date, dotted: bool) -> None:
    text = f"{day.day}.{day.month}.{day.year}" if dotted else day.isoformat()
    d, s = parse_dates(pd.Series([text]))
    assert s.iloc[0] == "ok" and d.iloc[0].date() == day
