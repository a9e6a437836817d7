"""The journal takes the idempotency keys the render workers wrote into each batch (made once);
a batch that does not carry them (read back from a report) has them made from the ids again.
Either way the ledger holds the ``kluczIdempotencji`` of every record, in payload order."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lxml import etree

from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.ledger import open_ledger
from cer_loader.ledger.journal import journal, mark_held
from cer_loader.mapping import Mapping, apply_mapping
from cer_loader.normalize import normalize
from cer_loader.render import RENDER_COLUMNS, render_batches
from cer_loader.resources import data_dir

from rowkit import BASE, MUS, settings, table_of

IDS = load_identifiers(data_dir("schemas") / "identifiers.toml")
NS = "{urn:cer-loader:zasilInicjalnie:draft-1}"


def test_the_ledger_holds_the_keys_the_batches_carry(tmp_path: Path) -> None:
    rows = [{**BASE, "appointment_id": f"W{i}", "start_time": f"{8 + i % 9}:{i % 6}0"}
            for i in range(23)]  # fmt: skip
    frame = normalize(apply_mapping(table_of(rows), Mapping()), IDS)
    payload = render_batches(frame[RENDER_COLUMNS], settings(batch_size=5), IDS,
                             tmp_path / "payload", workers=2)  # fmt: skip
    assert all(p.keys is not None for p in payload)
    written = [r.get("kluczIdempotencji") for p in payload
               for r in etree.parse(str(p.path)).getroot().iter(f"{NS}rezerwacja")]  # fmt: skip
    held = {}
    for name, batches in (("carried", payload),
                          ("made", [dataclasses.replace(p, keys=None) for p in payload])):  # fmt: skip
        with open_ledger(
            tmp_path / f"{name}.sqlite", MUS, clock=lambda: "2026-12-01T10:00:00Z"
        ) as led:  # type: ignore[union-attr]
            f = frame.copy()
            mark_held(f, led)
            journal(led, f, batches, run_id="r1", inputs=["test.csv"], out_dir=tmp_path)
            records = led._records()
            held[name] = (records.column("key").to_pylist(),
                          records.column("appointment_id").to_pylist())  # fmt: skip
    assert len(written) == 23
    assert held["carried"] == held["made"]
    assert held["carried"][0] == written
    assert held["carried"][1] == [f"W{i}" for i in range(23)]
