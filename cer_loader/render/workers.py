"""The unit of work of a render worker: one batch, from its raw columns to a checked 0600 file.

A :class:`Job` carries everything it needs and nothing more: the paths of the template and the
XSD, the context, and the batch's own slice of the frame's :data:`RENDER_COLUMNS` as one Arrow
IPC stream (a few hundred kB for 5,000 records; no pickled objects, no copy of the frame). The
worker turns the columns into payload values (``columns.payload_table``: keys, dates, offsets),
renders (``batch``), checks against the XSD (``check``) and writes the bytes into the batch's
pending file (0600, atomic); only a digest comes back. Problems come back as data (exceptions
do not pickle well). This module and what it imports stay clear of pandas, and
:func:`lean` keeps pyarrow from importing it in a worker, so the worker processes are small.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pyarrow as pa

from cer_loader.files import write_private
from cer_loader.render.batch import Problem, render_bytes
from cer_loader.render.check import check, checker
from cer_loader.render.columns import payload_table


@dataclass(frozen=True)
class Job:
    number: int  # 0-based
    count: int  # batches in the run
    template_dir: Path
    xsd: Path
    ctx: dict[str, Any]
    id_prefix: str  # the batch id before its number: "{MUŚ}-{yyyymmdd}-" (+ "{run id}-")
    ids: tuple[str, dict[str, str]]  # PESEL OID, document type -> OID root
    columns: bytes | pa.Table  # this batch's RENDER_COLUMNS: an Arrow IPC stream (for a worker
    # process) or the table slice (for a thread of the process that made it)
    out: Path  # the pending file to write
    use_bulk: bool = True


@dataclass(frozen=True)
class Done:
    number: int
    sha256: str  # of the bytes written
    keys: pa.Array | None = None  # the records' idempotency keys, as written (the journal's)


class _WithoutPandas(importlib.abc.MetaPathFinder):
    """Answers every import of pandas with ImportError (as if it were not installed)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(f"{name}: not imported in a render worker (workers.lean)")
        return None


def lean() -> None:
    """A worker's start: keep pandas out of it (about 40 MB). pyarrow imports pandas, when it
    is installed, on its first ``pa.array`` or ``pa.scalar``; nothing a render job does needs
    it, and with pandas looking absent pyarrow does without. A process that already holds
    pandas (a ``fork``ed one) keeps it."""
    if "pandas" not in sys.modules and not any(
        isinstance(f, _WithoutPandas) for f in sys.meta_path
    ):
        sys.meta_path.insert(0, _WithoutPandas())


def to_ipc(table: pa.Table) -> bytes:
    """A table (a slice: only its own rows are written) as an Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def batch_values(job: Job) -> tuple[pa.Table, dict[str, Any]]:
    """The batch's payload columns and its ``batch`` variable (id, number, count)."""
    given = job.columns if isinstance(job.columns, pa.Table) else from_ipc(job.columns)
    table = payload_table(given, job.ctx["mus_id"], *job.ids)
    keys = "\n".join(table.column("key").to_pylist())
    digest = hashlib.sha256(keys.encode("ascii")).hexdigest()[:12]
    batch = {"id": f"{job.id_prefix}{job.number + 1:04d}-{digest}", "number": job.number + 1,
             "count": job.count}  # fmt: skip
    return table, batch


def run_job(job: Job) -> Done | tuple[int, Problem]:
    """Render, check and write one batch: its digest, or what went wrong (nothing written)."""
    table, batch = batch_values(job)
    try:
        data = render_bytes(job.template_dir, table, {"ctx": job.ctx, "batch": batch}, job.use_bulk)
    except jinja2.UndefinedError as exc:
        return job.number, ("undefined", str(exc.message))
    problem = check(checker(job.template_dir, job.xsd), data, table.column("key").combine_chunks())
    if problem is not None:
        return job.number, problem
    write_private(job.out, data)
    return Done(job.number, hashlib.sha256(data).hexdigest(), table.column("key").combine_chunks())
