"""The values a payload record carries, as whole text columns (Arrow), and the idempotency keys.

Everything here is vectorized: dates and instants are formatted by Arrow's C++ ``strftime``, the
idempotency keys (UUID v5 of ``"{MUŚ}|{appointment_id}"``) are hashed with one ``hashlib`` call
per record and formatted as text with numpy on the whole column.
"""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.catalogues.identifiers import IdentifierConfig
from cer_loader.normalize import warsaw_time as timeutil
from cer_loader.settings import Settings

KEY_NAMESPACE = uuid.UUID("6f1c3b1e-5d0a-4c43-9a38-3c0f3c3b9e10")
_VISIT = {"first": "PIERWSZORAZOWA", "continuation": "KONTYNUACJA"}
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# where the 32 hex digits go in the 36 characters of a UUID's text (dashes at 8, 13, 18, 23)
_DIGIT_AT = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def _strftime(values: pd.Series, fmt: str) -> pd.Series:
    """Format naive datetimes with Arrow (C++), "" for NaT."""
    arr = pa.array(values.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s"), from_pandas=True)
    text = pc.fill_null(pc.strftime(arr, format=fmt), "")
    return pd.Series(text.to_numpy(zero_copy_only=False), index=values.index, dtype="object")


def _iso_with_offset(instants: pd.Series) -> pd.Series:
    """``2027-01-12T09:30:00+01:00``: Europe/Warsaw wall time with its offset."""
    utc = instants.dt.tz_convert("UTC").dt.tz_localize(None)
    wall = instants.dt.tz_convert(timeutil.ZONE).dt.tz_localize(None)
    hours = ((wall - utc) / pd.Timedelta(hours=1)).round().astype("Int64")
    offset = np.where(hours.to_numpy(na_value=0) == 2, "+02:00", "+01:00")
    return _strftime(wall, "%Y-%m-%dT%H:%M:%S") + offset


def _date_text(values: pd.Series) -> pd.Series:
    return _strftime(values, "%Y-%m-%d")


def key_array(mus_id: str, appointment_ids: pd.Series) -> pa.StringArray:
    """UUID v5 texts, equal to ``str(uuid.uuid5(KEY_NAMESPACE, f"{mus_id}|{id}"))`` for each id."""
    prefix = KEY_NAMESPACE.bytes + f"{mus_id}|".encode()
    sha1 = hashlib.sha1
    digests = b"".join(
        [sha1(prefix + str(a).encode("utf-8")).digest()[:16] for a in appointment_ids]
    )
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x50  # version 5
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = np.empty((len(raw), 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    text = np.full((len(raw), 36), ord("-"), dtype=np.uint8)
    text[:, _DIGIT_AT] = digits
    offsets = np.arange(0, 36 * (len(raw) + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(
        len(raw), pa.py_buffer(offsets), pa.py_buffer(text.tobytes())
    )


def idempotency_keys(mus_id: str, appointment_ids: pd.Series) -> list[str]:
    return key_array(mus_id, appointment_ids).to_pylist()


def payload_columns(f: pd.DataFrame, settings: Settings, ids: IdentifierConfig) -> pd.DataFrame:
    """Everything a record needs, as text columns; bad optional values left out (warnings)."""
    pesel = f["n_pesel_present"]
    doc_root = f["n_doc_type"].map(ids.doc_roots).fillna("")
    parts = doc_root.astype("str").str.partition("{country}")
    doc_root = (parts[0] + f["n_doc_country"].where(parts[1] != "", "") + parts[2]).astype(object)
    cat = f["n_category"].str.upper()
    return pd.DataFrame(
        {
            "key": pd.Series(
                key_array(settings.mus_id, f["appointment_id"]).to_numpy(zero_copy_only=False),
                index=f.index, dtype=object,
            ),
            "appointment_id": f["appointment_id"],
            "schedule_id": f["schedule_id"],
            "start": _iso_with_offset(f["n_start"]),
            "duration": f["n_duration"].astype("string").fillna("").astype(object),
            "scope_code": f["scope_code"],
            "visit_kind": f["n_visit_kind"].replace("", "first").map(_VISIT),
            "category": cat,
            "request_date": _date_text(f["n_request"]),
            "referral_key": f["n_referral_key"],
            "referral_number": f["referral_number"],
            "npwz": f["practitioner_npwz"].where(f["n_npwz_ok"], ""),
            "id_root": doc_root.where(~pesel, ids.oid["pesel"]),
            "id_ext": f["patient_document_number"].where(~pesel, f["patient_pesel"]),
            "first_name": f["patient_first_name"],
            "last_name": f["patient_last_name"],
            "birth_date": _date_text(f["n_birth"]),
            "sex": f["n_sex"],
            "phone": f["n_phone"],
            "email": f["patient_email"].where(f["n_email_ok"], ""),
            "notes": f["notes"],
        },
        index=f.index,
    )  # fmt: skip


def payload_table(f: pd.DataFrame, settings: Settings, ids: IdentifierConfig) -> pa.Table:
    """:func:`payload_columns` as an Arrow table of strings (null where a value is missing)."""
    cols = payload_columns(f, settings, ids)
    return pa.table(
        {c: pa.array(cols[c].to_numpy(dtype=object), type=pa.string(), from_pandas=True)
         for c in cols.columns}
    )  # fmt: skip
