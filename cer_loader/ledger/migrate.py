"""A ledger of schema 2 made schema 3, inside the transaction that opens it.

Schema 2 kept a row per record (``records``: key, appointment id, visit digest, source file
and row, state, CeR's code and message) and a row per fact (``facts``). Schema 3 keeps the
same values as one blob per batch and per written set (:mod:`.records`, :mod:`.blobs`), with a
row in ``record_answers`` for each record whose state, code or message is not what its batch's
state implies. Every batch, attempt and run stays as it was, and every answer the ledger gives
(held ids, visit pairs, record states and counts, accepted facts) is the same after. Only a
record's own change time is kept for answered records alone (no reading shows it). The old
tables are dropped in the same transaction: a crash leaves the ledger as it was.
"""

from __future__ import annotations

import sqlite3

import pyarrow as pa

from cer_loader.ledger.blobs import pack
from cer_loader.ledger.records import RECORD_COLUMNS, insert
from cer_loader.ledger.states import implied

FACT_COLUMNS = ["key", "local_id", "schedule_id", "start_utc", "end_utc", "scope_code",
                "category", "patient_digest"]  # fmt: skip


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def from_v2(conn: sqlite3.Connection) -> None:
    """Move the records and facts of a schema-2 ledger into the schema-3 tables (which exist)."""
    tables = _tables(conn)
    if "records" in tables:
        _records(conn)
        conn.execute("DROP INDEX IF EXISTS records_by_appointment")
        conn.execute("DROP TABLE records")
    if "facts" in tables:
        _facts(conn)
        conn.execute("DROP TABLE facts")


def _records(conn: sqlite3.Connection) -> None:
    for batch, state in conn.execute("SELECT id, state FROM batches ORDER BY id").fetchall():
        rows = conn.execute(
            "SELECT key, appointment_id, visit_digest, source_file, source_row, state, code, "
            "message, updated FROM records WHERE batch = ? ORDER BY rowid",
            (batch,),
        ).fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [()] * 9
        table = pa.table(
            [pa.array(list(c), pa.string()) for c in columns[:5]], names=list(RECORD_COLUMNS)
        )
        insert(conn, [batch], [len(rows)], table)
        default = implied(state)
        conn.executemany(
            "INSERT INTO record_answers (batch, position, state, code, message, updated) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(batch, i, s, code, msg, when) for i, (*_, s, code, msg, when) in enumerate(rows)
             if s != default or code or msg],
        )  # fmt: skip


def _facts(conn: sqlite3.Connection) -> None:
    operations = [r[0] for r in conn.execute(
        "SELECT operation FROM facts GROUP BY operation ORDER BY MIN(rowid)"
    )]  # fmt: skip
    for operation in operations:
        rows = conn.execute(
            f"SELECT {', '.join(FACT_COLUMNS)} FROM facts WHERE operation = ? ORDER BY rowid",  # noqa: S608
            (operation,),
        ).fetchall()
        columns = list(zip(*rows, strict=True))
        table = pa.table([pa.array(list(c), pa.string()) for c in columns], names=FACT_COLUMNS)
        conn.execute(
            "INSERT INTO fact_sets (operation, data) VALUES (?, ?)",
            (operation, pack(table)),
        )
