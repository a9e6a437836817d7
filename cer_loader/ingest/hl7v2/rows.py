"""Loaded appointments → the reader's columns, one row per appointment in fold order.

Each appointment's kept messages go through the field map and are merged
(``events.final_fields``); an appointment that is not loaded, or whose messages the field map
cannot take, is listed instead (``gone``). This is most of the reading time, and each
appointment is independent of the others, so for a large dump (``PARALLEL_FROM``), when a
second core is free, the second half of the appointments is read in a forked process while this
one reads the first half; the halves are joined in order, so the result is the same whatever the
number of processes. Should the process fail to start or die, its half is read here; Ctrl-C
ends it at once (``forked``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Iterator
from typing import Any

from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.hl7v2.events import Appointment, final_fields, general, reason
from cer_loader.ingest.hl7v2.fast import fields_of
from cer_loader.ingest.hl7v2.field_map import FieldPlan
from cer_loader.ingest.hl7v2.forked import Forked
from cer_loader.ingest.progress import EVERY

__all__ = ["HL7_SOURCES", "PARALLEL_FROM", "Rows", "rows"]

HL7_SOURCES = "_hl7_sources"  # "start=TQ1-7;patient_pesel=PID-3[2]": which path won per field
PARALLEL_FROM = (
    20_000  # appointments: below, one process (a fork and the result's transfer cost more)
)
Gone = tuple[str, str, int, str, str]  # NOT_LOADED_COLUMNS
Rows = tuple[dict[str, list[str]], list[int], list[str], list[Gone]]


def processes(workers: int | None, n: int) -> int:
    """Processes for ``n`` appointments: ``workers`` if given, else 2 from ``PARALLEL_FROM``
    appointments when a core is free (``free_core``: on a busy machine a second process only
    waits, measured); 1 where processes cannot be forked."""
    if "fork" not in mp.get_all_start_methods() or n < 2:
        return 1
    if workers is not None:
        return max(1, min(workers, 2))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 if (cores or 1) >= 2 and n >= PARALLEL_FROM and free_core(cores or 1) else 1


def free_core(cores: int, looks: int = 3, source: str = "/proc/loadavg") -> bool:
    """A core is free now: fewer tasks than ``cores`` runnable, this one among them (the run
    queue of ``/proc/loadavg``, the least of a few looks 5 ms apart: one look may catch a
    passing task). Without it, the 1-minute load average below the cores less one; that one
    lags a minute behind (right after a busy minute it still says busy)."""
    try:
        for k in range(looks):
            if k:
                time.sleep(0.005)
            with open(source, encoding="ascii") as fh:
                if int(fh.read().split()[3].split("/")[0]) < cores:
                    return True
        return False
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0] < cores - 1 if hasattr(os, "getloadavg") else False


def rows(
    appts: list[Appointment],
    plan: FieldPlan,
    fast: bool = True,
    workers: int | None = None,
    at: Any = None,
    base: float = 0.0,
    step: float = 0.0,
) -> Rows:
    """Columns, message numbers, source references and not-loaded entries of ``appts``;
    ``at(done)`` told every ``EVERY`` appointments as ``base + k * step``."""
    n = len(appts)
    if processes(workers, n) < 2:
        return _rows(appts, plan, fast, at, base, step)
    cut = (n + 1) // 2
    with Forked(_later, (appts, cut, plan, fast), 1) as child:
        first = _rows(appts[:cut], plan, fast, at, base, 2 * step)  # both halves advance
        sent = child.results()[0]
    # the child failed or died: its half is read here
    second = sent if sent is not None else _rows(appts[cut:], plan, fast)
    for appt in appts[cut:]:
        appt.release()
    cols, nums, refs, gone = first
    for name, values in second[0].items():
        cols[name] += values
    return cols, nums + second[1], refs + second[2], gone + second[3]


def _later(appts: list[Appointment], cut: int, plan: FieldPlan, fast: bool) -> Iterator[Rows]:
    """The forked process's work: the rows of the appointments from ``cut`` on."""
    yield _rows(appts[cut:], plan, fast)


def _rows(
    appts: list[Appointment],
    plan: FieldPlan,
    fast: bool,
    at: Any = None,
    base: float = 0.0,
    step: float = 0.0,
) -> Rows:
    cols: dict[str, list[str]] = {name: [] for name in [*FIELD_NAMES, HL7_SOURCES]}
    appends = [(name, cols[name].append) for name in FIELD_NAMES]
    nums: list[int] = []
    refs: list[str] = []
    gone: list[Gone] = []
    read = fields_of if fast else general
    for k, appt in enumerate(appts, 1):
        if at is not None and not k % EVERY:
            at(int(base + k * step))
        last = appt.last
        assert last is not None
        why = reason(appt)
        if why:
            appt.release()
            gone.append((appt.appointment_id, why, last.index, last.control_id, last.event))
            continue
        try:
            fields = final_fields(appt, plan, read)
        except Exception:  # noqa: BLE001 - a message the field map cannot take: listed
            appt.release()
            gone.append(
                (appt.appointment_id, "unparseable", last.index, last.control_id, last.event)
            )
            continue
        appt.release()
        fields["appointment_id"] = (appt.appointment_id, appt.id_source, last.index)
        sources = []
        for name, append in appends:
            got = fields.get(name)
            if got is None:
                append("")
                continue
            value, source, index = got
            append(value)
            if source:
                sources.append(
                    f"{name}={source}@{index}" if index != last.index else f"{name}={source}"
                )
        cols[HL7_SOURCES].append(";".join(sources))
        nums.append(last.index)
        ref = [f"MSH-10 {last.control_id}"] if last.control_id else []
        refs.append(
            " / ".join(
                ref + ([f"{appt.id_source} {appt.appointment_id}"] if appt.id_source else [])
            )
        )
    return cols, nums, refs, gone
