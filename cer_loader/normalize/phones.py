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


# what the regex ``[\s\-./()]`` deletes (RE2's ``\s`` is ``[\t\n\f\r ]``: ASCII only)
_SEPARATORS = np.zeros(256, dtype=bool)
_SEPARATORS[[0x09, 0x0A, 0x0C, 0x0D, 0x20, 0x28, 0x29, 0x2D, 0x2E, 0x2F]] = True
_NINE = np.arange(9)


def _plain_polish(raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    r"""Which values are one plain Polish number, and its 9 national digits (one row of bytes
    per such value): what ``^(?:\+48|48)?([1-9]\d{8})$`` finds after the separators
    ``[\s\-./()]`` are deleted and a leading ``00`` becomes ``+`` — done by numpy on the
    Arrow buffers (the separators are ASCII, so deleting their bytes keeps UTF-8 intact)."""
    n = len(raw)
    offsets = np.frombuffer(raw.buffers()[1], dtype=np.int64 if pa.types.is_large_string(
        raw.type) else np.int32)[raw.offset : raw.offset + n + 1].astype(np.int64)  # fmt: skip
    data = raw.buffers()[2]
    if data is None or n == 0:
        body = np.zeros(0, dtype=np.uint8)
    else:
        body = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
    keep = ~_SEPARATORS[body]
    kept = np.zeros(len(body) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept[1:])
    bounds = kept[offsets - offsets[0]]  # the values' bounds in the compacted bytes
    compact = np.concatenate([body[keep], np.zeros(16, dtype=np.uint8)])  # room to peek
    start, length = bounds[:-1], np.diff(bounds)

    def at(i: int) -> np.ndarray:
        return compact[np.minimum(start + i, len(compact) - 1)]

    c0, c1, c2, c3 = at(0), at(1), at(2), at(3)
    shaped = (
        (length == 9)
        | ((length == 11) & (c0 == ord("4")) & (c1 == ord("8")))
        | ((length == 12) & (c0 == ord("+")) & (c1 == ord("4")) & (c2 == ord("8")))
        | ((length == 13) & (c0 == ord("0")) & (c1 == ord("0")) & (c2 == ord("4"))
           & (c3 == ord("8")))
    )  # fmt: skip
    where = np.flatnonzero(shaped)
    digits = compact[(start[where] + length[where] - 9)[:, None] + _NINE]
    ok = ((digits >= ord("0")) & (digits <= ord("9"))).all(axis=1) & (digits[:, 0] != ord("0"))
    simple = np.zeros(n, dtype=bool)
    simple[where[ok]] = True
    return simple, digits[ok]


def _texts(rows: np.ndarray, valid: np.ndarray, like: pa.DataType) -> pa.Array:
    """Fixed-width byte rows as text where ``valid``, "" elsewhere (Arrow type ``like``)."""
    width = rows.shape[1] if rows.ndim == 2 else 0
    offsets = np.zeros(len(valid) + 1, dtype=np.int64)
    np.cumsum(valid * width, out=offsets[1:])
    arr = pa.StringArray.from_buffers(
        len(valid), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(rows.tobytes())
    )
    return arr if like == pa.string() else arr.cast(like)


def phone_numbers(values: pd.Series) -> pd.DataFrame:
    """Per value: ``e164`` (the number for the payload, "" when none is usable), ``mobile``
    (that number can take an SMS) and ``numbers`` (how many numbers the field holds)."""
    raw = pc.utf8_trim_whitespace(as_arrow(values))
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    simple, national_digits = _plain_polish(raw)
    plus48 = np.frombuffer(b"+48", dtype=np.uint8)
    e164_rows = np.concatenate(
        [np.broadcast_to(plus48, (len(national_digits), 3)), national_digits], axis=1
    )
    e164 = _texts(e164_rows, simple, raw.type)
    mobile = np.zeros(len(values), dtype=bool)
    numbers = simple.astype(np.int64)
    if simple.any():
        national_arr = _texts(national_digits, np.ones(len(national_digits), dtype=bool), raw.type)
        national = text(national_arr, pd.RangeIndex(int(simple.sum())))
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
