"""What each journaled record says, beyond its key: schedule, start, end, scope, category and a
salted patient digest (never a PESEL). Go-live needs it: a free slot must not overlap an
appointment CeR holds for its schedule, readiness computes coverage from the slots CeR
accepted, and sync monitoring compares an export with what CeR holds.

One table in the ledger file, keyed by the record's idempotency key; written right after the
batches are journaled (derived data: a ledger without it still works, it just knows less).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from itertools import chain, repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.ledger.digests import (
    arrow_text,
    hex_column,
    keyed_digests,
    text_list,
    utc_text,
    utf8,
)
from cer_loader.ledger.store import Ledger

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, operation TEXT NOT NULL, "
    "local_id TEXT NOT NULL, schedule_id TEXT NOT NULL DEFAULT '', start_utc TEXT, end_utc TEXT, "
    "scope_code TEXT NOT NULL DEFAULT '', category TEXT NOT NULL DEFAULT '', "
    "patient_digest TEXT NOT NULL DEFAULT '')"
)
CHUNK = 65536  # rows made into Python values at a time while writing
COLUMNS = [
    "key",
    "local_id",
    "schedule_id",
    "start",
    "end",
    "scope_code",
    "category",
    "patient_digest",
]


def _iso(values: pd.Series) -> list[str | None]:
    """UTC instants as ``2027-01-09T13:00:00Z`` (None for NaT), by Arrow on the whole column."""
    return utc_text(pd.to_datetime(values, utc=True)).to_pylist()


def fact_rows(operation: str, frame: pd.DataFrame) -> Iterator[tuple[object, ...]]:
    """The rows of the facts table for ``frame`` (see :func:`write_facts`), made a chunk of
    columns at a time (no list of every row)."""
    f = frame.reindex(columns=COLUMNS)

    def chunk(at: int) -> Iterator[tuple[object, ...]]:
        part = f.iloc[at : at + CHUNK]
        return zip(
            text_list(part["key"]), repeat(operation), text_list(part["local_id"]),
            text_list(part["schedule_id"], ""), _iso(part["start"]), _iso(part["end"]),
            text_list(part["scope_code"], ""), text_list(part["category"], ""),
            text_list(part["patient_digest"], ""), strict=False,
        )  # fmt: skip

    return chain.from_iterable(chunk(at) for at in range(0, len(f), CHUNK))


def insert_facts(conn: sqlite3.Connection, operation: str, frame: pd.DataFrame) -> None:
    """Write ``frame``'s facts inside the caller's transaction (see :func:`write_facts`)."""
    conn.execute(SCHEMA)
    conn.executemany(
        "INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        fact_rows(operation, frame),
    )


def write_facts(ledger: Ledger, operation: str, frame: pd.DataFrame) -> None:
    """``frame``: key, local_id and any of schedule_id, start, end (UTC), scope_code, category,
    patient_digest. A key written again is replaced (the same record rendered again)."""
    with ledger._tx() as c:
        insert_facts(c, operation, frame)


def accepted_facts(ledger: Ledger, operation: str) -> pd.DataFrame:
    """Facts of the records of ``operation`` that CeR accepted (one row per key)."""
    with ledger._tx() as c:
        c.execute(SCHEMA)
    cur = ledger._conn.execute(
        "SELECT f.key, f.local_id, f.schedule_id, f.start_utc, f.end_utc, f.scope_code, f.category, "
        "f.patient_digest FROM facts f WHERE f.operation = ? AND f.key IN "
        "(SELECT key FROM records WHERE state = 'ACCEPTED')",  # one pass: records has no key index
        (operation,),
    )
    out = pd.DataFrame(cur.fetchall(), columns=COLUMNS)
    for col in ("start", "end"):
        out[col] = pd.to_datetime(out[col], utc=True)
    return out


def record_states(ledger: Ledger) -> dict[str, int]:
    """Records per state, each key counted once by its best state (accepted anywhere wins)."""
    cur = ledger._conn.execute("SELECT key, GROUP_CONCAT(r.state) FROM records r GROUP BY key")
    out = {"ACCEPTED": 0, "REFUSED": 0, "PENDING": 0, "UNKNOWN": 0}
    unknown = {row[0] for row in ledger._conn.execute(
        "SELECT r.key FROM records r JOIN batches b ON b.id = r.batch WHERE b.state IN ('UNKNOWN', 'IN_FLIGHT') "
        "AND r.state = 'PENDING'")}  # fmt: skip
    for key, states in cur:
        seen = set(states.split(","))
        if "ACCEPTED" in seen:
            out["ACCEPTED"] += 1
        elif key in unknown:
            out["UNKNOWN"] += 1
        elif "PENDING" in seen:
            out["PENDING"] += 1
        elif "REFUSED" in seen:
            out["REFUSED"] += 1
    return out


def patient_digests(keys: pd.Series, salt: str) -> pd.Series:
    """An HMAC-SHA256 (key: the ledger's salt) per patient key ("" stays ""), one per distinct
    patient: lets an export be compared with what CeR holds without naming anyone."""
    text = keys.astype(str)
    codes, uniq = pd.factorize(text)
    known = pa.array(np.asarray(uniq, dtype=object) != "")
    names = arrow_text(pd.Series(uniq, dtype=object)) if len(uniq) else pa.array([], pa.string())
    table = hex_column(keyed_digests(salt, utf8(names.filter(known))), known.to_numpy(False))
    table = pc.fill_null(table, "").to_numpy(zero_copy_only=False)
    return pd.Series(table[codes] if len(codes) else [], index=keys.index, dtype=text.dtype)


def appointment_facts(
    rows: pd.DataFrame, keys: Sequence[str] | pa.Array, salt: str
) -> pd.DataFrame:
    """Facts of normalized appointment rows (in payload order) with their idempotency keys."""
    from cer_loader.validate.identity import patient_key

    start = rows["n_start"]
    minutes = (
        pd.to_numeric(rows.get("n_duration"), errors="coerce") if "n_duration" in rows else None
    )
    end = start + pd.to_timedelta(minutes, unit="min") if minutes is not None else start
    if isinstance(keys, pa.Array):
        keys = pd.arrays.ArrowExtensionArray(keys)
    return pd.DataFrame({
        "key": keys, "local_id": rows["appointment_id"].array, "schedule_id": rows["schedule_id"].array,
        "start": start.array, "end": end.array, "scope_code": rows["scope_code"].array,
        "category": rows["n_category"].str.upper().array,
        "patient_digest": patient_digests(patient_key(rows), salt).array,
    })  # fmt: skip
