"""The CSV reader's frame, built once: the source's columns (Arrow-backed text, as parsed) with
the provenance columns (:func:`.table.add_provenance`, which copies no column and makes no
Python string per row) and the reader's issues beside them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from cer_loader.ingest.table import (
    READER_FIELD,
    READER_ISSUE,
    READER_VALUE,
    TEXT,
    add_provenance,
    blank_but,
)


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
    data = {h: pd.array(col, dtype=TEXT) for h, col in zip(headers, columns, strict=True)}
    frame = add_provenance(pd.DataFrame(data, columns=headers), path, rows)
    if issues:  # a few rows: their codes, fields and values among empty texts
        for k, name in enumerate((READER_ISSUE, READER_FIELD, READER_VALUE)):
            frame[name] = blank_but(len(frame), {p: got[k] for p, got in issues.items()})
    return frame
