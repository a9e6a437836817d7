"""What each journaled record says, beyond its key: schedule, start, end, scope, category and a
salted patient digest (never a PESEL). Go-live needs it: a free slot must not overlap an
appointment CeR holds for its schedule, readiness computes coverage from the slots CeR
accepted, and sync monitoring compares an export with what CeR holds.

One table in the ledger file, keyed by the record's idempotency key; written right after the
batches are journaled (derived data: a ledger without it still works, it just knows less).
"""

from __future__ import annotations

import hmac

import numpy as np
import pandas as pd

from cer_loader.ledger.store import Ledger

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, operation TEXT NOT NULL, "
    "local_id TEXT NOT NULL, schedule_id TEXT NOT NULL DEFAULT '', start_utc TEXT, end_utc TEXT, "
    "scope_code TEXT NOT NULL DEFAULT '', category TEXT NOT NULL DEFAULT '', "
    "patient_digest TEXT NOT NULL DEFAULT '')"
)
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
    """UTC instants as ``2027-01-09T13:00:00Z`` (None for NaT), in one numpy pass."""
    ts = pd.to_datetime(values, utc=True).dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    text = np.char.add(np.datetime_as_string(ts, unit="s"), "Z").astype(object)
    text[np.isnat(ts)] = None
    return list(text)


def write_facts(ledger: Ledger, operation: str, frame: pd.DataFrame) -> None:
    """``frame``: key, local_id and any of schedule_id, start, end (UTC), scope_code, category,
    patient_digest. A key written again is replaced (the same record rendered again)."""
    f = frame.reindex(columns=COLUMNS)
    for col in ("schedule_id", "scope_code", "category", "patient_digest"):
        f[col] = f[col].astype(object).where(f[col].notna(), "").astype(str)

    def text(col: str) -> list[str]:
        return [str(v) for v in f[col].astype(object).tolist()]

    rows = list(zip(text("key"), [operation] * len(f), text("local_id"), text("schedule_id"),
                    _iso(f["start"]), _iso(f["end"]), text("scope_code"), text("category"),
                    text("patient_digest"), strict=True))  # fmt: skip
    with ledger._tx() as c:
        c.execute(SCHEMA)
        c.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


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
    secret = salt.encode("ascii")
    uniq = pd.unique(keys.astype(str))
    table = {k: hmac.digest(secret, k.encode("utf-8"), "sha256").hex() if k else "" for k in uniq}
    return keys.astype(str).map(table)


def appointment_facts(rows: pd.DataFrame, keys: list[str], salt: str) -> pd.DataFrame:
    """Facts of normalized appointment rows (in payload order) with their idempotency keys."""
    from cer_loader.validate.identity import patient_key

    start = rows["n_start"]
    minutes = (
        pd.to_numeric(rows.get("n_duration"), errors="coerce") if "n_duration" in rows else None
    )
    end = start + pd.to_timedelta(minutes, unit="min") if minutes is not None else start
    return pd.DataFrame({
        "key": keys, "local_id": rows["appointment_id"].to_numpy(), "schedule_id": rows["schedule_id"].to_numpy(),
        "start": start.to_numpy(), "end": end.to_numpy(), "scope_code": rows["scope_code"].to_numpy(),
        "category": rows["n_category"].str.upper().to_numpy(),
        "patient_digest": patient_digests(patient_key(rows), salt).to_numpy(),
    })  # fmt: skip
