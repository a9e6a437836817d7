"""Records a reader accounted for but did not load (HL7: cancelled, deleted, no-show, ...).

They are neither accepted nor rejected: CeR must not receive them. ``not_loaded.csv`` lists each
with its reason, pointing at the message that decided it; ``summary.json`` counts them by reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cer_loader.files import Outputs, open_private
from cer_loader.ingest.table import SourceTable
from cer_loader.outcomes import HL7_NOT_LOADED
from cer_loader.sanitize import csv_frame

# the reasons are data: stable codes with Polish and English texts (cer_loader.outcomes)
REASONS: dict[str, tuple[str, str]] = {code: (o.pl, o.en) for code, o in HL7_NOT_LOADED.items()}
COLUMNS = [
    "source_file",
    "message_index",
    "control_id",
    "appointment_id",
    "event",
    "reason",
    "message",
]


def reason_text(reason: str, lang: str) -> str:
    pl, en = REASONS.get(reason, (reason, reason))
    return en if lang == "en" else pl


def not_loaded_table(tables: Sequence[SourceTable], lang: str) -> pd.DataFrame:
    parts = []
    for table in tables:
        nl = table.not_loaded
        if nl is None or nl.empty:
            continue
        part = pd.DataFrame(
            {
                "source_file": str(table.path),
                "message_index": nl["message_index"].to_numpy(),
                "control_id": nl["control_id"].to_numpy(),
                "appointment_id": nl["appointment_id"].to_numpy(),
                "event": nl["event"].to_numpy(),
                "reason": nl["reason"].to_numpy(),
            }
        )
        texts = {r: reason_text(str(r), lang) for r in pd.unique(part["reason"])}
        part["message"] = part["reason"].map(texts)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def counts(tables: Sequence[SourceTable]) -> dict[str, Any]:
    """Run-level HL7 counts: messages, appointments, not loaded by reason (empty when no HL7)."""
    hl7 = [t for t in tables if t.kind == "hl7"]
    if not hl7:
        return {}
    by_reason: dict[str, int] = {}
    for t in hl7:
        for reason, n in t.details.get("not_loaded", {}).items():
            by_reason[reason] = by_reason.get(reason, 0) + int(n)
    ranked = dict(sorted(by_reason.items(), key=lambda kv: -kv[1]))
    return {
        "messages": sum(int(t.details.get("messages", 0)) for t in hl7),
        "duplicate_messages": sum(int(t.details.get("duplicates", 0)) for t in hl7),
        # messages that became no appointment row of their own: the balance's "skipped"
        "skipped_messages": sum(t.skipped_rows for t in hl7),
        "appointments": sum(int(t.details.get("appointments", 0)) for t in hl7),
        "loaded_appointments": sum(t.data_rows for t in hl7),
        "appointments_not_loaded": sum(by_reason.values()),
        "appointments_not_loaded_by_reason": ranked,
        # the earlier names of the two above
        "not_loaded": sum(by_reason.values()),
        "not_loaded_by_reason": dict(ranked),
    }


def write_not_loaded(path: Path, table: pd.DataFrame, outputs: Outputs | None = None) -> None:
    """``not_loaded.csv``: values and headers through the sanitiser (its ids are left readable:
    they are how a message is found again; its messages are fixed texts)."""
    safe = csv_frame(table)
    with outputs.open(path) if outputs is not None else open_private(path) as fh:
        safe.to_csv(fh, index=False)
