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
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.normalize.columns import as_arrow, per_distinct, re_full, text

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
    raw = pc.utf8_trim_whitespace(as_arrow(values))
    compact = pc.replace_substring_regex(raw, r"[\s\-./()]", "")
    compact = pc.replace_substring_regex(compact, r"^00", "+")
    found = pc.extract_regex(compact, r"^(?:\+48|48)?(?P<n>[1-9]\d{8})$")  # null: no match
    national_arr = pc.struct_field(found, [0])
    simple = np.asarray(pc.is_valid(national_arr).to_numpy(zero_copy_only=False), dtype=bool)
    plus48 = pa.scalar("+48", national_arr.type)
    joined = pc.binary_join_element_wise(plus48, national_arr, pa.scalar("", national_arr.type))
    e164 = pc.if_else(pc.is_valid(national_arr), joined, pa.scalar("", national_arr.type))
    mobile = np.zeros(len(values), dtype=bool)
    numbers = simple.astype(np.int64)
    if simple.any():
        national = text(pc.filter(national_arr, pa.array(simple)), pd.RangeIndex(int(simple.sum())))
        mobile[simple] = _pl_mobile(national)
    rest = ~simple & np.asarray(pc.not_equal(raw, "").to_numpy(zero_copy_only=False), dtype=bool)
    out = pd.DataFrame(
        {"e164": text(e164, values.index), "mobile": mobile, "numbers": numbers},
        index=values.index,
    )
    if rest.any():  # everything else: phonenumbers, once per distinct value
        raw_rest = text(pc.filter(raw, pa.array(rest)), values.index[rest])
        slow = per_distinct(raw_rest, _slow)
        e = out["e164"].to_numpy(dtype=object)
        e[rest] = slow["e164"].to_numpy(dtype=object)
        out["e164"] = pd.Series(e, index=values.index, dtype="str")
        out.loc[rest, "mobile"] = slow["mobile"].to_numpy(dtype=bool)
        out.loc[rest, "numbers"] = slow["numbers"].to_numpy(dtype=np.int64)
    return out


def to_e164(values: pd.Series, default_region: str = "PL") -> pd.Series:
    """E.164 text per value; "" where the value is empty or not a usable phone number."""
    if default_region != "PL":
        raise ValueError("only the PL default region is vectorized")
    return phone_numbers(values)["e164"]


def email_ok(values: pd.Series) -> pd.Series:
    text = values.astype("str").fillna("").str.strip()
    return pd.Series(re_full(text, EMAIL_RE), index=values.index)


__all__ = ["phone_numbers", "to_e164", "email_ok", "PL_MOBILE_PREFIXES"]
