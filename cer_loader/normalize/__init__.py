"""Canonical text fields → typed columns the checks and the payload use.

Input: the frame from ``mapping.apply_mapping`` (every canonical field as trimmed text plus
provenance). Output: the same frame with typed companions added (prefix ``n_``); the
original text columns stay untouched, so reports can show what the user wrote.
Everything here works on whole columns; ``progress(share)`` (if given) is told the share of
the work done after each group of fields.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cer_loader.catalogues.identifiers import IdentifierConfig, country_numeric, document_type
from cer_loader.normalize import warsaw_time as timeutil
from cer_loader.normalize.checksums import npwz_ok, pad_pesel, pesel_checks
from cer_loader.normalize.columns import any_byte, choose, per_distinct, re_full, re_replace
from cer_loader.normalize.phones import email_ok, phone_numbers

# bytes that begin what ``\\s`` or ``-`` match in UTF-8 (ASCII space and dash; any non-ASCII)
_KEY_SEPARATORS = np.zeros(256, dtype=bool)
_KEY_SEPARATORS[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x2D, *range(0x80, 0x100)]] = True


def _duration(values: pd.Series) -> pd.DataFrame:
    """Whole minutes 1–1440 (a decimal comma allowed), per value; ``ok`` also for "" (absent)."""
    minutes = pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")
    whole = minutes.notna() & (minutes == np.floor(minutes)) & (minutes >= 1) & (minutes <= 1440)
    return pd.DataFrame(
        {"minutes": minutes.where(whole), "ok": whole | (values == "")}, index=values.index
    )


def _status(values: pd.Series) -> pd.Series:
    """A parse status column as a categorical: the checks compare it with a handful of codes."""
    return values.astype("category")


def _start_text(f: pd.DataFrame) -> pd.Series:
    combined = (f["start_date"] + " " + f["start_time"]).str.strip()
    return choose(f["start"] != "", f["start"], combined)


def _quiet(share: float) -> None:
    return None


def normalize(
    frame: pd.DataFrame, ids: IdentifierConfig, progress: Callable[[float], None] = _quiet
) -> pd.DataFrame:
    f = frame.copy(deep=False)  # only adds columns (and pads patient_pesel): no deep copy
    # identity
    f["patient_pesel"] = pad_pesel(f["patient_pesel"])
    pes = pesel_checks(f["patient_pesel"])
    f["n_pesel_present"] = f["patient_pesel"] != ""
    f["n_pesel_shape"] = pes["shape_ok"]
    f["n_pesel_checksum"] = pes["checksum_ok"]
    f["n_pesel_date"] = pes["date_ok"]
    f["n_pesel_birth"] = pes["birth_date"]
    f["n_pesel_sex"] = pes["sex"]
    f["n_pesel_valid"] = pes["checksum_ok"] & pes["date_ok"]

    birth, birth_status = timeutil.parse_dates(f["patient_birth_date"])
    f["n_birth_given"] = birth
    f["n_birth_status"] = _status(birth_status)
    f["n_birth"] = f["n_pesel_birth"].where(f["n_pesel_valid"], birth)

    sex = f["patient_sex"].str.upper()
    f["n_sex_given"] = choose(sex.isin(["F", "M"]), sex, "")
    f["n_sex"] = f["n_pesel_sex"].where(f["n_pesel_valid"], f["n_sex_given"])

    f["n_doc_type"] = per_distinct(f["patient_document_type"], lambda v: document_type(v, ids))
    f["n_doc_country"] = per_distinct(f["patient_document_country"], country_numeric)
    progress(0.3)

    # appointment
    start = timeutil.parse_start(f["start"], f["start_date"], f["start_time"])
    f["n_start"] = start["instant"]
    f["n_start_status"] = _status(start["status"])
    f["n_start_ambiguous"] = start["ambiguous"]
    f["n_start_text"] = _start_text(f)
    local = f["n_start"].dt.tz_convert(timeutil.ZONE)
    f["n_start_local_date"] = local.dt.tz_localize(None).dt.normalize()

    f["n_age"] = (f["n_start_local_date"].dt.year - f["n_birth"].dt.year).astype("Int64")

    request, request_status = timeutil.parse_dates(f["request_date"])
    f["n_request"] = request
    f["n_request_status"] = _status(request_status)
    progress(0.65)

    duration = per_distinct(f["duration_minutes"], _duration)  # a few dozen distinct values
    f["n_duration"] = duration["minutes"].astype("Int64")
    f["n_duration_ok"] = duration["ok"].to_numpy(dtype=bool)

    vk = f["visit_kind"]
    f["n_visit_kind"] = choose(vk.isin(["first", "continuation"]), vk, "")
    f["n_first_visit"] = f["n_visit_kind"] != "continuation"

    cat = f["medical_category"].str.lower()
    f["n_category"] = choose(cat.isin(["pilny", "stabilny"]), cat, "")

    key = f["referral_key"]
    if any_byte(key, _KEY_SEPARATORS):  # only then a copy without spaces and dashes
        key = re_replace(key, r"[\s-]", "")
    key_ok = re_full(key, r"[0-9]{44}")
    f["n_referral_key_ok"] = key_ok
    f["n_referral_key"] = choose(key_ok, key, "") if not key_ok.all() else key

    f["n_npwz_ok"] = npwz_ok(f["practitioner_npwz"])
    progress(0.75)
    # row-wise over the whole column (numpy for plain Polish numbers; phonenumbers once per
    # distinct other value inside): phone and e-mail columns are mostly distinct, and
    # factorizing them first cost more than it saved
    phones = phone_numbers(f["patient_phone"])
    f["n_phone"] = phones["e164"]
    # the number picked can take an SMS (CeR's notifications); several numbers in the field
    f["n_phone_mobile"] = phones["mobile"].to_numpy(dtype=bool)
    f["n_phone_count"] = phones["numbers"].to_numpy(dtype="int64")
    f["n_email_ok"] = email_ok(f["patient_email"])
    # set by the pipeline from the run state (fix-and-resubmit loop); False without one
    f["n_loaded_earlier"] = False
    f["n_visit_loaded_earlier"] = False
    progress(1.0)
    return f
