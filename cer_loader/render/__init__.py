"""Render accepted rows into ``zasilInicjalnie`` XML batches, each checked against the XSD.

Jinja2 with XML autoescaping on every template (``select_autoescape`` matches the end of a
file name, so ``default=True`` makes escaping independent of naming) and ``StrictUndefined``;
output is deterministic (no clock, rows in input order). A template that only tests and prints
values is rendered in bulk, on whole columns (``bulk.py``); the bytes are the same as plain
Jinja's. Every rendered batch is parsed with the hardened parser and validated against the XSD
before it is written under its final name (``check.py``).

The caller's thread only cuts the frame into batches; each batch's slice of
:data:`RENDER_COLUMNS` goes to a worker, which computes the payload values, renders, checks and
writes the batch's pending file (``workers.py``). A template the bulk renderer takes is
rendered by worker *threads* in this process: the bulk renderer works in Arrow, lxml parses
(with a parser per thread) and validates without the GIL, so two threads keep two cores busy,
and there are no worker processes to hold a second copy of Python, pyarrow and lxml (at 1M
rows on 2 cores: about the same time as two processes, and ~430 MB less memory). A template
only plain Jinja can render is Python on every record: it goes to worker *processes*
(``forkserver``, else ``spawn``), each batch as an Arrow IPC stream; nothing they import
imports pandas, so they stay small.

Modules: ``columns`` (the record values as whole columns, idempotency keys), ``bulk`` (the
column-wise renderer), ``batch`` (template loading, one batch's bytes), ``check`` (the XSD
check), ``workers`` (one batch: values, render, check, write — the worker's unit of work).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pyarrow as pa

from cer_loader.errors import RenderError
from cer_loader.render.batch import TEMPLATE_NAME, Problem, environment, tools
from cer_loader.render.check import checker
from cer_loader.render.columns import (
    KEY_NAMESPACE,
    RENDER_COLUMNS,
    idempotency_keys,
    key_array,
    payload_table,
)
from cer_loader.render.workers import Done, Job, lean, run_job, to_ipc

if TYPE_CHECKING:
    import pandas as pd

    from cer_loader.catalogues.identifiers import IdentifierConfig
    from cer_loader.settings import Settings

__all__ = [
    "KEY_NAMESPACE", "RENDER_COLUMNS", "TEMPLATE_NAME", "PayloadFile", "default_method", "environment",
    "idempotency_keys", "key_array", "payload_table", "render_batches",
]  # fmt: skip

SMALL_RUN = 20_000  # fewer accepted rows than this are rendered in-process by default
CHUNK_ROWS = 100_000  # rows turned into Arrow at a time (bounds the memory of object columns)


@dataclass(frozen=True)
class PayloadFile:
    path: Path
    records: int
    sha256: str
    labels: list[Any]  # frame index labels of the rows in this batch, in order
    # the records' idempotency keys as the batch carries them (None: not known here, as for a
    # batch read back from a report; the journal then makes them from the ids)
    keys: pa.Array | None = None


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


def _pending(final: Path) -> Path:
    return final.with_name(f".{final.name}.pending")


def _jobs(
    f: pd.DataFrame, settings: Settings, ids: IdentifierConfig, ctx: dict[str, Any],
    use_bulk: bool, out_dir: Path, run_id: str = "", rows: pd.Index | None = None,
    ipc: bool = True,
) -> Iterator[tuple[Job, pd.Index]]:  # fmt: skip
    """The batches' jobs, their columns as an Arrow IPC stream (``ipc``: for a worker
    process) or as the table slice itself (for a thread of this process)."""
    size = settings.batch_size
    total = len(f) if rows is None else len(rows)
    count = (total + size - 1) // size
    step = size * max(1, CHUNK_ROWS // size)
    # different for different content (the records' idempotency keys, hashed by the worker)
    # and, with the run id, for every run: the same keys rendered again on the same day never
    # reuse a batch id in the audit trail
    run = f"{run_id}-" if run_id else ""
    prefix = f"{settings.mus_id}-{settings.as_of:%Y%m%d}-{run}"
    known = (ids.oid["pesel"], dict(ids.doc_roots))
    for start in range(0, total, step):
        # the chunk's rows only: a selection of rows is taken a chunk at a time, never whole
        if rows is None:
            labels = f.index[start : start + step]
            table = _table(f.iloc[start : start + step])
        else:
            labels = rows[start : start + step]
            table = _taken(f, labels)
        for first in range(0, table.num_rows, size):
            n = (start + first) // size
            part = table.slice(first, size)
            final = out_dir / f"zasilInicjalnie_{n + 1:04d}.xml"
            job = Job(n, count, settings.template_dir, settings.xsd, ctx, prefix, known,
                      to_ipc(part) if ipc else part, _pending(final), use_bulk)  # fmt: skip
            yield job, labels[first : first + part.num_rows]


def _table(frame: pd.DataFrame) -> pa.Table:
    """The render columns of ``frame`` as a table (Arrow-backed columns are not copied; the
    IPC stream of a slice holds only its rows)."""
    table = pa.Table.from_pandas(frame, columns=RENDER_COLUMNS, preserve_index=False)
    return table.replace_schema_metadata(None)


def _taken(f: pd.DataFrame, labels: pd.Index) -> pa.Table:
    """The rows ``labels`` of ``f``, in that order, as a table. Taken from the window of rows
    they lie in: Arrow takes from a chunked column by joining its chunks first, and ``f.loc``
    joined each whole 1M-row column once per chunk of 100,000 rows (at 1M: 2.1 → 1.4 s wall,
    the same tables)."""
    at = f.index.get_indexer(labels)
    if (at < 0).any():
        raise KeyError("rows not in the frame")  # as f.loc would
    if not len(at):
        return _table(f.iloc[:0])
    lo, hi = int(at.min()), int(at.max()) + 1
    window = _table(f.iloc[lo:hi])
    return window.take(pa.array(at - lo))


def start_method() -> str:
    """``forkserver`` where the platform has it (small, clean workers), else ``spawn``."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


def default_method(settings: Settings, use_bulk: bool = True) -> str:
    """``thread`` when the bulk renderer takes the template, else :func:`start_method`."""
    bulk = use_bulk and tools(settings.template_dir)[1] is not None
    return "thread" if bulk else start_method()


Outcome = Done | tuple[int, Problem]


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
    rows: pd.Index | None = None,
) -> list[PayloadFile]:
    """Write ``out_dir/zasilInicjalnie_NNNN.xml`` files; return what was written.

    ``f`` needs only :data:`RENDER_COLUMNS`. Batches are rendered and checked in parallel
    (``workers`` of them, default: the CPU count, at most 4 — one for small runs, rendered in
    the caller's thread — as ``method``: ``thread`` or a process start method, default
    :func:`default_method`), each into a temporary 0600 file; only when
    every batch has passed the XSD are they renamed to their final names, so a failing run
    leaves no partial payload. ``use_bulk=False`` forces plain Jinja (the reference the bulk
    renderer is tested against). ``run_id`` (the pipeline passes its run's) is part of every
    batch id: ``<MUŚ>-<as of YYYYMMDD>-<run id>-<NNNN>-<12 hex of the keys' SHA-256>``
    (without it the id has no run part and repeats when the same keys are rendered on the
    same day). ``rows``: the labels of ``f`` to render, in this order (default: all); they are
    taken from ``f`` a chunk at a time, so a wide frame is never copied for its selection.
    """
    total = len(f) if rows is None else len(rows)
    if not total:
        return []
    checker(settings.template_dir, settings.xsd)  # configuration errors surface here, once
    ctx = {
        "mus_id": settings.mus_id, "mus_oid": ids.oid["mus"], "npwz_oid": ids.oid["npwz"],
        "regon": settings.regon, "nip": settings.nip, "nfz_branch": settings.nfz_branch,
        "as_of": settings.as_of.isoformat(),
    }  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    count = (total + settings.batch_size - 1) // settings.batch_size
    if workers is None:  # a pool pays off only when there is real work to share
        workers = (os.cpu_count() or 1) if total >= SMALL_RUN else 1
    workers = min(workers, 4, count)
    method = method or default_method(settings, use_bulk)
    ipc = workers > 1 and method != "thread"
    jobs = _jobs(f, settings, ids, ctx, use_bulk, out_dir, run_id, rows, ipc)
    submitted: list[Path] = []  # pending files a job may have written
    written: list[PayloadFile] = []

    def keep(outcome: Outcome, labels: pd.Index) -> None:
        if not isinstance(outcome, Done):
            _raise(outcome[0], outcome[1], settings)
        final = out_dir / f"zasilInicjalnie_{outcome.number + 1:04d}.xml"
        written.append(PayloadFile(final, len(labels), outcome.sha256, list(labels), outcome.keys))
        if callable(progress):
            progress(len(labels))

    try:
        if workers > 1:
            pool: Executor
            if method == "thread":
                pool = ThreadPoolExecutor(workers, thread_name_prefix="render")
            else:
                context = mp.get_context(method)
                if context.get_start_method() == "forkserver":  # workers fork with these loaded
                    context.set_forkserver_preload(["cer_loader.render.workers"])
                pool = ProcessPoolExecutor(workers, mp_context=context, initializer=lean)
            with pool:
                try:
                    queue: deque[tuple[Future[Outcome], pd.Index]] = deque()
                    for job, labels in jobs:
                        submitted.append(job.out)
                        queue.append((pool.submit(run_job, job), labels))
                        if len(queue) > 2 * workers:  # bounded: batches in flight, not all
                            future, done_labels = queue.popleft()
                            keep(future.result(), done_labels)
                    while queue:
                        future, done_labels = queue.popleft()
                        keep(future.result(), done_labels)
                except BaseException:
                    pool.shutdown(cancel_futures=True)
                    raise
        else:
            for job, labels in jobs:
                submitted.append(job.out)
                keep(run_job(job), labels)
    except BaseException:
        for tmp in submitted:
            tmp.unlink(missing_ok=True)
        raise
    for p in written:
        os.replace(_pending(p.path), p.path)
    return written
