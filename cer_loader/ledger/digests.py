"""Whole-column helpers of the ledger: keyed digests (HMAC-SHA256 under the ledger's salt) of
text columns as raw bytes (:func:`digest_array`, what the blobs store) or hex text, UTC instants
as text, pandas columns as Arrow text; the UUID v5 idempotency keys (:func:`uuid5_texts`) and
:func:`fixed_width` live in the base module :mod:`cer_loader.uuid5` (the payload's keys are made
there too) and are re-exported here.

The digests are byte-identical to ``hmac.new(salt, text.encode("utf-8"), sha256).hexdigest()``
per value (``tests/ledger/test_digests.py`` holds the per-row implementation as the oracle);
the loop is :func:`.hmac_loop.hmac_sha256`, which :mod:`.digester` also runs in a helper
process for long columns. The hex text of a whole column is made by one ``binascii.hexlify``
into an Arrow string array; UTC text is written once per distinct instant and taken.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.ledger.hmac_loop import hmac_sha256
from cer_loader.uuid5 import fixed_width, uuid5_texts

__all__ = [
    "UTC_FORMAT", "arrow_text", "digest_array", "fixed_width", "hex_column", "hex_text",
    "keyed_digests", "text_array", "text_list", "utc_text", "utf8", "uuid5_texts",
]  # fmt: skip

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def keyed_digests(salt: str, texts: Sequence[bytes]) -> list[bytes]:
    """HMAC-SHA256 (key: ``salt`` as ASCII) of each value, as raw 32-byte digests (the loop:
    :func:`.hmac_loop.hmac_sha256`; long columns: :mod:`.digester`, with a second process)."""
    return hmac_sha256(salt.encode("ascii"), texts)


def digest_array(raw: bytes, valid: np.ndarray | None = None, width: int = 32) -> pa.Array:
    """Digests laid end to end in ``raw`` as a fixed-size binary array (how the ledger's blobs
    store them, :mod:`.blobs`); with ``valid`` (as many True as digests), null where it is
    False, the null slots' bytes zero."""
    n = len(raw) // width if valid is None else len(valid)
    if valid is None or valid.all():
        return pa.Array.from_buffers(pa.binary(width), n, [None, pa.py_buffer(raw)], 0)
    values = np.zeros((n, width), dtype=np.uint8)
    values[valid] = np.frombuffer(raw, dtype=np.uint8).reshape(-1, width)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    nulls = int(n - valid.sum())
    return pa.Array.from_buffers(pa.binary(width), n, [bitmap, pa.py_buffer(values)], nulls)


def hex_text(digests: pa.Array) -> pa.StringArray:
    """A fixed-size binary array (:func:`digest_array`) as lowercase hex text, null for null."""
    width = digests.type.byte_width
    valid = digests.is_valid().to_numpy(zero_copy_only=False)
    data = digests.buffers()[1]
    raw = memoryview(data)[digests.offset * width : (digests.offset + len(digests)) * width]
    return fixed_width(binascii.hexlify(raw), 2 * width, valid)


def hex_column(digests: Sequence[bytes], valid: np.ndarray | None = None) -> pa.StringArray:
    """The digests as lowercase hex text; with ``valid`` (one bool per output row, as many
    True as ``digests``), null where it is False."""
    width = 2 * len(digests[0]) if digests else 64
    return fixed_width(binascii.hexlify(b"".join(digests)), width, valid, sparse=True)


def arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (no copy for Arrow-backed columns)."""
    arr = pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    return arr


def utf8(texts: pa.Array) -> list[bytes]:
    """The values of a string array as UTF-8 bytes (nulls are not expected)."""
    return texts.cast(pa.binary()).to_pylist()


def utc_text(instants: pd.Series) -> pa.Array:
    """Instants as ``2027-01-09T13:00:00Z`` (UTC, the second truncated), null for NaT; the
    text of ``Series.dt.tz_convert("UTC").dt.strftime(UTC_FORMAT)`` and of numpy's
    ``datetime_as_string(unit="s")`` + ``Z``. Digits placed by numpy on the whole column
    (Arrow's ``strftime`` for years outside 1..9999)."""
    if isinstance(instants.dtype, pd.DatetimeTZDtype):
        instants = instants.dt.tz_convert("UTC").dt.tz_localize(None)
    naive = instants.to_numpy(dtype="datetime64[us]")
    if len(naive) < _FEW:
        return _utc_text(naive)
    # appointments start on a few thousand distinct instants: each is written once, then taken
    codes = pc.dictionary_encode(pa.array(naive.view(np.int64)))
    distinct = codes.dictionary.to_numpy(zero_copy_only=False).view("datetime64[us]")
    return pc.take(_utc_text(distinct), codes.indices)


_FEW = 1024  # below this many instants utc_text writes each one (no distinct values sought)


def _utc_text(naive: np.ndarray) -> pa.Array:
    """:func:`utc_text` of naive UTC instants (``datetime64[us]``, NaT for unknown)."""
    nat = np.isnat(naive)
    day = naive.astype("datetime64[D]")  # floor, also before 1970
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    if len(naive) and not (nat | ((year >= 1) & (year <= 9999))).all():
        arr = pa.array(naive, type=pa.timestamp("us"), from_pandas=True)
        seconds = pc.floor_temporal(arr, unit="second").cast(pa.timestamp("s"))
        return pc.strftime(seconds, format=UTC_FORMAT)
    month = day.astype("datetime64[M]")
    fields = (
        (year, 0, 4), (month.astype(np.int64) % 12 + 1, 5, 2),
        ((day - month).astype(np.int64) + 1, 8, 2),
    )  # fmt: skip
    tod = (naive - day).astype("timedelta64[s]").astype(np.int64)
    text = np.frombuffer(b"0000-00-00T00:00:00Z" * len(naive), dtype=np.uint8).reshape(-1, 20)
    text = text.copy()
    for values, at, width in (*fields, (tod // 3600, 11, 2), (tod // 60 % 60, 14, 2),
                              (tod % 60, 17, 2)):  # fmt: skip
        v = np.where(nat, 0, values)
        for i in range(width - 1, -1, -1):
            text[:, at + i] += (v % 10).astype(np.uint8)
            v = v // 10
    return fixed_width(text.tobytes(), 20, ~nat)


def text_array(values: pd.Series, na: str | None = None) -> pa.Array:
    """``text_list(values, na)`` as an Arrow string array (taken from Arrow when it can be)."""
    plain = pd.api.types.is_string_dtype(values.dtype) or pd.api.types.is_integer_dtype(
        values.dtype
    )
    if plain and not values.isna().any():
        return arrow_text(values) if pd.api.types.is_string_dtype(values.dtype) else (
            pa.array(values, from_pandas=True).cast(pa.string()))  # fmt: skip
    return pa.array(text_list(values, na), pa.string())


def text_list(values: pd.Series, na: str | None = None) -> list[str]:
    """``[str(v) for v in values]`` (with ``na`` in place of missing values when given), taken
    from Arrow for text and integer columns."""
    if na is not None:
        values = values.astype(object).where(values.notna(), na)
    if values.isna().any() or not (
        pd.api.types.is_string_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype)
    ):
        return [str(v) for v in values.tolist()]
    arr = pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if (
        pa.types.is_integer(arr.type)
        or pa.types.is_string(arr.type)
        or pa.types.is_large_string(arr.type)
    ):
        return arr.cast(pa.string()).to_pylist()
    return [str(v) for v in values.tolist()]
