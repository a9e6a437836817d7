"""All the reports of a run, written as one set: each under a temporary name, then renamed.

Order: ``rejected.csv``, ``warnings.csv``, ``not_loaded.csv`` (HL7), ``report.xlsx``,
``report.html`` are written (0600) under temporary names; only when every one is complete are
they renamed into place, ``summary.json`` last — it seals the set (its ``run_id`` names the run
the other files belong to; its ``reports`` the workbook's SHA-256, so a later rebuild tells a
steward's edits in place from the file it wrote). A failure or crash before the renames leaves the previous run's
reports as they were. The pipeline commits the run state (the ledger) after this returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cer_loader.files import Outputs
from cer_loader.mapping import Mapping as ColumnMapping
from cer_loader.report.html import write_html_report
from cer_loader.report.not_loaded import not_loaded_table, write_not_loaded
from cer_loader.report.recipe import sha256_of
from cer_loader.report.rows import issue_table, summary_bytes, write_issue_csv
from cer_loader.report.view import report_view
from cer_loader.report.workbook import utc_now, write_steward_workbook

if TYPE_CHECKING:
    from cer_loader.result import RunResult

REPORTS = ("rejected.csv", "warnings.csv", "not_loaded.csv", "report.xlsx", "report.html",
           "summary.json")  # fmt: skip


def write_reports(
    result: RunResult,
    summary: Mapping[str, Any],
    mapping: ColumnMapping,
    out_dir: Path,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    step: Callable[[int], None] = lambda rows: None,
) -> list[Path]:
    """Write every report of ``result`` into ``out_dir``; the paths written, in rename order.
    ``step(rows)`` is told after each file how many rows it held (progress)."""
    tables, rules = result.tables, result.rules
    lang = result.settings.lang
    view = report_view(result)  # the rows with an issue, taken once for every report
    with Outputs() as out:
        for name, issues in (("rejected.csv", result.errors), ("warnings.csv", result.warnings)):
            table = issue_table(issues, view.frame, tables, rules, lang, view)
            write_issue_csv(out_dir / name, table, out)
            step(len(issues))
        if any(t.not_loaded is not None for t in tables):
            write_not_loaded(out_dir / "not_loaded.csv", not_loaded_table(tables, lang), out)
        write_steward_workbook(out_dir / "report.xlsx", result, summary, mapping, clock=clock,
                               outputs=out, view=view)  # fmt: skip
        step(len(result.issues))
        book = out.staged(out_dir / "report.xlsx")
        if book is not None:
            summary = {**summary, "reports": {"report.xlsx": {"sha256": sha256_of(book)}}}
        write_html_report(out_dir / "report.html", result, summary, clock=clock, outputs=out,
                          view=view)  # fmt: skip
        step(1)
        out.write(out_dir / "summary.json", summary_bytes(summary))
        step(1)
        written = out.paths
    return written
