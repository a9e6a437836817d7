"""Readiness: each step done only when CeR accepted it, the slots step from coverage, the
activation step waiting for the others."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cer_loader.golive.catalogue import load_golive
from cer_loader.golive.readiness import DONE, MISSING, NOT_APPLICABLE, Facts, checklist, is_ready

AS_OF = dt.date(2026, 12, 1)
ALL = {op: {"ACCEPTED": 3} for op in ("zapiszDaneMus", "zapiszHarmonogram", "zasilInicjalnie")}


def slots(last: str, sched: str = "G1") -> pd.DataFrame:
    days = pd.date_range("2026-12-02", last, freq="3D", tz="Europe/Warsaw").tz_convert("UTC")
    return pd.DataFrame(
        {"schedule_id": sched, "n_start": days, "n_end": days + pd.Timedelta(minutes=20)}
    )


def states(facts: Facts) -> dict[str, str]:
    return {s.code: s.state for s in checklist(facts, load_golive())}


def test_everything_accepted_and_covered_is_ready() -> None:
    f = Facts("M", AS_OF, ALL, slots("2027-03-05"), schedules={"G1": (None, None)})
    st = states(f)
    assert st == {"mus-data": DONE, "mobile-points": NOT_APPLICABLE, "schedules": DONE, "initial-load": DONE,
                  "slots": DONE, "activation": MISSING}  # fmt: skip
    assert is_ready(checklist(f, load_golive()))


def test_a_refused_or_pending_record_blocks_the_initial_load() -> None:
    records = dict(ALL) | {"zasilInicjalnie": {"ACCEPTED": 10, "REFUSED": 1}}
    steps = checklist(
        Facts("M", AS_OF, records, slots("2027-03-05"), schedules={"G1": (None, None)}),
        load_golive(),
    )
    load = next(s for s in steps if s.code == "initial-load")
    assert (
        load.state == MISSING
        and "odrzucone 1" in load.missing("pl")
        and "refused 1" in load.missing("en")
    )
    assert not is_ready(steps)


def test_short_slots_and_a_schedule_without_slots_block_step_five() -> None:
    f = Facts(
        "M", AS_OF, ALL, slots("2027-02-01"), schedules={"G1": (None, None), "G2": (None, None)}
    )
    step = next(s for s in checklist(f, load_golive()) if s.code == "slots")
    assert (
        step.state == MISSING
        and "G1 (do 2027-" in step.missing("pl")
        and "G2 (do —, potrzeba do 2027-03-01)" in step.missing("pl")
    )


def test_mobile_points_apply_when_declared() -> None:
    f = Facts(
        "M",
        AS_OF,
        ALL,
        slots("2027-03-05"),
        schedules={"G1": (None, None)},
        mobile_points_declared=1,
    )
    assert states(f)["mobile-points"] == MISSING
    f2 = Facts("M", AS_OF, ALL | {"importujMobilnePunktyObslugi": {"ACCEPTED": 1}}, slots("2027-03-05"),
               schedules={"G1": (None, None)}, mobile_points_declared=1)  # fmt: skip
    assert states(f2)["mobile-points"] == DONE


def test_nothing_sent_says_so() -> None:
    steps = checklist(Facts("M", AS_OF, {}), load_golive())
    assert steps[0].missing("pl") == "nic jeszcze nie wysłano" and all(s.fix for s in steps)


def test_terminal_and_html_show_the_same_steps(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cer_loader.golive.readiness import format_checklist, readiness_html
    from cer_loader.resources import data_dir

    f = Facts("M", AS_OF, ALL, slots("2027-02-01"), schedules={"G1": (None, None)})
    steps = checklist(f, load_golive())
    text = format_checklist(steps, "M", "pl")
    assert "[ ]   5. Wolne terminy" in text and "Jeszcze niegotowe" in text
    html = readiness_html(steps, mus_id="M<b>", as_of=AS_OF, ledger="l.sqlite", lang="pl",
                          template_dir=data_dir("templates"), created="2026-12-01 10:00")  # fmt: skip
    assert html.count("<tr>") == len(steps) + 1 and "M&lt;b&gt;" in html and "✘ brak" in html


def test_the_initial_load_fix_follows_where_it_stands() -> None:
    """Rendered but unsent (or unanswered) batches go with submit; refused records come back
    through the steward workbook; nothing journaled: run the export."""

    def fix(counts: dict[str, int]) -> str:
        records = dict(ALL) | {"zasilInicjalnie": counts}
        facts = Facts("M", AS_OF, records, slots("2027-03-05"), schedules={"G1": (None, None)})
        return next(s.fix for s in checklist(facts, load_golive()) if s.code == "initial-load")

    assert fix({"ACCEPTED": 9, "PENDING": 1, "REFUSED": 1}) == "cer-loader submit DIR"
    assert fix({"UNKNOWN": 2}) == "cer-loader submit DIR"
    assert fix({"ACCEPTED": 9, "REFUSED": 1}).startswith("cer-loader run DIR/report.xlsx ")
    assert fix({}) == "cer-loader run EKSPORT --out DIR --submit"
