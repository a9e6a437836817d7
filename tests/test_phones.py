"""Phones to E.164 (phonenumbers is the oracle for the vectorized Polish path) and e-mails."""

from __future__ import annotations

import pandas as pd
import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.normalize.phones import email_ok, to_e164


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
