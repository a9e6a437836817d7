"""Orchestration against a fake client: every path ends each batch in a state the ledger
can defend, nothing is sent twice, and a rerun settles what one run left open."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fake_client import MUS, FakeCeR, make_ledger

from cer_loader.errors import UsageError
from cer_loader.ledger import open_ledger
from cer_loader.submit.orchestrate import Policy, submit

FAST = Policy(attempts=4, base_s=1.0, cap_s=8.0, breaker=3)


def go(ledger, cer, delays=None, **kw):  # type: ignore[no-untyped-def]
    delays = [] if delays is None else delays
    return submit(
        ledger, cer, target="fake", context={"mus": MUS}, policy=kw.pop("policy", FAST),
        sleep=delays.append, rng=lambda: 0.5, **kw,
    )  # fmt: skip


def states(ledger) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.state for b in ledger.batches()]


def test_all_accepted_and_every_attempt_recorded(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1", "A2"], ["A3"]])
    seen: list[tuple[int, int]] = []
    done = go(ledger, FakeCeR(), progress=lambda s, d, t: seen.append((d, t)))
    assert states(ledger) == ["ACCEPTED", "ACCEPTED"] and done.fault is None
    assert ledger.accepted_ids() == {"A1", "A2", "A3"} and seen[-1] == (3, 3)
    tries = ledger.attempts()
    assert [(a["batch_id"], a["outcome"], a["http_status"]) for a in tries] == [
        ("B1", "ANSWER", 200), ("B2", "ANSWER", 200),
    ]  # fmt: skip
    assert all(len(str(a["request_sha256"])) == 64 and a["target"] == "fake" for a in tries)
    # a second run sends nothing
    cer = FakeCeR()
    go(ledger, cer)
    assert cer.sends == 0


def test_partial_and_refused_records_keep_code_and_scrubbed_message(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1", "A2"], ["A3"]])
    go(ledger, FakeCeR(refuse={"A2", "A3"}))
    assert states(ledger) == ["PARTIAL", "REFUSED"]
    refused = [r for b in ledger.batches() for r in ledger.records(b) if r.state == "REFUSED"]
    assert [(r.appointment_id, r.code) for r in refused] == [
        ("A2", "bad-scope"),
        ("A3", "bad-scope"),
    ]
    assert all("12345678901" not in r.message and "*" in r.message for r in refused)
    assert ledger.record_counts() == {"ACCEPTED": 1, "REFUSED": 2, "PENDING": 0, "SUPERSEDED": 0}
    assert ledger.held_ids() == {"A1"}  # refused ids go into the next payload again


def test_transient_failures_are_retried_with_growing_jittered_backoff(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1"]])
    cer, delays = FakeCeR(["transient", "transient"]), []
    go(ledger, cer, delays)
    assert states(ledger) == ["ACCEPTED"] and cer.sends == 3
    assert delays == [0.5, 1.0]  # rng 0.5 x min(cap, base * 2**n)
    assert [a["outcome"] for a in ledger.attempts()] == ["TRANSIENT", "TRANSIENT", "ANSWER"]


def test_breaker_opens_and_the_rest_waits_for_the_next_run(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1"], ["A2"], ["A3"]])
    cer = FakeCeR(["transient"] * 3)
    done = go(ledger, cer)
    assert done.breaker_open and cer.sends == 3 and states(ledger) == ["RENDERED"] * 3
    done = go(ledger, FakeCeR())
    assert not done.breaker_open and states(ledger) == ["ACCEPTED"] * 3


def test_ambiguous_answer_is_settled_by_a_status_query_never_resent(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1", "A2"]])
    cer = FakeCeR(["ambiguous-after"])
    go(ledger, cer)
    assert cer.sends == 1 and cer.queries == 1 and states(ledger) == ["ACCEPTED"]
    assert cer.keys == {"k-A1": 1, "k-A2": 1}
    assert [a["outcome"] for a in ledger.attempts()] == ["AMBIGUOUS", "STATUS"]


def test_unknown_stays_unknown_until_a_rerun_can_ask(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1"]])
    cer = FakeCeR(["ambiguous-after"])
    cer.status_script = ["transient"] * 4
    done = go(ledger, cer)
    assert states(ledger) == ["UNKNOWN"] and [b.state for b in done.batches] == ["UNKNOWN"]
    assert ledger.held_ids() == {"A1"}  # maybe at CeR: not rendered again meanwhile
    done = go(ledger, cer)  # the rerun asks first
    assert states(ledger) == ["ACCEPTED"] and cer.sends == 1 and done.resolved == 1


def test_unknown_the_service_never_saw_is_sent_again(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1"]])
    cer = FakeCeR(["ambiguous-before"])
    go(ledger, cer)
    assert cer.sends == 2 and states(ledger) == ["ACCEPTED"] and cer.keys == {"k-A1": 1}


def test_killed_in_flight_becomes_unknown_and_is_queried_not_resent(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1"]])
    cer = FakeCeR()
    cer._process("B1", b"k-A1,A1\n")  # CeR got it; the process died before the answer
    ledger.begin_attempt(ledger.batches()[0], "fake")  # IN_FLIGHT committed, then SIGKILL
    ledger.close()
    ledger = open_ledger(tmp_path / "ledger.sqlite", MUS)
    assert ledger is not None and states(ledger) == ["IN_FLIGHT"]
    go(ledger, cer)
    assert states(ledger) == ["ACCEPTED"] and cer.sends == 0 and cer.keys == {"k-A1": 1}
    assert [a["outcome"] for a in ledger.attempts()] == ["INTERRUPTED", "STATUS"]


def test_duplicate_answer_counts_as_held(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1"]])
    cer = FakeCeR()
    cer.keys["k-A1"] = 1  # CeR holds the key already (a batch lost before the ledger knew)
    go(ledger, cer)
    assert states(ledger) == ["ACCEPTED"] and ledger.accepted_ids() == {"A1"}


def test_permanent_fault_stops_the_run_and_names_the_layer(tmp_path: Path) -> None:
    ledger, _ = make_ledger(tmp_path, [["A1"], ["A2"]])
    cer = FakeCeR(["permanent:signature"])
    done = go(ledger, cer)
    assert done.fault is not None and done.fault.layer == "signature"
    assert cer.sends == 1 and states(ledger) == ["RENDERED", "RENDERED"]
    assert ledger.attempts()[0]["outcome"] == "PERMANENT:signature"


def test_changed_payload_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    ledger, files = make_ledger(tmp_path, [["A1"], ["A2"]])
    files[1].write_bytes(files[1].read_bytes() + b"k-X,X\n")
    cer = FakeCeR()
    with pytest.raises(UsageError, match="SHA-256") as err:
        go(ledger, cer)
    assert err.value.path == str(files[1].resolve()) and cer.sends == 0


def test_only_the_given_files_are_sent(tmp_path: Path) -> None:
    ledger, files = make_ledger(tmp_path, [["A1"], ["A2"]])
    go(ledger, FakeCeR(), files=[files[1]])
    assert states(ledger) == ["RENDERED", "ACCEPTED"]


def test_no_pesel_in_any_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ledger, _ = make_ledger(tmp_path, [["A1", "A2"]])
    go(ledger, FakeCeR(["transient", "ambiguous-after"], refuse={"A2"}))
    assert caplog.records and not re.search(r"\d{11}", caplog.text)
