"""The CSV reader's frame, built once: the source's columns (Arrow-backed text, as parsed) and
the provenance columns (:data:`.table.PROVENANCE`) beside them.

``add_provenance`` copies the frame and has pandas broadcast a scalar into each of five text
columns, one Python string per row; here those columns are built as Arrow arrays straight
from their buffers (a repeated value is its bytes repeated, with arithmetic offsets), so a
1M-row frame costs no Python object per row. The frame equals the one ``add_provenance``
makes: the same columns in the same order with the same dtypes and values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from cer_loader.ingest.table import (
    PROVENANCE,
    READER_FIELD,
    READER_ISSUE,
    READER_VALUE,
    SOURCE_FILE,
    SOURCE_REF,
    SOURCE_ROW,
)

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str": Arrow-backed text


def repeated(value: str, n: int) -> pd.api.extensions.ExtensionArray:
    """``n`` times ``value`` as pandas' Arrow-backed text (``large_string``)."""
    raw = value.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int64) * len(raw)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(raw * n)]
    return pd.array(pa.Array.from_buffers(pa.large_string(), n, buffers), dtype=TEXT)


def source_frame(
    headers: list[str],
    columns: list[pa.ChunkedArray],
    path: Path,
    rows: np.ndarray,
    issues: dict[int, tuple[str, str, str]],
) -> pd.DataFrame:
    """The frame of ``columns`` (one per header, already cut to the kept records) with the
    provenance columns: ``rows``, the spreadsheet row of each; ``issues``, a reader issue
    (code, field, value) by position in the frame."""
    n = len(rows)
    data = {h: pd.array(col, dtype=TEXT) for h, col in zip(headers, columns, strict=True)}
    data[SOURCE_FILE] = repeated(str(path), n)
    data[SOURCE_ROW] = np.asarray(rows, dtype=np.int64)
    data[SOURCE_REF] = repeated("", n)
    if issues:
        cols: dict[str, list[str]] = {READER_ISSUE: [""] * n, READER_FIELD: [""] * n}
        cols[READER_VALUE] = [""] * n
        for p, (code, field, value) in issues.items():
            cols[READER_ISSUE][p], cols[READER_FIELD][p], cols[READER_VALUE][p] = code, field, value
        data.update({name: pd.array(values, dtype=TEXT) for name, values in cols.items()})
    else:
        data.update({name: repeated("", n) for name in (READER_ISSUE, READER_FIELD, READER_VALUE)})
    return pd.DataFrame(data, columns=[*headers, *PROVENANCE])
