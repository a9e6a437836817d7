"""Journaling one run inside the caller's transaction, from whole columns: the run, its batches
(RENDERED), their records (PENDING: one blob per batch, :mod:`.records`), and the unsent
earlier batches the new records supersede.

Superseding is decided after the new records are in: an earlier RENDERED batch holding an
appointment id of the new batches is SUPERSEDED, and with it its PENDING records. The new
batches have the highest ids (AUTOINCREMENT), so "earlier" is ``id < first new id``. A ledger
without RENDERED batches (the first run, or every batch sent) reads no blob.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from cer_loader.ledger.records import RECORD_COLUMNS, insert, supersede


@dataclass(frozen=True)
class BatchHead:
    """A new batch without its records: they are the next ``records`` rows of the columns."""

    batch_id: str
    file: str
    sha256: str
    records: int


def start_run(
    conn: sqlite3.Connection, stamp: str, run_id: str, inputs: Iterable[str], out_dir: str,
    heads: Sequence[BatchHead],
) -> list[int]:  # fmt: skip
    """Insert the run and its batches (RENDERED, without records yet); their row ids, in order."""
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
    return ids


def end_run(conn: sqlite3.Connection, stamp: str, run_id: str) -> None:
    """The run is complete (its reports in place)."""
    conn.execute("INSERT INTO run_ends (run_id, finished) VALUES (?, ?)", (run_id, stamp))


def insert_run(
    conn: sqlite3.Connection, stamp: str, run_id: str, inputs: Iterable[str], out_dir: str,
    heads: Sequence[BatchHead], records: pa.Table,
) -> int:  # fmt: skip
    """Insert the run, its batches and ``records`` (columns :data:`RECORD_COLUMNS`, in batch
    order); returns how many earlier batches were superseded. (``ledger.journal`` does the
    same a part of the run at a time: :func:`start_run`, ``records.insert`` per part,
    ``records.supersede``.)"""
    if records.num_rows != sum(h.records for h in heads):
        raise ValueError("the record columns do not match the batches' record counts")
    ids = start_run(conn, stamp, run_id, inputs, out_dir, heads)
    if not ids:
        return 0
    insert(conn, ids, [h.records for h in heads], records)
    return supersede(conn, stamp, ids[0], records.column("appointment_id"))


def record_table(
    key: Sequence[str] | pa.Array, appointment_id: Sequence[str] | pa.Array,
    visit_digest: Sequence[str | None] | pa.Array, source_file: Sequence[str] | pa.Array,
    source_row: Sequence[str] | pa.Array,
) -> pa.Table:  # fmt: skip
    """The record columns as one Arrow table (text columns; ``visit_digest`` may be the raw
    32-byte digests, ``digests.digest_array``, as the blobs store them)."""
    columns = (key, appointment_id, visit_digest, source_file, source_row)
    return pa.table(
        [c if isinstance(c, pa.Array) else pa.array(c, type=pa.string()) for c in columns],
        names=list(RECORD_COLUMNS),
    )
