"""Sending a MUŚ's rendered batches to CeR, exactly once, journaled in the ledger.

The order for every run: batches a killed run left IN_FLIGHT become UNKNOWN; every UNKNOWN
batch is settled by a status query (never by sending it again blind: the service either holds
it, then its answer is recorded, or never saw it, then it is sendable again); every batch to
send has its payload file checked against the SHA-256 journaled when it was rendered (a
changed file stops the run before anything is sent); then one batch at a time: IN_FLIGHT is
committed, the client sends (it signs anew on every attempt), the answer is committed.
``TransientError`` is retried with exponential backoff and full jitter; ``AmbiguousError``
makes the batch UNKNOWN (then a status query); ``PermanentFault`` stops the run naming the
layer; after ``breaker`` consecutive failed attempts the circuit opens and the rest waits
for the next run. The client is anything with ``send_batch`` and ``query_status``
(``submit.client.P1Client``; tests use a fake).
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cer_loader.errors import UsageError
from cer_loader.ledger.store import BatchRow, Ledger
from cer_loader.submit import answers
from cer_loader.submit.answers import BatchAnswer
from cer_loader.submit.errors import AmbiguousError, PermanentFault, TransientError

log = logging.getLogger("cer_loader.submit")
Progress = Callable[[str, int, int], None]
# a refused record CeR answers as "already held" was accepted earlier (a resend after a lost
# answer): it is loaded, not refused
DUPLICATE_CODES = frozenset(getattr(answers, "DUPLICATE_CODES", ("duplicate",)))


class Client(Protocol):
    def send_batch(
        self, batch_id: str, payload_xml: bytes, context: Mapping[str, str]
    ) -> BatchAnswer: ...

    def query_status(self, batch_id: str) -> BatchAnswer | None: ...


@dataclass(frozen=True)
class Policy:
    """Retry and breaker settings (SUBMIT.md §11: base 1-2 s, cap 60 s, 5-6 attempts)."""

    attempts: int = 5  # per batch and run, transient failures included
    base_s: float = 1.0
    cap_s: float = 60.0
    breaker: int = 8  # consecutive failed attempts (any batch) that open the circuit


@dataclass
class Submission:
    """What a submission run did: each batch's final state, and why it stopped early."""

    target: str
    batches: list[BatchRow] = field(default_factory=list)
    fault: PermanentFault | None = None
    breaker_open: bool = False
    resolved: int = 0  # UNKNOWN batches settled by a status query

    def states(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for b in self.batches:
            out[b.state] = out.get(b.state, 0) + 1
        return out


def _noop(stage: str, done: int, total: int) -> None:
    return None


class Orchestrator:
    def __init__(
        self, ledger: Ledger, client: Client, *, target: str, context: Mapping[str, str],
        policy: Policy = Policy(), progress: Progress = _noop,
        sleep: Callable[[float], None] = time.sleep, rng: Callable[[], float] = random.random,
    ) -> None:  # fmt: skip
        self.ledger, self.client, self.target, self.context = ledger, client, target, context
        self.policy, self.progress, self.sleep, self.rng = policy, progress, sleep, rng
        self.failures = 0  # consecutive failed attempts
        self.breaker_open = False

    # -- helpers ------------------------------------------------------------------------
    def _backoff(self, n: int, exc: Exception | None = None) -> None:
        """The server's ``Retry-After`` when it gave one (a busy 503), capped by the policy's
        ``cap_s``; else full jitter: a random delay in [0, min(cap, base * 2**n)]."""
        after = float(getattr(exc, "retry_after", 0.0) or 0.0)
        if after > 0:
            log.info("retry_after_s=%.1f waited=%.1f", after, min(after, self.policy.cap_s))
            self.sleep(min(after, self.policy.cap_s))
            return
        self.sleep(self.rng() * min(self.policy.cap_s, self.policy.base_s * 2**n))

    def _failed(self) -> bool:
        """Count a failed attempt; True when the breaker opens."""
        self.failures += 1
        return self.failures >= self.policy.breaker

    def _settle(self, batch: BatchRow, attempt: int, answer: BatchAnswer, outcome: str) -> None:
        records = answer.records
        if not records:  # a batch-level answer: every record shares it
            ok = answer.status == "ACCEPTED"
            code = answer.cer_codes[0] if answer.cer_codes else ""
            records = tuple(
                answers.RecordAnswer(r.key, r.appointment_id, ok, "" if ok else code)
                for r in self.ledger.records(batch)
            )
        rows = [
            (r.key, r.accepted or r.code in DUPLICATE_CODES, r.code, r.message) for r in records
        ]
        n_ok = sum(1 for _, ok, _, _ in rows if ok)
        state = "ACCEPTED" if n_ok == len(rows) else "REFUSED" if n_ok == 0 else "PARTIAL"
        self.ledger.finish_attempt(
            attempt, batch, state, outcome=outcome, http_status=answer.http_status,
            cer_codes=answer.cer_codes, duration_s=answer.duration_s,
            request_sha256=answer.request_sha256, records=rows,
        )  # fmt: skip
        log.info(
            "batch=%s state=%s records=%d accepted=%d http=%s codes=%s duration_ms=%d",
            batch.batch_id, state, len(rows), n_ok, answer.http_status,
            ",".join(answer.cer_codes), int(answer.duration_s * 1000),
        )  # fmt: skip

    # -- UNKNOWN → settled or sendable ----------------------------------------------------
    def resolve(self, batch: BatchRow) -> BatchRow:
        """Ask the service about an UNKNOWN batch; it stays UNKNOWN if no one can say."""
        for n in range(self.policy.attempts):
            attempt = self.ledger.begin_attempt(batch, self.target, kind="status")
            started = time.monotonic()
            try:
                answer = self.client.query_status(batch.batch_id)
            except (TransientError, AmbiguousError) as exc:
                self.ledger.finish_attempt(
                    attempt, batch, "UNKNOWN", outcome=type(exc).__name__,
                    duration_s=time.monotonic() - started, error=str(exc),
                )  # fmt: skip
                log.warning("batch=%s status query failed: %s", batch.batch_id, type(exc).__name__)
                if self._failed():
                    self.breaker_open = True
                    break
                self._backoff(n, exc)
                continue
            self.failures = 0
            if answer is None:  # the service never saw it: safe to send
                self.ledger.finish_attempt(
                    attempt, batch, "RENDERED", outcome="NOT_SEEN",
                    duration_s=time.monotonic() - started,
                )  # fmt: skip
                log.info("batch=%s status=not-seen (sendable again)", batch.batch_id)
            else:
                self._settle(batch, attempt, answer, "STATUS")
            return self.ledger.batch(batch.id)
        return self.ledger.batch(batch.id)

    # -- sending --------------------------------------------------------------------------
    def send(self, batch: BatchRow, payload: bytes) -> BatchRow:
        for n in range(self.policy.attempts):
            attempt = self.ledger.begin_attempt(batch, self.target)  # IN_FLIGHT, committed
            started = time.monotonic()
            try:
                answer = self.client.send_batch(batch.batch_id, payload, self.context)
            except TransientError as exc:
                self.ledger.finish_attempt(
                    attempt, batch, "RENDERED", outcome="TRANSIENT",
                    duration_s=time.monotonic() - started, error=str(exc),
                )  # fmt: skip
                log.warning("batch=%s attempt=%d transient: %s", batch.batch_id, n + 1, exc)
                if self._failed():
                    self.breaker_open = True
                    break
                if n + 1 < self.policy.attempts:
                    self._backoff(n, exc)
                continue
            except AmbiguousError as exc:
                self.ledger.finish_attempt(
                    attempt, batch, "UNKNOWN", outcome="AMBIGUOUS",
                    duration_s=time.monotonic() - started, error=str(exc),
                )  # fmt: skip
                log.warning("batch=%s ambiguous (%s): asking the service", batch.batch_id, exc)
                if self._failed():
                    self.breaker_open = True
                    break
                self._backoff(n)
                settled = self.resolve(self.ledger.batch(batch.id))
                if settled.state != "RENDERED":  # CeR has it (or still no one can say)
                    return settled
                continue  # the service never saw it: sending again is safe
            except PermanentFault as exc:
                self.ledger.finish_attempt(
                    attempt, batch, "RENDERED", outcome=f"PERMANENT:{exc.layer}",
                    cer_codes=(exc.code,) if exc.code else (),
                    duration_s=time.monotonic() - started, error=str(exc),
                )  # fmt: skip
                raise
            self.failures = 0
            self._settle(batch, attempt, answer, "ANSWER")
            break
        return self.ledger.batch(batch.id)

    def run(self, files: Sequence[Path] | None = None) -> Submission:
        """Settle UNKNOWN batches, then send every RENDERED batch (of ``files`` when given)."""
        done = Submission(self.target)
        self.ledger.recover()
        wanted = {str(Path(f).resolve()) for f in files} if files is not None else None
        todo: list[BatchRow] = []
        scope: set[int] = set()
        try:
            for batch in self.ledger.batches(("UNKNOWN",)):
                if self.breaker_open:
                    break
                scope.add(batch.id)
                if self.resolve(batch).state != "UNKNOWN":
                    done.resolved += 1
            todo = [
                b for b in self.ledger.batches(("RENDERED",))
                if wanted is None or b.file in wanted
            ]  # fmt: skip
            payloads = [_checked_payload(b) for b in todo]  # all checked before the first send
            total = sum(b.records for b in todo)
            sent = 0
            self.progress("submit", 0, total)
            for batch, payload in zip(todo, payloads, strict=True):
                if self.breaker_open:
                    break
                self.send(batch, payload)
                sent += batch.records
                self.progress("submit", sent, total)
        except PermanentFault as exc:
            done.fault = exc
            log.error("submission stopped: layer=%s code=%s", exc.layer, exc.code)
        done.breaker_open = self.breaker_open
        scope |= {b.id for b in todo}
        done.batches = [b for b in self.ledger.batches() if b.id in scope or b.state == "UNKNOWN"]
        return done


def _checked_payload(batch: BatchRow) -> bytes:
    """The payload bytes, refused if the file changed since the ledger journaled it."""
    try:
        data = Path(batch.file).read_bytes()
    except OSError as exc:
        raise UsageError(
            f"brak paczki zapisanej w rejestrze wysyłek: {exc.strerror}",
            f"a payload file journaled in the ledger is missing: {exc.strerror}",
            path=batch.file,
        ) from None
    if hashlib.sha256(data).hexdigest() != batch.sha256:
        raise UsageError(
            "paczka zmieniła się od zapisania w rejestrze wysyłek (SHA-256 inny); nie wysyłam - "
            "utwórz paczki od nowa (cer-loader run ... --out NOWY_KATALOG)",
            "the payload file changed since the ledger journaled it (SHA-256 differs); not "
            "sending - render again (cer-loader run ... --out NEW_FOLDER)",
            path=batch.file,
        )
    return data


def submit(
    ledger: Ledger, client: Client, *, target: str, context: Mapping[str, str],
    files: Sequence[Path] | None = None, policy: Policy = Policy(), progress: Progress = _noop,
    sleep: Callable[[float], None] = time.sleep, rng: Callable[[], float] = random.random,
) -> Submission:  # fmt: skip
    """Send what the ledger holds as RENDERED (see the module docstring)."""
    return Orchestrator(
        ledger, client, target=target, context=context, policy=policy, progress=progress,
        sleep=sleep, rng=rng,
    ).run(files)  # fmt: skip
