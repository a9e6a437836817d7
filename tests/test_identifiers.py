"""PESEL and NPWZ: the vectorized checks against python-stdnum and the NIL rule."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError
from stdnum.pl import pesel as std_pesel

from cer_loader.normalize.checksums import npwz_ok, pad_pesel, pesel_checks


def _stdnum(value: str) -> tuple[bool, dt.date | None, str]:
    try:
        std_pesel.validate(value)
    except ValidationError:
        return False, None, ""
    return True, std_pesel.get_birth_date(value), std_pesel.get_gender(value)


def _valid_pesel(draw_date: dt.date, serial: int) -> str:
    y, m, d = draw_date.year, draw_date.month, draw_date.day
    offset = {18: 80, 19: 0, 20: 20, 21: 40, 22: 60}[y // 100]
    base = f"{y % 100:02d}{m + offset:02d}{d:02d}{serial:04d}"
    return base + std_pesel.calc_check_digit(base)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=11, max_size=11), min_size=1, max_size=50))
def test_pesel_matches_stdnum_on_random_digits(values: list[str]) -> None:
    got = pesel_checks(pd.Series(values))
    for i, v in enumerate(values):
        valid, birth, sex = _stdnum(v)
        assert bool(got["checksum_ok"].iloc[i] and got["date_ok"].iloc[i]) == valid, v
        if valid:
            assert got["birth_date"].iloc[i].date() == birth
            assert got["sex"].iloc[i] == sex


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2299, 12, 31)),
            st.integers(0, 9999),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_generated_valid_pesels_pass_with_their_birth_date(
    items: list[tuple[dt.date, int]],
) -> None:
    values = [_valid_pesel(d, s) for d, s in items]
    got = pesel_checks(pd.Series(values))
    assert got["checksum_ok"].all() and got["date_ok"].all()
    assert [t.date() for t in got["birth_date"]] == [d for d, _ in items]


def test_pesel_reference_values() -> None:
    got = pesel_checks(pd.Series(["44051401359", "02211307589", "02381307589", "4405-1401359", ""]))
    assert got["checksum_ok"].tolist()[:2] == [True, True]
    assert got["date_ok"].tolist() == [True, True, False, False, False]
    assert got["shape_ok"].tolist() == [True, True, True, False, False]
    assert got["sex"].tolist()[:2] == ["M", "F"]


def test_pesel_as_number_is_left_padded() -> None:
    assert pad_pesel(pd.Series(["2211307589", "2211307589.0", "44051401359", "10112345", ""])).tolist() == [
        "02211307589", "02211307589", "44051401359", "00010112345", "",
    ]  # fmt: skip


def _npwz_reference(v: str) -> bool:
    """NIL: KABCDEF, K = (1A+2B+3C+4D+5E+6F) mod 11, first digit not 0."""
    if len(v) != 7 or not v.isdigit() or v[0] == "0":
        return False
    return sum((i + 1) * int(c) for i, c in enumerate(v[1:])) % 11 == int(v[0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=6, max_size=8), min_size=1, max_size=50))
def test_npwz_matches_reference(values: list[str]) -> None:
    assert npwz_ok(pd.Series(values)).tolist() == [_npwz_reference(v) for v in values]


def test_npwz_known_values() -> None:
    got = npwz_ok(pd.Series(["5425740", "4727124", "7540444", "7391208", "1044400", "0425740"]))
    assert got.tolist() == [True, True, True, False, False, False]
