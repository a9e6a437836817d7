"""``summary.json``: the counts of a run, built once from its :class:`RunResult`.

The balance, per file and for the run, each term named::

    physical_records == header + blank + accepted + rejected + skipped

``physical_records`` is the independent census of the file (CSV: quote-aware record count;
workbook: the sheet's used rows; HL7: MSH segments), ``header`` counts title rows too,
``skipped`` counts the *records* a reader accounted for that became no data row of their own
(HL7: messages folded into an appointment, cancellations, duplicate deliveries, other message
types; ``not_loaded`` is the same number under its earlier name). Appointments are counted
apart: ``hl7.appointments_not_loaded`` (listed in ``not_loaded.csv``). Also
``input_rows == accepted + rejected``. The printed summary is :mod:`cer_loader.report.console`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cer_loader import __version__
from cer_loader.outcomes import Notice

# the printed summary moved to report/console.py; kept importable from here for its callers
from cer_loader.report.console import (
    TEXT,
    format_loop,
    format_submission,
    format_summary,
    reader_warning,
)
from cer_loader.report.not_loaded import counts as hl7_counts
from cer_loader.validate.identity import patients_without_sms

if TYPE_CHECKING:
    from cer_loader.result import RunResult


def _rule_counts(issues: pd.DataFrame) -> dict[str, int]:
    counts = issues.groupby("rule")["row"].nunique().sort_values(ascending=False)
    return {str(k): int(v) for k, v in counts.items()}


def _physical(table: Any) -> int:
    """The independent count when the reader recorded one, else the reader's own total."""
    census = table.details.get("census")
    if isinstance(census, dict) and "physical_records" in census:
        return int(census["physical_records"])
    if "used_rows" in table.details:
        return int(table.details["used_rows"])
    if "msh_segments" in table.details:
        return int(table.details["msh_segments"])
    return int(table.total_records)


def file_balance(table: Any, accepted: int, rejected: int) -> dict[str, Any]:
    terms = {
        "physical_records": _physical(table),
        "header": table.header_records,
        "blank": table.blank_rows,
        "accepted": accepted,
        "rejected": rejected,
        "skipped": table.skipped_rows,
    }
    parts = sum(v for k, v in terms.items() if k != "physical_records")
    return {
        **terms,
        "not_loaded": table.skipped_rows,  # the earlier name of "skipped"
        "equation": "physical_records = header + blank + accepted + rejected + skipped",
        "holds": terms["physical_records"] == parts == table.total_records,
        "sha256": table.sha256,
        # kept for readers of earlier summaries
        "total_records": table.total_records,
        "header_records": table.header_records,
        "blank_rows": table.blank_rows,
        "skipped_rows": table.skipped_rows,
        "data_rows": table.data_rows,
    }


def run_balance(files: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("physical_records", "header", "blank", "accepted", "rejected", "skipped", "not_loaded")
    total = {k: sum(f["balance"][k] for f in files) for k in keys}
    total["holds"] = all(f["balance"]["holds"] for f in files)
    return total


def build_summary(result: RunResult, out_dir: Path | None) -> dict[str, Any]:
    frame, issues = result.frame, result.issues
    errors, warns = result.errors, result.warnings
    files: list[dict[str, Any]] = []
    for t, table in enumerate(result.tables):
        rows = frame.index[frame["_table"] == t]
        n_rej = int(rows.isin(result.rejected).sum())
        file_issues = issues[issues["row"].isin(rows)]
        balance = file_balance(table, table.data_rows - n_rej, n_rej)
        files.append(
            {
                "path": str(table.path),
                "kind": table.kind,
                "sha256": table.sha256,
                "size": table.size,
                "details": dict(table.details),
                "balance": balance,
                "input_rows": table.data_rows,
                "accepted": table.data_rows - n_rej,
                "rejected": n_rej,
                "rules": _rule_counts(file_issues),
                "reader_warnings": [
                    reader_warning_entry(w, result.settings.lang) for w in table.warnings
                ],
            }
        )
    input_rows = len(frame)
    summary: dict[str, Any] = {
        "tool": "cer-loader",
        "version": __version__,
        "mus_id": result.settings.mus_id,
        "as_of": result.settings.as_of.isoformat(),
        "input_rows": input_rows,
        "blank_rows": sum(t.blank_rows for t in result.tables),
        "accepted": len(result.accepted),
        "rejected": len(result.rejected),
        "rows_with_warnings": int(warns["row"].nunique()),
        "warnings": len(warns),
        "balance_holds": input_rows == len(result.accepted) + len(result.rejected)
        and all(f["balance"]["holds"] for f in files),
        "balance": run_balance(files),
        "rejections_by_rule": _rule_counts(errors),
        "warnings_by_rule": _rule_counts(warns),
        # distinct patients of the accepted rows with no mobile number: no SMS from CeR
        "patients_without_sms": patients_without_sms(frame, result.accepted),
        "files": files,
        "payload": [
            {
                "file": str(p.path.relative_to(out_dir)) if out_dir else str(p.path),
                "records": p.records,
                "sha256": p.sha256,
            }
            for p in result.payload
        ],
        "exit_code": result.exit_code,
    }
    summary.update(loop_summary(result))
    hl7 = hl7_counts(result.tables)
    if hl7:
        summary["hl7"] = hl7
    if result.submission is not None:
        summary["submission"] = dict(result.submission)
    return summary


def reader_warning_entry(notice: Notice, lang: str) -> dict[str, Any]:
    """A reader warning in ``summary.json``: its stable code and its text in the run's language."""
    return {"code": notice.code, "text": notice.text(lang)}


def loop_summary(result: RunResult) -> dict[str, Any]:
    """The fix-and-resubmit loop: ``accepted == accepted_new + already_loaded``.

    ``already_loaded``: accepted rows whose appointment id an earlier run (per the state file)
    already put into a payload, so they were not rendered again. ``steward_fixed``: rows read
    from a steward workbook (``report.xlsx``) that are now accepted for the first time.
    """
    frame = result.frame
    already = result.already_loaded
    new = result.accepted[~result.accepted.isin(already)]
    steward = [t for t, table in enumerate(result.tables) if table.kind == "steward"]
    fixed = int(frame.loc[new, "_table"].isin(steward).sum()) if len(new) else 0
    return {
        "accepted_new": len(new),
        "already_loaded": len(already),
        "steward_fixed": fixed,
        "run_id": result.run_id,
        "state_file": str(result.state_path) if result.state_path else None,
    }


__all__ = ["TEXT", "build_summary", "file_balance", "format_loop", "format_submission", "format_summary",
           "loop_summary", "reader_warning", "reader_warning_entry", "run_balance"]  # fmt: skip
