"""The values a payload record carries, as whole text columns (Arrow), and the idempotency keys.

Everything here is vectorized Arrow (no pandas: render workers import this module and stay
small): dates and instants are written digit by digit by numpy calendar arithmetic (Europe/Warsaw
wall time from Python's zoneinfo offset table), the idempotency keys (UUID v5 of
``"{MUŚ}|{appointment_id}"``) are made column-wise by :mod:`cer_loader.uuid5` (one copied
SHA-1 state per record, the text by numpy), the same code as the ledger's.
:func:`payload_table` works on one batch's columns (:data:`RENDER_COLUMNS`, as the pipeline's
frame holds them) inside the worker that renders it.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Mapping
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.uuid5 import uuid5_texts

KEY_NAMESPACE = uuid.UUID("6f1c3b1e-5d0a-4c43-9a38-3c0f3c3b9e10")
ZONE = "Europe/Warsaw"  # the zone of every appointment time (as cer_loader.normalize reads it)
# the frame columns rendering reads: render_batches is handed only these, and each worker
# gets only its own batch's slice of them (Arrow IPC)
RENDER_COLUMNS = [
    "appointment_id", "schedule_id", "n_start", "n_duration", "scope_code", "n_visit_kind",
    "n_category", "n_request", "n_referral_key", "referral_number", "practitioner_npwz",
    "n_npwz_ok", "n_pesel_present", "n_doc_type", "n_doc_country", "patient_document_number",
    "patient_pesel", "patient_first_name", "patient_last_name", "n_birth", "n_sex", "n_phone",
    "patient_email", "n_email_ok", "notes",
]  # fmt: skip
_VISIT = {"first": "PIERWSZORAZOWA", "continuation": "KONTYNUACJA"}


def _text(values: Any) -> pa.Array:
    """Any column as an Arrow ``string`` array (one chunk)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    elif not isinstance(values, pa.Array):
        values = pa.array(values, from_pandas=True)
    return values if values.type == pa.string() else pc.cast(values, pa.string())


def key_array(mus_id: str, appointment_ids: Any) -> pa.StringArray:
    """UUID v5 texts, equal to ``str(uuid.uuid5(KEY_NAMESPACE, f"{mus_id}|{id}"))`` for each id
    (a missing id counts as ""), made column-wise by :func:`cer_loader.uuid5.uuid5_texts`.

    ``appointment_ids``: an Arrow array, a pandas Series or a list."""
    ids = pc.cast(pc.fill_null(_text(appointment_ids), ""), pa.binary()).to_pylist()
    return uuid5_texts(KEY_NAMESPACE, f"{mus_id}|", ids)


def idempotency_keys(mus_id: str, appointment_ids: Any) -> list[str]:
    return key_array(mus_id, appointment_ids).to_pylist()


def _numpy(values: pa.Array) -> np.ndarray:
    """A numeric or boolean Arrow column as a writable numpy array, nulls as 0 / False.

    (Never ``to_numpy`` of a timestamp column: pyarrow would import pandas for it, and the
    render workers keep clear of pandas.)"""
    filled = pc.fill_null(values, False if values.type == pa.bool_() else 0)
    return np.array(filled.to_numpy(zero_copy_only=False))


def _naive(values: Any) -> pa.Array:
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_timestamp(arr.type):
        arr = pc.cast(arr, pa.timestamp("us"))
    return arr


_ISO = np.frombuffer(b"0000-00-00T00:00:00", dtype=np.uint8)
_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], dtype=np.uint8)


def _iso_digits(seconds: np.ndarray, valid: np.ndarray, width: int) -> np.ndarray | None:
    """``yyyy-mm-ddThh:mm:ss`` (its first ``width`` bytes) of each second since 1970 (int64),
    one row of bytes per value, by integer calendar arithmetic (H. Hinnant's civil-from-days,
    floored before 1970); None when a valid value's year is outside 0000-9999."""
    s = np.where(valid, seconds, 0)
    days, tod = np.divmod(s, 86_400)
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    if len(s) and bool(((year < 0) | (year > 9999))[valid].any()):
        return None
    text = np.empty((len(s), width), dtype=np.uint8)
    text[:] = _ISO[:width]
    text[:, 0:2], text[:, 2:4] = _PAIRS[year // 100], _PAIRS[year % 100]
    text[:, 5:7], text[:, 8:10] = _PAIRS[month], _PAIRS[day]
    if width > 10:
        text[:, 11:13], text[:, 14:16] = _PAIRS[tod // 3600], _PAIRS[tod // 60 % 60]
        text[:, 17:19] = _PAIRS[tod % 60]
    return text


def _format(wall: pa.Array, unit: Literal["D", "s"], width: int) -> pa.Array:
    """ISO 8601 text of naive timestamps to the day (``unit="D"``) or second, "" for none:
    the digits placed by numpy (:func:`_iso_digits`) into the bytes of an Arrow string column;
    a year outside 0000-9999 is left to :func:`_format_wide`."""
    # floored, not truncated: a cast rounds a time before 1970 towards the epoch (the next day)
    values = pc.cast(pc.floor_temporal(wall, unit="second"), pa.timestamp("s"), safe=False)
    valid = _numpy(values.is_valid())
    text = _iso_digits(_numpy(pc.cast(values, pa.int64())), valid, width)
    if text is None:
        return _format_wide(values, valid, unit, width)
    offsets = np.zeros(len(valid) + 1, dtype=np.int64)
    np.cumsum(valid * width, out=offsets[1:])
    return pa.StringArray.from_buffers(
        len(valid), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(text[valid].tobytes())
    )


def _format_wide(
    values: pa.Array, valid: np.ndarray, unit: Literal["D", "s"], width: int
) -> pa.Array:
    """:func:`_format` for years outside 0000-9999 (as it always wrote them): numpy's
    ``datetime_as_string`` where its text is ``width`` long, else Arrow's ``strftime``."""
    seconds = _numpy(pc.cast(values, pa.int64())).view("datetime64[s]")
    seconds[~valid] = np.datetime64("NaT")
    text = np.datetime_as_string(seconds, unit=unit)
    codes = text.view(np.uint32).reshape(len(text), text.dtype.itemsize // 4)
    fits = (
        codes.shape[1] > width
        and not np.any(codes[valid, width])
        and bool(np.all(codes[valid, 4] == ord("-")))
    )
    if not fits:
        fmt = "%Y-%m-%d" if unit == "D" else "%Y-%m-%dT%H:%M:%S"
        return pc.fill_null(pc.strftime(values, format=fmt), "")
    data = np.ascontiguousarray(codes[:, :width]).astype(np.uint8)
    offsets = np.arange(0, width * (len(text) + 1), width, dtype=np.int32)
    out = pa.StringArray.from_buffers(len(text), pa.py_buffer(offsets), pa.py_buffer(data))
    return pc.if_else(pa.array(valid), out, "") if not valid.all() else out


def _date_text(values: Any) -> pa.Array:
    """``yyyy-mm-dd`` of naive datetimes, "" where there is none."""
    return _format(_naive(values), "D", 10)


@functools.lru_cache(maxsize=512)
def _offsets_in(year: int) -> tuple[tuple[int, int], ...]:
    """Europe/Warsaw's UTC offset in ``year``: (UTC second it starts, seconds east of UTC) at
    the year's start and at each change (found by Python's zoneinfo, which follows the
    zone's rules past the last listed transition — Arrow's time-zone code stops at 2037)."""
    zone = ZoneInfo(ZONE)

    def offset(t: int) -> int:
        off = dt.datetime.fromtimestamp(t, dt.UTC).astimezone(zone).utcoffset()
        return int(off.total_seconds()) if off is not None else 0

    start = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
    end = int(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC).timestamp()) if year < 9999 else start
    changes = [(start, offset(start))]
    day = start
    while day < end:
        nxt = min(day + 86_400, end)
        if offset(nxt) != changes[-1][1]:  # changes in (day, nxt]: find the second
            lo, hi = day, nxt
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == changes[-1][1] else (lo, mid)
            changes.append((hi, offset(hi)))
        day = nxt
    return tuple(changes)


def _iso_with_offset(instants: Any) -> pa.Array:
    """``2027-01-12T09:30:00+01:00``: Europe/Warsaw wall time with its offset."""
    arr = _naive(instants)
    if len(arr) == 0:
        return pa.array([], pa.string())
    utc = pc.cast(arr, pa.timestamp("s", tz=arr.type.tz), safe=False)
    seconds = _numpy(pc.cast(utc, pa.int64()))
    years = seconds.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    table = [c for y in range(int(years.min()), int(years.max()) + 1) for c in _offsets_in(y)]
    starts = np.array([c[0] for c in table], dtype=np.int64)
    shifts = np.array([c[1] for c in table], dtype=np.int64)
    shift = shifts[np.searchsorted(starts, seconds, side="right") - 1]
    wall = pa.array(seconds + shift, pa.int64()).cast(pa.timestamp("s"))
    wall = pc.if_else(utc.is_valid(), wall, pa.scalar(None, pa.timestamp("s")))
    summer = pa.array((shift == 7200).astype(np.int8))
    offset = pc.take(pa.array(["+01:00", "+02:00"]), summer)  # as pandas wrote it
    return pc.binary_join_element_wise(_format(wall, "s", 19), offset, "")


def _map(values: pa.Array, mapping: Mapping[str, str]) -> pa.Array:
    """``mapping[value]`` for each value; null where the value is not a key."""
    index = pc.index_in(values, value_set=pa.array(list(mapping), pa.string()))
    return pc.take(pa.array(list(mapping.values()), pa.string()), index)


def _doc_root(doc_type: pa.Array, country: pa.Array, roots: Mapping[str, str]) -> pa.Array:
    """The OID root of a document type; ``{country}`` in it replaced by the document's country."""
    parts = {k: v.partition("{country}") for k, v in roots.items()}
    before = pc.fill_null(_map(doc_type, {k: p[0] for k, p in parts.items()}), "")
    after = pc.fill_null(_map(doc_type, {k: p[2] for k, p in parts.items()}), "")
    has = pc.fill_null(_map(doc_type, {k: "1" if p[1] else "" for k, p in parts.items()}), "")
    middle = pc.if_else(pc.equal(has, "1"), country, "")
    return pc.binary_join_element_wise(before, middle, after, "")


def payload_table(
    t: pa.Table, mus_id: str, pesel_oid: str, doc_roots: Mapping[str, str]
) -> pa.Table:
    """Everything a record needs, as text columns (null where a value is missing); bad optional
    values left out (warnings). ``t`` holds :data:`RENDER_COLUMNS`."""
    col = {name: t.column(name).combine_chunks() for name in RENDER_COLUMNS}
    s = {name: _text(col[name]) for name in RENDER_COLUMNS if name not in _TYPED}
    pesel = _flag(col["n_pesel_present"])
    visit = s["n_visit_kind"]
    visit = _map(pc.if_else(pc.equal(visit, ""), "first", visit), _VISIT)
    doc_root = _doc_root(s["n_doc_type"], s["n_doc_country"], doc_roots)
    values = {
        "key": key_array(mus_id, s["appointment_id"]),
        "appointment_id": s["appointment_id"],
        "schedule_id": s["schedule_id"],
        "start": _iso_with_offset(col["n_start"]),
        "duration": pc.fill_null(_text(col["n_duration"]), ""),
        "scope_code": s["scope_code"],
        "visit_kind": visit,
        "category": pc.utf8_upper(s["n_category"]),
        "request_date": _date_text(col["n_request"]),
        "referral_key": s["n_referral_key"],
        "referral_number": s["referral_number"],
        "npwz": pc.if_else(_flag(col["n_npwz_ok"]), s["practitioner_npwz"], ""),
        "id_root": pc.if_else(pesel, pesel_oid, doc_root),
        "id_ext": pc.if_else(pesel, s["patient_pesel"], s["patient_document_number"]),
        "first_name": s["patient_first_name"],
        "last_name": s["patient_last_name"],
        "birth_date": _date_text(col["n_birth"]),
        "sex": s["n_sex"],
        "phone": s["n_phone"],
        "email": pc.if_else(_flag(col["n_email_ok"]), s["patient_email"], ""),
        "notes": s["notes"],
    }
    return pa.table({name: _text(v) for name, v in values.items()})


_TYPED = {"n_start", "n_duration", "n_request", "n_birth", "n_npwz_ok", "n_pesel_present",
          "n_email_ok"}  # fmt: skip


def _flag(values: pa.Array) -> pa.Array:
    """A boolean column (a missing flag counts as false)."""
    if values.type != pa.bool_():
        values = pc.cast(values, pa.bool_())
    return pc.fill_null(values, False)
