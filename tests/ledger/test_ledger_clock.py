"""The ledger's clock can be injected: every journaled change carries the time it gives."""

from __future__ import annotations

from pathlib import Path

from cer_loader.ledger import open_ledger
from cer_loader.ledger.store import NewBatch, NewRecord


def test_an_injected_clock_stamps_batches_and_attempts(tmp_path: Path) -> None:
    ticks = iter(f"2026-12-01T10:00:0{i}.000+00:00" for i in range(10))
    led = open_ledger(tmp_path / "l.sqlite", "000000927722-001", clock=lambda: next(ticks))
    assert led is not None and oct((tmp_path / "l.sqlite").stat().st_mode & 0o777) == "0o600"
    with led:
        led.record_batches(
            "r1", [], str(tmp_path), [NewBatch("b1", "f.xml", "00", [NewRecord("k1", "A1")])]
        )
        batch = led.batches()[0]
        assert batch.updated == "2026-12-01T10:00:00.000+00:00"
        attempt = led.begin_attempt(batch, "emulator")
        led.finish_attempt(
            attempt, batch, "ACCEPTED", outcome="ANSWER", records=[("k1", True, "", "")]
        )
        (row,) = led.attempts()
        assert (row["started"], row["finished"]) == (
            "2026-12-01T10:00:01.000+00:00",
            "2026-12-01T10:00:02.000+00:00",
        )
