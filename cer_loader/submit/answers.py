"""What CeR answered: per record and per batch (plain frozen data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BatchStatus = Literal["ACCEPTED", "PARTIAL", "REFUSED"]


@dataclass(frozen=True)
class RecordAnswer:
    """One record's result. ``key`` is the idempotency key as rendered in the payload. A key
    CeR already held comes back ``accepted=True`` with the contract's duplicate code."""

    key: str
    appointment_id: str
    accepted: bool
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class BatchAnswer:
    batch_id: str
    status: BatchStatus
    records: tuple[RecordAnswer, ...]
    http_status: int
    cer_codes: tuple[str, ...]
    duration_s: float
    request_sha256: str


def batch_status(records: tuple[RecordAnswer, ...]) -> BatchStatus:
    accepted = sum(r.accepted for r in records)
    if records and accepted == len(records):
        return "ACCEPTED"
    return "PARTIAL" if accepted else "REFUSED"
