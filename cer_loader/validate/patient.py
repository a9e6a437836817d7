"""Patient checks: PESEL, foreign identity, programme eligibility, contact data, duplicates."""

from __future__ import annotations

import pandas as pd

from cer_loader.normalize import warsaw_time as tu
from cer_loader.validate.appointment import Context, _scope_attr, check


@check(
    "missing-patient-identity",
    "n_pesel_present",
    "patient_document_number",
    "patient_document_type",
)
def _identity(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (
        f["n_pesel_present"]
        | (f["patient_document_number"] != "")
        | (f["patient_document_type"] != "")
    )


@check("pesel-format", "n_pesel_present", "n_pesel_shape")
def _pesel_format(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_pesel_present"] | f["n_pesel_shape"]


@check("pesel-checksum", "n_pesel_shape", "n_pesel_checksum")
def _pesel_checksum(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_pesel_shape"] | f["n_pesel_checksum"]


@check(
    "pesel-birth-date", "n_pesel_checksum", "n_pesel_date", "n_pesel_birth", "n_start_local_date"
)
def _pesel_birth(f: pd.DataFrame, ctx: Context) -> pd.Series:
    day = f["n_start_local_date"]
    born_later = f["n_pesel_birth"].notna() & day.notna() & (f["n_pesel_birth"] > day)
    return ~f["n_pesel_checksum"] | (f["n_pesel_date"] & ~born_later)


@check("pesel-birth-date-mismatch", "n_pesel_valid", "n_birth_given", "n_pesel_birth")
def _pesel_birth_mismatch(f: pd.DataFrame, ctx: Context) -> pd.Series:
    given = f["n_birth_given"]
    return ~f["n_pesel_valid"] | given.isna() | (given == f["n_pesel_birth"])


@check("pesel-sex-mismatch", "n_pesel_valid", "n_sex_given", "n_pesel_sex")
def _pesel_sex(f: pd.DataFrame, ctx: Context) -> pd.Series:
    given = f["n_sex_given"]
    return ~f["n_pesel_valid"] | (given == "") | (given == f["n_pesel_sex"])


@check(
    "foreign-identity-incomplete",
    "n_pesel_present", "patient_document_number", "patient_document_type",
    "n_doc_type", "n_doc_country", "n_birth_given", "n_sex_given",
)  # fmt: skip
def _foreign(f: pd.DataFrame, ctx: Context) -> pd.Series:
    nothing = (f["patient_document_number"] == "") & (f["patient_document_type"] == "")
    complete = (
        (f["n_doc_type"] != "")
        & (f["patient_document_number"] != "")
        & (f["n_doc_country"] != "")
        & f["n_birth_given"].notna()
        & (f["n_sex_given"] != "")
    )
    return f["n_pesel_present"] | nothing | complete


@check("birth-date-invalid", "n_pesel_valid", "n_birth_status")
def _birth_invalid(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_pesel_valid"] | f["n_birth_status"].isin([tu.OK, tu.MISSING])


@check("programme-sex", "scope_code", "n_sex")
def _programme_sex(f: pd.DataFrame, ctx: Context) -> pd.Series:
    wanted = _scope_attr(f, ctx, "sex", "")
    return (wanted == "") | (f["n_sex"] == "") | (f["n_sex"] == wanted)


@check("programme-age", "scope_code", "n_birth", "n_start_local_date")
def _programme_age(f: pd.DataFrame, ctx: Context) -> pd.Series:
    age = f["n_start_local_date"].dt.year - f["n_birth"].dt.year
    lo = _scope_attr(f, ctx, "min_age", -1)
    hi = _scope_attr(f, ctx, "max_age", 1000)
    return age.isna() | ((age >= lo) & (age <= hi))


def patient_key(f: pd.DataFrame) -> pd.Series:
    """PESEL, or document type|country|number for patients without one; "" when unknown."""
    doc = (
        f["n_doc_type"] + "|" + f["n_doc_country"] + "|" + f["patient_document_number"].str.upper()
    )
    has_doc = (f["n_doc_type"] != "") & (f["patient_document_number"] != "")
    return f["patient_pesel"].where(f["n_pesel_present"], doc.where(has_doc, ""))


def visit_key(f: pd.DataFrame) -> pd.Series:
    """An integer per row identifying (patient, scope, start); -1 where any part is unknown."""
    patient = patient_key(f)
    complete = (patient != "") & (f["scope_code"] != "") & f["n_start"].notna()
    parts = pd.DataFrame({"p": patient, "s": f["scope_code"], "t": f["n_start"]})
    codes = parts.groupby(["p", "s", "t"], sort=False, dropna=False).ngroup()
    return codes.where(complete, -1)


@check(
    "duplicate-visit",
    "patient_pesel", "n_pesel_present", "n_doc_type", "n_doc_country",
    "patient_document_number", "scope_code", "n_start",
)  # fmt: skip
def _duplicate_visit(f: pd.DataFrame, ctx: Context) -> pd.Series:
    key = visit_key(f)
    return (key < 0) | ~key.duplicated(keep="first")


@check("visit-loaded-earlier", "n_visit_loaded_earlier")
def _visit_loaded_earlier(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_visit_loaded_earlier"].astype(bool)


@check("npwz-checksum", "practitioner_npwz", "n_npwz_ok")
def _npwz(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["practitioner_npwz"] == "") | f["n_npwz_ok"]


@check("phone-invalid", "patient_phone", "n_phone")
def _phone(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["patient_phone"] == "") | (f["n_phone"] != "")


@check("email-invalid", "patient_email", "n_email_ok")
def _email(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["patient_email"] == "") | f["n_email_ok"]
