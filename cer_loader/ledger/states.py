"""Record states of the ledger and the one a batch's state implies (schema 3, :mod:`.records`);
no Arrow here: sending and ``status`` change batch states without reading records."""

from __future__ import annotations

STATES = ("PENDING", "ACCEPTED", "REFUSED", "SUPERSEDED")  # a record's state: its index here


def implied(batch_state: str) -> str:
    """The state of a record of a batch in ``batch_state`` that has no answer row."""
    return batch_state if batch_state in ("ACCEPTED", "SUPERSEDED") else "PENDING"
