"""The run state (SQLite): which appointment ids of a MUŚ went into which payload batch.

Runs of one MUŚ (the first run, re-runs of the export, steward-workbook resubmits) share one
state file, so an appointment accepted once is never put into a payload again. One
transaction per run; parameterised SQL only; the file is created with mode 0600 (it holds
appointment ids, not personal data, but sits next to files that do).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cer_loader.errors import ReportError

STATE_NAME = "state.sqlite"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, mus_id TEXT NOT NULL, started TEXT NOT NULL, inputs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accepted (
    mus_id TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    batch_file TEXT NOT NULL,
    batch_sha256 TEXT NOT NULL,
    visit_digest TEXT,
    recorded TEXT NOT NULL,
    PRIMARY KEY (mus_id, appointment_id)
);
"""


@dataclass(frozen=True)
class Batch:
    """One payload file and the appointment ids it holds."""

    file: str
    sha256: str
    appointment_ids: Sequence[str]
    visit_digests: Sequence[str | None] | None = None  # parallel to appointment_ids


def visit_digests(frame: pd.DataFrame, mus_id: str) -> pd.Series:
    """A SHA-256 per row of (MUŚ, patient, scope, start instant): finds the same visit across
    runs without storing who the patient is; None where a part is unknown."""
    from cer_loader.validate.identity import visit_text

    text, complete = visit_text(frame, mus_id)
    digest = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in text]
    return pd.Series(digest, index=frame.index, dtype="object").where(complete, None)


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class RunState:
    """A handle on one state file; use ``open_state``."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def loaded_ids(self, mus_id: str) -> set[str]:
        """Appointment ids of ``mus_id`` already accepted into some payload batch."""
        cur = self._conn.execute("SELECT appointment_id FROM accepted WHERE mus_id = ?", (mus_id,))
        return {row[0] for row in cur}

    def loaded_visits(self, mus_id: str) -> set[str]:
        """Visit digests (see ``visit_digests``) of ``mus_id`` already in some payload batch."""
        cur = self._conn.execute(
            "SELECT visit_digest FROM accepted WHERE mus_id = ? AND visit_digest IS NOT NULL",
            (mus_id,),
        )
        return {row[0] for row in cur}

    def batch_files(self) -> set[str]:
        """Every payload file path recorded in this state."""
        return {row[0] for row in self._conn.execute("SELECT DISTINCT batch_file FROM accepted")}

    def record_run(
        self, run_id: str, mus_id: str, inputs: Iterable[str], batches: Iterable[Batch]
    ) -> int:
        """Record a run and its accepted ids in one transaction; returns how many ids were new."""
        stamp = _now()
        added = 0
        try:
            with self._conn:  # one transaction: all of the run or nothing
                self._conn.execute(
                    "INSERT INTO runs (run_id, mus_id, started, inputs) VALUES (?, ?, ?, ?)",
                    (run_id, mus_id, stamp, "\n".join(inputs)),
                )
                for b in batches:
                    digests = b.visit_digests or [None] * len(b.appointment_ids)
                    cur = self._conn.executemany(
                        "INSERT OR IGNORE INTO accepted (mus_id, appointment_id, run_id, "
                        "batch_file, batch_sha256, visit_digest, recorded) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(mus_id, a, run_id, b.file, b.sha256, d, stamp)
                         for a, d in zip(b.appointment_ids, digests, strict=True)],
                    )  # fmt: skip
                    added += cur.rowcount
        except sqlite3.Error as exc:
            raise ReportError(
                f"nie można zapisać stanu przebiegów: {exc}",
                f"cannot write the run state: {exc}",
                path=self.path,
            ) from None
        return added

    def runs(self) -> list[tuple[str, str, str]]:
        """``(run_id, mus_id, started)`` of every recorded run, oldest first."""
        cur = self._conn.execute(
            "SELECT run_id, mus_id, started FROM runs ORDER BY started, run_id"
        )
        return [tuple(r) for r in cur]  # type: ignore[misc]

    def entry(self, mus_id: str, appointment_id: str) -> dict[str, str] | None:
        cur = self._conn.execute(
            "SELECT run_id, batch_file, batch_sha256, recorded FROM accepted "
            "WHERE mus_id = ? AND appointment_id = ?",
            (mus_id, appointment_id),
        )
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip(("run_id", "batch_file", "batch_sha256", "recorded"), row, strict=True))


def open_state(path: Path, *, create: bool = True) -> RunState | None:
    """Open (and with ``create``, create with mode 0600) the state file; None if absent and not created."""
    path = Path(path)
    if not path.exists():
        if not create:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            raise ReportError(
                f"nie można utworzyć pliku stanu: {exc.strerror}",
                f"cannot create the state file: {exc.strerror}",
                path=path,
            ) from None
    try:
        os.chmod(path, 0o600)
        conn = sqlite3.connect(path, isolation_level="DEFERRED")
        conn.executescript(_SCHEMA)
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
            ("schema_version", str(SCHEMA_VERSION)),
        )
        conn.commit()
    except (OSError, sqlite3.Error) as exc:
        raise ReportError(
            f"plik stanu jest nieczytelny lub uszkodzony: {exc}",
            f"the state file is unreadable or damaged: {exc}",
            path=path,
        ) from None
    return RunState(path, conn)
