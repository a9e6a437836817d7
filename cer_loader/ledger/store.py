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

if TYPE_CHECKING:  # numpy and Arrow only when journaling (status and submit do without)
    import pyarrow as pa

    from cer_loader.ledger.bulk import BatchHead

SCHEMA_VERSION = 2
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
CREATE TABLE IF NOT EXISTS records (
    batch INTEGER NOT NULL REFERENCES batches(id), key TEXT NOT NULL,
    appointment_id TEXT NOT NULL, visit_digest TEXT, source_file TEXT NOT NULL DEFAULT '',
    source_row TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('PENDING', 'ACCEPTED', 'REFUSED', 'SUPERSEDED')),
    code TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL,
    PRIMARY KEY (batch, key)
);
CREATE INDEX IF NOT EXISTS records_by_appointment ON records (appointment_id, state);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, batch INTEGER NOT NULL REFERENCES batches(id),
    kind TEXT NOT NULL, started TEXT NOT NULL, finished TEXT, target TEXT NOT NULL,
    request_sha256 TEXT NOT NULL DEFAULT '', http_status INTEGER, cer_codes TEXT NOT NULL
    DEFAULT '', outcome TEXT NOT NULL DEFAULT 'STARTED', duration_ms INTEGER, error TEXT
    NOT NULL DEFAULT ''
);
"""
_DIGITS = re.compile(r"\d{9,}")


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
    def accepted_ids(self) -> set[str]:
        """Appointment ids CeR accepted (loaded)."""
        return self._ids("SELECT appointment_id FROM records WHERE state = 'ACCEPTED'")

    def held_ids(self) -> set[str]:
        """Accepted ids plus those in a batch that may be at CeR (in flight or unknown)."""
        return self.accepted_ids() | self._ids(
            "SELECT r.appointment_id FROM records r JOIN batches b ON b.id = r.batch "
            "WHERE r.state = 'PENDING' AND b.state IN ('IN_FLIGHT', 'UNKNOWN')"
        )

    def visit_pairs(self) -> tuple[list[str], list[str]]:
        """(visit digests, appointment ids), pair by pair, of records accepted or in a batch not
        superseded: the same visit under another id must not be rendered as a second
        appointment."""
        rows = self._conn.execute(
            "SELECT r.visit_digest, r.appointment_id FROM records r "  # repeats are harmless
            "WHERE r.visit_digest IS NOT NULL AND r.state IN ('ACCEPTED', 'PENDING')"
        ).fetchall()
        return [str(d) for d, _ in rows], [str(a) for _, a in rows]

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
        from cer_loader.ledger.bulk import insert_run

        stamp = self.clock()
        with self._tx() as c:
            superseded = insert_run(c, stamp, run_id, inputs, out_dir, heads, records)
            if finished:
                c.execute("INSERT INTO run_ends (run_id, finished) VALUES (?, ?)", (run_id, stamp))
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
            c.execute(
                "UPDATE batches SET state = ?, updated = ? WHERE id = ?", (state, stamp, batch.id)
            )
            c.executemany(
                "UPDATE records SET state = ?, code = ?, message = ?, updated = ? "
                "WHERE batch = ? AND key = ?",
                [("ACCEPTED" if ok else "REFUSED", code, scrub(msg), stamp, batch.id, key)
                 for key, ok, code, msg in records],
            )  # fmt: skip

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
        cur = self._conn.execute(
            "SELECT key, appointment_id, source_file, source_row, state, code, message "
            "FROM records WHERE batch = ? ORDER BY rowid",
            (batch.id,),
        )
        return [RecordRow(*row) for row in cur]

    def record_counts(self) -> dict[str, int]:
        """Appointments per state: an id accepted anywhere counts as ACCEPTED only."""
        cur = self._conn.execute(
            "SELECT appointment_id, GROUP_CONCAT(state) FROM records GROUP BY appointment_id"
        )
        counts = {"ACCEPTED": 0, "REFUSED": 0, "PENDING": 0, "SUPERSEDED": 0}
        for _, states in cur:
            seen = set(states.split(","))
            for s in ("ACCEPTED", "PENDING", "REFUSED", "SUPERSEDED"):
                if s in seen:
                    counts[s] += 1
                    break
        return counts

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
