"""What every reader hands to the rest of the pipeline: a ``SourceTable``.

A reader (CSV, workbook, HL7 dump, steward workbook) turns one input file into one
``SourceTable``. Its ``frame`` holds one row per *data record* (blank rows removed and
counted, the header not included), every value a ``str`` ("" for an empty cell), the
source's own columns in source order, plus the provenance columns below.

Conservation, which the run checks and ``summary.json`` shows::

    total_records == header_records + blank_rows + skipped_rows + len(frame)

``skipped_rows`` is for records a reader deliberately does not turn into data rows and
explains in ``not_loaded`` (HL7: cancelled appointments, superseded messages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cer_loader.ingest.bounded import read_input_bytes  # noqa: F401  (re-exported for readers)
from cer_loader.outcomes import Notice

# Provenance columns every reader adds to its frame.
SOURCE_FILE = "_source_file"  # the path as the user gave it
SOURCE_ROW = (
    "_source_row"  # int: row number as a spreadsheet shows it (header row 1), or HL7 message index
)
SOURCE_REF = "_source_ref"  # str: extra human pointer ("" for CSV; "MSH-10 ABC123" for HL7)
READER_ISSUE = "_reader_issue"  # str: a rule code when the reader itself rejects the row, else ""
READER_FIELD = "_reader_field"  # str: the column the reader issue is about ("" if none)
READER_VALUE = "_reader_value"  # str: the offending raw text for the reader issue ("" if none)

# Codes a reader puts in READER_ISSUE (rules of their own in schemas/rules.toml).
UNCLOSED_QUOTE = "csv-unclosed-quote"  # CSV: a stray quote; the line alone is the row
EXTRA_FIELDS = "csv-extra-fields"  # CSV: more non-empty fields than the header has
TOTAL_ROW = "total-row"  # workbooks: a summary row ("Razem: 40"), not an appointment
READER_CODES = (UNCLOSED_QUOTE, EXTRA_FIELDS, TOTAL_ROW)

# pandas' "str": Arrow-backed text, the dtype of every reader's text columns
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
PROVENANCE = [SOURCE_FILE, SOURCE_ROW, SOURCE_REF, READER_ISSUE, READER_FIELD, READER_VALUE]


@dataclass
class SourceTable:
    path: Path
    kind: str  # "csv" | "xlsx" | "hl7" | "steward"
    frame: pd.DataFrame
    headers: list[str]
    header_row: int = 1
    header_records: int = 1
    blank_rows: int = 0
    skipped_rows: int = 0
    total_records: int = 0
    sha256: str = ""
    size: int = 0
    # True when ``frame`` columns are already canonical CeR field names (HL7, steward workbook)
    canonical: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    # HL7 and similar: records that are accounted for but not loaded (reason, ref, ...)
    not_loaded: pd.DataFrame | None = None
    # what a person should know about the file although it was read (see cer_loader.outcomes)
    warnings: list[Notice] = field(default_factory=list)

    @property
    def data_rows(self) -> int:
        return len(self.frame)


def repeated(value: str, n: int) -> pd.api.extensions.ExtensionArray:
    """``n`` times ``value`` as :data:`TEXT`, built from its buffers (a repeated value is its
    bytes repeated, with arithmetic offsets): no Python string per row."""
    raw = value.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int64) * len(raw)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(raw * n)]
    return pd.array(pa.Array.from_buffers(pa.large_string(), n, buffers), dtype=TEXT)


def blank_but(n: int, values: dict[int, str]) -> pd.api.extensions.ExtensionArray:
    """``n`` empty strings as :data:`TEXT` but ``values`` at their positions: one Arrow take
    from the few distinct texts (no Python string per row)."""
    if not values:
        return repeated("", n)
    codes = np.zeros(n, dtype=np.int32)
    codes[np.fromiter(values, np.int64, len(values))] = np.arange(1, len(values) + 1)
    texts = pa.array(["", *values.values()], pa.large_string())
    return pd.array(texts.take(pa.array(codes)), dtype=TEXT)


def add_provenance(frame: pd.DataFrame, path: Path, rows: list[int] | Any) -> pd.DataFrame:
    """Add the provenance columns with no reader issues; ``rows`` are spreadsheet row numbers.
    The frame's own columns are not copied (copy on write); the text ones are :func:`repeated`."""
    frame = frame.copy(deep=False)
    n = len(frame)
    frame[SOURCE_FILE] = repeated(str(path), n)
    frame[SOURCE_ROW] = pd.array(rows, dtype="int64")
    for col in (SOURCE_REF, READER_ISSUE, READER_FIELD, READER_VALUE):
        if col not in frame.columns:
            frame[col] = repeated("", n)
    return frame
