"""Whole-column UUID v5 texts and fixed-width ASCII Arrow string columns (base layer: the
ledger's idempotency keys and the payload's ``kluczIdempotencji`` are made by the same code).

:func:`uuid5_texts` equals ``str(uuid.uuid5(namespace, prefix + name))`` per name: the SHA-1
state of the namespace and prefix is prepared once and copied per name, and the text of the
whole column is made by one ``binascii.hexlify`` and numpy into an Arrow string array.
"""

from __future__ import annotations

import binascii
import hashlib
import uuid
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

# where the 32 hex digits go in the 36 characters of a UUID's text (dashes at 8, 13, 18, 23)
_DIGIT_AT = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def uuid5_texts(namespace: uuid.UUID, prefix: str, names: Sequence[bytes]) -> pa.StringArray:
    """``str(uuid.uuid5(namespace, prefix + name))`` for each name (UTF-8 bytes): SHA-1 of
    the namespace and prefix prepared once and copied per name, the text made by numpy."""
    start = hashlib.sha1(namespace.bytes + prefix.encode("utf-8")).copy
    out: list[bytes] = []
    append = out.append
    for name in names:
        h = start()
        h.update(name)
        append(h.digest()[:16])
    raw = np.frombuffer(b"".join(out), dtype=np.uint8).reshape(-1, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x50  # version 5
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = np.frombuffer(binascii.hexlify(raw.tobytes()), dtype=np.uint8).reshape(-1, 32)
    text = np.full((len(raw), 36), ord("-"), dtype=np.uint8)
    text[:, _DIGIT_AT] = digits
    return fixed_width(text.tobytes(), 36)


def fixed_width(
    data: bytes, width: int, valid: np.ndarray | None = None, *, sparse: bool = False
) -> pa.StringArray:
    """A string array of values ``width`` bytes long laid end to end in ``data`` (ASCII);
    ``valid``: null where False, the null values' bytes in ``data`` too unless ``sparse``."""
    if valid is None:
        valid = np.ones(len(data) // width, dtype=bool)
    valid = np.asarray(valid, dtype=bool)
    if sparse:
        offsets = np.zeros(len(valid) + 1, dtype=np.int64)
        np.cumsum(valid * width, out=offsets[1:])
    else:
        offsets = np.arange(0, width * (len(valid) + 1), width, dtype=np.int64)
    if offsets[-1] != len(data) or offsets[-1] >= 2**31:
        raise ValueError("the text does not fit the values (or one Arrow string array)")
    nulls = int(len(valid) - valid.sum())
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes()) if nulls else None
    return pa.StringArray.from_buffers(
        len(valid), pa.py_buffer(offsets.astype(np.int32).tobytes()), pa.py_buffer(data),
        bitmap, nulls,
    )  # fmt: skip
