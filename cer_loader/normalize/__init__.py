"""Canonical text fields → typed columns the checks and the payload use.

Input: the frame from ``mapping.apply_mapping`` (every canonical field as trimmed text plus
provenance). Output: the same frame with typed companions added (prefix ``n_``); the
original text columns stay untouched, so reports can show what the user wrote.
Everything here works on whole columns; ``progress(share)`` (if given) is told the share of
the work done after each group of fields.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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


# the columns the second thread reads (taken from the frame before it starts: the first
# thread adds columns to its own copy meanwhile, and a frame is not safe to read while written)
_LATER_INPUTS = (
    "request_date", "duration_minutes", "visit_kind", "medical_category", "referral_key",
    "practitioner_npwz", "patient_phone", "patient_email",
)  # fmt: skip


def _later(cols: dict[str, pd.Series]) -> dict[str, object]:
    """The appointment's codes and the patient's contact, as new columns in their order: no
    input of these is made by the rest of ``normalize``, so a second thread makes them."""
    out: dict[str, object] = {}
    request, request_status = timeutil.parse_dates(cols["request_date"])
    out["n_request"] = request
    out["n_request_status"] = _status(request_status)

    duration = per_distinct(cols["duration_minutes"], _duration)  # a few dozen distinct values
    out["n_duration"] = duration["minutes"].astype("Int64")
    out["n_duration_ok"] = duration["ok"].to_numpy(dtype=bool)

    vk = cols["visit_kind"]
    kind = choose(vk.isin(["first", "continuation"]), vk, "")
    out["n_visit_kind"] = kind
    out["n_first_visit"] = kind != "continuation"

    cat = cols["medical_category"].str.lower()
    out["n_category"] = choose(cat.isin(["pilny", "stabilny"]), cat, "")

    key = cols["referral_key"]
    if any_byte(key, _KEY_SEPARATORS):  # only then a copy without spaces and dashes
        key = re_replace(key, r"[\s-]", "")
    key_ok = re_full(key, r"[0-9]{44}")
    out["n_referral_key_ok"] = key_ok
    out["n_referral_key"] = choose(key_ok, key, "") if not key_ok.all() else key

    out["n_npwz_ok"] = npwz_ok(cols["practitioner_npwz"])
    # row-wise over the whole column (numpy for plain Polish numbers; phonenumbers once per
    # distinct other value inside): phone and e-mail columns are mostly distinct, and
    # factorizing them first cost more than it saved
    phones = phone_numbers(cols["patient_phone"])
    out["n_phone"] = phones["e164"]
    # the number picked can take an SMS (CeR's notifications); several numbers in the field
    out["n_phone_mobile"] = phones["mobile"].to_numpy(dtype=bool)
    out["n_phone_count"] = phones["numbers"].to_numpy(dtype="int64")
    out["n_email_ok"] = email_ok(cols["patient_email"])
    return out


def normalize(
    frame: pd.DataFrame, ids: IdentifierConfig, progress: Callable[[float], None] = _quiet
) -> pd.DataFrame:
    """``frame`` with the typed ``n_`` columns added (see the module doc). Two threads share
    the work: the Arrow and numpy kernels doing most of it release the GIL, so on two cores a
    million rows take about half the time; the columns are the same, in the same order."""
    f = frame.copy(deep=False)  # only adds columns (and pads patient_pesel): no deep copy
    with ThreadPoolExecutor(1, thread_name_prefix="normalize") as pool:
        later = pool.submit(_later, {name: f[name] for name in _LATER_INPUTS})
        _identity_and_start(f, ids, progress)
        for name, values in later.result().items():
            f[name] = values
    # set by the pipeline from the run state (fix-and-resubmit loop); False without one
    f["n_loaded_earlier"] = False
    f["n_visit_loaded_earlier"] = False
    progress(1.0)
    return f


def _identity_and_start(
    f: pd.DataFrame, ids: IdentifierConfig, progress: Callable[[float], None]
) -> None:
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
    progress(0.65)
