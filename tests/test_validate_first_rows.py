"""Where a duplicate's first row is (``other_row`` of duplicate-visit and duplicate-appointment-id):
computed for the flagged rows only, the same text the earlier groupby over every row gave
(kept here as the oracle), for any keys, files, index labels and rows asked for."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cer_loader.ingest.table import SOURCE_FILE, SOURCE_ROW
from cer_loader.validate import first_rows


def groupby_oracle(f: pd.DataFrame, key: pd.Series, missing: object) -> pd.Series:
    group = f[SOURCE_ROW].groupby(key)
    first_row = group.transform("first")
    first_file = f[SOURCE_FILE].groupby(key).transform("first")
    row_text = first_row.astype("string").fillna("")
    name = first_file.astype("string").str.rsplit("/", n=1).str[-1].fillna("")
    text = row_text.where(first_file == f[SOURCE_FILE], name + ":" + row_text)
    return text.where(key != missing, "").astype(object)


FILES = ["in/wizyty.csv", "/data/b/druga.xlsx", "c.hl7"]


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[int]]:
    n = draw(st.integers(1, 40))
    labels = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
    f = pd.DataFrame(
        {
            SOURCE_ROW: pd.array(draw(st.lists(st.integers(2, 99), min_size=n, max_size=n)),
                                 dtype="int64"),
            SOURCE_FILE: pd.array(draw(st.lists(st.sampled_from(FILES), min_size=n, max_size=n)),
                                  dtype="str"),
        },
        index=labels,
    )  # fmt: skip
    return f, draw(st.lists(st.sampled_from(labels), unique=True))


@given(frames(), st.data())
def test_text_keys_as_the_groupby_gave(
    case: tuple[pd.DataFrame, list[int]], data: st.DataObject
) -> None:
    f, rows = case
    keys = data.draw(
        st.lists(st.sampled_from(["", "W1", "W2", "w1", "Ż"]), min_size=len(f), max_size=len(f))
    )
    key = pd.Series(pd.array(keys, dtype="str"), index=f.index)
    want = groupby_oracle(f, key, "").loc[rows].to_numpy()
    assert first_rows(f, key, "", pd.Index(rows)).tolist() == want.tolist()


@given(frames(), st.data())
def test_visit_codes_as_the_groupby_gave(
    case: tuple[pd.DataFrame, list[int]], data: st.DataObject
) -> None:
    f, rows = case
    codes = data.draw(st.lists(st.integers(-1, 5), min_size=len(f), max_size=len(f)))
    key = pd.Series(np.asarray(codes, dtype=np.int64), index=f.index)
    want = groupby_oracle(f, key, -1).loc[rows].to_numpy()
    assert first_rows(f, key, -1, pd.Index(rows)).tolist() == want.tolist()
