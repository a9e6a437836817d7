"""The only place that knows the order: read → map → normalize → validate → render → report."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import checks_patient  # noqa: F401  (registers the patient checks)
from .checks import CHECKS, Context
from .config import Settings
from .errors import UsageError
from .ingest import read_source
from .mapping import Mapping, apply_mapping, load_mapping
from .normalize import normalize
from .oids import load_identifiers
from .render import PayloadFile, render_batches
from .report import LOCAL, TABLE, issue_table, write_issue_csv, write_summary
from .rules import Rule, check_catalogue, load_rules
from .scopes import load_scopes
from .sources import SourceTable
from .summary import build_summary
from .validate import rejected_rows, validate

log = logging.getLogger("cer_loader")
Progress = Callable[[str, int, int], None]


@dataclass
class RunResult:
    settings: Settings
    tables: list[SourceTable]
    frame: pd.DataFrame  # normalized rows of every input, global index
    issues: pd.DataFrame
    rejected: pd.Index
    accepted: pd.Index
    payload: list[PayloadFile] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if len(self.rejected) else 0


def _noop(stage: str, done: int, total: int) -> None:
    return None


def read_inputs(inputs: list[Path], mapping: Mapping, progress: Progress = _noop) -> list[SourceTable]:
    tables = []
    for i, path in enumerate(inputs):
        progress("read", i, len(inputs))
        table = read_source(path, mapping)
        log.info("read file=%s kind=%s rows=%d", path, table.kind, table.data_rows)
        tables.append(table)
    progress("read", len(inputs), len(inputs))
    return tables


def combine(tables: list[SourceTable], mapping: Mapping) -> pd.DataFrame:
    frames = []
    for t, table in enumerate(tables):
        canon = apply_mapping(table, mapping)
        canon[TABLE] = t
        canon[LOCAL] = table.frame.index
        frames.append(canon)
    return pd.concat(frames, ignore_index=True)


def run(
    inputs: list[Path],
    settings: Settings,
    *,
    mapping_path: Path | None = None,
    out_dir: Path | None = None,
    render: bool = True,
    progress: Progress = _noop,
) -> RunResult:
    """Validate (and with ``render``, write the payload); reports go to ``out_dir`` if given."""
    if not inputs:
        raise UsageError("nie podano plików wejściowych", "no input files given")
    settings = settings.checked()
    rules = load_rules(settings.rules)
    check_catalogue(rules, set(CHECKS), settings.rules)
    scopes = load_scopes(settings.scopes)
    ids = load_identifiers(settings.identifiers)
    mapping = load_mapping(mapping_path)

    tables = read_inputs(inputs, mapping, progress)
    canon = combine(tables, mapping)
    progress("validate", 0, len(canon))
    frame = normalize(canon, ids)
    ctx = Context(scopes=scopes, as_of=settings.as_of, mus_id=settings.mus_id)
    issues = validate(frame, ctx, rules)
    rejected = rejected_rows(issues)
    accepted = frame.index.difference(rejected)
    progress("validate", len(canon), len(canon))
    result = RunResult(settings, tables, frame, issues, rejected, accepted, rules=rules)

    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        if render:
            total = len(accepted)
            done = [0]

            def tick(n: int) -> None:
                done[0] += n
                progress("render", done[0], total)

            result.payload = render_batches(
                frame.loc[accepted], settings, ids, out_dir / "payload", progress=tick
            )
        lang = settings.lang
        errors = issues[issues["severity"] == "error"]
        warnings = issues[issues["severity"] == "warning"]
        write_issue_csv(out_dir / "rejected.csv", issue_table(errors, frame, tables, rules, lang))
        write_issue_csv(out_dir / "warnings.csv", issue_table(warnings, frame, tables, rules, lang))
    result.summary = build_summary(result, out_dir)
    if out_dir is not None:
        write_summary(out_dir / "summary.json", result.summary)
    return result
