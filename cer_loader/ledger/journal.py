"""What the pipeline asks of the ledger: which rows CeR holds, and journaling new batches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from lxml import etree

from cer_loader.ingest.table import SOURCE_FILE, SOURCE_ROW
from cer_loader.ledger import visit_digests
from cer_loader.ledger.facts import appointment_facts, write_facts
from cer_loader.ledger.store import Ledger, NewBatch, NewRecord
from cer_loader.render import PayloadFile, idempotency_keys

BATCH_ID_ATTR = "identyfikatorPaczki"  # UNCONFIRMED: the draft template's batch id attribute


def mark_held(frame: pd.DataFrame, ledger: Ledger) -> None:
    """Flag rows CeR holds or may hold (``n_loaded_earlier``: accepted, in flight or unknown;
    they are not rendered again) and rows repeating a visit the ledger has under another
    appointment id (``n_visit_loaded_earlier``: rejected as visit-loaded-earlier)."""
    frame["n_loaded_earlier"] = frame["appointment_id"].isin(ledger.held_ids())
    frame["n_visit_digest"] = visit_digests(frame, ledger.mus_id, ledger.salt)
    pairs = ledger.visit_pairs()
    digests = {d for d, _ in pairs}
    own = frame["n_visit_digest"].fillna("") + "|" + frame["appointment_id"]
    same_visit = frame["n_visit_digest"].isin(digests) & ~own.isin({f"{d}|{a}" for d, a in pairs})
    frame["n_visit_loaded_earlier"] = same_visit & ~frame["n_loaded_earlier"]


def batch_id_of(path: Path) -> str:
    """The batch id the payload file carries on its root element (read without the body)."""
    with open(path, "rb") as fh:
        for _, element in etree.iterparse(
            fh, events=("start",), resolve_entities=False, no_network=True, load_dtd=False
        ):
            return str(element.get(BATCH_ID_ATTR) or path.stem)
    return path.stem


def journal(
    ledger: Ledger, frame: pd.DataFrame, payload: Sequence[PayloadFile], *, run_id: str,
    inputs: Sequence[str], out_dir: Path, finished: bool = True,
) -> int:  # fmt: skip
    """Record the run's batches (RENDERED) and their records; returns how many unsent earlier
    batches were superseded because their ids were rendered again. ``finished``: the run is
    complete (its reports in place) in the same transaction; else ``Ledger.finish_run`` later."""
    if "n_visit_digest" not in frame.columns:
        frame["n_visit_digest"] = visit_digests(frame, ledger.mus_id, ledger.salt)
    batches = []
    facts = []
    for p in payload:
        rows = frame.loc[p.labels]
        keys = idempotency_keys(ledger.mus_id, rows["appointment_id"])
        records = [
            NewRecord(k, a, d, str(f), str(r))
            for k, a, d, f, r in zip(
                keys, rows["appointment_id"], rows["n_visit_digest"], rows[SOURCE_FILE],
                rows[SOURCE_ROW], strict=True,
            )
        ]  # fmt: skip
        batches.append(NewBatch(batch_id_of(p.path), str(p.path.resolve()), p.sha256, records))
        facts.append((p.labels, list(keys)))
    superseded = ledger.record_batches(
        run_id, inputs, str(out_dir.resolve()), batches, finished=finished
    )
    if facts:  # schedule, start, scope: what go-live's overlap check and reconcile compare
        labels = [label for batch_labels, _ in facts for label in batch_labels]
        keys = [key for _, batch_keys in facts for key in batch_keys]
        write_facts(
            ledger, "zasilInicjalnie", appointment_facts(frame.loc[labels], keys, ledger.salt)
        )
    return superseded
