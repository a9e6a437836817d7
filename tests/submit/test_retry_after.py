"""A busy server's ``Retry-After``: the client reads it, the orchestrator waits that long
(capped by the policy) instead of its own jittered backoff; without one, the jitter."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from cer_loader import emulator as emu
from cer_loader.ledger import NewBatch, NewRecord, open_ledger
from cer_loader.render import idempotency_keys
from cer_loader.submit.devcerts import DevCerts
from cer_loader.submit.errors import TransientError
from cer_loader.submit.orchestrate import Policy, submit
from cer_loader.submit.transport import Reply, retry_after_s

from .conftest import CONTEXT, MUS, client, payload


@pytest.mark.parametrize(("spec", "seconds"), [("busy:1,retry-after:3", 3.0), ("busy:1", 1.0),
                                               ("busy:1,retry-after:0", 0.0)])  # fmt: skip
def test_the_client_carries_the_servers_retry_after(
    tmp_path: Path, certs: DevCerts, spec: str, seconds: float
) -> None:
    with emu.start_in_process(tmp_path / "cer.sqlite", faults=spec, certs_dir=certs.dir) as h:
        with client(h) as c, pytest.raises(TransientError) as err:
            c.send_batch("B-1", payload(1), CONTEXT)
    assert err.value.retry_after == seconds


def sleeps_of(
    tmp_path: Path, certs: DevCerts, spec: str, policy: Policy
) -> tuple[list[float], str]:
    """Send one batch to an always-busy emulator; the delays slept between attempts."""
    data = payload(2)
    file = tmp_path / "zasilInicjalnie_0001.xml"
    file.write_bytes(data)
    keys = idempotency_keys(MUS, pd.Series(["W0000000", "W0000001"]))
    records = [NewRecord(k, a) for k, a in zip(keys, ["W0000000", "W0000001"], strict=True)]
    ledger = open_ledger(tmp_path / "ledger.sqlite", MUS)
    assert ledger is not None
    slept: list[float] = []
    with (
        ledger,
        emu.start_in_process(tmp_path / "cer.sqlite", faults=spec, certs_dir=certs.dir) as h,
    ):
        ledger.record_batches("R1", [], str(tmp_path), [NewBatch(
            "B-1", str(file.resolve()), hashlib.sha256(data).hexdigest(), records)])  # fmt: skip
        with client(h) as c:
            done = submit(ledger, c, target="emulator", context=CONTEXT, policy=policy,
                          sleep=slept.append, rng=lambda: 0.5)  # fmt: skip
        return slept, done.batches[0].state


def test_busy_with_retry_after_waits_what_the_server_asked(tmp_path: Path, certs: DevCerts) -> None:
    slept, state = sleeps_of(
        tmp_path, certs, "busy:1,retry-after:2", Policy(attempts=3, base_s=30.0, cap_s=60.0)
    )
    assert slept == [2.0, 2.0]  # the jitter would have been 15 s, then 30 s
    assert state == "RENDERED"  # never processed: sendable on the next run


def test_retry_after_is_capped_by_the_policy(tmp_path: Path, certs: DevCerts) -> None:
    slept, _ = sleeps_of(
        tmp_path, certs, "busy:1,retry-after:30", Policy(attempts=3, base_s=0.01, cap_s=0.5)
    )
    assert slept == [0.5, 0.5]


def test_busy_without_retry_after_backs_off_with_jitter(tmp_path: Path, certs: DevCerts) -> None:
    slept, _ = sleeps_of(
        tmp_path, certs, "busy:1,retry-after:0", Policy(attempts=3, base_s=4.0, cap_s=60.0)
    )
    assert slept == [0.5 * 4.0, 0.5 * 8.0]


def test_retry_after_seconds_or_http_date() -> None:
    now = dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_s("120", now) == 120.0
    assert retry_after_s("Tue, 01 Dec 2026 12:00:45 GMT", now) == 45.0
    assert retry_after_s("Tue, 01 Dec 2026 11:00:00 GMT", now) == 0.0  # in the past
    assert retry_after_s("soon", now) == 0.0 and retry_after_s(None, now) == 0.0
    assert retry_after_s("-5", now) == 0.0


def test_a_reply_unpacks_as_status_and_body_and_keeps_headers() -> None:
    reply = Reply(503, b"x", {"Retry-After": "7"})
    status, body = reply
    assert (status, body, reply.headers["retry-after"]) == (503, b"x", "7")
