"""Go-live operations in the ledger: each operation of a MUŚ has its own ledger file beside the
MUŚ's appointment ledger (``ledger-<MUŚ>.sqlite`` → ``ledger-<MUŚ>.zapiszSloty.sqlite``), with the
same format, states, attempts and exactly-once sending (``submit.orchestrate``); the facts of
each record (schedule, start, scope) go beside them for coverage and overlap checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from cer_loader.golive.operations import OperationFile
from cer_loader.ledger import new_run_id, open_ledger
from cer_loader.ledger.facts import write_facts
from cer_loader.ledger.store import Ledger, NewBatch, NewRecord

APPOINTMENTS = "zasilInicjalnie"


def operation_ledger_path(appointment_ledger: Path, operation: str) -> Path:
    """The ledger file of ``operation`` beside the MUŚ's appointment ledger."""
    if operation == APPOINTMENTS:
        return appointment_ledger
    return appointment_ledger.with_name(
        f"{appointment_ledger.stem}.{operation}{appointment_ledger.suffix}"
    )


def open_operation_ledger(
    appointment_ledger: Path, operation: str, mus_id: str, *, create: bool = True
) -> Ledger | None:
    return open_ledger(operation_ledger_path(appointment_ledger, operation), mus_id, create=create)


def journal_operation(
    ledger: Ledger,
    files: Sequence[OperationFile],
    *,
    sources: Mapping[str, tuple[str, str]],
    facts: pd.DataFrame | None,
    inputs: Sequence[str],
    out_dir: Path,
    operation: str,
) -> int:
    """Journal rendered go-live batches (RENDERED) with their records; ``sources``: key ->
    (source file, source row) for the reports; ``facts``: the records' facts (key, local_id,
    schedule_id, start, end, scope_code). Returns how many unsent batches were superseded."""
    batches = []
    local = dict(zip(facts["key"], facts["local_id"], strict=True)) if facts is not None else {}
    for f in files:
        records = [
            NewRecord(k, str(local.get(k, k)), None, *sources.get(k, ("", ""))) for k in f.keys
        ]
        batches.append(NewBatch(f.batch_id, str(f.path.resolve()), f.sha256, records))
    superseded = ledger.record_batches(new_run_id(), list(inputs), str(out_dir.resolve()), batches)
    if facts is not None and len(facts):
        write_facts(ledger, operation, facts)
    return superseded
