"""Reports of a run: ``rejected.csv``, ``warnings.csv`` and ``summary.json``.

The issue files share one shape: ``source_file, source_row, source_ref, appointment_id, rule,
field, value, message`` (value masked when it identifies a person), then the row's original
columns exactly as read (the only place where personal data appears unmasked). UTF-8 with
BOM so Excel opens Polish letters right; created with mode 0600.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cer_loader.catalogues.rules import Rule
from cer_loader.files import Outputs, open_private, write_private
from cer_loader.ingest.table import SOURCE_FILE, SOURCE_REF, SOURCE_ROW, SourceTable
from cer_loader.report.origins import LOCAL, TABLE, original_columns
from cer_loader.report.view import ReportView, fill_messages, shown_values
from cer_loader.sanitize import csv_frame

HL7_SOURCES = "_hl7_sources"
FIXED = [
    "source_file",
    "source_row",
    "source_ref",
    "appointment_id",
    "rule",
    "field",
    "value",
    "message",
]
__all__ = ["FIXED", "LOCAL", "TABLE", "issue_table", "messages", "write_csv", "write_issue_csv",
           "write_summary"]  # fmt: skip


def messages(issues: pd.DataFrame, rules: Mapping[str, Rule], lang: str) -> pd.Series:
    """Per issue, the rule's message with {value} (masked) and its second value filled in."""
    return fill_messages(issues, shown_values(issues), rules, lang)


def issue_table(
    issues: pd.DataFrame,
    frame: pd.DataFrame,
    tables: Sequence[SourceTable],
    rules: Mapping[str, Rule],
    lang: str,
    view: ReportView | None = None,
) -> pd.DataFrame:
    """The report rows for ``issues``: fixed columns then every source file's original columns.
    With ``view`` (the run's :class:`ReportView`), its taken rows, values and messages."""
    if issues.empty:
        return pd.DataFrame(columns=FIXED)
    if view is not None:
        frame = view.frame
        shown, texts = view.shown(issues)
    else:
        shown = shown_values(issues)
        texts = fill_messages(issues, shown, rules, lang)
    rows = issues["row"]
    out = pd.DataFrame(
        {
            "source_file": frame.loc[rows, SOURCE_FILE].to_numpy(),
            "source_row": frame.loc[rows, SOURCE_ROW].to_numpy(),
            "source_ref": frame.loc[rows, SOURCE_REF].to_numpy(),
            "appointment_id": frame.loc[rows, "appointment_id"].to_numpy(),
            "rule": issues["rule"].to_numpy(),
            "field": issues["field"].to_numpy(),
            "value": shown.to_numpy(),
            "message": texts.to_numpy(),
        }
    )
    # HL7: which segment/field each value came from (TQ1-7, PID-3[2], ...), for IT staff
    orig = original_columns(frame, tables, rows, extra=(HL7_SOURCES,))
    orig = orig.rename(columns={HL7_SOURCES: "hl7_sources"})
    orig.index = out.index
    orig = orig.rename(columns={c: f"src:{c}" for c in orig.columns if c in FIXED})
    out = out.join(orig)
    return out.sort_values(["source_file", "source_row", "rule"], kind="stable")


def write_csv(path: Path, table: pd.DataFrame, outputs: Outputs | None = None) -> None:
    """A report CSV for Excel: every value and header through :func:`sanitize.csv_frame`
    (handed Python objects: it reads every value, which an Arrow column gives one by one)."""
    safe = csv_frame(table.astype(object))
    with outputs.open(path) if outputs is not None else open_private(path) as fh:
        safe.to_csv(fh, index=False, quoting=csv.QUOTE_MINIMAL)


def write_issue_csv(path: Path, table: pd.DataFrame, outputs: Outputs | None = None) -> None:
    write_csv(path, table, outputs)


def summary_bytes(summary: Mapping[str, Any]) -> bytes:
    return json.dumps(summary, ensure_ascii=False, indent=2, default=str).encode("utf-8") + b"\n"


def write_summary(path: Path, summary: Mapping[str, Any]) -> None:
    write_private(path, summary_bytes(summary))
