"""A batch's records in the ledger file (schema 3), read and written as whole columns.

Their columns (idempotency key, appointment id, visit digest, source file and row) are one
blob per batch in ``batch_records`` (:mod:`.blobs`), written when the batch is journaled and
never changed. A record's state is the one its batch's state implies — SUPERSEDED in a
SUPERSEDED batch, ACCEPTED in an ACCEPTED batch, PENDING in every other — unless
``record_answers`` holds a row for it (by its position in the batch): its state, CeR's code and
message, when that changed. So a fresh run of 1M records writes one row per batch, and a batch
CeR accepted whole needs no row per record; a REFUSED record of a PARTIAL batch has its row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.ledger.blobs import pack, unpack
from cer_loader.ledger.states import STATES, implied

RECORD_COLUMNS = ("key", "appointment_id", "visit_digest", "source_file", "source_row")
IN_DOUBT = ("IN_FLIGHT", "UNKNOWN")  # batch states: may be at CeR, no answer known
_TEXT = pa.schema([(name, pa.string()) for name in RECORD_COLUMNS])
SCHEMA = _TEXT.append(pa.field("batch", pa.int64())).append(pa.field("position", pa.int32()))
SCHEMA = SCHEMA.append(pa.field("state", pa.int8())).append(pa.field("in_doubt", pa.bool_()))
SCHEMA = SCHEMA.append(pa.field("code", pa.string())).append(pa.field("message", pa.string()))


def insert(
    conn: sqlite3.Connection, ids: Sequence[int], counts: Sequence[int], table: pa.Table
) -> None:
    """One blob per new batch: the next ``counts[i]`` rows of ``table`` (:data:`RECORD_COLUMNS`)
    are the records of batch ``ids[i]``. A key twice in one batch is refused."""

    def rows() -> Iterator[tuple[int, bytes]]:
        at = 0
        for batch, n in zip(ids, counts, strict=True):
            part = table.select(list(RECORD_COLUMNS)).slice(at, n)
            at += n
            if n and pc.count_distinct(part.column("key")).as_py() != n:
                raise sqlite3.IntegrityError("UNIQUE constraint failed: records.batch, records.key")
            yield batch, pack(part)

    conn.executemany("INSERT INTO batch_records (batch, data) VALUES (?, ?)", rows())


def load(conn: sqlite3.Connection, where: str = "1", args: Sequence[object] = ()) -> pa.Table:
    """The records of the batches ``where`` (SQL over ``batches b``) selects, batch by batch in
    record order: :data:`SCHEMA` (``state``: index in :data:`STATES`; ``in_doubt``: the batch
    may be at CeR)."""
    heads = conn.execute(
        "SELECT b.id, b.state, r.data FROM batches b JOIN batch_records r ON r.batch = b.id "
        f"WHERE {where} ORDER BY b.id",  # noqa: S608 - where is ours, values are parameters
        tuple(args),
    ).fetchall()
    given: dict[int, list[tuple[int, str, str, str]]] = {}
    if heads:
        for batch, pos, state, code, message in conn.execute(
            "SELECT a.batch, a.position, a.state, a.code, a.message FROM record_answers a "
            f"JOIN batches b ON b.id = a.batch WHERE {where}",  # noqa: S608
            tuple(args),
        ):
            given.setdefault(batch, []).append((pos, state, code, message))
    parts = [_part(batch, state, data, given.get(batch, [])) for batch, state, data in heads]
    if not parts:
        return SCHEMA.empty_table()
    return pa.concat_tables(parts)


def _part(
    batch: int, batch_state: str, data: bytes, given: list[tuple[int, str, str, str]]
) -> pa.Table:
    records = unpack(data)
    n = records.num_rows
    state = np.full(n, STATES.index(implied(batch_state)), dtype=np.int8)
    empty = pc.fill_null(pa.nulls(n, pa.string()), "")
    code: pa.Array = empty
    message: pa.Array = empty
    if given:
        at = np.array([g[0] for g in given], dtype=np.int64)
        state[at] = [STATES.index(g[1]) for g in given]
        codes, messages = np.full(n, "", dtype=object), np.full(n, "", dtype=object)
        codes[at], messages[at] = [g[2] for g in given], [g[3] for g in given]
        code, message = pa.array(codes, pa.string()), pa.array(messages, pa.string())
    columns = [records.column(name).cast(pa.string()) for name in RECORD_COLUMNS]
    columns += [
        pa.array(np.full(n, batch, dtype=np.int64)), pa.array(np.arange(n, dtype=np.int32)),
        pa.array(state), pa.array(np.full(n, batch_state in IN_DOUBT)), code, message,
    ]  # fmt: skip
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def answer(
    conn: sqlite3.Connection, batch: int, old_state: str, new_state: str, stamp: str,
    answers: Sequence[tuple[str, bool, str, str]],
) -> None:  # fmt: skip
    """The batch goes from ``old_state`` to ``new_state`` with CeR's ``answers`` (key, accepted,
    code, message; a key not in the batch is ignored): afterwards ``record_answers`` holds a row
    for exactly the records whose state, code or message is not what ``new_state`` implies.
    Every other record keeps its state (PENDING stays PENDING in a batch now ACCEPTED)."""
    if not answers and implied(old_state) == implied(new_state):
        return
    table = load(conn, "b.id = ?", (batch,))
    position = {k: i for i, k in enumerate(table.column("key").to_pylist())}
    state = table.column("state").to_numpy().copy()
    code = table.column("code").to_pylist()
    message = table.column("message").to_pylist()
    updated = dict(conn.execute(
        "SELECT position, updated FROM record_answers WHERE batch = ?", (batch,)
    ).fetchall())  # fmt: skip
    for key, ok, c, m in answers:
        i = position.get(key)
        if i is not None:
            state[i] = STATES.index("ACCEPTED" if ok else "REFUSED")
            code[i], message[i], updated[i] = c, m, stamp
    default = STATES.index(implied(new_state))
    rows = [
        (batch, i, STATES[s], code[i], message[i], updated.get(i, stamp))
        for i, s in enumerate(state.tolist()) if s != default or code[i] or message[i]
    ]  # fmt: skip
    conn.execute("DELETE FROM record_answers WHERE batch = ?", (batch,))
    conn.executemany(
        "INSERT INTO record_answers (batch, position, state, code, message, updated) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def supersede(conn: sqlite3.Connection, stamp: str, first_new: int, new_ids: pa.Array) -> int:
    """Earlier RENDERED batches (id below ``first_new``) holding any of ``new_ids`` become
    SUPERSEDED, and so do their PENDING records; returns how many."""
    earlier = conn.execute(
        "SELECT b.id, r.data FROM batches b JOIN batch_records r ON r.batch = b.id "
        "WHERE b.state = 'RENDERED' AND b.id < ? ORDER BY b.id",
        (first_new,),
    ).fetchall()
    if not earlier:
        return 0
    held = [unpack(data).column("appointment_id") for _, data in earlier]
    counts = np.array([len(c) for c in held], dtype=np.int64)
    ids = pa.chunked_array([c for h in held for c in h.chunks], pa.string())
    found = pc.is_in(ids, value_set=pc.unique(new_ids)).to_numpy(zero_copy_only=False)
    which = np.repeat(np.arange(len(counts)), counts)  # the batch of each id
    hit = np.bincount(which[found.astype(bool)], minlength=len(counts)) > 0
    old = [(stamp, batch) for (batch, _), h in zip(earlier, hit, strict=True) if h]
    conn.executemany("UPDATE batches SET state = 'SUPERSEDED', updated = ? WHERE id = ?", old)
    conn.executemany(  # a RENDERED batch has no such row; exact all the same
        "UPDATE record_answers SET state = 'SUPERSEDED', updated = ? "
        "WHERE batch = ? AND state = 'PENDING'",
        old,
    )
    return len(old)
