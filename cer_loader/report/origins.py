"""Where each row of a run came from: its original columns, and its original file.

:func:`original_columns` is the one join from rows of the run's frame back to the columns of
the table they were read from (``rejected.csv``, ``warnings.csv``, the workbook and the HTML
examples all use it). A row read from a steward workbook carries the original file and row it
was first read from; any other row is its own origin (:func:`origins_of`), which the workbook
writer uses to restore the source headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.steward import ORIG_FILE, ORIG_REF, ORIG_ROW, ORIGIN
from cer_loader.ingest.table import SOURCE_FILE, SOURCE_REF, SOURCE_ROW, SourceTable
from cer_loader.mapping import Mapping, resolve_columns

if TYPE_CHECKING:
    from cer_loader.result import RunResult

# columns of the run's frame naming the table a row was read from and its label there
TABLE, LOCAL = "_table", "_local"


def original_columns(
    frame: pd.DataFrame, tables: Sequence[SourceTable], labels: Iterable[Any],
    extra: Sequence[str] = (),
) -> pd.DataFrame:  # fmt: skip
    """For each label of ``frame`` (repeats allowed), its row's columns as read from its table.

    The result has one row per label, in order (index 0..n-1), and the union of the tables'
    visible columns (plus ``extra`` hidden ones where a table has them); a column a row's own
    table lacks is NaN.
    """
    labels = list(labels)
    table_of = frame.loc[labels, TABLE].to_numpy() if labels else np.array([], dtype=int)
    local_of = frame.loc[labels, LOCAL].to_numpy() if labels else np.array([])
    parts = []
    for t, table in enumerate(tables):
        at = np.flatnonzero(table_of == t)
        if not len(at):
            continue
        cols = [c for c in table.frame.columns if not c.startswith("_")]
        cols += [c for c in extra if c in table.frame.columns]
        part = table.frame.loc[local_of[at], cols]
        part.index = pd.RangeIndex(len(labels))[at]
        parts.append(part)
    out = pd.concat(parts) if parts else pd.DataFrame(index=pd.RangeIndex(len(labels)))
    return out.reindex(pd.RangeIndex(len(labels)))


@dataclass
class Origins:
    """The original files behind a run's rows, and per row (frame label) which one and where."""

    items: list[dict[str, Any]]
    headers: list[str]
    index: pd.Series  # frame label -> origin number
    file: pd.Series
    row: pd.Series
    ref: pd.Series
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def columns_of(self, label: Any) -> dict[str, str]:
        return self.items[int(self.index[label])]["columns"]

    def provenance(self, labels: list[Any]) -> tuple[list[str], list[str], list[str]]:
        return (self.file[labels].tolist(), self.row[labels].tolist(), self.ref[labels].tolist())

    def headers_for(self, name: str) -> list[str]:
        found = {o["columns"][name] for o in self.items if name in o["columns"]}
        return [h for h in self.headers if h in found]


def origins_of(result: RunResult, mapping: Mapping, frame: pd.DataFrame | None = None) -> Origins:
    """Origins of every row of ``result`` (or of the rows of ``frame``, a part of the run's frame
    holding its ``_table`` and ``_local`` columns); a steward table contributes the origins it
    recorded. The files (``items``) and ``headers`` are the run's whatever the rows."""
    frame = result.frame if frame is None else frame
    items: list[dict[str, Any]] = []
    headers: list[str] = []
    values: dict[str, dict[str, str]] = {}
    idx, files, rows, refs = [], [], [], []
    for t, table in enumerate(result.tables):
        headers += [c for c in table.frame.columns if not c.startswith("_") and c not in headers]
        sel = frame[frame[TABLE] == t]
        steward = table.kind == "steward"
        cols = (ORIG_FILE, ORIG_ROW, ORIG_REF) if steward else (SOURCE_FILE, SOURCE_ROW, SOURCE_REF)
        src = table.frame.loc[sel[LOCAL].to_numpy(), [*((ORIGIN,) if steward else ()), *cols]]
        if steward:
            base = len(items)
            items += table.details["origins"]
            values.update(table.details.get("values", {}))
            idx.append(pd.Series(src[ORIGIN].to_numpy() + base, index=sel.index))
        else:
            if table.canonical:
                columns = {n: n for n in FIELD_NAMES if n in table.frame.columns}
            else:
                columns = resolve_columns(mapping, table)
            items.append({"path": str(table.path), "sha256": table.sha256, "kind": table.kind,
                          "columns": columns})  # fmt: skip
            idx.append(pd.Series(len(items) - 1, index=sel.index))
        files.append(pd.Series(src[cols[0]].astype("str").to_numpy(), index=sel.index))
        rows.append(pd.Series(src[cols[1]].astype("str").to_numpy(), index=sel.index))
        refs.append(pd.Series(src[cols[2]].astype("str").to_numpy(), index=sel.index))
    return Origins(items, headers, pd.concat(idx), pd.concat(files), pd.concat(rows),
                   pd.concat(refs), values)  # fmt: skip
