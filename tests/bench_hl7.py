"""Benchmark: ``read_hl7`` on a generated 50k-message dump (run with ``pytest -m slow -s``).

The dump mixes what real exports hold: bookings, reschedules, modifications, cancellations,
duplicate deliveries, ADT noise, CP1250 Polish names, MLLP framing on half the messages.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from test_hl7 import POLISH_FIRST, POLISH_LAST, check_accounting, siu

from cer_loader.ingest.hl7v2 import read_hl7

N = 50_000
# Figures, not a timed assertion (timings on a shared machine say little alone): ~26-28k
# messages/s measured on a quiet 2-core box; compare a change with ``farm-bench --vs``.


def generate(n: int, seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    out: list[bytes] = []
    booked: list[int] = []
    for i in range(n):
        roll = rnd.random()
        if roll < 0.05 and out:
            out.append(out[-1])  # duplicate delivery
            continue
        if roll < 0.10:
            segs, enc = siu("A04", f"C{i}", mtype="ADT"), "utf-8"
        elif roll < 0.35 and booked:
            trigger = rnd.choice(["S13", "S14", "S14", "S15", "S26"])
            segs, enc = (
                siu(trigger, f"C{i}", f"A{rnd.choice(booked)}", start="202506021200"),
                "utf-8",
            )
        else:
            booked.append(i)
            polish = rnd.random() < 0.3
            segs = siu(
                "S12",
                f"C{i}",
                f"A{i}",
                charset="CP1250" if polish else "UNICODE UTF-8",
                last=POLISH_LAST if polish else "Kowalski",
                first=POLISH_FIRST if polish else "Jan",
                extra=("NTE|1||Proszę przyjść 15 minut wcześniej",) if not polish else (),
            )
            enc = "cp1250" if polish else "utf-8"
        text = ("\r".join(segs) + "\r").encode(enc)
        out.append(b"\x0b" + text + b"\x1c\r" if i % 2 else text)
    return b"".join(out)


@pytest.mark.slow
def test_read_hl7_speed(tmp_path: Path) -> None:
    path = tmp_path / "dump50k.hl7"
    path.write_bytes(generate(N))
    t0, c0 = time.perf_counter(), time.process_time()
    table = read_hl7(path)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    check_accounting(table)
    rate = N / elapsed
    size_mb = path.stat().st_size / 1e6
    print(
        f"\nread_hl7: {N} messages ({size_mb:.1f} MB) in {elapsed:.2f} s wall ({cpu:.2f} s CPU) = "
        f"{rate:,.0f} messages/s; "
        f"{len(table.frame)} loaded, not loaded {table.details['not_loaded']}, "
        f"duplicates {table.details['duplicates']}, charsets {table.details['charsets']}"
    )
    assert table.total_records == N
