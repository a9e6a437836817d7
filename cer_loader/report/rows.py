"""Reports of a run: ``rejected.csv``, ``warnings.csv`` and ``summary.json``.

The issue files share one shape: ``source_file, source_row, source_ref, appointment_id, rule,
field, value, message`` (value masked when it identifies a person), then the row's original
columns exactly as read (the only place where personal data appears unmasked). UTF-8 with
BOM so Excel opens Polish letters right; created with mode 0600.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cer_loader.catalogues.rules import Rule
from cer_loader.files import open_private, write_private
from cer_loader.ingest.table import SOURCE_FILE, SOURCE_REF, SOURCE_ROW, SourceTable
from cer_loader.report.masking import mask_for_field
from cer_loader.validate import DERIVED

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
TABLE, LOCAL = "_table", "_local"


def _masked(issues: pd.DataFrame) -> pd.Series:
    """Values as shown in reports: masked when they identify a person (derived values are not)."""
    derived = issues["rule"].isin(list(DERIVED))
    fields = issues["field"].where(~derived, "")
    return mask_for_field(issues["value"], fields)


def messages(issues: pd.DataFrame, rules: dict[str, Rule], lang: str) -> pd.Series:
    """Per issue, the rule's message with {value} (masked) and {other_row} filled in."""
    masked = _masked(issues)
    other = issues["other_row"].fillna("").astype(str).replace("", "?")
    out = pd.Series("", index=issues.index, dtype="object")
    for code, idx in issues.groupby("rule").groups.items():
        template = rules[str(code)].message(lang)
        parts = template.split("{value}")
        text = pd.Series(parts[0], index=idx)
        for part in parts[1:]:
            text = text + masked[idx] + part
        if "{other_row}" in template:
            pieces = text.str.split("{other_row}", n=1, expand=True, regex=False)
            text = pieces[0] + other[idx] + pieces[1]
        out[idx] = text
    return out


def issue_table(
    issues: pd.DataFrame,
    frame: pd.DataFrame,
    tables: Sequence[SourceTable],
    rules: dict[str, Rule],
    lang: str,
) -> pd.DataFrame:
    """The report rows for ``issues``: fixed columns then every source file's original columns."""
    if issues.empty:
        return pd.DataFrame(columns=FIXED)
    rows = issues["row"]
    out = pd.DataFrame(
        {
            "source_file": frame.loc[rows, SOURCE_FILE].to_numpy(),
            "source_row": frame.loc[rows, SOURCE_ROW].to_numpy(),
            "source_ref": frame.loc[rows, SOURCE_REF].to_numpy(),
            "appointment_id": frame.loc[rows, "appointment_id"].to_numpy(),
            "rule": issues["rule"].to_numpy(),
            "field": issues["field"].to_numpy(),
            "value": _masked(issues).to_numpy(),
            "message": messages(issues, rules, lang).to_numpy(),
        }
    )
    table_of = frame.loc[rows, TABLE].to_numpy()
    local_of = frame.loc[rows, LOCAL].to_numpy()
    originals = []
    for t, table in enumerate(tables):
        sel = table_of == t
        if not sel.any():
            continue
        cols = [c for c in table.frame.columns if not c.startswith("_")]
        # HL7: which segment/field each value came from (TQ1-7, PID-3[2], ...), for IT staff
        cols += [c for c in (HL7_SOURCES,) if c in table.frame.columns]
        part = table.frame.loc[local_of[sel], cols].copy()
        part = part.rename(columns={HL7_SOURCES: "hl7_sources"})
        part.index = out.index[sel]
        originals.append(part)
    orig = pd.concat(originals) if originals else pd.DataFrame(index=out.index)
    orig = orig.rename(columns={c: f"src:{c}" for c in orig.columns if c in FIXED})
    out = out.join(orig.reindex(out.index))
    return out.sort_values(["source_file", "source_row", "rule"], kind="stable")


def write_issue_csv(path: Path, table: pd.DataFrame) -> None:
    with open_private(path) as fh:
        table.to_csv(fh, index=False, quoting=csv.QUOTE_MINIMAL)


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    data = json.dumps(summary, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    write_private(path, data + b"\n")
