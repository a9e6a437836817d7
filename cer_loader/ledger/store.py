"""The ledger file (SQLite, one per MUŚ): batches, their records, every attempt to send them.

Batch states: RENDERED → IN_FLIGHT (committed before the first byte is sent) → ACCEPTED /
PARTIAL / REFUSED, or UNKNOWN (maybe processed, no answer; resolved by a status query), or
SUPERSEDED (never sent; its records went into a newer batch). Record states: PENDING,
ACCEPTED, REFUSED (CeR's code and message), SUPERSEDED. WAL journal, ``synchronous=FULL``,
mode 0600, parameterised SQL only. No personal data: appointment ids, idempotency keys,
salted visit digests, source file names and row numbers, CeR codes and scrubbed messages.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cer_loader.errors import ReportError
from cer_loader.ledger.states import implied

if TYPE_CHECKING:  # numpy and Arrow only when journaling (status and submit do without)
    import pyarrow as pa

    from cer_loader.ledger.bulk import BatchHead

SCHEMA_VERSION = 3
LIVE = ("RENDERED", "IN_FLIGHT", "UNKNOWN")  # may still reach CeR
SETTLED = ("ACCEPTED", "PARTIAL", "REFUSED")
BATCH_STATES = (*LIVE, *SETTLED, "SUPERSEDED")
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started TEXT NOT NULL, inputs TEXT NOT NULL, out_dir TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_ends (
    run_id TEXT PRIMARY KEY REFERENCES runs(run_id), finished TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id TEXT NOT NULL, run_id TEXT NOT NULL REFERENCES runs(run_id),
    file TEXT NOT NULL, sha256 TEXT NOT NULL, records INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN {BATCH_STATES!r}),
    target TEXT NOT NULL DEFAULT '', created TEXT NOT NULL, updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_records (
    batch INTEGER PRIMARY KEY REFERENCES batches(id), data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS record_answers (
    batch INTEGER NOT NULL REFERENCES batches(id), position INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('PENDING', 'ACCEPTED', 'REFUSED', 'SUPERSEDED')),
    code TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL,
    PRIMARY KEY (batch, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fact_sets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, operation TEXT NOT NULL, data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, batch INTEGER NOT NULL REFERENCES batches(id),
    kind TEXT NOT NULL, started TEXT NOT NULL, finished TEXT, target TEXT NOT NULL,
    request_sha256 TEXT NOT NULL DEFAULT '', http_status INTEGER, cer_codes TEXT NOT NULL
    DEFAULT '', outcome TEXT NOT NULL DEFAULT 'STARTED', duration_ms INTEGER, error TEXT
    NOT NULL DEFAULT ''
);
"""
_DIGITS = re.compile(r"\d{9,}")
# batches that may hold a record accepted or pending: a superseded one only through an answer
_MAY_HOLD = "b.state != 'SUPERSEDED' OR b.id IN (SELECT batch FROM record_answers)"


def scrub(text: str) -> str:
    """CeR's messages may echo a PESEL or phone: long digit runs never reach the ledger or logs."""
    return _DIGITS.sub(lambda m: "*" * len(m.group()), str(text))[:500]


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class NewRecord:
    key: str
    appointment_id: str
    visit_digest: str | None = None
    source_file: str = ""
    source_row: str = ""


@dataclass(frozen=True)
class NewBatch:
    batch_id: str
    file: str
    sha256: str
    records: Sequence[NewRecord]


@dataclass(frozen=True)
class BatchRow:
    id: int
    batch_id: str
    run_id: str
    file: str
    sha256: str
    records: int
    state: str
    target: str
    updated: str


@dataclass(frozen=True)
class RecordRow:
    key: str
    appointment_id: str
    source_file: str
    source_row: str
    state: str
    code: str
    message: str


def _fail(exc: Exception, path: Path) -> ReportError:
    return ReportError(
        f"nie można zapisać rejestru wysyłek: {exc}",
        f"cannot write the submission ledger: {exc}",
        path=path,
    )


class Ledger:
    """A handle on one ledger file; use :func:`cer_loader.ledger.open_ledger`."""

    def __init__(
        self, path: Path, conn: sqlite3.Connection, mus_id: str, salt: str,
        clock: Callable[[], str] | None = None,
    ) -> None:  # fmt: skip
        self.path = path
        self.mus_id = mus_id
        self.salt = salt
        self._conn = conn
        self.clock = clock or now  # the time every journaled change is stamped with
        self._scope = "1"  # the batches this view sees (before.py: fewer)
        self._scope_args: tuple[object, ...] = ()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One durable transaction (BEGIN IMMEDIATE ... COMMIT), or nothing."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _fail(exc, self.path) from None

    def _ids(self, sql: str, args: Sequence[object] = ()) -> set[str]:
        return {row[0] for row in self._conn.execute(sql, args)}

    # -- what the next run must not render again ---------------------------------------
    def _records(self, where: str = "1", args: Sequence[object] = ()) -> pa.Table:
        """Records (:mod:`.records`) of the batches this view sees that ``where`` selects."""
        from cer_loader.ledger.records import load

        return load(self._conn, f"({self._scope}) AND ({where})", (*self._scope_args, *args))

    def _held_and_visits(self) -> tuple[pa.Array, pa.Array, pa.Array]:
        """Appointment ids CeR holds or may hold, and (visit digest, appointment id) of every
        record accepted or pending (:meth:`held_ids`, :meth:`visit_pairs`), as Arrow arrays."""
        import pyarrow.compute as pc

        from cer_loader.ledger.records import STATES

        t = self._records(_MAY_HOLD)
        state = t.column("state")
        accepted = pc.equal(state, STATES.index("ACCEPTED"))
        pending = pc.equal(state, STATES.index("PENDING"))
        held = pc.or_(accepted, pc.and_(pending, t.column("in_doubt")))
        ids = t.column("appointment_id")
        visits = t.filter(pc.and_(pc.or_(accepted, pending), pc.is_valid(t.column("visit_digest"))))
        return (ids.filter(held).combine_chunks(), visits.column("visit_digest").combine_chunks(),
                visits.column("appointment_id").combine_chunks())  # fmt: skip

    def holds_records(self) -> bool:
        """Whether any record of this view may be accepted or pending (else nothing is held)."""
        row = self._conn.execute(
            f"SELECT 1 FROM batches b WHERE ({self._scope}) AND ({_MAY_HOLD}) LIMIT 1",  # noqa: S608
            self._scope_args,
        ).fetchone()
        return row is not None

    def accepted_ids(self) -> set[str]:
        """Appointment ids CeR accepted (loaded)."""
        import pyarrow.compute as pc

        from cer_loader.ledger.records import STATES

        t = self._records(_MAY_HOLD)
        ok = pc.equal(t.column("state"), STATES.index("ACCEPTED"))
        return set(t.column("appointment_id").filter(ok).to_pylist())

    def held_ids(self) -> set[str]:
        """Accepted ids plus those in a batch that may be at CeR (in flight or unknown)."""
        return set(self._held_and_visits()[0].to_pylist())

    def visit_pairs(self) -> tuple[list[str], list[str]]:
        """(visit digests, appointment ids), pair by pair, of records accepted or in a batch not
        superseded: the same visit under another id must not be rendered as a second
        appointment."""
        _, digests, owners = self._held_and_visits()
        return digests.to_pylist(), owners.to_pylist()

    def batch_files(self) -> set[str]:
        """Payload files of batches not superseded (their files must not be overwritten)."""
        return self._ids("SELECT file FROM batches WHERE state != 'SUPERSEDED'")

    # -- journal ------------------------------------------------------------------------
    def record_batches(
        self, run_id: str, inputs: Iterable[str], out_dir: str, batches: Sequence[NewBatch],
        *, then: Callable[[sqlite3.Connection], None] | None = None, finished: bool = True,
    ) -> int:  # fmt: skip
        """Journal a run's new batches in one transaction; unsent batches holding any of their
        appointment ids are superseded (so no id is ever in two sendable batches). Returns
        how many earlier batches were superseded. ``finished``: the run is complete (its
        reports written) in the same transaction, else :meth:`finish_run` says so later."""
        from cer_loader.ledger.bulk import BatchHead, record_table

        records = [r for b in batches for r in b.records]
        table = record_table(
            [r.key for r in records], [r.appointment_id for r in records],
            [r.visit_digest for r in records], [r.source_file for r in records],
            [r.source_row for r in records],
        )  # fmt: skip
        heads = [BatchHead(b.batch_id, b.file, b.sha256, len(b.records)) for b in batches]
        return self.record_columns(
            run_id, inputs, out_dir, heads, table, then=then, finished=finished
        )

    def record_columns(
        self, run_id: str, inputs: Iterable[str], out_dir: str, heads: Sequence[BatchHead],
        records: pa.Table, *, then: Callable[[sqlite3.Connection], None] | None = None,
        finished: bool = True,
    ) -> int:  # fmt: skip
        """:meth:`record_batches` with the records as whole columns (:mod:`.bulk`), in batch
        order; ``then`` writes what goes with them (the facts) in the same transaction."""
        from cer_loader.ledger.bulk import end_run, insert_run

        stamp = self.clock()
        with self._tx() as c:
            superseded = insert_run(c, stamp, run_id, inputs, out_dir, heads, records)
            if finished:
                end_run(c, stamp, run_id)
            if then is not None:
                then(c)
        return superseded

    def finish_run(self, run_id: str) -> None:
        """The run's reports are in place: the last thing a run commits."""
        with self._tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO run_ends (run_id, finished) VALUES (?, ?)",
                (run_id, self.clock()),
            )

    def unfinished_runs(self) -> list[tuple[str, str]]:
        """(run id, output folder) of runs that journaled batches but never finished (killed
        before their reports were in place)."""
        cur = self._conn.execute(
            "SELECT r.run_id, r.out_dir FROM runs r LEFT JOIN run_ends e USING (run_id) "
            "WHERE e.run_id IS NULL ORDER BY r.started"
        )
        return [(str(a), str(b)) for a, b in cur]

    def recover(self) -> int:
        """At start-up: every batch left IN_FLIGHT by a killed run becomes UNKNOWN."""
        with self._tx() as c:
            cur = c.execute(
                "UPDATE batches SET state = 'UNKNOWN', updated = ? WHERE state = 'IN_FLIGHT'",
                (self.clock(),),
            )
            c.execute("UPDATE attempts SET outcome = 'INTERRUPTED' WHERE outcome = 'STARTED'")
        return cur.rowcount

    def begin_attempt(self, batch: BatchRow, target: str, kind: str = "send") -> int:
        """Commit the intent (and, for a send, IN_FLIGHT) before anything goes on the wire."""
        stamp = self.clock()
        with self._tx() as c:
            if kind == "send":
                self._restate(c, batch.id, "IN_FLIGHT", stamp)
                c.execute(
                    "UPDATE batches SET state = 'IN_FLIGHT', target = ?, updated = ? WHERE id = ?",
                    (target, stamp, batch.id),
                )
            cur = c.execute(
                "INSERT INTO attempts (batch, kind, started, target) VALUES (?, ?, ?, ?)",
                (batch.id, kind, stamp, target),
            )
        return int(cur.lastrowid or 0)

    def finish_attempt(
        self, attempt: int, batch: BatchRow, state: str, *, outcome: str,
        http_status: int | None = None, cer_codes: Sequence[str] = (), duration_s: float = 0.0,
        request_sha256: str = "", error: str = "",
        records: Sequence[tuple[str, bool, str, str]] = (),
    ) -> None:  # fmt: skip
        """Record an attempt's end and the batch's new state (and per-record answers
        ``(key, accepted, code, message)``) in one transaction."""
        stamp = self.clock()
        with self._tx() as c:
            c.execute(
                "UPDATE attempts SET finished = ?, outcome = ?, http_status = ?, cer_codes = ?, "
                "duration_ms = ?, request_sha256 = ?, error = ? WHERE id = ?",
                (stamp, outcome, http_status, ",".join(cer_codes), int(duration_s * 1000),
                 request_sha256, scrub(error), attempt),
            )  # fmt: skip
            answers = [(key, ok, code, scrub(msg)) for key, ok, code, msg in records]
            self._restate(c, batch.id, state, stamp, answers)
            c.execute(
                "UPDATE batches SET state = ?, updated = ? WHERE id = ?", (state, stamp, batch.id)
            )

    @staticmethod
    def _restate(
        c: sqlite3.Connection, batch: int, state: str, stamp: str,
        answers: Sequence[tuple[str, bool, str, str]] = (),
    ) -> None:  # fmt: skip
        """Before the batch's state becomes ``state``: its records' answers (:mod:`.records`),
        untouched (no Arrow needed) when none is given and the implied state stays."""
        row = c.execute("SELECT state FROM batches WHERE id = ?", (batch,)).fetchone()
        old = str(row[0]) if row else state
        if not answers and implied(old) == implied(state):
            return
        from cer_loader.ledger.records import answer

        answer(c, batch, old, state, stamp, answers)

    # -- reading ------------------------------------------------------------------------
    def batches(self, states: Sequence[str] = BATCH_STATES) -> list[BatchRow]:
        marks = ",".join("?" * len(states))
        cur = self._conn.execute(
            "SELECT id, batch_id, run_id, file, sha256, records, state, target, updated "
            f"FROM batches WHERE state IN ({marks}) ORDER BY id",
            tuple(states),
        )
        return [BatchRow(*row) for row in cur]

    def batch(self, batch_id: int) -> BatchRow:
        return next(b for b in self.batches() if b.id == batch_id)

    def records(self, batch: BatchRow) -> list[RecordRow]:
        from cer_loader.ledger.records import STATES, load

        t = load(self._conn, "b.id = ?", (batch.id,))
        columns = [t.column(n).to_pylist() for n in
                   ("key", "appointment_id", "source_file", "source_row")]  # fmt: skip
        states = [STATES[s] for s in t.column("state").to_pylist()]
        tail = (states, t.column("code").to_pylist(), t.column("message").to_pylist())
        return [RecordRow(*row) for row in zip(*columns, *tail, strict=True)]

    def record_counts(self) -> dict[str, int]:
        """Appointments per state: an id accepted anywhere counts as ACCEPTED only."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from cer_loader.ledger.records import STATES

        order = ("ACCEPTED", "PENDING", "REFUSED", "SUPERSEDED")  # the first one seen counts
        rank = pa.array([order.index(s) for s in STATES], pa.int8())
        t = self._records()
        best = pa.table(
            {"id": t.column("appointment_id"), "rank": pc.take(rank, t.column("state"))}
        )
        ranks = best.group_by("id").aggregate([("rank", "min")]).column("rank_min").to_pylist()
        return {s: ranks.count(i) for i, s in enumerate(order)}

    def attempts(self, batch: BatchRow | None = None) -> list[dict[str, object]]:
        sql = (
            "SELECT a.id, b.batch_id, a.kind, a.started, a.finished, a.target, "
            "a.request_sha256, a.http_status, a.cer_codes, a.outcome, a.duration_ms, a.error "
            "FROM attempts a JOIN batches b ON b.id = a.batch"
        )
        args: tuple[object, ...] = ()
        if batch is not None:
            sql, args = sql + " WHERE a.batch = ?", (batch.id,)
        cur = self._conn.execute(sql + " ORDER BY a.id", args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    def runs(self) -> list[tuple[str, str, str]]:
        cur = self._conn.execute("SELECT run_id, started, out_dir FROM runs ORDER BY started")
        return [(str(a), str(b), str(c)) for a, b, c in cur]
