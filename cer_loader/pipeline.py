"""The only place that knows the order: read → map → normalize → validate → render → report."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.catalogues.rules import check_catalogue, load_rules
from cer_loader.catalogues.scopes import load_scopes
from cer_loader.errors import UsageError
from cer_loader.ingest import read_source
from cer_loader.ingest.options import Limits
from cer_loader.ingest.table import SourceTable
from cer_loader.ledger import Ledger, default_ledger_path, new_run_id, open_ledger
from cer_loader.ledger.journal import journal, mark_held
from cer_loader.mapping import Mapping, apply_mapping, load_mapping, steward_canonical
from cer_loader.normalize import normalize
from cer_loader.render import RENDER_COLUMNS, PayloadFile, render_batches
from cer_loader.report.html import write_html_report
from cer_loader.report.not_loaded import not_loaded_table, write_not_loaded
from cer_loader.report.rows import LOCAL, TABLE, issue_table, write_issue_csv, write_summary
from cer_loader.report.summary import build_summary
from cer_loader.report.workbook import write_steward_workbook
from cer_loader.result import Run, RunResult
from cer_loader.settings import Settings
from cer_loader.submit import refusals
from cer_loader.submit.orchestrate import Submission
from cer_loader.validate import rejected_rows, validate
from cer_loader.validate.context import Context
from cer_loader.validate.registry import CHECKS

log = logging.getLogger("cer_loader")
Progress = Callable[[str, int, int], None]
# sends what the ledger holds as RENDERED among the given files (the CLI builds the client)
Submitter = Callable[[Ledger, list[Path], Progress], Submission]


def _noop(stage: str, done: int, total: int) -> None:
    return None


def read_inputs(
    inputs: list[Path],
    mapping: Mapping,
    progress: Progress = _noop,
    oids: dict[str, str] | None = None,
    limits: dict[str, int] | None = None,
) -> list[SourceTable]:
    options = replace(
        mapping.reader_options(), identifier_oids=oids or {}, limits=Limits(**(limits or {}))
    )
    tables = []
    for i, path in enumerate(inputs):
        progress("read", i, len(inputs))
        table = read_source(path, options)
        log.info("read file=%s kind=%s rows=%d", path, table.kind, table.data_rows)
        tables.append(table)
    progress("read", len(inputs), len(inputs))
    return tables


def combine(tables: list[SourceTable], mapping: Mapping) -> pd.DataFrame:
    frames = []
    for t, table in enumerate(tables):
        canon = (
            steward_canonical(table) if table.kind == "steward" else apply_mapping(table, mapping)
        )
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
    ledger_path: Path | None = None,
    config_path: Path | None = None,
    submitter: Submitter | None = None,
) -> Run:
    """Validate (and with ``render``, write the payload, and with ``submitter`` send it);
    reports go to ``out_dir`` if given. The ledger: ``ledger_path``, else the one a steward
    workbook names, else the MUŚ's default beside ``config_path`` (see ``cer_loader.ledger``)."""
    if not inputs:
        raise UsageError("nie podano plików wejściowych", "no input files given")
    settings = settings.checked()
    rules = load_rules(settings.rules)
    check_catalogue(rules, set(CHECKS), settings.rules)
    scopes = load_scopes(settings.scopes)
    ids = load_identifiers(settings.identifiers)
    mapping = load_mapping(mapping_path)

    tables = read_inputs(inputs, mapping, progress, ids.oid, settings.limits)
    canon = combine(tables, mapping)
    progress("validate", 0, len(canon))
    frame = normalize(canon, ids)
    state_file = _ledger_path(ledger_path, tables, settings.mus_id, config_path)
    state = open_ledger(state_file, settings.mus_id, create=render and out_dir is not None)
    payload: list[PayloadFile] = []
    run_id = new_run_id()
    rules = dict(rules)
    submission = None
    try:
        if state is not None:
            mark_held(frame, state)
        ctx = Context(scopes=scopes, as_of=settings.as_of, mus_id=settings.mus_id)
        issues = validate(frame, ctx, rules)
        rejected = rejected_rows(issues)
        accepted = frame.index.difference(rejected)
        progress("validate", len(canon), len(canon))
        already = accepted[frame.loc[accepted, "n_loaded_earlier"].to_numpy(dtype=bool)]
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            if render:
                payload = _render_and_record(
                    frame, accepted.difference(already), settings, tables, run_id, state, ids,
                    out_dir, progress,
                )  # fmt: skip
        if submitter is not None and state is not None:
            sub = submitter(state, [p.path for p in payload], progress)
            refused, new_rules = refusals.refusal_issues(
                frame, accepted.difference(already), refusals.refusals(state, sub)
            )
            if not refused.empty:
                issues = pd.concat([issues, refused], ignore_index=True)
                rules.update(new_rules)
                rejected = rejected.union(pd.Index(refused["row"].unique()))
                accepted = accepted.difference(rejected)
            submission = refusals.summary(state, sub)
        result = RunResult(
            settings=settings, tables=tuple(tables), frame=frame, issues=issues,
            rejected=rejected, accepted=accepted, rules=rules, already_loaded=already,
            payload=tuple(payload), state_path=state_file, run_id=run_id,
            submission=submission,
        )  # fmt: skip
        if out_dir is not None:
            _write_row_reports(result, out_dir)
    finally:
        if state is not None:
            state.close()
    summary = build_summary(result, out_dir)
    if out_dir is not None:
        write_summary(out_dir / "summary.json", summary)
        write_steward_workbook(out_dir / "report.xlsx", result, summary, mapping)
        write_html_report(out_dir / "report.html", result, summary)
    return Run(result, summary)


def _render_and_record(
    frame: pd.DataFrame, new: pd.Index, settings: Settings, tables: list[SourceTable],
    run_id: str, state: Ledger | None, ids: Any, out_dir: Path, progress: Progress,
) -> list[PayloadFile]:  # fmt: skip
    """Render the rows CeR does not hold; journal the new batches (RENDERED) in the ledger."""
    payload_dir = out_dir / "payload"
    _refuse_overwrite(state, payload_dir, len(new))
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress("render", done[0], len(new))

    payload = render_batches(
        frame.loc[new, RENDER_COLUMNS], settings, ids, payload_dir, progress=tick
    )  # only the columns rendering reads: no copy of the wide frame
    if state is not None:
        inputs = [str(t.path) for t in tables]
        journal(state, frame, payload, run_id=run_id, inputs=inputs, out_dir=out_dir)
    return payload


def _write_row_reports(result: RunResult, out_dir: Path) -> None:
    frame, tables, rules = result.frame, result.tables, dict(result.rules)
    lang = result.settings.lang
    write_issue_csv(
        out_dir / "rejected.csv", issue_table(result.errors, frame, tables, rules, lang)
    )
    write_issue_csv(
        out_dir / "warnings.csv", issue_table(result.warnings, frame, tables, rules, lang)
    )
    if any(t.not_loaded is not None for t in tables):
        write_not_loaded(out_dir / "not_loaded.csv", not_loaded_table(tables, lang))


def _ledger_path(
    given: Path | None, tables: list[SourceTable], mus_id: str, config: Path | None
) -> Path:
    """``--ledger``, else the ledger a steward workbook recorded (if it exists), else the
    MUŚ's default ledger (``cer_loader.ledger.default_ledger_path``)."""
    if given is not None:
        return given
    for table in tables:
        recorded = table.details.get("state", "") if table.kind == "steward" else ""
        if recorded and Path(recorded).is_file():
            return Path(recorded)
    return default_ledger_path(mus_id, config)


def _refuse_overwrite(state: Ledger | None, payload_dir: Path, rows: int) -> None:
    """Never overwrite a payload file the ledger journaled (and did not supersede)."""
    if state is None or not rows or not payload_dir.is_dir():
        return
    recorded = state.batch_files()
    clash = sorted(str(p) for p in payload_dir.glob("*.xml") if str(p.resolve()) in recorded)
    if clash:
        raise UsageError(
            f"katalog wyników zawiera już paczki z wcześniejszego przebiegu ({clash[0]}); "
            "podaj nowy katalog --out",
            f"the output folder already holds payload files of an earlier run ({clash[0]}); "
            "give a new --out folder",
        )
