"""Phone numbers to E.164 with the number for SMS picked, and e-mail shape checks, vectorized.

The common case, one Polish number (9 national digits, optionally written with +48 / 0048 /
48 and spaces, dashes, dots or parentheses), is handled with string operations over the
whole column, and whether it is a mobile number is read from its prefix. Anything else —
foreign numbers, text around the number (``tel. kom. 600700800``), two numbers in one field
(``600700800 / 22 1234567``) — goes to the ``phonenumbers`` library once per distinct value.
Where a field holds several numbers, the first mobile one is picked (else the first one).
``phonenumbers`` is the oracle in the tests for the vectorized path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers

from cer_loader.normalize.columns import per_distinct, re_full, re_replace
from cer_loader.normalize.warsaw_time import extract

EMAIL_RE = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"

# first two national digits of Polish mobile numbers (phonenumbers' PL metadata; the tests
# compare with it); "21" is mixed and asked of phonenumbers per number
PL_MOBILE_PREFIXES = ("45", "50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88")
_SMS_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)
PHONE_COLUMNS = ("e164", "mobile", "numbers")


def _is_mobile(num: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.number_type(num) in _SMS_TYPES


def _field_numbers(value: str) -> tuple[str, bool, int]:
    """(E.164 picked, is it mobile, how many valid numbers) for one field of free text."""
    found = [
        m.number
        for m in phonenumbers.PhoneNumberMatcher(value, "PL", leniency=phonenumbers.Leniency.VALID)
    ]
    if not found:
        return "", False, 0
    mobile = [n for n in found if _is_mobile(n)]
    pick = mobile[0] if mobile else found[0]
    return (
        phonenumbers.format_number(pick, phonenumbers.PhoneNumberFormat.E164),
        bool(mobile),
        len(found),
    )


def _slow(values: pd.Series) -> pd.DataFrame:
    rows = [_field_numbers(v) for v in values.tolist()]
    return pd.DataFrame(rows, columns=list(PHONE_COLUMNS), index=values.index)


def _pl_mobile(national: pd.Series) -> np.ndarray:
    """Mobile flag for 9-digit Polish national numbers."""
    head = national.str[:2]
    mobile = np.array(head.isin(PL_MOBILE_PREFIXES), dtype=bool)
    mixed = (head == "21").to_numpy(dtype=bool)
    if mixed.any():
        ask = per_distinct(
            national[mixed],
            lambda v: v.map(lambda n: _is_mobile(phonenumbers.parse(n, "PL"))).astype(bool),
        )
        mobile[mixed] = ask.to_numpy(dtype=bool)
    return mobile


def phone_numbers(values: pd.Series) -> pd.DataFrame:
    """Per value: ``e164`` (the number for the payload, "" when none is usable), ``mobile``
    (that number can take an SMS) and ``numbers`` (how many numbers the field holds)."""
    raw = values.astype("str").fillna("").str.strip()
    compact = re_replace(raw, r"[\s\-./()]", "")
    compact = re_replace(compact, r"^00", "+")
    national = extract(compact, r"^(?:\+48|48)?(?P<n>[1-9]\d{8})$")["n"]
    simple = national.notna().to_numpy(dtype=bool)
    e164 = np.where(simple, "+48" + national.fillna(""), "").astype(object)
    mobile = np.zeros(len(raw), dtype=bool)
    numbers = simple.astype(np.int64)
    if simple.any():
        mobile[simple] = _pl_mobile(national[simple].astype("str"))
    rest = ~simple & (raw != "").to_numpy(dtype=bool)
    if rest.any():
        slow = per_distinct(raw[rest], _slow)
        e164[rest] = slow["e164"].to_numpy(dtype=object)
        mobile[rest] = slow["mobile"].to_numpy(dtype=bool)
        numbers[rest] = slow["numbers"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {"e164": pd.Series(e164, index=values.index, dtype="str"), "mobile": mobile,
         "numbers": numbers},
        index=values.index,
    )  # fmt: skip


def to_e164(values: pd.Series, default_region: str = "PL") -> pd.Series:
    """E.164 text per value; "" where the value is empty or not a usable phone number."""
    if default_region != "PL":
        raise ValueError("only the PL default region is vectorized")
    return phone_numbers(values)["e164"]


def email_ok(values: pd.Series) -> pd.Series:
    text = values.astype("str").fillna("").str.strip()
    return pd.Series(re_full(text, EMAIL_RE), index=values.index)


__all__ = ["phone_numbers", "to_e164", "email_ok", "PL_MOBILE_PREFIXES"]
