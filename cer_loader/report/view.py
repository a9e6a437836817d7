"""What the reports read of a run, taken once and shared by every report of it.

A 1M-row run with 10k rejected rows should cost the reports what 10k rows cost: the rows with
an issue (and only the columns the reports read of them) are taken from the run's frame once,
and each issue's value as shown (masked) and its message are filled once, for ``rejected.csv``,
``warnings.csv``, the steward workbook and the HTML examples alike. The taken frame keeps the
run's labels and input order, so every lookup by label gives what the whole frame would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from cer_loader.catalogues.rules import Rule
from cer_loader.ingest.table import SOURCE_FILE, SOURCE_REF, SOURCE_ROW
from cer_loader.report.masking import mask_for_field
from cer_loader.report.origins import LOCAL, TABLE
from cer_loader.sanitize import mask_personal
from cer_loader.validate import DERIVED

if TYPE_CHECKING:
    from cer_loader.result import RunResult

# the columns of the run's frame a report reads (where the frame has them)
COLUMNS = (SOURCE_FILE, SOURCE_ROW, SOURCE_REF, "appointment_id", TABLE, LOCAL, "patient_pesel")


@dataclass(frozen=True)
class ReportView:
    """The run's rows that have an issue (``frame``: their report columns, input order), and
    per issue (the issues' index) its value as shown and its message in the run's language."""

    frame: pd.DataFrame
    values: pd.Series
    messages: pd.Series
    rules: Mapping[str, Rule]
    lang: str

    def shown(self, issues: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """(values as shown, messages) of ``issues`` (some of the run's issues)."""
        if self.values.index.is_unique:
            return self.values.loc[issues.index], self.messages.loc[issues.index]
        shown = shown_values(issues)  # labels that do not name one issue: fill these again
        return shown, fill_messages(issues, shown, self.rules, self.lang)


def taken_rows(frame: pd.DataFrame, labels: pd.Series | pd.Index) -> pd.DataFrame:
    """The rows ``labels`` of ``frame`` (once each, in the frame's order), report columns only."""
    wanted = frame.index[frame.index.isin(pd.unique(pd.Series(labels).to_numpy()))]
    columns = [c for c in COLUMNS if c in frame.columns]
    return frame.loc[wanted, columns]


def report_view(result: RunResult) -> ReportView:
    """The view of ``result`` every report of it shares."""
    issues = result.issues
    values = shown_values(issues)
    return ReportView(
        frame=taken_rows(result.frame, issues["row"]),
        values=values,
        messages=fill_messages(issues, values, result.rules, result.settings.lang),
        rules=result.rules,
        lang=result.settings.lang,
    )


def shown_values(issues: pd.DataFrame) -> pd.Series:
    """Values as shown in reports: masked when their field identifies a person (derived values
    are not), and whatever their field, any PESEL-like number, phone or e-mail inside them (a
    row the reader set aside names a source header, not a field; the id is left readable)."""
    derived = issues["rule"].isin(list(DERIVED))
    fields = issues["field"].where(~derived, "")
    out = mask_for_field(issues["value"], fields)
    scan = (issues["field"] != "appointment_id").to_numpy()
    if scan.any():
        out[scan] = mask_personal(out[scan])
    return out


def fill_messages(
    issues: pd.DataFrame, shown: pd.Series, rules: Mapping[str, Rule], lang: str
) -> pd.Series:
    """Per issue, the rule's message with {value} (``shown``) and its second value filled in:
    {other_row} (the row a duplicate repeats) or {picked} (the phone number picked)."""
    other = issues["other_row"].fillna("").astype(str).replace("", "?")
    out = pd.Series("", index=issues.index, dtype="object")
    for code, idx in issues.groupby("rule").groups.items():
        template = rules[str(code)].message(lang)
        parts = template.split("{value}")
        text = pd.Series(parts[0], index=idx)
        for part in parts[1:]:
            text = text + shown[idx] + part
        for slot in ("{other_row}", "{picked}"):  # the issue's second value, by its rule
            if slot in template:
                pieces = text.str.split(slot, n=1, expand=True, regex=False)
                text = pieces[0] + other[idx] + pieces[1]
        out[idx] = text
    return out
