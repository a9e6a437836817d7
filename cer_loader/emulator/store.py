"""The emulator's SQLite store: what "CeR" holds (records by idempotency key, never twice) and
the per-record results of every batch id (for the status query). No personal data: keys, MUŚ,
appointment ids, codes and a hash of each record's canonical XML.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    key TEXT PRIMARY KEY, mus_id TEXT NOT NULL, appointment_id TEXT NOT NULL,
    batch_id TEXT NOT NULL, record_sha256 TEXT NOT NULL, stored_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batch_result (
    batch_id TEXT NOT NULL, key TEXT NOT NULL, appointment_id TEXT NOT NULL,
    status TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
    PRIMARY KEY (batch_id, key));
"""


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.executescript(SCHEMA)
    return con


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._con = _connect(path)
        self.lock = threading.Lock()

    def held(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        out: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._con.execute(f"SELECT key FROM record WHERE key IN ({marks})", chunk)
            out.update(r[0] for r in rows)
        return out

    def commit_batch(
        self,
        batch_id: str,
        stored: list[tuple[str, str, str, str]],  # key, mus, appointment id, record sha256
        results: list[tuple[str, str, str, str, str]],  # key, appointment id, status, code, msg
        now: str,
    ) -> None:
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany(
                "INSERT INTO record VALUES (?, ?, ?, ?, ?, ?)",
                [(k, m, a, batch_id, h, now) for k, m, a, h in stored],
            )
            con.executemany(
                "INSERT OR REPLACE INTO batch_result VALUES (?, ?, ?, ?, ?, ?)",
                [(batch_id, *r) for r in results],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def batch(self, batch_id: str) -> list[tuple[str, str, str, str, str]] | None:
        rows = self._con.execute(
            "SELECT key, appointment_id, status, code, message FROM batch_result "
            "WHERE batch_id = ? ORDER BY rowid",
            (batch_id,),
        ).fetchall()
        return [tuple(r) for r in rows] or None

    def records(self) -> list[tuple[str, str, str]]:
        return [
            tuple(r)
            for r in self._con.execute(
                "SELECT key, mus_id, appointment_id FROM record ORDER BY rowid"
            )
        ]

    def close(self) -> None:
        self._con.close()
