"""Whole-column text helpers on Arrow strings, and parsing once per distinct value.

pandas falls back to Python's ``re`` per value for some patterns (back-references, ``\\u``
escapes); these helpers call Arrow's RE2 kernels directly. ``per_distinct`` runs a parser on
the distinct values of a column only (an export has ~300 visit days and a few dozen times in
a million rows) and spreads the answer back with one take.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

T = TypeVar("T", pd.Series, pd.DataFrame)


def as_arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The column as an Arrow string array, missing values as ""."""
    arr = getattr(values.array, "_pa_array", None)
    if arr is None or not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pa.array(
            values.astype("str").to_numpy(dtype=object), type=pa.string(), from_pandas=True
        )
    return pc.fill_null(arr, "")


def text(arr: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """An Arrow string array back to a pandas ``str`` column (no copy to objects)."""
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index).astype("str")


def choose(cond: np.ndarray | pd.Series, a: pd.Series, b: pd.Series | str) -> pd.Series:
    """``a.where(cond, b)`` for text columns, by Arrow's ``if_else`` (pandas' ``where`` on Arrow
    strings rewrites the array through a mask, value by value)."""
    first = as_arrow(a)
    other = as_arrow(b) if isinstance(b, pd.Series) else pa.scalar(b, first.type)
    if isinstance(other, (pa.Array, pa.ChunkedArray)) and other.type != first.type:
        other = other.cast(first.type)
    mask = pa.array(np.asarray(cond, dtype=bool))
    return text(pc.if_else(mask, first, other), a.index)


def re_replace(values: pd.Series, pattern: str, replacement: str) -> pd.Series:
    """``re.sub`` over the column with RE2 (``\\1`` back-references allowed)."""
    out = pc.replace_substring_regex(as_arrow(values), pattern, replacement)
    return text(out, values.index)


def re_full(values: pd.Series, pattern: str) -> np.ndarray:
    """True where the whole value matches ``pattern`` (RE2)."""
    hit = pc.match_substring_regex(as_arrow(values), f"^(?:{pattern})$")
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def re_search(values: pd.Series, pattern: str) -> np.ndarray:
    """True where ``pattern`` (RE2) occurs anywhere in the value."""
    hit = pc.match_substring_regex(as_arrow(values), pattern)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def lengths(values: pd.Series) -> np.ndarray:
    """Length in characters per value."""
    return np.asarray(pc.utf8_length(as_arrow(values)).to_numpy(zero_copy_only=False))


def any_byte(values: pd.Series, table: np.ndarray) -> bool:
    """Whether any UTF-8 byte of the column is marked in ``table`` (256 booleans): one numpy
    pass over the Arrow data buffers, to skip a regex on columns that cannot match it."""
    arr = as_arrow(values)
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        if not len(chunk):
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32 if chunk.type == pa.string()
                                else np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]  # fmt: skip
        data = chunk.buffers()[2]
        if data is None:
            continue
        body = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
        if table[body].any():
            return True
    return False


def per_distinct(values: pd.Series, parse: Callable[[pd.Series], T]) -> T:
    """``parse(values)``, computed on the distinct values only and aligned back to ``values``.

    ``parse`` must be row-wise (each output row depends only on its own input value).
    """
    codes, uniques = pd.factorize(values.fillna(""), sort=False)
    if len(uniques) * 2 > len(values):
        return parse(values)
    out = parse(pd.Series(uniques, dtype="str"))
    if isinstance(out, pd.DataFrame):  # text answers spread as category codes, not objects
        for name in [c for c in out.columns if out[c].dtype == np.dtype(object)]:
            out[name] = out[name].astype("category")
    taken = out.iloc[codes]
    taken.index = values.index
    return taken
