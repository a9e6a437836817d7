"""Vectorized checks of Polish identifiers (PESEL, NPWZ) over whole pandas columns.

Each function takes a Series of ``str`` and returns Series/arrays aligned to it; nothing here
loops over rows in Python. python-stdnum (``stdnum.pl.pesel``) is the oracle in the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.normalize.columns import as_arrow, per_distinct, re_full, re_replace

# what pandas makes of a date assembled from year, month and day (the dtype the checks and the
# payload have always seen)
BIRTH_DTYPE = pd.to_datetime(pd.DataFrame({"year": [2000], "month": [1], "day": [1]})).dtype
PESEL_WEIGHTS = np.array([1, 3, 7, 9, 1, 3, 7, 9, 1, 3], dtype=np.int64)


def _digit_matrix(values: pd.Series, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of digits (uint8, 0 in rows not shaped) for values that are exactly ``width``
    ASCII digits; a mask of those rows.

    The shaped values are taken from the Arrow column's data buffer as one block of bytes
    (``width`` per value): no Python string per value."""
    arr = as_arrow(values)
    shaped = re_full(values, rf"[0-9]{{{width}}}")
    digits = np.zeros((len(values), width), dtype=np.uint8)
    if shaped.any():
        picked = pc.filter(arr, pa.array(shaped))
        joined = pa.concat_arrays(picked.chunks) if isinstance(picked, pa.ChunkedArray) else picked
        offsets = np.frombuffer(
            joined.buffers()[1],
            dtype=np.int64 if pa.types.is_large_string(joined.type) else np.int32,
        )
        lo = int(offsets[joined.offset])
        raw = np.frombuffer(joined.buffers()[2], dtype=np.uint8)[lo : lo + width * len(joined)]
        digits[shaped] = raw.reshape(-1, width) - np.uint8(48)
    return digits, shaped


def _calendar(
    year: np.ndarray, month: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Dates (datetime64[s]) of plausible (year, month, day) triples and whether each exists
    (31.02 does not): numpy calendar arithmetic, no per-value parsing."""
    months = (year - 1970) * 12 + (month - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    date = first + (day - 1)
    exists = date.astype("datetime64[M]") == months.astype("datetime64[M]")
    return date.astype("datetime64[s]"), exists


def pad_pesel(values: pd.Series) -> pd.Series:
    """Left-pad PESELs that arrived as numbers (10 digits or fewer, optional ``.0``) to 11 digits.

    A number lost its leading zeros (people born 2000-2009 have a PESEL starting with 0); a
    padded value that was never a PESEL then fails the checksum or date rule, not silently.
    """
    s = values.astype("str").fillna("").str.strip()
    s = re_replace(s, r"^([0-9]{1,11})\.0+$", r"\1")
    short = re_full(s, r"[0-9]{1,10}")
    if not short.any():
        return s
    return s.where(~short, s.str.zfill(11))


def pesel_checks(values: pd.Series) -> pd.DataFrame:
    """Per value: ``shape_ok`` (11 digits), ``checksum_ok``, ``date_ok``, ``birth_date``, ``sex``.

    ``birth_date`` is datetime64 (NaT when the encoded date is impossible), ``sex`` "F"/"M"/"".
    """
    matrix, shaped = _digit_matrix(values, 11)
    digits = [matrix[:, i].astype(np.int64) for i in range(11)]
    weighted = sum((int(w) * d for w, d in zip(PESEL_WEIGHTS, digits[:10], strict=True)),
                   np.zeros(len(matrix), dtype=np.int64))  # fmt: skip
    check = (10 - weighted % 10) % 10
    checksum_ok = shaped & (check == digits[10])
    yy = digits[0] * 10 + digits[1]
    mm_raw = digits[2] * 10 + digits[3]
    dd = digits[4] * 10 + digits[5]
    century = np.array([1900, 2000, 2100, 2200, 1800])[np.clip(mm_raw // 20, 0, 4)]
    month = mm_raw % 20
    year = century + yy
    plausible = shaped & (month >= 1) & (month <= 12) & (dd >= 1) & (dd <= 31)
    date, exists = _calendar(
        np.where(plausible, year, 2000), np.where(plausible, month, 1), np.where(plausible, dd, 1)
    )
    date_ok = plausible & exists
    birth = pd.Series(np.where(date_ok, date, np.datetime64("NaT")), dtype=BIRTH_DTYPE)
    sex = np.where(shaped, np.where(digits[9] % 2 == 0, "F", "M"), "")
    return pd.DataFrame(
        {
            "shape_ok": shaped,
            "checksum_ok": checksum_ok,
            "date_ok": date_ok,
            "birth_date": birth.to_numpy(),
            "sex": sex,
        },
        index=values.index,
    )


def npwz_ok(values: pd.Series) -> pd.Series:
    """Physician/dentist NPWZ (pool 1.6.2): 7 digits, first digit K = Σ i·dᵢ (i=1..6) mod 11, K ≠ 0."""
    return per_distinct(values, _npwz_ok)


def _npwz_ok(values: pd.Series) -> pd.Series:
    matrix, shaped = _digit_matrix(values, 7)
    digits = matrix.astype(np.int64)
    mod = (digits[:, 1:] @ np.arange(1, 7, dtype=np.int64)) % 11
    ok = shaped & (digits[:, 0] != 0) & (mod == digits[:, 0])
    return pd.Series(ok, index=values.index)
