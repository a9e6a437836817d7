"""The contract between normalize and the checks, as a pandera schema over the typed columns.

The checks themselves run as plain vectorized functions (``validate.failed_rows``): pandera's
per-check machinery cost more than the checks. What pandera adds here is the column contract:
every flag the checks read is a real boolean column and every date a datetime column, so a
check can never silently compare text with a date. Only dtypes are checked (no per-value work).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError

BOOL_COLUMNS = (
    "n_pesel_present", "n_pesel_shape", "n_pesel_checksum", "n_pesel_date", "n_pesel_valid",
    "n_start_ambiguous", "n_duration_ok", "n_first_visit", "n_referral_key_ok", "n_npwz_ok",
    "n_email_ok", "n_phone_mobile", "n_loaded_earlier", "n_visit_loaded_earlier",
)  # fmt: skip
DATE_COLUMNS = ("n_pesel_birth", "n_birth_given", "n_birth", "n_start_local_date", "n_request")


def _naive_datetime(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_dtype(s.dtype)


def _utc_datetime(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.DatetimeTZDtype) and str(s.dtype.tz) == "UTC"


SCHEMA = pa.DataFrameSchema(
    {
        **{c: pa.Column(bool, nullable=True) for c in BOOL_COLUMNS},
        **{
            c: pa.Column(checks=pa.Check(_naive_datetime, name="naive datetime"), nullable=True)
            for c in DATE_COLUMNS
        },
        "n_start": pa.Column(checks=pa.Check(_utc_datetime, name="UTC datetime"), nullable=True),
    },
    strict=False,
    coerce=False,
)


def check_typed(frame: pd.DataFrame) -> None:
    """Raise TypeError (a programming error, not a rejection) when normalize broke the contract."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            SCHEMA.validate(frame.head(0) if frame.empty else frame.iloc[:1])
    except SchemaError as exc:
        raise TypeError(f"normalized frame breaks the check contract: {exc}") from None
