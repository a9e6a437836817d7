"""Dates as systems write them (compact, dashes, slashes), a date-and-time in the date column,
and parsing once per distinct value giving the same answer as parsing every value."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.normalize.warsaw_time import parse_dates, parse_start

STYLES = ["{d:02d}.{m:02d}.{y}", "{d}.{m}.{y}", "{y}-{m:02d}-{d:02d}", "{y}{m:02d}{d:02d}",
          "{d:02d}-{m:02d}-{y}", "{d:02d}/{m:02d}/{y}", "{d}/{m}/{y}", "{y}-{m:02d}-{d:02d}T00:00:00Z"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(STYLES))  # fmt: skip
def test_every_style_round_trips(day: dt.date, style: str) -> None:
    text = style.format(d=day.day, m=day.month, y=day.year)
    dates, status = parse_dates(pd.Series([text, "", text]))
    assert status.tolist() == ["ok", "missing", "ok"]
    assert dates.iloc[0].date() == day and dates.iloc[2].date() == day


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["12.01.2027", "20270112", "31.02.2027", "", "x", "1/2/2027",
                                 "2027-1-2", "13/13/2027"]), min_size=1, max_size=12))  # fmt: skip
def test_distinct_parsing_equals_parsing_each(values: list[str]) -> None:
    together, status = parse_dates(pd.Series(values))
    for i, v in enumerate(values):
        one, one_status = parse_dates(pd.Series([v]))
        assert status.iloc[i] == one_status.iloc[0]
        assert (pd.isna(together.iloc[i]) and pd.isna(one.iloc[0])) or together.iloc[i] == one.iloc[
            0
        ]


@pytest.mark.parametrize("text", ["12.13.2027", "20271301", "31/02/2027", "2027/01/12"])
def test_impossible_or_unknown_shapes_are_not_ok(text: str) -> None:
    _, status = parse_dates(pd.Series([text]))
    assert status.iloc[0] in {"invalid-date", "unparseable"}


def test_a_date_and_time_in_the_date_column_is_read_as_both() -> None:
    got = parse_start(
        pd.Series(["", "", "", ""]),
        pd.Series(["10.03.2027 09:00", "10.03.2027", "10.03.2027 00:00", "10.03.2027 09:00"]),
        pd.Series(["", "11:15", "", "11:15"]),
    )
    assert got["status"].tolist() == ["ok", "ok", "missing", "unparseable"]
    warsaw = got["instant"].dt.tz_convert("Europe/Warsaw")
    assert warsaw.iloc[0].strftime("%d.%m.%Y %H:%M") == "10.03.2027 09:00"
    assert warsaw.iloc[1].strftime("%d.%m.%Y %H:%M") == "10.03.2027 11:15"


def test_start_parsed_per_distinct_equals_each_row() -> None:
    dates = ["12.01.2027", "12.01.2027", "28.03.2027", "12.01.2027", "31.10.2027"] * 3
    times = ["9:30", "9:30", "2:30", "10:00", "2:30"] * 3
    blank = pd.Series([""] * len(dates))
    together = parse_start(blank, pd.Series(dates), pd.Series(times))
    for i in range(len(dates)):
        one = parse_start(pd.Series([""]), pd.Series([dates[i]]), pd.Series([times[i]]))
        assert together["status"].iloc[i] == one["status"].iloc[0]
        assert bool(together["ambiguous"].iloc[i]) == bool(one["ambiguous"].iloc[0])
        a, b = together["instant"].iloc[i], one["instant"].iloc[0]
        assert (pd.isna(a) and pd.isna(b)) or a == b
