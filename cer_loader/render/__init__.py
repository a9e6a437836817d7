"""Render accepted rows into ``zasilInicjalnie`` XML batches, each checked against the XSD.

Jinja2 with XML autoescaping on every template (``select_autoescape`` matches the end of a
file name, so ``default=True`` makes escaping independent of naming) and ``StrictUndefined``;
output is deterministic (no clock, rows in input order). A template that only tests and prints
values is rendered in bulk, once per shape of record (``bulk.py``); the bytes are the same as
plain Jinja's. Every rendered batch is re-parsed with the hardened parser and validated against
the XSD before it is written under its final name.

Modules: ``columns`` (the record values as whole columns, idempotency keys), ``bulk`` (the
per-shape bulk renderer), ``batch`` (one batch: render + check, the worker's unit of work).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from cer_loader.catalogues.identifiers import IdentifierConfig
from cer_loader.errors import RenderError
from cer_loader.files import write_private
from cer_loader.render.batch import TEMPLATE_NAME, Job, Problem, environment, run_job, tools
from cer_loader.render.columns import (
    KEY_NAMESPACE,
    idempotency_keys,
    payload_columns,
    payload_table,
)
from cer_loader.settings import Settings

__all__ = [
    "KEY_NAMESPACE", "RENDER_COLUMNS", "TEMPLATE_NAME", "PayloadFile", "environment",
    "idempotency_keys", "payload_columns", "render_batches",
]  # fmt: skip

# the frame columns rendering reads: hand render_batches only these (workers get only the
# payload's own text columns, batch by batch)
RENDER_COLUMNS = [
    "appointment_id", "schedule_id", "n_start", "n_duration", "scope_code", "n_visit_kind",
    "n_category", "n_request", "n_referral_key", "referral_number", "practitioner_npwz",
    "n_npwz_ok", "n_pesel_present", "n_doc_type", "n_doc_country", "patient_document_number",
    "patient_pesel", "patient_first_name", "patient_last_name", "n_birth", "n_sex", "n_phone",
    "patient_email", "n_email_ok", "notes",
]  # fmt: skip
SMALL_RUN = 20_000  # fewer accepted rows than this are rendered in-process by default
CHUNK_ROWS = 100_000  # rows turned into payload columns at a time (bounds the memory)


@dataclass(frozen=True)
class PayloadFile:
    path: Path
    records: int
    sha256: str
    labels: list[Any]  # frame index labels of the rows in this batch, in order


def _raise(n: int, problem: Problem, settings: Settings) -> NoReturn:
    kind, detail = problem
    if kind == "undefined":
        raise RenderError(
            f"szablon używa nieznanej zmiennej: {detail}",
            f"the template uses an undefined variable: {detail}",
            path=settings.template_dir / TEMPLATE_NAME,
        )
    if kind == "malformed":
        raise RenderError(
            f"wygenerowany XML jest niepoprawny (paczka {n + 1}): {detail}",
            f"the rendered XML is malformed (batch {n + 1}): {detail}",
        )
    raise RenderError(
        f"paczka {n + 1} nie spełnia XSD: {detail}",
        f"batch {n + 1} fails the XSD: {detail}",
        path=settings.xsd,
    )


def _jobs(
    f: pd.DataFrame, settings: Settings, ids: IdentifierConfig, ctx: dict[str, Any],
    use_bulk: bool, run_id: str = "",
) -> Iterator[tuple[Job, pd.Index]]:  # fmt: skip
    size = settings.batch_size
    count = (len(f) + size - 1) // size
    step = size * max(1, CHUNK_ROWS // size)
    for start in range(0, len(f), step):
        table = payload_table(f.iloc[start : start + step], settings, ids)
        for first in range(0, table.num_rows, size):
            n = (start + first) // size
            rows = np.arange(first, min(first + size, table.num_rows))
            part = table.take(rows)  # a copy: a slice would pickle the whole chunk's buffers
            # different for different content (the records' idempotency keys) and, with the
            # run id, for every run: the same keys rendered again on the same day never reuse
            # a batch id in the audit trail
            keys = "\n".join(part.column("key").to_pylist())
            digest = hashlib.sha256(keys.encode("ascii")).hexdigest()[:12]
            run = f"{run_id}-" if run_id else ""
            batch = {
                "id": f"{settings.mus_id}-{settings.as_of:%Y%m%d}-{run}{n + 1:04d}-{digest}",
                "number": n + 1,
                "count": count,
            }
            job = Job(n, settings.template_dir, settings.xsd, ctx, batch, part, use_bulk)
            yield job, f.index[start + first : start + first + len(rows)]


def start_method() -> str:
    """``forkserver`` where the platform has it (small, clean workers), else ``spawn``."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


def render_batches(
    f: pd.DataFrame,
    settings: Settings,
    ids: IdentifierConfig,
    out_dir: Path,
    progress: object = None,
    workers: int | None = None,
    *,
    method: str | None = None,
    use_bulk: bool = True,
    run_id: str = "",
) -> list[PayloadFile]:
    """Write ``out_dir/zasilInicjalnie_NNNN.xml`` files; return what was written.

    ``f`` needs only :data:`RENDER_COLUMNS`. Batches are rendered and checked in parallel
    (``workers`` processes, default: the CPU count, at most 4 — one for small runs — started
    with ``method``, default :func:`start_method`), each into a temporary 0600 file; only when every batch has passed
    the XSD are they renamed to their final names, so a failing run leaves no partial payload.
    ``use_bulk=False`` forces plain Jinja (the reference the bulk renderer is tested against).
    ``run_id`` (the pipeline passes its run's) is part of every batch id:
    ``<MUŚ>-<as of YYYYMMDD>-<run id>-<NNNN>-<12 hex of the keys' SHA-256>`` (without it the
    id has no run part and repeats when the same keys are rendered on the same day).
    """
    if f.empty:
        return []
    tools(settings.template_dir, settings.xsd)  # configuration errors surface here, once
    ctx = {
        "mus_id": settings.mus_id, "mus_oid": ids.oid["mus"], "npwz_oid": ids.oid["npwz"],
        "regon": settings.regon, "nip": settings.nip, "nfz_branch": settings.nfz_branch,
        "as_of": settings.as_of.isoformat(),
    }  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    count = (len(f) + settings.batch_size - 1) // settings.batch_size
    if workers is None:  # a pool pays off only when there is real work to share
        workers = (os.cpu_count() or 1) if len(f) >= SMALL_RUN else 1
    workers = min(workers, 4, count)
    jobs = _jobs(f, settings, ids, ctx, use_bulk, run_id)
    pending: list[tuple[Path, Path]] = []
    written: list[PayloadFile] = []

    def keep(n: int, outcome: bytes | Problem, labels: pd.Index) -> None:
        if not isinstance(outcome, bytes):
            _raise(n, outcome, settings)
        final = out_dir / f"zasilInicjalnie_{n + 1:04d}.xml"
        tmp = final.with_name(f".{final.name}.pending")
        write_private(tmp, outcome)
        pending.append((tmp, final))
        digest = hashlib.sha256(outcome).hexdigest()
        written.append(PayloadFile(final, len(labels), digest, list(labels)))
        if callable(progress):
            progress(len(labels))

    try:
        if workers > 1:
            context = mp.get_context(method or start_method())
            if context.get_start_method() == "forkserver":  # workers fork with these loaded
                context.set_forkserver_preload(["cer_loader.render.batch"])
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                try:
                    queue: deque[tuple[Future[tuple[int, bytes | Problem]], pd.Index]] = deque()
                    for job, labels in jobs:
                        queue.append((pool.submit(run_job, job), labels))
                        if len(queue) > 2 * workers:  # bounded: batches in flight, not all
                            future, done_labels = queue.popleft()
                            keep(*future.result(), done_labels)
                    while queue:
                        future, done_labels = queue.popleft()
                        keep(*future.result(), done_labels)
                except BaseException:
                    pool.shutdown(cancel_futures=True)
                    raise
        else:
            for job, labels in jobs:
                keep(*run_job(job), labels)
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in pending:
        os.replace(tmp, final)
    return written
