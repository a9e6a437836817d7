"""The rows a run renders are taken from their window of the frame: the same table, row for
row, as ``f.loc`` gives, whatever the order, gaps and chunks of the columns."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cer_loader.render import RENDER_COLUMNS, _taken


def frame(n: int, chunks: int) -> pd.DataFrame:
    cols = {}
    for c in RENDER_COLUMNS:
        parts = [pa.array([f"{c}-{i}" for i in range(k, n, chunks)]) for k in range(chunks)]
        cols[c] = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(parts)))
    f = pd.DataFrame(cols)
    f.index = pd.RangeIndex(10, 10 + n)
    return f


def by_loc(f: pd.DataFrame, labels: pd.Index) -> pa.Table:
    t = pa.Table.from_pandas(f.loc[labels], columns=RENDER_COLUMNS, preserve_index=False)
    return t.replace_schema_metadata(None)


@given(st.lists(st.integers(10, 49), unique=True, max_size=40), st.integers(1, 5))
def test_taken_is_loc(labels: list[int], chunks: int) -> None:
    f = frame(40, chunks)
    index = pd.Index(labels, dtype="int64")
    assert _taken(f, index).equals(by_loc(f, index))


def test_a_label_not_in_the_frame_is_an_error() -> None:
    with pytest.raises(KeyError):
        _taken(frame(5, 1), pd.Index([10, 99]))
