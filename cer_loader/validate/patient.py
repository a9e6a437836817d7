"""Patient checks: PESEL, foreign identity, programme eligibility, contact data, duplicates."""

from __future__ import annotations

import pandas as pd

from cer_loader.normalize import warsaw_time as tu
from cer_loader.validate.context import CheckSpec, Context, spec
from cer_loader.validate.context import scope_attr as _scope_attr
from cer_loader.validate.identity import visit_key


def _identity(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (
        f["n_pesel_present"]
        | (f["patient_document_number"] != "")
        | (f["patient_document_type"] != "")
    )


def _pesel_format(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_pesel_present"] | f["n_pesel_shape"]


def _pesel_checksum(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_pesel_shape"] | f["n_pesel_checksum"]


def _pesel_birth(f: pd.DataFrame, ctx: Context) -> pd.Series:
    day = f["n_start_local_date"]
    born_later = f["n_pesel_birth"].notna() & day.notna() & (f["n_pesel_birth"] > day)
    return ~f["n_pesel_checksum"] | (f["n_pesel_date"] & ~born_later)


def _pesel_birth_mismatch(f: pd.DataFrame, ctx: Context) -> pd.Series:
    given = f["n_birth_given"]
    return ~f["n_pesel_valid"] | given.isna() | (given == f["n_pesel_birth"])


def _pesel_sex(f: pd.DataFrame, ctx: Context) -> pd.Series:
    given = f["n_sex_given"]
    return ~f["n_pesel_valid"] | (given == "") | (given == f["n_pesel_sex"])


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


def _birth_invalid(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_pesel_valid"] | f["n_birth_status"].isin([tu.OK, tu.MISSING])


def _programme_sex(f: pd.DataFrame, ctx: Context) -> pd.Series:
    wanted = _scope_attr(f, ctx, "sex", "")
    return (wanted == "") | (f["n_sex"] == "") | (f["n_sex"] == wanted)


def _programme_age(f: pd.DataFrame, ctx: Context) -> pd.Series:
    age = f["n_start_local_date"].dt.year - f["n_birth"].dt.year
    lo = _scope_attr(f, ctx, "min_age", -1)
    hi = _scope_attr(f, ctx, "max_age", 1000)
    return age.isna() | ((age >= lo) & (age <= hi))


def _duplicate_visit(f: pd.DataFrame, ctx: Context) -> pd.Series:
    key = visit_key(f)
    return (key < 0) | ~key.duplicated(keep="first")


def _visit_loaded_earlier(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~f["n_visit_loaded_earlier"].astype(bool)


def _npwz(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["practitioner_npwz"] == "") | f["n_npwz_ok"]


def _phone(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["patient_phone"] == "") | (f["n_phone"] != "")


def _phone_picked(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return f["n_phone_count"] <= 1


def _phone_no_mobile(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["n_phone"] == "") | f["n_phone_mobile"]


def _email(f: pd.DataFrame, ctx: Context) -> pd.Series:
    return (f["patient_email"] == "") | f["n_email_ok"]


def checks() -> list[CheckSpec]:
    """The patient checks, in report order."""
    return [
        spec(
            "missing-patient-identity",
            _identity,
            "n_pesel_present",
            "patient_document_number",
            "patient_document_type",
        ),
        spec("pesel-format", _pesel_format, "n_pesel_present", "n_pesel_shape"),
        spec("pesel-checksum", _pesel_checksum, "n_pesel_shape", "n_pesel_checksum"),
        spec(
            "pesel-birth-date",
            _pesel_birth,
            "n_pesel_checksum",
            "n_pesel_date",
            "n_pesel_birth",
            "n_start_local_date",
        ),
        spec(
            "pesel-birth-date-mismatch",
            _pesel_birth_mismatch,
            "n_pesel_valid",
            "n_birth_given",
            "n_pesel_birth",
        ),
        spec("pesel-sex-mismatch", _pesel_sex, "n_pesel_valid", "n_sex_given", "n_pesel_sex"),
        spec(
            "foreign-identity-incomplete",
            _foreign,
            "n_pesel_present",
            "patient_document_number",
            "patient_document_type",
            "n_doc_type",
            "n_doc_country",
            "n_birth_given",
            "n_sex_given",
        ),
        spec("birth-date-invalid", _birth_invalid, "n_pesel_valid", "n_birth_status"),
        spec("programme-sex", _programme_sex, "scope_code", "n_sex"),
        spec("programme-age", _programme_age, "scope_code", "n_birth", "n_start_local_date"),
        spec(
            "duplicate-visit",
            _duplicate_visit,
            "patient_pesel",
            "n_pesel_present",
            "n_doc_type",
            "n_doc_country",
            "patient_document_number",
            "scope_code",
            "n_start",
        ),
        spec("visit-loaded-earlier", _visit_loaded_earlier, "n_visit_loaded_earlier"),
        spec("npwz-checksum", _npwz, "practitioner_npwz", "n_npwz_ok"),
        spec("phone-invalid", _phone, "patient_phone", "n_phone"),
        spec("phone-picked", _phone_picked, "n_phone_count"),
        spec("phone-no-mobile", _phone_no_mobile, "n_phone", "n_phone_mobile"),
        spec("email-invalid", _email, "patient_email", "n_email_ok"),
    ]
