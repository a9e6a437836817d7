"""Journaling one run inside the caller's transaction, from whole columns: the run, its batches
(RENDERED), their records (PENDING) in one ``executemany`` fed a chunk of columns at a time
(no list of every row), and the unsent earlier batches the new records supersede.

Superseding is decided after the new records are in, by SQL over the records table (no
temporary table of new ids): an earlier RENDERED batch holding an appointment id of the new
batches is SUPERSEDED with its PENDING records. The new batches have the highest ids
(AUTOINCREMENT), so "earlier" is ``id < first new id``. A ledger without RENDERED batches
(the first run, or every batch sent) skips the query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np
import pyarrow as pa

RECORD_COLUMNS = ("key", "appointment_id", "visit_digest", "source_file", "source_row")
CHUNK = 65536  # records made into Python values at a time


@dataclass(frozen=True)
class BatchHead:
    """A new batch without its records: they are the next ``records`` rows of the columns."""

    batch_id: str
    file: str
    sha256: str
    records: int


def insert_run(
    conn: sqlite3.Connection, stamp: str, run_id: str, inputs: Iterable[str], out_dir: str,
    heads: Sequence[BatchHead], records: pa.Table,
) -> int:  # fmt: skip
    """Insert the run, its batches and ``records`` (columns :data:`RECORD_COLUMNS`, in batch
    order); returns how many earlier batches were superseded."""
    if records.num_rows != sum(h.records for h in heads):
        raise ValueError("the record columns do not match the batches' record counts")
    conn.execute(
        "INSERT INTO runs (run_id, started, inputs, out_dir) VALUES (?, ?, ?, ?)",
        (run_id, stamp, "\n".join(inputs), out_dir),
    )
    ids = []
    for h in heads:
        cur = conn.execute(
            "INSERT INTO batches (batch_id, run_id, file, sha256, records, state, created, "
            "updated) VALUES (?, ?, ?, ?, ?, 'RENDERED', ?, ?)",
            (h.batch_id, run_id, h.file, h.sha256, h.records, stamp, stamp),
        )
        ids.append(int(cur.lastrowid or 0))
    if not ids:
        return 0
    batch = np.repeat(np.asarray(ids, dtype=np.int64), [h.records for h in heads])
    conn.executemany(
        "INSERT INTO records (batch, key, appointment_id, visit_digest, source_file, "
        "source_row, state, updated) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?)",
        _rows(batch, records, stamp),
    )
    return _supersede(conn, stamp, ids[0])


def _rows(batch: np.ndarray, records: pa.Table, stamp: str) -> Iterator[tuple[object, ...]]:
    def chunk(at: int) -> Iterator[tuple[object, ...]]:
        part = records.slice(at, CHUNK)
        columns = [part.column(name).to_pylist() for name in RECORD_COLUMNS]
        return zip(batch[at : at + CHUNK].tolist(), *columns, repeat(stamp), strict=False)

    return chain.from_iterable(chunk(at) for at in range(0, len(batch), CHUNK))


def _supersede(conn: sqlite3.Connection, stamp: str, first_new: int) -> int:
    earlier = "SELECT id FROM batches WHERE state = 'RENDERED' AND id < ?"
    if conn.execute(earlier + " LIMIT 1", (first_new,)).fetchone() is None:
        return 0
    old = [(stamp, row[0]) for row in conn.execute(
        f"SELECT DISTINCT batch FROM records WHERE batch IN ({earlier}) AND appointment_id IN "
        "(SELECT appointment_id FROM records WHERE batch >= ?)", (first_new, first_new),
    )]  # fmt: skip
    conn.executemany("UPDATE batches SET state = 'SUPERSEDED', updated = ? WHERE id = ?", old)
    conn.executemany(
        "UPDATE records SET state = 'SUPERSEDED', updated = ? WHERE batch = ? AND state = 'PENDING'",
        old,
    )
    return len(old)


def record_table(
    key: Sequence[str] | pa.Array, appointment_id: Sequence[str] | pa.Array,
    visit_digest: Sequence[str | None] | pa.Array, source_file: Sequence[str] | pa.Array,
    source_row: Sequence[str] | pa.Array,
) -> pa.Table:  # fmt: skip
    """The record columns as one Arrow table (text columns)."""
    columns = (key, appointment_id, visit_digest, source_file, source_row)
    return pa.table(
        [c if isinstance(c, pa.Array) else pa.array(c, type=pa.string()) for c in columns],
        names=list(RECORD_COLUMNS),
    )
