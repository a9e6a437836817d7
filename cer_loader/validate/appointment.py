"""The CeR rules as vectorized checks. Each returns a boolean Series: True where the row passes.

A check only looks at the columns it declares (``inputs``), which is also what pandera sees,
so a failure carries exactly the values that made it fail. The codes are the keys of
``schemas/rules.toml``; ``rules.check_catalogue`` keeps the two in step.
A check passes rows where it does not apply (e.g. the checksum is not judged when a PESEL
is not even 11 digits: the format rule speaks then).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cer_loader.ingest.table import READER_CODES, READER_ISSUE
from cer_loader.normalize import warsaw_time as tu
from cer_loader.normalize.columns import any_byte, lengths, re_search
from cer_loader.validate.context import CheckSpec, Context, spec
from cer_loader.validate.context import scope_attr as _scope_attr

__all__ = ["Context", "checks", "text_problem_field", "TEXT_LIMITS"]

READER_RULES = READER_CODES


def _reader_check(code: str) -> CheckSpec:
    def ok(f: pd.DataFrame, ctx: Context) -> pd.Series:
        return f[READER_ISSUE] != code

    return spec(code, ok, READER_ISSUE)


def _start_check(code: str, status: str) -> CheckSpec:
    def ok(f: pd.DataFrame, ctx: Context) -> pd.Series:
        return f["n_start_status"] != status

    return spec(code, ok, "n_start_status")


# appointment ---------------------------------------------------------------------------
def _missing_id(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["appointment_id"] != ""


def _duplicate_id(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~((f["appointment_id"] != "") & f["appointment_id"].duplicated(keep="first"))


_START_STATUS = {
    "missing-start": tu.MISSING,
    "start-unparseable": tu.UNPARSEABLE,
    "start-invalid-date": tu.INVALID_DATE,
    "start-nonexistent": tu.NONEXISTENT,
    "start-offset-mismatch": tu.OFFSET_MISMATCH,
}


def _ambiguous(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_start_ambiguous"].astype(bool)


def _before_as_of(f: pd.DataFrame, ctx: Context) -> pd.Series:
    day = f["n_start_local_date"]
    return day.isna() | (day >= pd.Timestamp(ctx.as_of))


def _missing_scope(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["scope_code"] != ""


def _scope_unknown(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["scope_code"] == "") | f["scope_code"].isin(ctx.scopes.index)


def _mus(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["mus_id"] == "") | (f["mus_id"] == ctx.mus_id)


def _visit_kind(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["visit_kind"] == "") | (f["n_visit_kind"] != "")


def _visit_kind_missing(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["visit_kind"] != ""


def _category(f: pd.DataFrame, ctx: Context) -> pd.Series:
    needs = f["n_first_visit"] & _scope_attr(f, ctx, "requires_category", False).astype(bool)
    return ~needs | (f["n_category"] != "")


def _referral(f: pd.DataFrame, ctx: Context) -> pd.Series:
    needs = f["n_first_visit"] & _scope_attr(f, ctx, "requires_referral", False).astype(bool)
    return ~needs | f["n_referral_key_ok"] | (f["referral_number"] != "")


def _referral_key(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["referral_key"] == "") | f["n_referral_key_ok"]


def _request_after(f: pd.DataFrame, ctx: Context) -> pd.Series:
    req, day = f["n_request"], f["n_start_local_date"]
    return req.isna() | day.isna() | (req <= day)


def _request_missing(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["request_date"] != ""


def _request_invalid(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["n_request_status"].isin([tu.OK, tu.MISSING])


def _duration(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["n_duration_ok"].astype(bool)


# text limits of the payload contract --------------------------------------------------------
TEXT_LIMITS = {
    "appointment_id": 255, "schedule_id": 255, "referral_number": 255,
    "patient_document_number": 255, "patient_first_name": 255, "patient_last_name": 255,
    "patient_email": 255, "notes": 2000,
}  # fmt: skip
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"  # RE2 syntax


# the bytes that start a character _CONTROL matches in UTF-8 (U+FFFE/U+FFFF begin with EF)
_CONTROL_BYTES = np.zeros(256, dtype=bool)
_CONTROL_BYTES[[*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xEF]] = True


def text_problem_field(f: pd.DataFrame) -> pd.Series:
    """Per row, the first text field that is too long or holds control characters ("" if none)."""
    out = np.full(len(f), "", dtype=object)
    for name, limit in reversed(TEXT_LIMITS.items()):
        col = f[name]
        bad = lengths(col) > limit
        if any_byte(col, _CONTROL_BYTES):  # the regex only where such a byte occurs
            bad |= re_search(col, _CONTROL)
        out[bad] = name
    return pd.Series(out, index=f.index, dtype="object")


def _text_invalid(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return text_problem_field(f) == ""


def checks() -> list[CheckSpec]:
    """The appointment checks, in report order."""
    return [
        *(_reader_check(code) for code in READER_RULES),
        spec("missing-appointment-id", _missing_id, "appointment_id"),
        spec("duplicate-appointment-id", _duplicate_id, "appointment_id"),
        *(_start_check(code, status) for code, status in _START_STATUS.items()),
        spec("start-ambiguous", _ambiguous, "n_start_ambiguous"),
        spec("start-before-as-of", _before_as_of, "n_start_local_date"),
        spec("missing-scope-code", _missing_scope, "scope_code"),
        spec("scope-unknown", _scope_unknown, "scope_code"),
        spec("mus-mismatch", _mus, "mus_id"),
        spec("visit-kind-invalid", _visit_kind, "visit_kind", "n_visit_kind"),
        spec("visit-kind-missing", _visit_kind_missing, "visit_kind"),
        spec("category-required", _category, "scope_code", "n_first_visit", "n_category"),
        spec(
            "referral-required",
            _referral,
            "scope_code",
            "n_first_visit",
            "n_referral_key_ok",
            "referral_number",
        ),
        spec("referral-key-format", _referral_key, "referral_key", "n_referral_key_ok"),
        spec("request-after-start", _request_after, "n_request", "n_start_local_date"),
        spec("request-date-missing", _request_missing, "request_date"),
        spec("request-date-invalid", _request_invalid, "n_request_status"),
        spec("duration-invalid", _duration, "n_duration_ok"),
        spec("text-invalid", _text_invalid, *TEXT_LIMITS),
    ]
