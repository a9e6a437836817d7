"""What each journaled record says, beyond its key: schedule, start, end, scope, category and a
salted patient digest (never a PESEL). Go-live needs it: a free slot must not overlap an
appointment CeR holds for its schedule, readiness computes coverage from the slots CeR
accepted, and sync monitoring compares an export with what CeR holds.

Stored as one blob per written set (``fact_sets``, :mod:`.blobs`): the record's idempotency key
and its facts as text; written with the batches they describe (derived data: a ledger without
them still works, it just knows less). A key written again is replaced: the latest set wins.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.ledger.blobs import pack, unpack
from cer_loader.ledger.digester import Digester, local
from cer_loader.ledger.digests import arrow_text, digest_array, hex_text, text_array, utc_text
from cer_loader.ledger.store import Ledger

SCHEMA = (  # the facts table of schema 2 (a ledger of schema 3 has fact_sets: migrate.py)
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
STORED = ["key", "local_id", "schedule_id", "start_utc", "end_utc", "scope_code", "category",
          "patient_digest"]  # fmt: skip


def fact_table(frame: pd.DataFrame) -> pa.Table:
    """The facts of ``frame`` as stored (see :func:`write_facts`): text, UTC instants as
    ``2027-01-09T13:00:00Z`` (null where unknown), "" for a missing schedule, scope, category or
    patient."""
    f = frame.reindex(columns=COLUMNS)
    columns = [
        text_array(f["key"]), text_array(f["local_id"]), text_array(f["schedule_id"], ""),
        utc_text(pd.to_datetime(f["start"], utc=True)), utc_text(pd.to_datetime(f["end"], utc=True)),
        text_array(f["scope_code"], ""), text_array(f["category"], ""),
        text_array(f["patient_digest"], ""),
    ]  # fmt: skip
    return pa.table(columns, names=STORED)


SET_ROWS = 100_000  # facts packed into one blob at most: a 1M-row run's set is not built whole


def insert_facts(conn: sqlite3.Connection, operation: str, frame: pd.DataFrame) -> None:
    """Write ``frame``'s facts inside the caller's transaction (see :func:`write_facts`): one
    blob (:mod:`.blobs`) in ``fact_sets`` per :data:`SET_ROWS` rows, in order (the sets are
    read back in the order written, so they say what one set would)."""
    for at in range(0, max(len(frame), 1), SET_ROWS):
        conn.execute(
            "INSERT INTO fact_sets (operation, data) VALUES (?, ?)",
            (operation, pack(fact_table(frame.iloc[at : at + SET_ROWS]))),
        )


def write_facts(ledger: Ledger, operation: str, frame: pd.DataFrame) -> None:
    """``frame``: key, local_id and any of schedule_id, start, end (UTC), scope_code, category,
    patient_digest. A key written again is replaced (the same record rendered again): the
    latest set that has a key says its facts."""
    with ledger._tx() as c:
        insert_facts(c, operation, frame)


def facts_of(ledger: Ledger, operation: str) -> pa.Table:
    """Every fact of ``operation`` the ledger holds, as stored (:data:`STORED`), one row per key,
    in the order written (a key written again counts where it was written last)."""
    sets = ledger._conn.execute("SELECT operation, data FROM fact_sets ORDER BY id").fetchall()
    if not sets:
        return pa.schema([(n, pa.string()) for n in STORED]).empty_table()
    tables = [unpack(data) for _, data in sets]
    operations = np.repeat(np.array([op for op, _ in sets], dtype=object),
                           [t.num_rows for t in tables])  # fmt: skip
    whole = pa.concat_tables(tables)
    keys = whole.column("key").to_pandas()
    last = ~keys.duplicated(keep="last").to_numpy()  # a key across operations: the last wins
    keep = last & (operations == operation)
    return whole.filter(pa.array(keep))


def accepted_facts(ledger: Ledger, operation: str) -> pd.DataFrame:
    """Facts of the records of ``operation`` that CeR accepted (one row per key)."""
    from cer_loader.ledger.records import STATES

    t = ledger._records("b.state != 'SUPERSEDED' OR b.id IN (SELECT batch FROM record_answers)")
    accepted = t.column("key").filter(pc.equal(t.column("state"), STATES.index("ACCEPTED")))
    facts = facts_of(ledger, operation)
    facts = facts.filter(pc.is_in(facts.column("key"), value_set=pc.unique(accepted)))
    out = facts.to_pandas(types_mapper=None)
    out.columns = COLUMNS
    for col in COLUMNS:
        if col not in ("start", "end"):
            out[col] = out[col].astype(object)
    for col in ("start", "end"):
        out[col] = pd.to_datetime(out[col], utc=True)
    return out


def record_states(ledger: Ledger) -> dict[str, int]:
    """Records per state, each key counted once by its best state (accepted anywhere wins)."""
    from cer_loader.ledger.records import STATES

    t = ledger._records()
    state = t.column("state").to_numpy()
    rank = np.full(len(state), 4, dtype=np.int8)  # SUPERSEDED only: not counted
    rank[state == STATES.index("REFUSED")] = 3
    rank[state == STATES.index("PENDING")] = 2
    rank[(state == STATES.index("PENDING")) & t.column("in_doubt").to_numpy()] = 1
    rank[state == STATES.index("ACCEPTED")] = 0
    best = pa.table({"key": t.column("key"), "rank": pa.array(rank)})
    ranks = best.group_by("key").aggregate([("rank", "min")]).column("rank_min").to_pylist()
    return {s: ranks.count(i) for i, s in enumerate(("ACCEPTED", "UNKNOWN", "PENDING", "REFUSED"))}


def patient_digests(
    keys: pd.Series, salt: str, *, arrow: bool = False, digester: Digester | None = None
) -> pd.Series:
    """An HMAC-SHA256 (key: the ledger's salt) per patient key ("" stays ""), one per distinct
    patient: lets an export be compared with what CeR holds without naming anyone. Distinct
    keys found by Arrow's hashing (:class:`Patients`); ``arrow``: an Arrow-backed result (no
    Python string per row), else of the keys' dtype; with a ``digester``, the distinct keys'
    digests by two processes."""
    text = keys.astype(str)
    if not len(text):
        return pd.Series([], index=keys.index, dtype=text.dtype)
    patients = Patients(text)
    if digester is not None:
        raw = digester.digest(patients.distinct)
    else:
        raw = local(salt.encode("ascii"), patients.distinct)
    digests = patients.column(raw)
    if arrow:
        return pd.Series(pd.arrays.ArrowExtensionArray(digests), index=keys.index)
    values = digests.to_numpy(zero_copy_only=False)
    return pd.Series(values, index=keys.index, dtype=text.dtype)


class Patients:
    """Patient keys (text) as their distinct known values (:attr:`distinct`, what is hashed)
    and the way back from those values' digests to one hex digest per row ("" where unknown)."""

    def __init__(self, keys: pd.Series) -> None:
        self._coded = pc.dictionary_encode(arrow_text(keys))
        self._known = pc.not_equal(self._coded.dictionary, "")
        self.distinct: pa.Array = self._coded.dictionary.filter(self._known)

    def column(self, raw: bytes) -> pa.Array:
        """One hex digest per row from ``raw``: the digests of :attr:`distinct`, end to end."""
        table = hex_text(digest_array(raw, self._known.to_numpy(zero_copy_only=False)))
        return pc.take(pc.fill_null(table, ""), self._coded.indices)


def appointment_facts(
    rows: pd.DataFrame, keys: Sequence[str] | pa.Array, salt: str,
    patients: pa.Array | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Facts of normalized appointment rows (in payload order) with their idempotency keys;
    ``patients``: the rows' patient digests if made already (:class:`Patients`)."""
    from cer_loader.validate.identity import patient_key

    start = rows["n_start"]
    minutes = (
        pd.to_numeric(rows.get("n_duration"), errors="coerce") if "n_duration" in rows else None
    )
    end = start + pd.to_timedelta(minutes, unit="min") if minutes is not None else start
    if isinstance(keys, pa.Array):
        keys = pd.arrays.ArrowExtensionArray(keys)
    if patients is None:
        patient = patient_digests(patient_key(rows), salt, arrow=True).array
    else:
        patient = pd.arrays.ArrowExtensionArray(patients)
    return pd.DataFrame({
        "key": keys, "local_id": rows["appointment_id"].array, "schedule_id": rows["schedule_id"].array,
        "start": start.array, "end": end.array, "scope_code": rows["scope_code"].array,
        "category": rows["n_category"].str.upper().array, "patient_digest": patient,
    })  # fmt: skip
