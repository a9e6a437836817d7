"""After ``cer-loader submit OUT_DIR``: CeR's answers merged into every report of OUT_DIR.

The reports are written again from the run's own inputs, as ``summary.json`` recorded them
(:mod:`cer_loader.report.recipe`: same files, mapping, settings, as-of date, ledger): nothing
rendered, the ledger read as the run found it, the answers of every batch of the run merged —
so OUT_DIR ends up as ``run --submit`` would have written it: records CeR refused are in
``rejected.csv``, the steward workbook's "Do poprawy" sheet and ``report.html`` with CeR's code
and message, pointing back at their source rows, and ``summary.json``'s balance holds with
them. All reports are replaced as one set (0600, atomic, ``summary.json`` last).

When that cannot be done (an input gone or changed, a summary of an earlier version) only
``summary.json`` and ``rejected.csv`` gain the answers (:mod:`cer_loader.submit.merge`), and
:class:`Merged` says why.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cer_loader.errors import CerLoaderError, ReportError
from cer_loader.ledger import open_ledger
from cer_loader.ledger.store import Ledger
from cer_loader.outcomes import REBUILD_FAILED, Notice
from cer_loader.pipeline import Replay, run
from cer_loader.report import recipe
from cer_loader.report.writer import REPORTS
from cer_loader.submit import refusals
from cer_loader.submit.merge import merge_into_reports
from cer_loader.submit.orchestrate import Submission

Progress = Callable[[str, int, int], None]


def _noop(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Merged:
    """What the merge did: the files changed (none when CeR said nothing new since the last
    merge), the ``submission`` block ``summary.json`` holds now (every batch of OUT_DIR's run,
    and what this submission touched), and ``reason`` when the workbook and ``report.html``
    could not be rebuilt (None: they were, or had nothing new to show)."""

    files: list[Path]
    block: dict[str, Any]
    reason: Notice | None = None

    @property
    def rebuilt(self) -> bool:
        return self.reason is None


def of_the_run(ledger: Ledger, submission: Submission, run_id: str) -> Submission:
    """``submission`` widened to every batch ``run_id`` journaled (not superseded), with the
    states the ledger holds now: an earlier ``submit`` of the same OUT_DIR keeps counting."""
    now = {b.id: b for b in ledger.batches()}
    seen = {b.id for b in submission.batches}
    batches = [now.get(b.id, b) for b in submission.batches]
    batches += [
        b for b in now.values() if b.run_id == run_id and b.id not in seen
        and b.state != "SUPERSEDED"
    ]  # fmt: skip
    return dataclasses.replace(submission, batches=batches)


def _ledger(path: Path, mus_id: str) -> Ledger:
    ledger = open_ledger(path, mus_id, create=False)
    if ledger is None:  # the caller just sent through it: gone since is a run problem
        raise ReportError("brak rejestru wysyłek", "no submission ledger", path=path)
    return ledger


def merge_answers(
    out_dir: Path, ledger_path: Path, mus_id: str, submission: Submission, *,
    lang: str = "pl", progress: Progress = _noop,
) -> Merged:  # fmt: skip
    """Merge CeR's answers (``submission``, just made against the ledger of ``mus_id`` at
    ``ledger_path``) into the reports of ``out_dir``; see the module docstring. ``lang``: the
    language of the reason and of the lines added in the fallback (a rebuild keeps the run's)."""
    out_dir = Path(out_dir)
    summary_file = out_dir / "summary.json"
    summary = json.loads(summary_file.read_text("utf-8")) if summary_file.is_file() else {}
    run_id = str(summary.get("run_id", ""))
    with _ledger(ledger_path, mus_id) as ledger:
        block = refusals.summary(ledger, of_the_run(ledger, submission, run_id))
    if summary.get("submission") == block:
        return Merged([], block)
    how = recipe.plan(summary, out_dir)
    if isinstance(how, recipe.Plan):

        def answers(state: Ledger, files: list[Path], _: Progress) -> Submission:
            return of_the_run(state, submission, run_id)

        try:
            done = run(
                how.inputs, how.settings, mapping_path=how.mapping, out_dir=out_dir,
                render=False, progress=progress, ledger_path=ledger_path, submitter=answers,
                replay=Replay(how.run_id, how.payload),
            )  # fmt: skip
        except CerLoaderError as exc:  # the answers still go where they can
            how = Notice(REBUILD_FAILED, {"error": exc.text(lang)})
        else:
            files = [out_dir / name for name in REPORTS if (out_dir / name).is_file()]
            return Merged(files, dict(done.summary.get("submission") or {}))
    with _ledger(ledger_path, mus_id) as ledger:
        whole = of_the_run(ledger, submission, run_id)
        block = refusals.summary(ledger, whole)
        files = merge_into_reports(out_dir, ledger, whole, block, lang)
    return Merged(files, block, how)
