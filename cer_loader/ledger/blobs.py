"""Columns of many rows as one value of the ledger file (schema 3): an Arrow IPC stream,
zstd-compressed, that SQLite stores as a BLOB. A batch's records and a run's facts are written
once and never changed, so they need no row (and no index entry) per record.

Text that is a canonical UUID (the idempotency keys) is stored as its 16 bytes and lowercase hex
digests (the salted visit digests) as their 32 bytes; :func:`unpack` gives the same text back, so
what the ledger answers is what it was given, value for value. A column whose values are not all
of that form stays text. A digest column given as raw bytes already (a fixed-size binary array,
``digests.digest_array``: the journal's visit digests) is stored as it is: the same blob.
"""

from __future__ import annotations

import binascii

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from cer_loader.ledger.digests import fixed_width

UUID_COLUMNS = ("key",)
HEX_COLUMNS = ("visit_digest",)
REPEATING = ("source_file", "schedule_id", "scope_code", "category")  # dictionary-encoded
_DASHES = np.array([8, 13, 18, 23])
_DIGITS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])
_HEX = np.zeros(256, dtype=bool)
_HEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = True
_OPTIONS = ipc.IpcWriteOptions(compression="zstd")


def _fixed_text(arr: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The bytes of a string array whose every non-null value is ``width`` ASCII bytes, as a
    (rows, width) array (null rows zero) and the validity; None if a value has another length."""
    if not pa.types.is_string(arr.type):
        return None
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    if not valid.any():
        return None
    lengths = pc.binary_length(arr).to_numpy(zero_copy_only=False)
    if (lengths[valid] != width).any():
        return None
    full = pc.fill_null(arr, "0" * width)  # contiguous, every value ``width`` bytes
    offsets = np.frombuffer(full.buffers()[1], dtype=np.int32)[full.offset :]
    start = int(offsets[0]) if len(full) else 0
    data = np.frombuffer(full.buffers()[2], dtype=np.uint8)[start : start + width * len(full)]
    return data.reshape(len(full), width), valid


def _as_bytes(arr: pa.Array, uuid: bool) -> pa.Array:
    """UUID text as 16 bytes, hex text as its bytes: the same values, or ``arr`` as it is."""
    text = _fixed_text(arr, 36 if uuid else 64)
    if text is None:
        return arr
    chars, valid = text
    digits = chars[:, _DIGITS] if uuid else chars
    if uuid and not (chars[:, _DASHES] == ord("-")).all():
        return arr
    if not _HEX[digits].all():
        return arr
    raw = binascii.unhexlify(np.ascontiguousarray(digits).tobytes())
    nulls = int(len(valid) - valid.sum())
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes()) if nulls else None
    width = 16 if uuid else 32
    return pa.Array.from_buffers(pa.binary(width), len(arr), [bitmap, pa.py_buffer(raw)], nulls)


def _as_text(arr: pa.Array) -> pa.Array:
    """The text of a column :func:`_as_bytes` made bytes (16: UUID, 32: hex digest)."""
    if not pa.types.is_fixed_size_binary(arr.type):
        return arr
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    width = arr.type.byte_width
    raw = arr.buffers()[1].to_pybytes()[arr.offset * width : (arr.offset + len(arr)) * width]
    digits = np.frombuffer(binascii.hexlify(raw), dtype=np.uint8).reshape(-1, 2 * width)
    if width != 16:
        return fixed_width(digits.tobytes(), 2 * width, valid)
    text = np.full((len(arr), 36), ord("-"), dtype=np.uint8)
    text[:, _DIGITS] = digits
    return fixed_width(text.tobytes(), 36, valid)


def pack(table: pa.Table) -> bytes:
    """``table`` (text columns) as one compressed Arrow IPC stream."""
    columns = []
    for name in table.column_names:
        arr = table.column(name).combine_chunks()
        if name in UUID_COLUMNS or name in HEX_COLUMNS:
            arr = _as_bytes(arr, name in UUID_COLUMNS)
        elif name in REPEATING and pa.types.is_string(arr.type):
            arr = pc.dictionary_encode(arr)  # a source file name repeats on every row
        columns.append(arr)
    packed = pa.table(columns, names=table.column_names)
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, packed.schema, options=_OPTIONS) as writer:
        writer.write_table(packed)
    return bytes(sink.getvalue())


def unpack(data: bytes) -> pa.Table:
    """The table :func:`pack` was given (text columns, values as they were)."""
    table = ipc.open_stream(pa.py_buffer(data)).read_all()
    columns = []
    for name in table.column_names:
        arr = table.column(name).combine_chunks()
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        columns.append(_as_text(arr))
    return pa.table(columns, names=table.column_names)
