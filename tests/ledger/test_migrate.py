"""Schema 3 of the ledger: a schema-2 ledger made by the code before it
(``tests/fixtures/ledger/v2.sqlite``, made by ``make_v2.py`` beside it: batches accepted, partial,
refused, unknown, in flight, rendered and superseded, CeR's codes, facts) opens migrated and
answers exactly what the schema-2 code answered (``v2.json``); the new storage writes a blob per
batch and an answer row only for a record whose state its batch's state does not imply."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.ledger import NewBatch, NewRecord, open_ledger
from cer_loader.ledger.blobs import pack, unpack
from cer_loader.ledger.facts import accepted_facts, record_states, write_facts
from cer_loader.ledger.store import Ledger

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ledger"
MUS = "000000927722-001"


def said(led: Ledger) -> dict[str, object]:
    """What ``make_v2.py`` recorded the schema-2 code answering, asked the same way."""
    facts = accepted_facts(led, "zasilInicjalnie")
    pairs = led.visit_pairs()
    out = {
        "accepted_ids": sorted(led.accepted_ids()), "held_ids": sorted(led.held_ids()),
        "visit_pairs": sorted(zip(*pairs, strict=True)), "record_counts": led.record_counts(),
        "record_states": record_states(led), "unfinished_runs": led.unfinished_runs(),
        "batches": [[b.batch_id, b.state, b.records] for b in led.batches()],
        "records": {b.batch_id: [list(r.__dict__.values()) for r in led.records(b)]
                    for b in led.batches()},
        "accepted_facts": [[str(v) for v in row] for row in facts.itertuples(index=False)],
    }  # fmt: skip
    return json.loads(json.dumps(out))  # tuples as lists, as the JSON file has them


def tables(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: conn.execute(f"SELECT COUNT(*) FROM {n}").fetchone()[0] for n in names}  # noqa: S608
    finally:
        conn.close()


def test_a_schema_2_ledger_opens_migrated_and_answers_the_same(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    shutil.copy(FIXTURES / "v2.sqlite", path)
    before = tables(path)
    assert before["records"] == 34 and before["facts"] == 26  # what schema 2 kept, row by row
    expected = json.loads((FIXTURES / "v2.json").read_text(encoding="utf-8"))
    with open_ledger(path, MUS) as led:  # type: ignore[union-attr]
        assert said(led) == expected
        version = led._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert version.fetchone()[0] == "3"
    after = tables(path)
    assert "records" not in after and "facts" not in after
    assert after["batch_records"] == before["batches"] == 8 and after["fact_sets"] == 1
    # answered records whose state their batch's does not imply: the partial batch's five
    # (a PARTIAL batch implies PENDING), the refused batch's four; the accepted batch's none
    assert after["record_answers"] == 9
    with open_ledger(path, MUS) as led:  # type: ignore[union-attr]  # and again: unchanged
        assert said(led) == expected
    assert tables(path) == after


def test_a_migrated_ledger_goes_on_sending_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    shutil.copy(FIXTURES / "v2.sqlite", path)
    with open_ledger(path, MUS) as led:  # type: ignore[union-attr]
        new = next(b for b in led.batches() if b.batch_id == "b-new")
        attempt = led.begin_attempt(new, "emulator")
        rows = [(r.key, r.appointment_id != "W0031", "", "") for r in led.records(new)]
        led.finish_attempt(attempt, new, "PARTIAL", outcome="ANSWER", records=rows)
        assert {"W0022", "W0030", "W0032"} <= led.accepted_ids() and "W0031" not in led.held_ids()
        # rendered again: W0031 goes into a new batch; nothing accepted is rendered twice
        key = next(r.key for r in led.records(new) if r.appointment_id == "W0031")
        led.record_batches("r3", [], str(tmp_path), [
            NewBatch("b-3", str(tmp_path / "b3.xml"), "3" * 64, [NewRecord(key, "W0031")])])  # fmt: skip
        assert [b.state for b in led.batches() if b.batch_id == "b-new"] == ["PARTIAL"]
        assert led.record_counts()["REFUSED"] == 4 + 2  # b-ref's, W0006 and W0008 (W0031: pending)
    with open_ledger(path, MUS) as led:  # type: ignore[union-attr]
        assert [r.state for r in led.records(led.batches()[-1])] == ["PENDING"]


def test_a_fresh_journal_writes_a_row_per_batch_not_per_record(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    keys = [f"{i:08x}-1111-5222-8333-{i:012x}" for i in range(300)]
    with open_ledger(path, MUS) as led:  # type: ignore[union-attr]
        led.record_batches("r1", [], str(tmp_path), [
            NewBatch(f"b{n}", str(tmp_path / f"{n}.xml"), "0", [
                NewRecord(keys[i], f"A{i}", f"{i:064x}", "x.csv", str(i)) for i in range(n * 100, n * 100 + 100)])
            for n in range(3)])  # fmt: skip
        write_facts(
            led,
            "zasilInicjalnie",
            pd.DataFrame({"key": keys, "local_id": [f"A{i}" for i in range(300)]}),
        )
        assert tables(path)["batch_records"] == 3 and tables(path)["record_answers"] == 0
        first, second = led.batches()[:2]
        attempt = led.begin_attempt(first, "emulator")  # accepted whole: still no answer row
        led.finish_attempt(attempt, first, "ACCEPTED", outcome="ANSWER",
                           records=[(r.key, True, "", "") for r in led.records(first)])  # fmt: skip
        assert tables(path)["record_answers"] == 0
        attempt = led.begin_attempt(second, "emulator")  # one refused of a partial batch: one row
        led.finish_attempt(attempt, second, "PARTIAL", outcome="ANSWER",
                           records=[(r.key, r.appointment_id != "A150", "" if r.appointment_id != "A150" else "E1",
                                     "PESEL 12345678901") for r in led.records(second)][::-1])  # fmt: skip
        assert tables(path)["record_answers"] == 100  # the accepted ones carry a message too
        refused = [r for r in led.records(second) if r.state == "REFUSED"]
        assert [(r.appointment_id, r.code, r.message) for r in refused] == [
            ("A150", "E1", "PESEL ***********")
        ]
        assert led.record_counts() == {
            "ACCEPTED": 199,
            "REFUSED": 1,
            "PENDING": 100,
            "SUPERSEDED": 0,
        }
        assert len(accepted_facts(led, "zasilInicjalnie")) == 199
        assert led.records(first)[7].key == keys[7] and led.visit_pairs()[0][0] == f"{0:064x}"


TEXT = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.uuids().map(str),
    st.binary(min_size=32, max_size=32).map(bytes.hex),
)


@given(columns=st.lists(st.tuples(TEXT, TEXT, TEXT), max_size=30))
@settings(deadline=None, max_examples=150)
def test_pack_gives_back_every_value(
    columns: list[tuple[str | None, str | None, str | None]],
) -> None:
    key, digest, other = (list(c) for c in zip(*columns, strict=True)) if columns else ([], [], [])
    table = pa.table({"key": pa.array(key, pa.string()), "visit_digest": pa.array(digest, pa.string()),
                      "source_file": pa.array(other, pa.string())})  # fmt: skip
    assert unpack(pack(table)).to_pylist() == table.to_pylist()
    assert unpack(pack(table.slice(1))).to_pylist() == table.slice(1).to_pylist()
