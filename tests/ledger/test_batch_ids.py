"""Batch ids carry the run id: the same keys rendered twice on the same day get two ids, and
the emulator's status query answers by the new shape; the journal reads a file's id from its
root tag wherever the reads cut it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader import emulator
from cer_loader.ledger import open_ledger
from cer_loader.ledger.journal import batch_id_of
from cer_loader.pipeline import run
from cer_loader.settings import load_settings
from cer_loader.submit.client import P1Client
from cer_loader.submit.context import call_context
from cer_loader.submit.orchestrate import Policy, submit

from conftest import SAMPLE

MUS = "000000927722-001"


def test_the_same_keys_rendered_twice_the_same_day_get_two_batch_ids(tmp_path: Path) -> None:
    settings = load_settings(SAMPLE / "cer-loader.toml", {"batch_size": 10})
    ledger_file = tmp_path / "ledger.sqlite"
    runs = [
        run(
            [SAMPLE / "wizyty_poradnia.csv"],
            settings,
            mapping_path=SAMPLE / "mapping.toml",
            out_dir=tmp_path / name,
            ledger_path=ledger_file,
        )  # fmt: skip
        for name in ("a", "b")
    ]
    ids = [[batch_id_of(p.path) for p in r.result.payload] for r in runs]
    assert len(ids[0]) == len(ids[1]) == 3
    for done, batch_ids in zip(runs, ids, strict=True):
        run_id = done.summary["run_id"]
        assert all(f"{MUS}-{settings.as_of:%Y%m%d}-{run_id}-" in b for b in batch_ids)
        assert all(len(b) <= 128 for b in batch_ids)  # the operation schema's limit
    # same keys, same day: only the run part tells them apart
    assert [b.rsplit("-", 1)[1] for b in ids[0]] == [b.rsplit("-", 1)[1] for b in ids[1]]
    assert not set(ids[0]) & set(ids[1])
    ledger = open_ledger(ledger_file, MUS)
    assert ledger is not None
    with ledger:
        journaled = [b.batch_id for b in ledger.batches()]
        assert journaled == ids[0] + ids[1] and len(set(journaled)) == 6
        with emulator.start_in_process(tmp_path / "cer.sqlite", certs_dir=None) as emu:
            client = P1Client(
                emu.target, password=lambda e: os.environ[e], context=call_context(settings)
            )
            with client:
                done = submit(ledger, client, target="emulator", context=call_context(settings),
                              policy=Policy(base_s=0.01))  # fmt: skip
                assert [b.state for b in done.batches] == ["ACCEPTED"] * 3
                answer = client.query_status(ids[1][0])  # the status query by the new id
                assert answer is not None and answer.batch_id == ids[1][0]
                assert all(r.accepted for r in answer.records)
                assert client.query_status(ids[0][0]) is None  # superseded: never sent


@given(pad=st.integers(0, 9000), attrs=st.integers(0, 300))
@settings(deadline=None, max_examples=30)
def test_the_batch_id_is_found_wherever_the_reads_cut_the_root_tag(pad: int, attrs: int) -> None:
    """The root's start tag after a long prologue, cut anywhere by the reads of a few KB."""
    junk = " ".join(f'a{i}="{i}"' for i in range(attrs))
    data = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!--{"x" * pad}-->\n'
        f'<p {junk} identyfikatorPaczki="ID-{pad}-{attrs}"><r>{"y" * 5000}</r></p>'
    ).encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zasilInicjalnie_0001.xml"
        path.write_bytes(data)
        assert batch_id_of(path) == f"ID-{pad}-{attrs}"
        path.write_bytes(data.replace(b"identyfikatorPaczki", b"other"))
        assert batch_id_of(path) == "zasilInicjalnie_0001"
