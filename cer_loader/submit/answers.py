"""What CeR answered: per batch and per record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class RecordAnswer:
    key: str
    appointment_id: str
    accepted: bool
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class BatchAnswer:
    batch_id: str
    status: Literal["ACCEPTED", "PARTIAL", "REFUSED"]
    records: tuple[RecordAnswer, ...]
    http_status: int
    cer_codes: tuple[str, ...]
    duration_s: float
    request_sha256: str
