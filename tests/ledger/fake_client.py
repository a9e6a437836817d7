"""A fake P1 client with the real client's two methods, scripted per call; and a ledger with
batches on disk to feed it. The fake "CeR" keeps what it accepted, like the emulator does."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

from cer_loader.ledger import NewBatch, NewRecord, open_ledger
from cer_loader.ledger.store import Ledger
from cer_loader.submit.answers import BatchAnswer, RecordAnswer
from cer_loader.submit.errors import AmbiguousError, PermanentFault, TransientError

MUS = "000000927722-001"
Step = Callable[[str, bytes], BatchAnswer | None]  # None: process normally


class FakeCeR:
    """``script``: per send call, in order, one of "ok", "transient", "ambiguous-before",
    "ambiguous-after" (processed, answer lost), "permanent:<layer>"; then "ok" forever.
    ``refuse``: appointment ids refused with code ``bad-scope``."""

    def __init__(self, script: list[str] | None = None, refuse: set[str] = frozenset()) -> None:
        self.script = list(script or [])
        self.refuse = set(refuse)
        self.held: dict[str, BatchAnswer] = {}  # batch id -> the answer given
        self.keys: dict[str, int] = {}  # idempotency key -> times stored
        self.sends = 0
        self.queries = 0
        self.status_script: list[str] = []

    def _process(self, batch_id: str, payload: bytes) -> BatchAnswer:
        records = []
        for line in payload.decode().splitlines():
            key, appt = line.split(",")
            if key in self.keys:
                records.append(RecordAnswer(key, appt, False, "duplicate", "already held"))
            elif appt in self.refuse:
                records.append(RecordAnswer(key, appt, False, "bad-scope", "zakres 12345678901"))
            else:
                self.keys[key] = self.keys.get(key, 0) + 1
                records.append(RecordAnswer(key, appt, True))
        ok = sum(r.accepted for r in records)
        status = "ACCEPTED" if ok == len(records) else "REFUSED" if ok == 0 else "PARTIAL"
        answer = BatchAnswer(
            batch_id,
            status,
            tuple(records),
            200,
            (),
            0.01,  # type: ignore[arg-type]
            hashlib.sha256(payload).hexdigest(),
        )
        self.held[batch_id] = answer
        return answer

    def send_batch(
        self, batch_id: str, payload_xml: bytes, context: Mapping[str, str]
    ) -> BatchAnswer:
        self.sends += 1
        step = self.script.pop(0) if self.script else "ok"
        if step == "transient":
            raise TransientError("503 busy")
        if step == "ambiguous-before":
            raise AmbiguousError("reset before processing")
        if step.startswith("permanent:"):
            raise PermanentFault(step.split(":")[1], "bladPodpisuKomunikatuWSS", "podpis")
        answer = self._process(batch_id, payload_xml)
        if step == "ambiguous-after":
            raise AmbiguousError("reset after processing")
        return answer

    def query_status(self, batch_id: str) -> BatchAnswer | None:
        self.queries += 1
        step = self.status_script.pop(0) if self.status_script else "ok"
        if step == "transient":
            raise TransientError("503 busy")
        return self.held.get(batch_id)


def make_ledger(tmp: Path, batches: list[list[str]]) -> tuple[Ledger, list[Path]]:
    """A ledger with one RENDERED batch per list of appointment ids; the payload file holds
    ``key,appointment_id`` lines (the fake CeR reads them)."""
    ledger = open_ledger(tmp / "ledger.sqlite", MUS)
    assert ledger is not None
    files, new = [], []
    for n, ids in enumerate(batches, 1):
        path = tmp / "payload" / f"zasilInicjalnie_{n:04d}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(f"k-{a},{a}\n" for a in ids).encode()
        path.write_bytes(data)
        files.append(path)
        records = [
            NewRecord(f"k-{a}", a, None, "wizyty.csv", str(i + 2)) for i, a in enumerate(ids)
        ]
        new.append(
            NewBatch(f"B{n}", str(path.resolve()), hashlib.sha256(data).hexdigest(), records)
        )
    ledger.record_batches("run-1", ["wizyty.csv"], str(tmp), new)
    return ledger, files
