"""The only place that knows the order: check → read → map → normalize → validate → render →
(journal RENDERED → submit, with submission) → reports (renamed into place) → the ledger's
commit of the run, last (see ``_Journal``).

``run`` is the whole job (``cer_loader.run`` is this function); ``build_settings`` decides a run's
settings from the defaults, ``cer-loader.toml``, a resubmitted steward workbook's recorded
settings and the caller's options, in that order (later wins). Stages report progress through
``progress(stage, done, total)``: ``read`` (rows below the headers; ``read_messages`` when every
input is an HL7 dump), ``validate`` (rows), ``render`` (records), ``report`` (rows written), and
whatever stages the submitter reports. Each stage's ``done`` never goes down and ends equal to
its ``total``; a reading total is an estimate until each file has been read that far. With
``replay`` it writes an earlier run's reports again (``cer-loader submit OUT_DIR``, see
:mod:`cer_loader.rebuild`): nothing rendered, the ledger read as that run found it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.catalogues.rules import check_catalogue, load_rules
from cer_loader.catalogues.scopes import load_scopes
from cer_loader.errors import UsageError
from cer_loader.ingest import detect_kind, read_source
from cer_loader.ingest.options import Limits
from cer_loader.ingest.progress import estimate, units
from cer_loader.ingest.steward import steward_defaults
from cer_loader.ingest.table import SourceTable
from cer_loader.ledger import Ledger, default_ledger_path, new_run_id, open_ledger
from cer_loader.ledger.before import before_run
from cer_loader.ledger.journal import journal, mark_held
from cer_loader.mapping import Mapping, apply_mapping, load_mapping, steward_canonical
from cer_loader.memory import release
from cer_loader.normalize import normalize
from cer_loader.preflight import check_inputs, check_outputs
from cer_loader.render import RENDER_COLUMNS, PayloadFile, render_batches
from cer_loader.report import recipe
from cer_loader.report.origins import LOCAL, TABLE
from cer_loader.report.summary import build_summary
from cer_loader.report.writer import write_reports
from cer_loader.result import Run, RunResult
from cer_loader.settings import Settings, load_settings, parse_date
from cer_loader.submit import refusals
from cer_loader.submit.orchestrate import Submission
from cer_loader.validate import rejected_rows, validate
from cer_loader.validate.context import Context
from cer_loader.validate.registry import CHECKS

log = logging.getLogger("cer_loader")
Progress = Callable[[str, int, int], None]
# shares of the "validate" stage (measured on 100k rows): normalizing, then the ledger's lookup
NORM, HELD = 0.45, 0.6
# sends what the ledger holds as RENDERED among the given files (the CLI builds the client)
Submitter = Callable[[Ledger, list[Path], Progress], Submission]


@dataclass(frozen=True)
class Replay:
    """An earlier run to write the reports of again: its id and payload files (as recorded)."""

    run_id: str
    payload: tuple[PayloadFile, ...]


def _noop(stage: str, done: int, total: int) -> None:
    return None


def read_inputs(
    inputs: list[Path],
    mapping: Mapping,
    progress: Progress = _noop,
    oids: dict[str, str] | None = None,
    limits: dict[str, int] | None = None,
) -> list[SourceTable]:
    """Read every input; ``progress("read", rows read, rows expected)`` across all inputs
    (``read_messages`` and HL7 messages when every input is a dump): files not read yet count
    with the estimate from their first bytes (``cer_loader.ingest.progress``)."""
    options = replace(
        mapping.reader_options(), identifier_oids=oids or {}, limits=Limits(**(limits or {}))
    )
    kinds = [detect_kind(p) if p.is_file() else "csv" for p in inputs]
    stage = "read_messages" if kinds and all(k == "hl7" for k in kinds) else "read"
    guesses = [estimate(p, k) for p, k in zip(inputs, kinds, strict=True)]
    read = 0  # units of the files already read
    tables = []
    for i, path in enumerate(inputs):
        rest = sum(guesses[i + 1 :])

        def tell(done: int, expected: int, before: int = read, rest: int = rest) -> None:
            progress(stage, before + done, before + expected + rest)

        table = read_source(path, options, tell)
        log.info("read file=%s kind=%s rows=%d", path, table.kind, table.data_rows)
        tables.append(table)
        read += units(table.kind, table.total_records, table.header_records)
    progress(stage, read, read)
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


def _as_path(value: str | Path | None) -> Path | None:
    return Path(value) if value is not None else None


def build_settings(
    inputs: Sequence[str | Path],
    config_path: str | Path | None = None,
    options: dict[str, Any] | None = None,
) -> Settings:
    """Settings for a run: defaults < ``config_path`` (cer-loader.toml) < what a steward
    workbook among ``inputs`` recorded (its resubmit run keeps the first run's MUŚ, as-of date,
    catalogues) < ``options`` (None values are ignored)."""
    given = {k: v for k, v in (options or {}).items() if v is not None}
    merged = steward_defaults([Path(p) for p in inputs]) | given
    if isinstance(merged.get("as_of"), str):
        merged["as_of"] = parse_date(merged["as_of"], "as_of")
    return load_settings(_as_path(config_path), merged)


def run(
    inputs: Sequence[str | Path],
    settings: Settings | None = None,
    *,
    config_path: str | Path | None = None,
    options: dict[str, Any] | None = None,
    mapping_path: str | Path | None = None,
    out_dir: str | Path | None = None,
    render: bool = True,
    progress: Progress = _noop,
    ledger_path: str | Path | None = None,
    submitter: Submitter | None = None,
    replay: Replay | None = None,
) -> Run:
    """Validate (and with ``render``, write the payload, and with ``submitter`` send it);
    reports go to ``out_dir`` if given. ``settings`` as given, or built by
    :func:`build_settings` from ``config_path`` and ``options``. The ledger: ``ledger_path``,
    else the one a steward workbook names, else the MUŚ's default beside ``config_path`` (see
    ``cer_loader.ledger``). ``replay``: write the reports of that earlier run again (its run id
    and payload; with ``render=False`` and a ``submitter`` handing back CeR's answers). Raises a
    :class:`cer_loader.errors.CerLoaderError` for a problem of the run itself; row problems are
    in the result."""
    paths = [Path(p) for p in inputs]
    out, given_ledger, config = _as_path(out_dir), _as_path(ledger_path), _as_path(config_path)
    check_inputs(paths)  # a missing or doubled input first, before any settings problem
    if settings is None:
        settings = build_settings(paths, config, options)
    settings = settings.checked()
    check_outputs(paths, out, given_ledger)
    rules = load_rules(settings.rules)
    check_catalogue(rules, set(CHECKS), settings.rules)
    scopes = load_scopes(settings.scopes)
    ids = load_identifiers(settings.identifiers)
    mapping = load_mapping(_as_path(mapping_path))

    tables = read_inputs(paths, mapping, progress, ids.oid, settings.limits)
    canon = combine(tables, mapping)
    rows = len(canon)
    progress("validate", 0, rows)
    frame = normalize(
        canon, ids, lambda share: progress("validate", int(rows * share * NORM), rows)
    )
    del canon  # normalize keeps the columns it needs: the mapped frame is not read again
    state_file = _ledger_path(given_ledger, tables, settings.mus_id, config)
    state = open_ledger(state_file, settings.mus_id, create=render and out is not None)
    payload: list[PayloadFile] = list(replay.payload) if replay else []
    run_id = replay.run_id if replay else new_run_id()
    rules = dict(rules)
    submission = None
    record = _Journal(state if render or replay else None, frame, payload, run_id, tables, out,
                      journaled=replay is not None)  # fmt: skip
    try:
        if state is not None:  # a replay reads the ledger as its run found it
            mark_held(frame, before_run(state, run_id) if replay else state)
            progress("validate", int(rows * HELD), rows)
        ctx = Context(scopes=scopes, as_of=settings.as_of, mus_id=settings.mus_id)
        issues = validate(frame, ctx, rules, lambda done, n: progress(
            "validate", int(rows * (HELD + (1 - HELD) * done / n)), rows
        ))  # fmt: skip
        issues = _drop_errors_of_held(issues, frame)
        rejected = rejected_rows(issues)
        accepted = frame.index.difference(rejected)
        progress("validate", rows, rows)
        already = accepted[frame.loc[accepted, "n_loaded_earlier"].to_numpy(dtype=bool)]
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            if render and replay is None:
                payload[:] = _render(frame, accepted.difference(already), settings, ids, out,
                                     state, progress, run_id)  # fmt: skip
        if submitter is not None and state is not None:
            record.rendered()  # RENDERED is durable before the first byte is sent
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
        made: dict[str, Any] = {}

        def reports() -> list[Path]:  # beside the journal's writing (see _Journal.finished)
            made["summary"] = summary = build_summary(result, out)
            if out is None:
                return []
            # what a later ``submit OUT_DIR`` needs to write these reports again
            summary[recipe.KEY] = recipe.recipe(settings, tables, _as_path(mapping_path))
            report = _ReportProgress(result, progress)
            return write_reports(result, summary, mapping, out, step=report.step)

        record.finished(reports)  # the ledger's commit of the run comes last
        summary = made["summary"]
    except BaseException:  # before the ledger knew the batches: their files go (no orphans)
        record.abandon()
        raise
    finally:
        if state is not None:
            state.close()
    return Run(result, summary)


class _Journal:
    """When the ledger learns of a run's batches. Without submission, only after every report
    is renamed into place: a crash at any point leaves the ledger without the run, or with it
    and all its reports. With submission the batches must be RENDERED before anything is sent,
    so they are journaled first and the run is marked finished after the reports (a run the
    ledger holds unfinished is one whose reports may be missing; its batches stay valid). A
    replay (``submit OUT_DIR``) journals nothing and marks its run finished when its reports
    are written again."""

    def __init__(
        self, state: Ledger | None, frame: pd.DataFrame, payload: list[PayloadFile],
        run_id: str, tables: list[SourceTable], out: Path | None, *, journaled: bool = False,
    ) -> None:  # fmt: skip
        self.state, self.frame, self.payload, self.run_id = state, frame, payload, run_id
        self.inputs = [str(t.path) for t in tables]
        self.out = out
        self.journaled = journaled  # a replay's batches are in the ledger already

    def _journal(self, finished: bool, before_commit: Callable[[], object] | None = None) -> None:
        assert self.state is not None and self.out is not None
        try:
            journal(self.state, self.frame, self.payload, run_id=self.run_id, inputs=self.inputs,
                    out_dir=self.out, finished=finished, before_commit=before_commit)  # fmt: skip
        except BaseException:  # Ctrl-C or a failure before the ledger knows them: no orphans
            self.abandon()
            raise
        self.journaled = True

    def rendered(self) -> None:
        if self.state is not None and self.out is not None and not self.journaled:
            release()  # what rendering freed goes back before the journal
            self._journal(finished=False)

    def abandon(self) -> None:
        """The run failed before the ledger knew its batches: its payload files go."""
        if not self.journaled:
            for p in self.payload:
                p.path.unlink(missing_ok=True)

    def finished(self, make_reports: Callable[[], list[Path]]) -> None:
        """``make_reports()`` (they are renamed into place when it returns), then the ledger's
        commit of the run. When the batches are not journaled yet, the journal's writing runs
        while a second thread makes the reports, and its commit waits for them: a crash still
        finds the reports in place before the ledger holds the run."""
        if self.state is None or self.out is None:
            make_reports()
            return
        if self.journaled:
            make_reports()
            self.state.finish_run(self.run_id)
            return
        release()  # what rendering freed goes back before the reports and the journal
        with ThreadPoolExecutor(1, thread_name_prefix="reports") as pool:
            reports = pool.submit(make_reports)
            try:
                self._journal(finished=True, before_commit=reports.result)
            except BaseException:  # reports of a run the ledger does not hold: they go too
                for path in reversed(_settled(reports)):  # summary.json (the seal) first
                    path.unlink(missing_ok=True)
                raise


def _settled(reports: Future[list[Path]]) -> list[Path]:
    """What the reports' thread wrote, once it is done ([] when it failed: its writer took
    its temporaries away). A second Ctrl-C while waiting is not swallowed."""
    return [] if reports.exception() is not None else reports.result()


class _ReportProgress:
    """progress("report", rows written, rows to write): each report counts the rows it holds."""

    def __init__(self, result: RunResult, progress: Progress) -> None:
        self.progress, self.done = progress, 0
        self.total = 2 * len(result.issues) + 2  # csv files + workbook, summary + html
        progress("report", 0, self.total)

    def step(self, rows: int) -> None:
        self.done = min(self.done + rows, self.total)
        self.progress("report", self.done, self.total)


def _render(
    frame: pd.DataFrame, new: pd.Index, settings: Settings, ids: Any, out_dir: Path,
    state: Ledger | None, progress: Progress, run_id: str,
) -> list[PayloadFile]:  # fmt: skip
    """Render the rows CeR does not hold into ``out_dir/payload`` (journaled later)."""
    payload_dir = out_dir / "payload"
    _refuse_overwrite(state, payload_dir, len(new))
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress("render", done[0], len(new))

    release()  # what reading and validating freed goes back before the workers start
    return render_batches(
        frame[RENDER_COLUMNS], settings, ids, payload_dir, progress=tick, run_id=run_id, rows=new
    )  # only the columns rendering reads, its rows taken a chunk at a time (no 1M-row copy)


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
    out = payload_dir.parent
    clash = sorted(str(p) for p in payload_dir.glob("*.xml") if str(p.resolve()) in recorded)
    if clash:
        raise UsageError(
            f"katalog wyników {out} zawiera już paczki z wcześniejszego przebiegu ({clash[0]}); "
            f"podaj nowy katalog, np. --out {out}-2 (wizyty już załadowane rejestr pominie)",
            f"the output folder {out} already holds payload files of an earlier run "
            f"({clash[0]}); give a new folder, e.g. --out {out}-2 (the ledger skips "
            "appointments already loaded)",
        )


def _drop_errors_of_held(issues: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """A row whose appointment CeR holds (accepted, or a batch that may be at CeR) is already
    loaded, whatever its export row still says: a version fixed in the steward loop reached CeR,
    so the row does not come back for fixing (its warnings stay)."""
    held = frame.index[frame["n_loaded_earlier"].to_numpy(dtype=bool)]
    if not len(held) or issues.empty:
        return issues
    drop = issues["row"].isin(held) & (issues["severity"] == "error")
    return issues[~drop]
