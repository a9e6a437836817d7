"""Go-live operations through the ledger: journaled, sent exactly once (a fake client behind
the orchestration's seam), not rendered again once CeR holds them, and readiness from what CeR
accepted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from lxml import etree

from cer_loader.golive.catalogue import load_golive
from cer_loader.golive.journal import open_operation_ledger
from cer_loader.golive.operations import OPERATIONS
from cer_loader.golive.readiness import checklist, gather
from cer_loader.golive.run import run_provider, run_slots
from cer_loader.settings import Settings
from cer_loader.submit.answers import BatchAnswer, RecordAnswer
from cer_loader.submit.orchestrate import submit

from conftest import SAMPLE

AS_OF = dt.date(2026, 12, 1)
MUS = "000000927722-001"


class FakeCeR:
    """Accepts every record; remembers every key it was sent."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_batch(self, batch_id: str, payload_xml: bytes, context: object) -> BatchAnswer:
        keys = [e.get("kluczIdempotencji") for e in etree.fromstring(payload_xml).iter()
                if e.get("kluczIdempotencji")]  # fmt: skip
        self.sent += keys
        recs = tuple(RecordAnswer(k, "", True) for k in keys)
        return BatchAnswer(batch_id, "ACCEPTED", recs, 200, (), 0.01, "x")

    def query_status(self, batch_id: str) -> BatchAnswer | None:
        return None


def send_all(ledger_path: Path, client: FakeCeR) -> None:
    for op in ("zasilInicjalnie", *OPERATIONS):
        led = open_operation_ledger(ledger_path, op, MUS, create=False)
        if led is not None:
            with led:
                submit(led, client, target="fake", context={}, sleep=lambda s: None)


def test_provider_and_slots_are_sent_once_and_readiness_follows(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger-M.sqlite"
    settings = Settings(mus_id=MUS, as_of=AS_OF)
    prov = run_provider(
        SAMPLE / "placowka.toml", settings, out_dir=tmp_path / "p", ledger_path=ledger
    )
    assert prov.exit_code == 0 and len(prov.payload) == 3
    days = pd.bdate_range("2026-12-02", "2027-03-05")
    rows = ["Harmonogram;Data;Godzina;Czas (min);Rodzaj terminu;Kod świadczenia"]
    rows += [
        f"{g};{d:%d.%m.%Y};9:00;20;procedura;02.1100.001.02"
        for d in days
        for g in ("GAB-1", "GAB-2")
    ]
    rows += [f"HPV-MB-01;{d:%d.%m.%Y};10:00;15;domyślna;01.0034.102.01"
             for d in pd.bdate_range("2027-01-11", "2027-01-22")]  # fmt: skip
    src = tmp_path / "sloty.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    first = run_slots([src], settings, provider_path=SAMPLE / "placowka.toml", out_dir=tmp_path / "s1",
                      ledger_path=ledger)  # fmt: skip
    assert first.summary["coverage"]["holds"], first.summary["coverage"]
    before = {
        s.code: s.state
        for s in checklist(gather(ledger, MUS, AS_OF, mobile_points_declared=1), load_golive())
    }
    assert before["mus-data"] == "missing" and before["slots"] == "missing"
    cer = FakeCeR()
    send_all(ledger, cer)
    n_sent = len(cer.sent)
    assert n_sent == len(set(cer.sent)) == 1 + 1 + 3 + first.summary["accepted"]
    facts = gather(ledger, MUS, AS_OF, mobile_points_declared=1)
    after = {s.code: s.state for s in checklist(facts, load_golive())}
    assert after == {"mus-data": "done", "mobile-points": "done", "schedules": "done",
                     "initial-load": "missing", "slots": "done", "activation": "missing"}  # fmt: skip
    again = run_slots([src], settings, provider_path=SAMPLE / "placowka.toml", out_dir=tmp_path / "s2",
                      ledger_path=ledger)  # fmt: skip
    assert again.summary["already_in_cer"] == first.summary["accepted"] and not again.payload
    prov2 = run_provider(
        SAMPLE / "placowka.toml", settings, out_dir=tmp_path / "p2", ledger_path=ledger
    )
    assert not prov2.payload
    send_all(ledger, cer)
    assert len(cer.sent) == n_sent  # nothing sent twice


def test_a_slot_over_an_accepted_appointment_is_found_from_the_ledger(tmp_path: Path) -> None:
    from cer_loader.ledger import open_ledger
    from cer_loader.ledger.facts import write_facts
    from cer_loader.ledger.store import NewBatch, NewRecord

    ledger = tmp_path / "ledger-M.sqlite"
    start = pd.Timestamp("2026-12-02 09:00", tz="Europe/Warsaw").tz_convert("UTC")
    with open_ledger(ledger, MUS) as led:  # type: ignore[union-attr]
        led.record_batches(
            "r1",
            [],
            str(tmp_path),
            [NewBatch("b1", str(tmp_path / "x.xml"), "0", [NewRecord("k1", "A1")])],
        )
        write_facts(led, "zasilInicjalnie", pd.DataFrame({"key": ["k1"], "local_id": ["A1"], "schedule_id": ["GAB-1"],
                                                          "start": [start], "end": [start + pd.Timedelta(minutes=20)]}))  # fmt: skip
        batch = led.batches()[0]
        attempt = led.begin_attempt(batch, "fake")
        led.finish_attempt(
            attempt, batch, "ACCEPTED", outcome="ANSWER", records=[("k1", True, "", "")]
        )
    src = tmp_path / "s.csv"
    src.write_text("Harmonogram;Data;Godzina;Czas (min);Rodzaj terminu;Kod świadczenia\n"
                   "GAB-1;02.12.2026;9:10;20;procedura;02.1100.001.02\n"
                   "GAB-1;02.12.2026;9:30;20;procedura;02.1100.001.02\n", encoding="utf-8")  # fmt: skip
    r = run_slots(
        [src], Settings(mus_id=MUS, as_of=AS_OF), out_dir=tmp_path / "o", ledger_path=ledger
    )
    assert r.summary["rejections_by_rule"] == {"slot-overlaps-appointment": 1}


def test_the_initial_load_journals_facts_of_each_appointment(tmp_path: Path) -> None:
    from cer_loader.ledger import open_ledger
    from cer_loader.pipeline import run
    from cer_loader.settings import load_settings

    ledger = tmp_path / "ledger.sqlite"
    settings = load_settings(SAMPLE / "cer-loader.toml", {})
    run([SAMPLE / "wizyty_poradnia.csv"], settings, mapping_path=SAMPLE / "mapping.toml",
        out_dir=tmp_path / "out", ledger_path=ledger)  # fmt: skip
    from cer_loader.ledger.facts import facts_of

    with open_ledger(ledger, settings.mus_id) as led:  # type: ignore[union-attr]
        facts = facts_of(led, "zasilInicjalnie")
    names = ["local_id", "schedule_id", "start_utc", "end_utc", "scope_code", "patient_digest"]
    rows = list(zip(*(facts.column(n).to_pylist() for n in names), strict=True))
    assert len(rows) == 27
    first = next(r for r in rows if r[0] == "W00001")
    assert first[1:5] == ("GAB-1", "2027-01-09T13:00:00Z", "2027-01-09T13:20:00Z", "02.1100.001.02")
    assert len(first[5]) == 64 and "42021452808" not in str(rows)  # digest, never the PESEL
