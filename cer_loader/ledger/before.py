"""The ledger as one run found it: rebuilding that run's reports after its batches were sent.

``cer-loader submit OUT_DIR`` writes the reports of OUT_DIR's run again with CeR's answers. Read
against today's ledger, the run's own appointments would count as "already loaded" (CeR holds
them now); read through :func:`before_run` they do not: the run's own batches neither hold ids
nor know visits, exactly as when the run validated its rows. A view on the same connection, for
reading only (``mark_held``); the ledger it came from stays the one to close.
"""

from __future__ import annotations

from cer_loader.ledger.store import Ledger


class _BeforeRun(Ledger):
    def __init__(self, base: Ledger, run_id: str) -> None:
        super().__init__(base.path, base._conn, base.mus_id, base.salt, base.clock)
        self.run_id = run_id
        self._scope, self._scope_args = "b.run_id != ?", (run_id,)  # what every reading sees

    def close(self) -> None:  # the base ledger owns the connection
        return None


def before_run(ledger: Ledger, run_id: str) -> Ledger:
    """``ledger`` without the batches of ``run_id`` (what it held when that run validated)."""
    return _BeforeRun(ledger, run_id)
