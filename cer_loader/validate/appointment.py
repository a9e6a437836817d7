"""The CeR rules as vectorized checks. Each returns a boolean Series: True where the row passes.

A check only looks at the columns it declares (``inputs``), which is also what pandera sees,
so a failure carries exactly the values that made it fail. The codes are the keys of
``schemas/rules.toml``; ``rules.check_catalogue`` keeps the two in step.
A check passes rows where it does not apply (e.g. the checksum is not judged when a PESEL
is not even 11 digits: the format rule speaks then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from cer_loader.ingest.table import READER_ISSUE
from cer_loader.normalize import warsaw_time as tu


@dataclass(frozen=True)
class Context:
    scopes: pd.DataFrame  # indexed by code (scopes.load_scopes)
    as_of: dt.date
    mus_id: str


Fn = Callable[[pd.DataFrame, Context], pd.Series]


@dataclass(frozen=True)
class CheckSpec:
    inputs: tuple[str, ...]
    ok: Fn


CHECKS: dict[str, CheckSpec] = {}


def check(code: str, *inputs: str) -> Callable[[Fn], Fn]:
    def register(fn: Fn) -> Fn:
        CHECKS[code] = CheckSpec(inputs=tuple(inputs), ok=fn)
        return fn

    return register


def _scope_attr(f: pd.DataFrame, ctx: Context, attr: str, default: object) -> pd.Series:
    return f["scope_code"].map(ctx.scopes[attr]).fillna(default)


# reader-level findings -----------------------------------------------------------------
for _code in ("csv-unclosed-quote", "csv-extra-fields", "total-row"):
    check(_code, READER_ISSUE)(lambda f, ctx, _c=_code: f[READER_ISSUE] != _c)


# appointment ---------------------------------------------------------------------------
@check("missing-appointment-id", "appointment_id")
def _missing_id(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["appointment_id"] != ""


@check("duplicate-appointment-id", "appointment_id")
def _duplicate_id(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~((f["appointment_id"] != "") & f["appointment_id"].duplicated(keep="first"))


_START_STATUS = {
    "missing-start": tu.MISSING,
    "start-unparseable": tu.UNPARSEABLE,
    "start-invalid-date": tu.INVALID_DATE,
    "start-nonexistent": tu.NONEXISTENT,
    "start-offset-mismatch": tu.OFFSET_MISMATCH,
}
for _code, _status in _START_STATUS.items():
    check(_code, "n_start_status")(lambda f, ctx, _s=_status: f["n_start_status"] != _s)


@check("start-ambiguous", "n_start_ambiguous")
def _ambiguous(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_start_ambiguous"].astype(bool)


@check("start-before-as-of", "n_start_local_date")
def _before_as_of(f: pd.DataFrame, ctx: Context) -> pd.Series:
    day = f["n_start_local_date"]
    return day.isna() | (day >= pd.Timestamp(ctx.as_of))


@check("missing-scope-code", "scope_code")
def _missing_scope(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["scope_code"] != ""


@check("scope-unknown", "scope_code")
def _scope_unknown(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["scope_code"] == "") | f["scope_code"].isin(ctx.scopes.index)


@check("mus-mismatch", "mus_id")
def _mus(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["mus_id"] == "") | (f["mus_id"] == ctx.mus_id)


@check("visit-kind-invalid", "visit_kind", "n_visit_kind")
def _visit_kind(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["visit_kind"] == "") | (f["n_visit_kind"] != "")


@check("visit-kind-missing", "visit_kind")
def _visit_kind_missing(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["visit_kind"] != ""


@check("category-required", "scope_code", "n_first_visit", "n_category")
def _category(f: pd.DataFrame, ctx: Context) -> pd.Series:
    needs = f["n_first_visit"] & _scope_attr(f, ctx, "requires_category", False).astype(bool)
    return ~needs | (f["n_category"] != "")


@check("referral-required", "scope_code", "n_first_visit", "n_referral_key_ok", "referral_number")
def _referral(f: pd.DataFrame, ctx: Context) -> pd.Series:
    needs = f["n_first_visit"] & _scope_attr(f, ctx, "requires_referral", False).astype(bool)
    return ~needs | f["n_referral_key_ok"] | (f["referral_number"] != "")


@check("referral-key-format", "referral_key", "n_referral_key_ok")
def _referral_key(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["referral_key"] == "") | f["n_referral_key_ok"]


@check("request-after-start", "n_request", "n_start_local_date")
def _request_after(f: pd.DataFrame, ctx: Context) -> pd.Series:
    req, day = f["n_request"], f["n_start_local_date"]
    return req.isna() | day.isna() | (req <= day)


@check("request-date-missing", "request_date")
def _request_missing(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["request_date"] != ""


@check("request-date-invalid", "n_request_status")
def _request_invalid(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["n_request_status"].isin([tu.OK, tu.MISSING])


@check("duration-invalid", "n_duration_ok")
def _duration(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["n_duration_ok"].astype(bool)


# text limits of the payload contract --------------------------------------------------------
TEXT_LIMITS = {
    "appointment_id": 255, "schedule_id": 255, "referral_number": 255,
    "patient_document_number": 255, "patient_first_name": 255, "patient_last_name": 255,
    "patient_email": 255, "notes": 2000,
}  # fmt: skip
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"


def text_problem_field(f: pd.DataFrame) -> pd.Series:
    """Per row, the first text field that is too long or holds control characters ("" if none)."""
    out = pd.Series("", index=f.index, dtype="object")
    for name, limit in reversed(TEXT_LIMITS.items()):
        col = f[name]
        bad = (col.str.len() > limit) | col.str.contains(_CONTROL, regex=True)
        out = out.mask(bad, name)
    return out


@check("text-invalid", *TEXT_LIMITS)
def _text_invalid(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return text_problem_field(f) == ""
