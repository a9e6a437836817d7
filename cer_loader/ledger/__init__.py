"""The ledger: one SQLite file per MUŚ saying what was rendered, sent and what CeR answered.

Every run of a MUŚ (first export, re-runs, steward-workbook resubmits, ``submit``) shares it,
so an appointment CeR accepted is never rendered or sent again, and one whose batch may be at
CeR (in flight, unknown) is not either until a status query settles it. Found without a flag:
``--ledger FILE``, else the ledger a steward workbook names, else
``$CER_LOADER_LEDGER_DIR`` or ``<folder of cer-loader.toml>/.cer-loader`` (the working folder
without a config) / ``ledger-<MUŚ>.sqlite``. The file format is in :mod:`.store` and
:mod:`.records` (schema 3; a schema-2 ledger is migrated when opened, :mod:`.migrate`).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cer_loader.errors import ConfigError, ReportError
from cer_loader.files import create_private
from cer_loader.ledger.store import (
    _SCHEMA,
    BATCH_STATES,
    SCHEMA_VERSION,
    Ledger,
    NewBatch,
    NewRecord,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from cer_loader.ledger.digester import Digester

__all__ = [
    "BATCH_STATES", "Ledger", "NewBatch", "NewRecord", "default_ledger_path", "new_run_id",
    "open_ledger", "visit_digest_bytes", "visit_digests", "visit_texts",
]  # fmt: skip
LEDGER_DIR = ".cer-loader"
ENV_DIR = "CER_LOADER_LEDGER_DIR"


def default_ledger_path(mus_id: str, config: Path | None) -> Path:
    """Where the ledger of ``mus_id`` lives when no ``--ledger`` is given."""
    env = os.environ.get(ENV_DIR, "")
    if env:
        base = Path(env)
    else:
        base = (config.parent if config is not None else Path.cwd()) / LEDGER_DIR
    return (base / f"ledger-{mus_id}.sqlite").resolve()


def visit_digests(
    frame: pd.DataFrame, mus_id: str, salt: str, digester: Digester | None = None
) -> pd.Series:
    """An HMAC-SHA256 (key: the ledger's random salt) per row of ``MUŚ|patient|scope|start UTC``
    (:func:`cer_loader.validate.identity.visit_text`) as lowercase hex text: finds the same visit
    across runs without the ledger saying who the patient is (the salt keeps anyone from
    confirming a guess); null where a part is unknown. The hex of :func:`visit_digest_bytes`."""
    import pandas as pd  # here, not at the top: opening a ledger (status, submit) needs no pandas

    from cer_loader.ledger.digests import hex_text

    digests = hex_text(visit_digest_bytes(frame, mus_id, salt, digester))
    return pd.Series(pd.arrays.ArrowExtensionArray(digests), index=frame.index)


def visit_digest_bytes(
    frame: pd.DataFrame, mus_id: str, salt: str, digester: Digester | None = None
) -> pa.Array:
    """The visit digests of :func:`visit_digests` as 32 raw bytes each (an Arrow fixed-size
    binary array, null where a part is unknown): what the ledger's record blobs store. Only
    complete rows are hashed; with a ``digester``, a long column by two processes."""
    from cer_loader.ledger.digester import local
    from cer_loader.ledger.digests import digest_array

    texts, valid = visit_texts(frame, mus_id)
    raw = digester.digest(texts) if digester is not None else local(salt.encode("ascii"), texts)
    return digest_array(raw, valid)


def visit_texts(frame: pd.DataFrame, mus_id: str) -> tuple[pa.Array, np.ndarray]:
    """What :func:`visit_digests` hashes: the complete rows' ``MUŚ|patient|scope|start UTC``
    (Arrow text, whole columns) and which rows are complete."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cer_loader.ledger.digests import arrow_text, utc_text
    from cer_loader.validate.identity import visit_parts

    patient, scope, start, complete = visit_parts(frame)
    valid = complete.to_numpy(dtype=bool, na_value=False)
    take = pa.array(valid)
    parts = [arrow_text(patient).filter(take), arrow_text(scope).filter(take),
             utc_text(start).filter(take)]  # fmt: skip
    return pc.binary_join_element_wise(pa.scalar(mus_id), *parts, "|"), valid


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]


def _create(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ReportError(
            f"nie można utworzyć rejestru wysyłek: {exc.strerror}",
            f"cannot create the submission ledger: {exc.strerror}",
            path=path,
        ) from None
    create_private(path)  # 0600 from the first byte (cer_loader.files: the one place for it)


def _meta(conn: sqlite3.Connection, key: str, default: str) -> str:
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, default))
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0])


def open_ledger(
    path: Path, mus_id: str, *, create: bool = True, clock: Callable[[], str] | None = None
) -> Ledger | None:
    """Open (with ``create``, create 0600) the ledger of ``mus_id``; None if absent and not
    created. A ledger of another MUŚ is refused."""
    path = Path(path)
    if not path.exists():
        if not create:
            return None
        _create(path)
    try:
        os.chmod(path, 0o600)
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        # SQLite's default page cache (2 MB): since schema 3 a run's records are a few hundred
        # blobs, not 1M index entries, and a larger cache only held pages of them in memory
        old = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'accepted'"
        ).fetchone()
        if old:
            conn.close()
            raise ConfigError(
                "to jest plik stanu starszej wersji (state.sqlite), nie rejestr wysyłek",
                "this is an older run-state file (state.sqlite), not a submission ledger",
                path=path,
            )
        conn.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        version = _meta(conn, "schema_version", str(SCHEMA_VERSION))
        owner = _meta(conn, "mus_id", mus_id)
        salt = _meta(conn, "salt", secrets.token_hex(32))
        if _meta(conn, "run_ends", "missing") == "missing":  # a ledger from before run_ends
            conn.execute("INSERT OR IGNORE INTO run_ends SELECT run_id, started FROM runs")
            conn.execute("UPDATE meta SET value = 'kept' WHERE key = 'run_ends'")
        if version == "2":  # a row per record and per fact: made blobs (.migrate)
            from cer_loader.ledger.migrate import from_v2

            from_v2(conn)
            version = str(SCHEMA_VERSION)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
        conn.execute("COMMIT")
    except (OSError, sqlite3.Error) as exc:
        raise ReportError(
            f"rejestr wysyłek jest nieczytelny lub uszkodzony: {exc}",
            f"the submission ledger is unreadable or damaged: {exc}",
            path=path,
        ) from None
    for file in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            os.chmod(file, 0o600)
    if owner != mus_id:
        conn.close()
        raise ConfigError(
            f"rejestr wysyłek należy do MUŚ {owner}, nie {mus_id}",
            f"the submission ledger belongs to MUŚ {owner}, not {mus_id}",
            path=path,
        )
    if version != str(SCHEMA_VERSION):
        conn.close()
        raise ConfigError(
            f"nieznana wersja rejestru wysyłek: {version}",
            f"unknown submission ledger version: {version}",
            path=path,
        )
    return Ledger(path, conn, mus_id, salt, clock)
