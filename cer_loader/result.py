"""What a run hands to the reports: built once by the pipeline, frozen, read by ``report/``.

``RunResult`` holds what the stages produced (tables read, the normalized frame, the issues,
which rows were accepted, rejected or loaded earlier, the payload batches). ``Run`` is what
:func:`cer_loader.pipeline.run` returns: the result and the summary built from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cer_loader.catalogues.rules import Rule
from cer_loader.ingest.table import SourceTable
from cer_loader.render import PayloadFile
from cer_loader.settings import Settings


@dataclass(frozen=True)
class RunResult:
    settings: Settings
    tables: tuple[SourceTable, ...]
    frame: pd.DataFrame  # normalized rows of every input, global index
    issues: pd.DataFrame  # one row per (row, rule): row, rule, field, severity, ...
    rejected: pd.Index
    accepted: pd.Index
    rules: Mapping[str, Rule]
    # accepted rows whose appointment id an earlier run already put into a payload (not rendered)
    already_loaded: pd.Index
    payload: tuple[PayloadFile, ...] = ()
    state_path: Path | None = None
    run_id: str = ""
    # what CeR answered (``submission`` block of summary.json), when the run submitted
    submission: Mapping[str, Any] | None = None

    @property
    def errors(self) -> pd.DataFrame:
        return self.issues[self.issues["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        return self.issues[self.issues["severity"] == "warning"]

    @property
    def nothing_loaded(self) -> bool:
        """No row accepted (now or by an earlier run): all rejected, not loaded, or no rows."""
        return len(self.accepted) == 0

    @property
    def exit_code(self) -> int:
        """0 all accepted (and, when sent, settled); 1 some rows rejected, refused or unsettled,
        or nothing loaded (not a success); a submission fault gives its own code."""
        sub = self.submission or {}
        if sub.get("fault"):
            return int(sub["fault"]["exit_code"])
        unsettled = sub.get("refused_by_cer", 0) + sub.get("unknown", 0) + sub.get("not_sent", 0)
        return 1 if len(self.rejected) or unsettled or self.nothing_loaded else 0


@dataclass(frozen=True)
class Run:
    """A finished run: its result and the summary the reports were written from."""

    result: RunResult
    summary: Mapping[str, Any]

    @property
    def exit_code(self) -> int:
        return int(self.summary.get("exit_code", self.result.exit_code))
