"""The contract between normalize and the checks: which typed columns are booleans, naive
dates and the UTC start, so a check can never silently compare text with a date.

The checks themselves run as plain vectorized functions (``validate.failed_rows``). The
contract is declared once here (``BOOL_COLUMNS``, ``DATE_COLUMNS``, ``UTC_COLUMNS``) and checked
on every run by :func:`check_typed`, which reads the columns' dtypes only (no per-value work,
nothing imported at run time). :func:`pandera_schema` states the same contract as a pandera
schema; the tests validate normalized frames against it, so the two cannot drift apart.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

BOOL_COLUMNS = (
    "n_pesel_present", "n_pesel_shape", "n_pesel_checksum", "n_pesel_date", "n_pesel_valid",
    "n_start_ambiguous", "n_duration_ok", "n_first_visit", "n_referral_key_ok", "n_npwz_ok",
    "n_email_ok", "n_phone_mobile", "n_loaded_earlier", "n_visit_loaded_earlier",
)  # fmt: skip
DATE_COLUMNS = ("n_pesel_birth", "n_birth_given", "n_birth", "n_start_local_date", "n_request")
UTC_COLUMNS = ("n_start",)


def _naive_datetime(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_dtype(s.dtype)


def _utc_datetime(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.DatetimeTZDtype) and str(s.dtype.tz) == "UTC"


def _bool(s: pd.Series) -> bool:
    return s.dtype == np.dtype(bool)  # what pandera's ``bool`` column means


_KINDS = (
    (BOOL_COLUMNS, _bool, "bool"),
    (DATE_COLUMNS, _naive_datetime, "naive datetime"),
    (UTC_COLUMNS, _utc_datetime, "UTC datetime"),
)


def contract_breaks(frame: pd.DataFrame) -> list[str]:
    """What in ``frame`` breaks the contract ("column: wanted kind, has dtype"), [] if nothing."""
    out = []
    for columns, test, kind in _KINDS:
        for c in columns:
            if c not in frame.columns:
                out.append(f"{c}: missing ({kind} wanted)")
            elif not test(frame[c]):
                out.append(f"{c}: {kind} wanted, has {frame[c].dtype}")
    return out


def check_typed(frame: pd.DataFrame) -> None:
    """Raise TypeError (a programming error, not a rejection) when normalize broke the contract."""
    broken = contract_breaks(frame)
    if broken:
        raise TypeError("normalized frame breaks the check contract: " + "; ".join(broken))


def pandera_schema() -> Any:
    """The same contract as a pandera ``DataFrameSchema`` (for the tests: imported on demand)."""
    import pandera.pandas as pa

    naive = pa.Check(_naive_datetime, name="naive datetime")
    utc = pa.Check(_utc_datetime, name="UTC datetime")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pa.DataFrameSchema(
            {
                **{c: pa.Column(bool, nullable=True) for c in BOOL_COLUMNS},
                **{c: pa.Column(checks=naive, nullable=True) for c in DATE_COLUMNS},
                **{c: pa.Column(checks=utc, nullable=True) for c in UTC_COLUMNS},
            },
            strict=False,
            coerce=False,
        )
