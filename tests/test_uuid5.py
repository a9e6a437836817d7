"""The base module's column-wise UUID v5 texts against Python's ``uuid.uuid5`` (the oracle),
and its fixed-width string columns (the ledger and the payload share both)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cer_loader.uuid5 import fixed_width, uuid5_texts


@given(
    namespace=st.uuids(),
    prefix=st.text(max_size=12),
    names=st.lists(st.text(max_size=30), max_size=40),
)
def test_uuid5_texts_are_pythons(namespace: uuid.UUID, prefix: str, names: list[str]) -> None:
    got = uuid5_texts(namespace, prefix, [n.encode("utf-8") for n in names]).to_pylist()
    assert got == [str(uuid.uuid5(namespace, prefix + n)) for n in names]


def test_fixed_width_nulls_sparse_and_dense() -> None:
    valid = np.array([True, False, True])
    assert fixed_width(b"abcd", 2, valid, sparse=True).to_pylist() == ["ab", None, "cd"]
    assert fixed_width(b"abxxcd", 2, valid).to_pylist() == ["ab", None, "cd"]
    with pytest.raises(ValueError):
        fixed_width(b"abc", 2)
