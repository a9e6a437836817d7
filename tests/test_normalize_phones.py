"""Phones to E.164 (phonenumbers is the oracle for the vectorized Polish path) and e-mails."""

from __future__ import annotations

import re

import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.normalize.phones import (
    _field_numbers,
    _plain_polish,
    email_ok,
    phone_numbers,
    to_e164,
)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda s: s[0] != "0"),
    st.sampled_from(["{n}", "+48{n}", "+48 {a} {b} {c}", "0048{n}", "{a}-{b}-{c}", "({a}) {b}{c}"]),
)
def test_polish_numbers_match_phonenumbers(national: str, style: str) -> None:
    text = style.format(n=national, a=national[:3], b=national[3:6], c=national[6:])
    got = to_e164(pd.Series([text])).iloc[0]
    expected = phonenumbers.format_number(
        phonenumbers.parse(text, "PL"), phonenumbers.PhoneNumberFormat.E164
    )
    assert got == expected


def test_foreign_and_invalid() -> None:
    got = to_e164(
        pd.Series(["+44 20 7946 0958", "12-34", "", "0601234567", "abc", "0044 20 7946 0958"])
    )
    assert got.tolist() == ["+442079460958", "", "", "", "", "+442079460958"]


def test_email_shapes() -> None:
    got = email_ok(pd.Series(["jan.kowalski@example.pl", "jan@", "a b@c.pl", "x@y", ""]))
    assert got.tolist() == [True, False, False, False, False]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda s: s[0] != "0"))
def test_mobile_flag_matches_phonenumbers(national: str) -> None:
    got = phone_numbers(pd.Series([national]))
    number = phonenumbers.parse(national, "PL")
    expected = phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    )  # fmt: skip
    assert bool(got["mobile"].iloc[0]) == expected


@pytest.mark.parametrize(
    "text,e164,mobile,numbers",
    [
        ("600-700-800", "+48600700800", True, 1),
        ("(22) 123 45 67", "+48221234567", False, 1),
        ("0048 600 700 800", "+48600700800", True, 1),
        ("tel. kom. 600700800", "+48600700800", True, 1),
        ("600700800 / 22 1234567", "+48600700800", True, 2),
        ("22 1234567 / 600700800", "+48600700800", True, 2),
        ("600700800, 601601601", "+48600700800", True, 2),
        ("22 628 41 00, 22 1234567", "+48226284100", False, 2),
        ("kom. 600 700 800 dom 22 628 41 00", "+48600700800", True, 2),
        ("brak", "", False, 0),
        ("", "", False, 0),
    ],
)
def test_fields_as_systems_hold_them(text: str, e164: str, mobile: bool, numbers: int) -> None:
    got = phone_numbers(pd.Series([text, text]))
    assert got["e164"].tolist() == [e164, e164]
    assert got["mobile"].tolist() == [mobile, mobile]
    assert got["numbers"].tolist() == [numbers, numbers]


# numbers as people write them: a prefix, 8 to 10 digits, separators between them
_NUMBERS = st.builds(
    lambda prefix, digits, seps: (
        prefix + "".join(d + s for d, s in zip(digits, seps, strict=False))
    ),
    st.sampled_from(["", "+48", "48", "0048", "00", "+", "0", " +48 ", "(48)", "+49"]),
    st.text(alphabet="0123456789", min_size=8, max_size=10),
    st.lists(
        st.sampled_from(["", "", "", " ", "-", ".", "/", "\t", "\u00a0"]), min_size=10, max_size=10
    ),
)


def _regex_plain_polish(text: str) -> str:
    """The plain-Polish rule as the regexes wrote it before the numpy path (the oracle)."""
    compact = re.sub(r"[\t\n\f\r \-./()]", "", text.strip())
    compact = re.sub(r"^00", "+", compact)
    found = re.fullmatch(r"(?:\+48|48)?([1-9][0-9]{8})", compact)
    return "+48" + found.group(1) if found else ""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(alphabet="0123456789+48 -./()\t\u00a0ąx", max_size=16), _NUMBERS),
        max_size=30,
    )
)
def test_plain_polish_path_is_the_regex_rule(texts: list[str]) -> None:
    got = phone_numbers(pd.Series(texts, dtype="str"))
    plain = [_regex_plain_polish(t) for t in texts]
    simple, digits = _plain_polish(pc.utf8_trim_whitespace(pa.array(texts, pa.string())))
    assert simple.tolist() == [bool(w) for w in plain]
    assert ["+48" + bytes(row).decode() for row in digits] == [w for w in plain if w]
    for value, e164, numbers, want in zip(texts, got["e164"], got["numbers"], plain, strict=True):
        if want:  # a plain number: taken by the numpy path, one number
            assert (e164, numbers) == (want, 1), value
        elif value.strip():  # anything else: phonenumbers' answer for the field
            e164_slow, _, count = _field_numbers(value.strip())
            assert (e164, numbers) == (e164_slow, count), value
        else:
            assert (e164, numbers) == ("", 0), value
