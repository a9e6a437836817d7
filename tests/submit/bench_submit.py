"""Benchmark (slow): records/s from render through sign, send, emulator verification and storage,
100k records in 20 batches of 5000 on loopback. Prints figures; asserts only correctness."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cer_loader import emulator as emu
from cer_loader.submit.devcerts import DevCerts

from .conftest import CONTEXT, client, payload

RECORDS = 100_000
BATCH = 5_000


@pytest.mark.slow
def test_submit_throughput(tmp_path: Path, certs: DevCerts) -> None:
    batches = RECORDS // BATCH
    t0 = time.perf_counter()
    payloads = [payload(BATCH, start=i * BATCH, batch=f"B-{i}") for i in range(batches)]
    rendered = time.perf_counter()
    with emu.start_in_process(tmp_path / "cer.sqlite", certs_dir=certs.dir) as h, client(h) as c:
        connected = time.perf_counter()
        accepted = 0
        for i, data in enumerate(payloads):
            answer = c.send_batch(f"B-{i}", data, CONTEXT)
            accepted += sum(r.accepted for r in answer.records)
        sent = time.perf_counter()
        held = len(emu.list_records(h.store.path))
    assert accepted == held == RECORDS
    render_s, send_s = rendered - t0, sent - connected
    total = render_s + send_s
    print(
        f"\nsubmit benchmark, {RECORDS} records in {batches} batches of {BATCH}:"
        f"\n  render (template)           {render_s:6.2f} s  {RECORDS / render_s:9.0f} records/s"
        f"\n  sign+send+verify+XSD+store  {send_s:6.2f} s  {RECORDS / send_s:9.0f} records/s"
        f"\n  end to end                  {total:6.2f} s  {RECORDS / total:9.0f} records/s"
        f"\n  payload {sum(map(len, payloads)) / 1e6:.1f} MB"
    )
