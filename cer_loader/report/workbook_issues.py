"""What an issue sheet of the steward workbook says about each row: its rule codes, its
message, the cells marked and their comments, from the run's issues at once.

Per rejected row: the rule codes (each once, in the issues' order), the messages (each once,
with the hint of a programme rule), the cells its issues mark (a rule marks its field's source
column or columns: a start time the date and time columns, a programme rule the scope and the
PESEL or the cell it read instead) and, for the first :data:`MAX_COMMENTS` marked cells, the
comment: every message marking that cell, each once. Computed over whole columns of issues;
only the rows with more than one issue, and the commented cells, take a Python step each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from cer_loader.report.origins import Origins
    from cer_loader.report.view import ReportView

MAX_COMMENTS = 5_000  # beyond this, the message column alone explains (comment shapes are
# slow to write, and to open: LibreOffice draws each one)
# rules decided by other cells than their field: the scope, and the PESEL the sex and age come
# from (the sex or birth date cell only for a patient without PESEL)
DECIDING = {"programme-sex": "patient_sex", "programme-age": "patient_birth_date"}
HINTS = {
    "programme-sex": (
        "Płeć wynika z numeru PESEL. Wiersz przejdzie, gdy kod zakresu wskaże świadczenie "
        "dostępne dla tej płci albo gdy błędny PESEL zostanie poprawiony.",
        "The sex follows from the PESEL. The row passes when the scope code names a service "
        "open to this sex, or when a wrong PESEL is corrected.",
    ),
    "programme-age": (
        "Wiek liczy się rocznikowo z numeru PESEL (lub daty urodzenia) i daty wizyty. Wiersz "
        "przejdzie, gdy kod zakresu wskaże program dla tego wieku albo gdy błędny PESEL lub "
        "data urodzenia zostaną poprawione.",
        "The age is counted by birth year from the PESEL (or birth date) and the visit date. "
        "The row passes when the scope code names a programme for this age, or when a wrong "
        "PESEL or birth date is corrected.",
    ),
}
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class SheetRows:
    """The rows of an issue sheet: ``labels`` (frame labels, input order), per row its
    ``codes`` ("; "-joined) and ``messages`` (line per message); the marked cells as
    (``mark_rows``, ``mark_headers``): row position and index in the headers; ``notes``:
    (row position, header index, comment text) of the cells that get a comment."""

    labels: list[Any] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    mark_rows: np.ndarray = field(default_factory=lambda: _EMPTY)
    mark_headers: np.ndarray = field(default_factory=lambda: _EMPTY)
    notes: list[tuple[int, int, str]] = field(default_factory=list)


def fault_headers(
    code: str, field: str, columns: dict[str, str], headers: set[str], has_pesel: bool
) -> list[str]:
    """The original headers a failing rule points at (start → date and time)."""
    if code in DECIDING:
        names = ["scope_code", "patient_pesel" if has_pesel else DECIDING[code]]
        return [columns[n] for n in names if n in columns]
    names = ["start", "start_date", "start_time"] if field == "start" else [field]
    found = [columns[n] for n in names if n in columns]
    if not found and field in headers:
        found = [field]  # reader issues name the source column itself
    return found


def joined(at: np.ndarray, texts: list[str], n: int, sep: str) -> list[str]:
    """Per position 0 … n-1, the ``texts`` at it (``at``: each text's position; every position
    has one) each once, in their order, joined by ``sep``."""
    frame = pd.DataFrame({"at": at, "text": pd.Series(texts, dtype=object)})
    frame = frame[~frame.duplicated()]
    order = np.argsort(frame["at"].to_numpy(), kind="stable")
    pos = frame["at"].to_numpy()[order]
    kept = frame["text"].to_numpy()[order].tolist()
    starts = np.searchsorted(pos, np.arange(n + 1))
    out = [kept[s] for s in starts[:-1].tolist()]  # the common row: one text
    for k in np.flatnonzero(np.diff(starts) > 1).tolist():
        out[k] = sep.join(kept[starts[k] : starts[k + 1]])
    return out


def sheet_rows(
    issues: pd.DataFrame, view: ReportView, origins: Origins, headers: list[str], lang: str,
    max_comments: int = MAX_COMMENTS,
) -> SheetRows:  # fmt: skip
    """The :class:`SheetRows` of ``issues`` (some of the run's issues: errors or warnings)."""
    if issues.empty:
        return SheetRows()
    rule = issues["rule"].astype(str).to_numpy(dtype=object)
    fields = issues["field"].astype(str).to_numpy(dtype=object)
    hints = {code: f". {pair[lang == 'en']}" for code, pair in HINTS.items()}
    msgs = view.shown(issues)[1].astype(str).to_numpy(dtype=object)
    hinted = pd.Series(rule).map(hints).fillna("").to_numpy(dtype=object)
    texts = (msgs + hinted).tolist()
    frame = view.frame
    rows = pd.Index(issues["row"].to_numpy())
    index = frame.index
    labels = index[index.isin(rows.unique())]  # input order, without a loop over every row
    at = labels.get_indexer(rows)
    n = len(labels)
    codes = joined(at, rule.tolist(), n, "; ")
    messages = joined(at, texts, n, "\n")
    # the cells a rule marks depend on the origin, the rule, the field and (programme rules)
    # whether the row has a PESEL: decided once per combination, not per issue
    deciding = np.isin(rule, list(DECIDING))
    has_pesel = np.zeros(len(rule), dtype=bool)
    if deciding.any() and "patient_pesel" in frame.columns:
        pesel = frame["patient_pesel"].reindex(rows)
        filled = pesel.notna().to_numpy() & (pesel.astype(str) != "").to_numpy()
        has_pesel = deciding & filled
    origin = origins.index.reindex(rows).to_numpy().astype(np.int64)
    keys = pd.DataFrame({"o": origin, "r": rule, "f": fields, "p": has_pesel})
    kid = keys.groupby(["o", "r", "f", "p"], sort=False).ngroup().to_numpy()
    firsts = keys[~keys.duplicated()]
    present, column = set(headers), {h: j for j, h in enumerate(headers)}
    heads = [
        [column[h] for h in fault_headers(r, f, origins.items[o]["columns"], present, bool(p))]
        for o, r, f, p in firsts.itertuples(index=False)
    ]  # in ngroup's order: first appearance
    count = np.array([len(h) for h in heads], dtype=np.int64)[kid]
    issue = np.repeat(np.arange(len(kid)), count)  # one entry per (issue, marked cell)
    flat = np.array([j for h in heads for j in h], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum([len(h) for h in heads])])[kid]
    within = np.arange(len(issue)) - np.repeat(np.cumsum(count) - count, count)
    cell_row, cell_head = at[issue], flat[starts[issue] + within]
    # in row order, each row's cells in the order its issues first mark them
    order = np.argsort(cell_row, kind="stable")
    cell_row, cell_head, issue = cell_row[order], cell_head[order], issue[order]
    key = cell_row * (len(headers) + 1) + cell_head
    _, first = np.unique(key, return_index=True)
    first.sort()
    noted = first[:max_comments]
    notes: list[tuple[int, int, str]] = []
    if len(noted):
        wanted = set(key[noted].tolist())
        upto = int(np.searchsorted(cell_row, cell_row[noted[-1]], "right"))  # rows sorted
        said: dict[int, dict[str, None]] = {}
        for k, i in zip(key[:upto].tolist(), issue[:upto].tolist(), strict=True):
            if k in wanted:
                said.setdefault(k, {})[texts[i]] = None
        notes = [(int(cell_row[f]), int(cell_head[f]), "\n".join(said[int(key[f])]))
                 for f in noted]  # fmt: skip
    return SheetRows(labels.tolist(), codes, messages, cell_row[first], cell_head[first], notes)
