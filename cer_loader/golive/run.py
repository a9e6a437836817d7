"""The go-live steps as library calls: ``run_slots`` (free slots → checks, coverage,
``zapiszSloty``) and ``run_provider`` (provider file → checks, ``zapiszDaneMus``,
``importujMobilnePunktyObslugi``, ``zapiszHarmonogram``). Each returns what it found and wrote;
the CLI prints it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.catalogues.rules import Rule, load_rules
from cer_loader.catalogues.scopes import load_scopes
from cer_loader.errors import UsageError
from cer_loader.golive.catalogue import GoLive, load_golive
from cer_loader.golive.journal import (
    APPOINTMENTS,
    journal_operation,
    open_operation_ledger,
    operation_ledger_path,
)
from cer_loader.golive.operations import OperationFile, record_key, write_operation
from cer_loader.golive.provider import Problem, check_provider, load_provider, records
from cer_loader.golive.reports import write_csv, write_json
from cer_loader.golive.slots import (
    SlotMapping,
    accepted_rows,
    canonical,
    check_slots,
    coverage,
    load_slot_mapping,
    propose,
)
from cer_loader.golive.workbook import slot_rows, write_slot_workbook
from cer_loader.ingest import read_source
from cer_loader.ingest.table import SOURCE_FILE, SOURCE_ROW, SourceTable
from cer_loader.ledger import open_ledger
from cer_loader.ledger.facts import accepted_facts
from cer_loader.ledger.store import Ledger
from cer_loader.resources import data_dir
from cer_loader.settings import Settings

Progress = Callable[[str, int, int], None]


def _noop(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class GoLivePaths:
    """Where the go-live contracts and catalogues are (each replaceable by a site)."""

    template_dir: Path = field(default_factory=lambda: data_dir("templates"))
    schema_dir: Path = field(default_factory=lambda: data_dir("schemas"))
    golive: Path | None = None

    def rules(self, name: str) -> dict[str, Rule]:
        return load_rules(self.schema_dir / name if (self.schema_dir / name).is_file()
                          else data_dir("schemas") / name)  # fmt: skip


@dataclass(frozen=True)
class SlotRun:
    summary: dict[str, Any]
    slots: pd.DataFrame
    issues: pd.DataFrame
    accepted: pd.Index
    coverage: pd.DataFrame
    payload: tuple[OperationFile, ...]

    @property
    def exit_code(self) -> int:
        return int(self.summary["exit_code"])


def _ctx(settings: Settings) -> dict[str, Any]:
    ids = load_identifiers(settings.identifiers)
    return {"mus_id": settings.mus_id, "mus_oid": ids.oid["mus"], "npwz_oid": ids.oid["npwz"],
            "as_of": settings.as_of.isoformat()}  # fmt: skip


def _messages(issues: pd.DataFrame, rules: dict[str, Rule], lang: str) -> list[str]:
    return [rules[r].message(lang).replace("{value}", str(v)) for r, v in
            zip(issues["rule"], issues["value"], strict=True)]  # fmt: skip


def run_slots(
    inputs: list[Path],
    settings: Settings,
    *,
    mapping_path: Path | None = None,
    provider_path: Path | None = None,
    booked: pd.DataFrame | None = None,
    out_dir: Path | None = None,
    paths: GoLivePaths | None = None,
    progress: Progress = _noop,
    ledger_path: Path | None = None,
) -> SlotRun:
    """Read, check and report free slots; with ``out_dir`` write ``zapiszSloty`` batches of the
    accepted slots, ``rejected.csv``, ``warnings.csv``, ``coverage.csv`` and ``summary.json``.

    ``ledger_path`` (the MUŚ's appointment ledger): appointments CeR accepted there are the
    ``booked`` ones no slot may overlap; slots go into the ``zapiszSloty`` ledger beside it, and
    a slot CeR holds (or may hold) is not rendered again.
    """
    if not inputs:
        raise UsageError("nie podano plików z wolnymi terminami", "no free-slot files given")
    settings = settings.checked()
    paths = paths or GoLivePaths()
    golive = load_golive(paths.golive)
    rules = paths.rules("slot_rules.toml")
    scopes = set(load_scopes(settings.scopes).index)
    mapping = load_slot_mapping(mapping_path)
    provider = load_provider(provider_path) if provider_path else None
    schedules = provider.schedule_ids() if provider else None
    tables: list[SourceTable] = []
    frames = []
    for i, path in enumerate(inputs):
        progress("read_files", i, len(inputs))
        table = read_source(path, mapping.reader_options())
        tables.append(table)
        frames.append(canonical(table, mapping).assign(_table=i, _local=table.frame.index))
    progress("read_files", len(inputs), len(inputs))
    slots = pd.concat(frames, ignore_index=True)
    if ledger_path is not None and booked is None:
        booked = _booked(ledger_path, settings.mus_id)
    progress("validate", 0, len(slots))
    slots, issues = check_slots(
        slots, golive=golive, scope_codes=scopes, as_of=settings.as_of,
        values=mapping.values, schedules=schedules, booked=booked,
    )  # fmt: skip
    progress("validate", len(slots), len(slots))
    ok = accepted_rows(slots, issues)
    cov = coverage(
        slots, ok, golive, settings.as_of, declared=provider.periods() if provider else None
    )
    payload: list[OperationFile] = []
    already = 0
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        recs = slot_records(slots.loc[ok], settings.mus_id)
        ledger = (
            open_operation_ledger(ledger_path, "zapiszSloty", settings.mus_id)
            if ledger_path
            else None
        )
        try:
            held = ledger.held_ids() if ledger is not None else set()
            new = [r for r in recs if r["local_id"] not in held]
            already = len(recs) - len(new)
            if new:
                payload = write_operation(
                    "zapiszSloty", new, ctx=_ctx(settings), out_dir=out_dir / "payload",
                    template_dir=paths.template_dir, schema_dir=paths.schema_dir,
                    batch_size=settings.batch_size,
                )  # fmt: skip
            if ledger is not None and payload:
                _journal_slots(ledger, payload, new, slots.loc[ok], inputs, out_dir)
        finally:
            if ledger is not None:
                ledger.close()
        _write_slot_reports(out_dir, slots, issues, tables, rules, cov, settings.lang)
        _write_slot_workbook(out_dir, slots, issues, tables, rules, mapping, settings.lang)
    summary = slot_summary(slots, issues, ok, tables, cov, payload, golive, settings, out_dir)
    summary["already_in_cer"] = already
    summary["ledger"] = (
        str(operation_ledger_path(ledger_path, "zapiszSloty")) if ledger_path else ""
    )
    if out_dir is not None:
        write_json(out_dir / "summary.json", summary)
    return SlotRun(summary, slots, issues, ok, cov, tuple(payload))


def _booked(ledger_path: Path, mus_id: str) -> pd.DataFrame | None:
    """Appointments CeR accepted (schedule, start, end) from the MUŚ's appointment ledger."""
    ledger = open_ledger(ledger_path, mus_id, create=False)
    if ledger is None:
        return None
    try:
        facts = accepted_facts(ledger, APPOINTMENTS)
    finally:
        ledger.close()
    return facts[["schedule_id", "start", "end"]]


def _journal_slots(ledger: Ledger, payload: list[OperationFile], new: list[dict[str, Any]],
                   accepted: pd.DataFrame, inputs: list[Path], out_dir: Path) -> None:  # fmt: skip
    by_id = {r["local_id"]: r["key"] for r in new}
    rows = accepted.assign(local_id=_slot_ids(accepted))
    rows = rows[rows["local_id"].isin(by_id)]
    keys = rows["local_id"].map(by_id)
    facts = pd.DataFrame({"key": keys, "local_id": rows["local_id"], "schedule_id": rows["schedule_id"],
                          "start": rows["n_start"], "end": rows["n_end"], "scope_code": rows["scope_code"]})  # fmt: skip
    sources = {
        k: (str(f), str(r))
        for k, f, r in zip(keys, rows[SOURCE_FILE], rows[SOURCE_ROW], strict=True)
    }
    journal_operation(ledger, payload, sources=sources, facts=facts, inputs=[str(p) for p in inputs],
                      out_dir=out_dir, operation="zapiszSloty")  # fmt: skip


def _wall_iso(instants: pd.Series) -> pd.Series:
    from cer_loader.normalize import warsaw_time

    wall = instants.dt.tz_convert(warsaw_time.ZONE)
    return wall.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(
        r"(\d{2})(\d{2})$", r"\1:\2", regex=True
    )


def _slot_ids(s: pd.DataFrame) -> pd.Series:
    """A slot's local id: its own id, else ``schedule@start`` (stable across runs)."""
    return s["slot_id"].where(s["slot_id"] != "", s["schedule_id"] + "@" + _wall_iso(s["n_start"]))


def slot_records(s: pd.DataFrame, mus_id: str) -> list[dict[str, Any]]:
    start = _wall_iso(s["n_start"])
    ids = _slot_ids(s)
    out = []
    for sid, sched, st, dur, typ, scope, npwz, ok in zip(
        ids, s["schedule_id"], start, s["n_duration"], s["n_slot_type"], s["scope_code"],
        s["practitioner_npwz"], s["n_npwz_ok"], strict=True,
    ):  # fmt: skip
        out.append({"key": record_key("zapiszSloty", mus_id, sid), "local_id": sid, "slot_id": sid,
                    "schedule_id": sched, "start": st, "duration": int(dur), "slot_type": typ,
                    "scope_code": scope, "npwz": npwz if ok else ""})  # fmt: skip
    return out


def _write_slot_reports(out_dir: Path, slots: pd.DataFrame, issues: pd.DataFrame,
                        tables: list[SourceTable], rules: dict[str, Rule], cov: pd.DataFrame,
                        lang: str) -> None:  # fmt: skip
    msgs = pd.Series(_messages(issues, rules, lang), index=issues.index, dtype=object)
    for name, sev in (("rejected.csv", "error"), ("warnings.csv", "warning")):
        part = issues[issues["severity"] == sev].sort_values(["row"], kind="stable")
        headers = sorted(
            {h for t in tables for h in t.headers}, key=lambda h: (h not in tables[0].headers, h)
        )
        rows = []
        for idx, r in part.iterrows():
            src = slots.loc[r["row"]]
            t = tables[int(src["_table"])]
            orig = t.frame.iloc[
                int(src.name) - int(slots.index[slots["_table"] == src["_table"]][0])
            ]
            rows.append([src[SOURCE_FILE], src[SOURCE_ROW], src["slot_id"], r["rule"], r["field"],
                         r["value"], msgs[idx], *[orig.get(h, "") for h in headers]])  # fmt: skip
        head = [
            "source_file",
            "source_row",
            "slot_id",
            "rule",
            "field",
            "value",
            "message",
            *headers,
        ]
        write_csv(out_dir / name, head, rows)
    write_csv(out_dir / "coverage.csv", ["schedule_id", "slots", "first_day", "last_day", "horizon",
              "reaches_horizon", "gaps"],
              [[c.schedule_id, c.slots, c.first_day, c.last_day, c.horizon,
                "tak" if c.reaches_horizon else "nie", "; ".join(f"{a}..{b}" for a, b in c.gaps)]
               for c in cov.itertuples()])  # fmt: skip


def _write_slot_workbook(out_dir: Path, slots: pd.DataFrame, issues: pd.DataFrame,
                         tables: list[SourceTable], rules: dict[str, Rule], mapping: SlotMapping,
                         lang: str) -> None:  # fmt: skip
    errors = issues[issues["severity"] == "error"]
    msgs = pd.Series(_messages(errors, rules, lang), index=errors.index, dtype=object)
    columns = dict(mapping.columns) or {k: v for t in tables for k, v in propose(t.headers).items()}
    headers = list(dict.fromkeys(h for t in tables for h in t.headers))
    rows, marks = slot_rows(errors, slots, tables, msgs, columns)
    write_slot_workbook(out_dir / "report.xlsx", rows, headers, marks, lang)


def slot_summary(slots: pd.DataFrame, issues: pd.DataFrame, ok: pd.Index, tables: list[SourceTable],
                 cov: pd.DataFrame, payload: list[OperationFile], golive: GoLive, settings: Settings,
                 out_dir: Path | None) -> dict[str, Any]:  # fmt: skip
    errors = issues[issues["severity"] == "error"]
    files: list[dict[str, Any]] = []
    for i, t in enumerate(tables):
        rows = slots.index[slots["_table"] == i]
        n_ok = int(rows.isin(ok).sum())
        bal = {"physical_records": t.total_records, "header": t.header_records, "blank": t.blank_rows,
               "accepted": n_ok, "rejected": len(rows) - n_ok}  # fmt: skip
        bal["holds"] = (
            bal["physical_records"] == t.header_records + t.blank_rows + len(rows) + t.skipped_rows
        )
        files.append({"path": str(t.path), "kind": t.kind, "sha256": t.sha256, "rows": len(rows),
                      "balance": bal})  # fmt: skip
    short = [c.schedule_id for c in cov.itertuples() if not c.reaches_horizon and c.slots]
    no_slots = sorted({c.schedule_id for c in cov.itertuples() if not c.slots} |
                      (set(slots["schedule_id"]) - set(cov["schedule_id"]) - {""}))  # fmt: skip
    coverage_ok = bool(len(cov)) and not short and not no_slots
    rejected = len(slots) - len(ok)
    return {
        "operation": "zapiszSloty", "mus_id": settings.mus_id, "as_of": settings.as_of.isoformat(),
        "input_rows": len(slots), "accepted": len(ok), "rejected": rejected,
        "warnings": int((issues["severity"] == "warning").sum()),
        "rejections_by_rule": {str(k): int(v) for k, v in errors["rule"].value_counts().sort_index().items()},
        "balance_holds": all(f["balance"]["holds"] for f in files),
        "files": files,
        "coverage": {
            "months": golive.coverage_months, "max_gap_days": golive.max_gap_days,
            "horizon": (cov["horizon"].iloc[0] if len(cov) else
                        str((pd.Timestamp(settings.as_of) + pd.DateOffset(months=golive.coverage_months)).date())),
            "holds": coverage_ok,
            "schedules": [{"schedule_id": c.schedule_id, "slots": int(c.slots), "first_day": c.first_day,
                           "last_day": c.last_day, "horizon": c.horizon, "reaches_horizon": bool(c.reaches_horizon),
                           "gaps": [list(g) for g in c.gaps]} for c in cov.itertuples()],
            "schedules_short": short, "schedules_without_accepted_slots": no_slots,
        },
        "payload": [{"file": str(p.path.relative_to(out_dir)) if out_dir else str(p.path),
                     "batch_id": p.batch_id, "records": p.records, "sha256": p.sha256} for p in payload],
        "exit_code": 0 if (not rejected and coverage_ok) else 1,
    }  # fmt: skip


@dataclass(frozen=True)
class ProviderRun:
    summary: dict[str, Any]
    problems: tuple[Problem, ...]
    payload: tuple[OperationFile, ...]

    @property
    def exit_code(self) -> int:
        return int(self.summary["exit_code"])


def run_provider(
    provider_path: Path,
    settings: Settings,
    *,
    out_dir: Path | None = None,
    paths: GoLivePaths | None = None,
    ledger_path: Path | None = None,
) -> ProviderRun:
    """Check the provider file; when clean and ``out_dir`` is given, write the three payloads
    (with ``ledger_path``: journaled in each operation's ledger, records CeR holds left out)."""
    settings = settings.checked()
    paths = paths or GoLivePaths()
    golive = load_golive(paths.golive)
    rules = paths.rules("provider_rules.toml")
    provider = load_provider(provider_path)
    problems = check_provider(provider, scope_codes=set(load_scopes(settings.scopes).index),
                              golive=golive, as_of=settings.as_of, mus_id=settings.mus_id)  # fmt: skip
    payload: list[OperationFile] = []
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        if not problems:
            ctx = _ctx(settings)
            for op, recs in records(provider).items():
                ledger = (
                    open_operation_ledger(ledger_path, op, settings.mus_id) if ledger_path else None
                )
                try:
                    held = ledger.held_ids() if ledger is not None else set()
                    new = [r for r in recs if r["local_id"] not in held]
                    if not new:
                        continue
                    files = write_operation(op, new, ctx=ctx, out_dir=out_dir / "payload",
                                            template_dir=paths.template_dir, schema_dir=paths.schema_dir)  # fmt: skip
                    payload += files
                    if ledger is not None:
                        facts = pd.DataFrame({
                            "key": [r["key"] for r in new], "local_id": [r["local_id"] for r in new],
                            "scope_code": [r.get("scope", "") for r in new],
                            # a schedule's (or mobile point's) period, as start and end days
                            "start": pd.to_datetime([r.get("valid_from") or r.get("date_from") or None for r in new], utc=True),
                            "end": pd.to_datetime([r.get("valid_to") or r.get("date_to") or None for r in new], utc=True),
                        })  # fmt: skip
                        journal_operation(ledger, files, sources={r["key"]: (str(provider_path), "") for r in new},
                                          facts=facts, inputs=[str(provider_path)], out_dir=out_dir, operation=op)  # fmt: skip
                finally:
                    if ledger is not None:
                        ledger.close()
        write_csv(out_dir / "rejected.csv", ["source_file", "where", "rule", "value", "message"],
                  [[str(provider_path), p.where, p.code, p.value,
                    rules[p.code].message(settings.lang).replace("{value}", p.value)] for p in problems])  # fmt: skip
    counts = {op: len(r) for op, r in records(provider).items()} if not problems else {}
    summary = {
        "operation": "provider", "mus_id": settings.mus_id, "as_of": settings.as_of.isoformat(),
        "provider_file": str(provider_path), "problems": len(problems),
        "problems_by_rule": {c: sum(p.code == c for p in problems) for c in sorted({p.code for p in problems})},
        "records": counts,
        "payload": [{"operation": p.operation, "file": str(p.path.relative_to(out_dir)) if out_dir else str(p.path),
                     "batch_id": p.batch_id, "records": p.records, "sha256": p.sha256} for p in payload],
        "exit_code": 1 if problems else 0,
    }  # fmt: skip
    if out_dir is not None:
        write_json(out_dir / "summary.json", summary)
    return ProviderRun(summary, tuple(problems), tuple(payload))


def run_activation(
    settings: Settings,
    *,
    out_dir: Path,
    ledger_path: Path,
    ready: bool,
    override: str = "",
    paths: GoLivePaths | None = None,
) -> list[OperationFile]:
    """Render and journal ``aktywujMus`` — only when ``ready``, or with an ``override`` reason,
    which goes into the payload and so into the ledger's journaled file. An activation CeR
    already holds is not rendered again (returns no files)."""
    if not ready and not override.strip():
        raise UsageError(
            "MUŚ nie jest gotowe do aktywacji (cer-loader readiness mówi, czego brakuje); "
            'aktywacja mimo to tylko z --override "uzasadnienie"',
            "the MUŚ is not ready to activate (cer-loader readiness says what is missing); "
            'activating anyway needs --override "reason"',
        )
    settings = settings.checked()
    paths = paths or GoLivePaths()
    rec = {"key": record_key("aktywujMus", settings.mus_id, settings.mus_id), "local_id": settings.mus_id,
           "date": settings.as_of.isoformat(), "override": "" if ready else override.strip()}  # fmt: skip
    ledger = open_operation_ledger(ledger_path, "aktywujMus", settings.mus_id)
    assert ledger is not None
    try:
        if settings.mus_id in ledger.held_ids():
            return []
        files = write_operation("aktywujMus", [rec], ctx=_ctx(settings), out_dir=out_dir / "payload",
                                template_dir=paths.template_dir, schema_dir=paths.schema_dir)  # fmt: skip
        facts = pd.DataFrame({"key": [rec["key"]], "local_id": [settings.mus_id]})
        journal_operation(ledger, files, sources={rec["key"]: ("", "")}, facts=facts, inputs=[],
                          out_dir=out_dir, operation="aktywujMus")  # fmt: skip
        return files
    finally:
        ledger.close()
