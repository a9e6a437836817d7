"""Readiness of a MUŚ for activation: the six steps of the CeR guide as a checklist, from what
the ledger knows CeR accepted — never from what was merely rendered.

``Facts`` is plain data (record counts per operation and state, the accepted slots per
schedule); ``checklist`` turns it into ``Step`` values with what is missing and the command
that fixes it. ``readiness.html`` and the console show the same list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cer_loader.golive.catalogue import GoLive
from cer_loader.golive.slots import coverage

DONE, MISSING, NOT_APPLICABLE = "done", "missing", "not-applicable"


@dataclass(frozen=True)
class Facts:
    mus_id: str
    as_of: dt.date
    # operation -> record state (ACCEPTED, REFUSED, PENDING, UNKNOWN) -> count
    records: Mapping[str, Mapping[str, int]]
    # accepted free slots: schedule_id, n_start, n_end (UTC)
    slots: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["schedule_id", "n_start", "n_end"])
    )
    # schedules CeR accepted: id -> (valid from, valid to), None where open
    schedules: Mapping[str, tuple[dt.date | None, dt.date | None]] = field(default_factory=dict)
    mobile_points_declared: int = 0
    mobile_points_required: bool = False
    activation_override: str = ""  # recorded reason when activated without readiness


@dataclass(frozen=True)
class Step:
    number: str
    code: str
    state: str
    pl: str
    en: str
    missing_pl: str = ""
    missing_en: str = ""
    fix: str = ""

    def title(self, lang: str) -> str:
        return self.en if lang == "en" else self.pl

    def missing(self, lang: str) -> str:
        return self.missing_en if lang == "en" else self.missing_pl


def _n(facts: Facts, op: str, state: str) -> int:
    return int(facts.records.get(op, {}).get(state, 0))


def _all_accepted(facts: Facts, op: str) -> tuple[bool, str, str]:
    acc, ref, pen, unk = (_n(facts, op, s) for s in ("ACCEPTED", "REFUSED", "PENDING", "UNKNOWN"))
    if acc and not (ref or pen or unk):
        return True, "", ""
    if not (acc or ref or pen or unk):
        return False, "nic jeszcze nie wysłano", "nothing sent yet"
    return False, (f"przyjęte {acc}, odrzucone {ref}, oczekujące {pen}, niepewne {unk}"),\
        (f"accepted {acc}, refused {ref}, pending {pen}, unknown {unk}")  # fmt: skip


def _initial_load_fix(facts: Facts) -> str:
    """What completes the initial load from where it stands: batches rendered but not sent (or
    sent without a clear answer) go with ``submit``; refused records come back through the
    steward workbook; with nothing journaled, the export is run."""
    op = "zasilInicjalnie"
    if _n(facts, op, "PENDING") or _n(facts, op, "UNKNOWN"):
        return "cer-loader submit DIR"
    if _n(facts, op, "REFUSED"):
        return "cer-loader run DIR/report.xlsx --out DIR2 --submit (najpierw popraw odrzucone wiersze w report.xlsx)"
    return "cer-loader run EKSPORT --out DIR --submit"


def checklist(facts: Facts, golive: GoLive) -> list[Step]:
    steps = []
    ok, mpl, men = _all_accepted(facts, "zapiszDaneMus")
    steps.append(Step("1", "mus-data", DONE if ok else MISSING, "Dane MUŚ przyjęte przez CeR (zapiszDaneMus)",
                      "MUŚ data accepted by CeR (zapiszDaneMus)", mpl, men,
                      "cer-loader provider placowka.toml --out DIR --submit"))  # fmt: skip
    if facts.mobile_points_declared or facts.mobile_points_required:
        ok, mpl, men = _all_accepted(facts, "importujMobilnePunktyObslugi")
        state = DONE if ok else MISSING
    else:
        state, mpl, men = NOT_APPLICABLE, "", ""
    steps.append(Step("1a", "mobile-points", state, "Punkty mobilne przyjęte (importujMobilnePunktyObslugi)",
                      "Mobile points accepted (importujMobilnePunktyObslugi)", mpl, men,
                      "cer-loader provider placowka.toml --out DIR --submit"))  # fmt: skip
    ok, mpl, men = _all_accepted(facts, "zapiszHarmonogram")
    steps.append(Step("2", "schedules", DONE if ok else MISSING, "Harmonogramy przyjęte (zapiszHarmonogram)",
                      "Schedules accepted (zapiszHarmonogram)", mpl, men,
                      "cer-loader provider placowka.toml --out DIR --submit"))  # fmt: skip
    ok, mpl, men = _all_accepted(facts, "zasilInicjalnie")
    steps.append(Step("3-4", "initial-load", DONE if ok else MISSING,
                      "Zasilenie inicjalne kompletne: nic oczekującego, odrzuconego ani niepewnego",
                      "Initial load complete: nothing pending, refused or unknown", mpl, men,
                      _initial_load_fix(facts)))  # fmt: skip
    steps.append(_slots_step(facts, golive))
    ready = all(s.state in (DONE, NOT_APPLICABLE) for s in steps)
    act = _n(facts, "aktywujMus", "ACCEPTED")
    if act:
        state, mpl, men = DONE, "", ""
    else:
        state = MISSING
        mpl = "MUŚ gotowe do aktywacji" if ready else "najpierw uzupełnij kroki powyżej"
        men = "the MUŚ is ready to activate" if ready else "complete the steps above first"
    steps.append(Step("6", "activation", state, "MUŚ aktywne w CeR (aktywujMus)", "MUŚ active in CeR (aktywujMus)",
                      mpl, men, "cer-loader activate --config cer-loader.toml"))  # fmt: skip
    return steps


def _slots_step(facts: Facts, golive: GoLive) -> Step:
    title = (
        "Wolne terminy na co najmniej {m} mies. w każdym harmonogramie (zapiszSloty)",
        "Free slots at least {m} months ahead in every schedule (zapiszSloty)",
    )
    pl, en = (t.format(m=golive.coverage_months) for t in title)
    fix = "cer-loader slots SLOTY.csv --provider placowka.toml --out DIR --submit"
    s = facts.slots
    declared = dict(facts.schedules)
    cov = (
        coverage(s, s.index, golive, facts.as_of, declared=declared) if len(s) or declared else None
    )
    if cov is None or cov.empty:
        return Step(
            "5", "slots", MISSING, pl, en, "brak przyjętych terminów", "no accepted slots", fix
        )
    short = cov[~cov["reaches_horizon"].astype(bool)]
    if short.empty:
        return Step("5", "slots", DONE, pl, en, fix=fix)
    names = ", ".join(
        f"{r.schedule_id} (do {r.last_day or '—'}, potrzeba do {r.horizon})"
        for r in short.itertuples()
    )
    names_en = ", ".join(
        f"{r.schedule_id} (to {r.last_day or '—'}, needed to {r.horizon})"
        for r in short.itertuples()
    )
    return Step("5", "slots", MISSING, pl, en, f"za krótko: {names}", f"too short: {names_en}", fix)


def is_ready(steps: list[Step]) -> bool:
    return all(s.state in (DONE, NOT_APPLICABLE) for s in steps if s.code != "activation")


def format_checklist(steps: list[Step], mus_id: str, lang: str) -> str:
    """The checklist for the terminal."""
    pl = lang != "en"
    mark = {DONE: "[x]", MISSING: "[ ]", NOT_APPLICABLE: "[-]"}
    lines = [
        (
            "Gotowość MUŚ {m} do aktywacji w CeR" if pl else "MUŚ {m} readiness for CeR activation"
        ).format(m=mus_id)
    ]
    for s in steps:
        lines.append(f"  {mark[s.state]} {s.number:>3}. {s.title(lang)}")
        if s.state == MISSING:
            lines.append(f"          {s.missing(lang)}")
            lines.append(f"          {'jak uzupełnić' if pl else 'how'}: {s.fix}")
    ready = is_ready(steps)
    lines.append(("Gotowe do aktywacji: cer-loader activate" if pl else "Ready to activate: cer-loader activate")
                 if ready else ("Jeszcze niegotowe do aktywacji." if pl else "Not ready to activate yet."))  # fmt: skip
    return "\n".join(lines)


def readiness_html(steps: list[Step], *, mus_id: str, as_of: dt.date, ledger: str, lang: str,
                   template_dir: Path, created: str, override: str = "") -> str:  # fmt: skip
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir)), autoescape=True,
                             undefined=jinja2.StrictUndefined)  # fmt: skip
    rows = [{"number": s.number, "title": s.title(lang), "state": s.state, "missing": s.missing(lang),
             "fix": s.fix} for s in steps]  # fmt: skip
    return env.get_template("readiness.html.j2").render(
        lang="en" if lang == "en" else "pl", mus_id=mus_id, as_of=as_of.isoformat(), ledger=ledger,
        steps=rows, ready=is_ready(steps), created=created, override=override,
    )  # fmt: skip


def gather(appointment_ledger: Path, mus_id: str, as_of: dt.date, *, mobile_points_declared: int = 0,
           mobile_points_required: bool = False) -> Facts:  # fmt: skip
    """The facts readiness needs, from the MUŚ's ledgers (appointments and each operation)."""
    from cer_loader.golive.journal import open_operation_ledger
    from cer_loader.golive.operations import OPERATIONS
    from cer_loader.ledger.facts import accepted_facts, record_states

    records: dict[str, dict[str, int]] = {}
    slots = pd.DataFrame(columns=["schedule_id", "n_start", "n_end"])
    schedules: dict[str, tuple[dt.date | None, dt.date | None]] = {}
    for op in ("zasilInicjalnie", *OPERATIONS):
        ledger = open_operation_ledger(appointment_ledger, op, mus_id, create=False)
        if ledger is None:
            continue
        try:
            records[op] = record_states(ledger)
            if op == "zapiszSloty":
                f = accepted_facts(ledger, op)
                slots = pd.DataFrame(
                    {"schedule_id": f["schedule_id"], "n_start": f["start"], "n_end": f["end"]}
                )
            if op == "zapiszHarmonogram":
                f = accepted_facts(ledger, op)
                schedules = {
                    i: (_day(a), _day(b))
                    for i, a, b in zip(f["local_id"], f["start"], f["end"], strict=True)
                }
        finally:
            ledger.close()
    return Facts(
        mus_id, as_of, records, slots, schedules, mobile_points_declared, mobile_points_required
    )


def _day(ts: object) -> dt.date | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date()
