"""HL7 v2 dump (SIU / SRM) → ``SourceTable``: one row per appointment CeR must receive.

Pipeline, each step in its own module::

    bytes ─ framing (BOM, MLLP, FHS/BHS/BTS/FTS, split at MSH on raw bytes)
          ─ charset (MSH-18 per message, aliases, CP1250 / ISO-8859-2 trap)
          ─ tokens  (segments on CR | LF | CRLF, delimiters from MSH-1/2, paths; escapes)
          ─ events  (header only: dedupe by MSH-10, fold S12–S17/S26 and SRM per appointment;
                    ``folding`` runs it over the dump, one message at a time)
          ─ fields  (default map with fallbacks + ``field_paths``, provenance; timing, patient),
                    run only for the messages that make up a loaded appointment

The common message, a single SIU S12 booking whose ids no other message uses, is read for the
whole dump at once, 64k messages a chunk (``bulk``: charset from the bytes in ``bulk_bytes``,
segments and fields cut on the bytes with numpy in ``bulk_tokens``, the field map on Arrow
columns in ``bulk_fields``) and skipped by the per-message fold; the rows are joined in fold
order (``bulk_join``), and the result is the same as with every message read one by one
(``fast=False``, tested). The raw messages are freed once every one is decoded or taken, before
the rows are built (at 1M messages they are the size of the file).

Accounting: ``total_records`` = messages; every message that does not end as a loaded row
(duplicate, folded-in update, not loaded, not scheduling, unparseable) is a skipped row, so
``total_records == skipped_rows + len(frame)``. ``details["msh_segments"]`` is an independent
line count of MSH segments; a difference raises ``CensusMismatchError``.
"""

from __future__ import annotations

import gc
import hashlib
from collections import Counter
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cer_loader.errors import CensusMismatchError, ConfigError, InputError
from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.hl7v2.bulk import Taken, take
from cer_loader.ingest.hl7v2.bulk_join import collides, merge
from cer_loader.ingest.hl7v2.charset import codec_for
from cer_loader.ingest.hl7v2.events import NOT_LOADED_COLUMNS, Fold
from cer_loader.ingest.hl7v2.field_map import FieldPlan, compile_paths
from cer_loader.ingest.hl7v2.folding import FOLD_SHARE, fold_messages
from cer_loader.ingest.hl7v2.framing import count_msh, deframe, split_dump
from cer_loader.ingest.hl7v2.rows import HL7_SOURCES, processes, rows
from cer_loader.ingest.options import Limits
from cer_loader.ingest.progress import FileProgress
from cer_loader.ingest.table import (
    SOURCE_REF,
    TEXT,
    SourceTable,
    add_provenance,
    read_input_bytes,
)
from cer_loader.outcomes import HL7_OUT_OF_ORDER, Notice

__all__ = ["read_hl7", "HL7_SOURCES"]


def read_hl7(
    path: Path,
    *,
    field_paths: dict[str, str] | None = None,
    charset: str | None = None,
    default_charset: str = "utf-8",
    updates_book: bool = False,
    limits: Limits | None = None,
    oids: Mapping[str, str] | None = None,
    progress: FileProgress | None = None,
    fast: bool = True,
    workers: int | None = None,
) -> SourceTable:
    """Read an HL7 v2 dump into a canonical ``SourceTable`` of kind ``"hl7"`` (see module doc).

    ``updates_book``: an SIU update (S13, S14, ...) for an id no S12 booked in the dump is an
    upsert that books it, for dumps that start mid-stream (HL7.md §5 step 9); by default such
    updates are listed as ``update-without-booking``. ``oids``: the ``[oid]`` table of
    identifiers.toml (``pesel``, ``npwz``, ...); the shipped file's when not given.
    ``limits``: the file size (exit 2 beyond it) and ``max_message_bytes`` (a larger message is
    listed as ``too-large``, not read). ``progress``: told the messages every ``EVERY`` of them,
    the fold counting for :data:`FOLD_SHARE` of the work and the field extraction for the rest.
    ``fast=False`` reads every message through the general path (``Message``), the oracle the
    fast path (``fast``) is tested against; the result is the same either way. ``workers``: 1
    reads in this process only, 2 shares the field extraction with a forked process; by default
    2 from ``rows.PARALLEL_FROM`` appointments on two or more cores (``rows``); the column path
    (``bulk``) reads the later half of its chunks in a forked process by the same rule.
    """
    path = Path(path)
    limits = limits or Limits()
    ids = _default_oids() if oids is None else oids
    plan = FieldPlan(_custom(field_paths), ids.get("pesel", ""), ids.get("npwz", ""))
    for label in (charset, default_charset):
        if label and codec_for(label)[0] is None:
            raise ConfigError(
                f"nieznane kodowanie znaków: {label}", f"unknown character set: {label}"
            )
    data = read_input_bytes(path, limits.max_file_bytes)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            "plik HL7 w UTF-16 nie jest obsługiwany; zapisz go jako UTF-8",
            "UTF-16 HL7 files are not supported; save the file as UTF-8",
            path=path,
        )
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    body = deframe(data)
    census = count_msh(body)
    dump = split_dump(body)
    del data, body  # the messages hold what they need (ranges of the bytes, or copies)
    n = len(dump.messages)
    fp = progress or FileProgress(None)
    fp.expect(len(dump.messages))
    if census != len(dump.messages):
        raise CensusMismatchError(
            f"liczba segmentów MSH ({census}) różni się od liczby odczytanych wiadomości ({len(dump.messages)})",
            f"MSH segment count ({census}) differs from messages read ({len(dump.messages)})",
            path=path,
        )
    if not dump.messages and not dump.envelope:
        raise InputError(
            "w pliku nie ma żadnej wiadomości HL7 (segmentu MSH)",
            "the file holds no HL7 message (no MSH segment)",
            path=path,
        )
    collecting = gc.isenabled()
    gc.disable()  # the fold allocates millions of small acyclic objects: ~15% faster without GC
    try:
        args = (dump.messages, charset, default_charset, updates_book, limits.max_message_bytes)
        taken = (
            take(
                dump.messages,
                charset,
                default_charset,
                limits.max_message_bytes,
                plan,
                processes(workers, len(dump.messages)),
            )
            if fast
            else None
        )
        if taken is not None and len(taken.index):
            fold, stats, warnings = fold_messages(*args, fp, fast, taken)
            if collides(taken, fold, stats):
                taken = None
        else:
            taken = None
        if taken is None:
            fold, stats, warnings = fold_messages(*args, fp, fast)
        # every message is decoded or taken by now: the raw bytes (the size of the file) are
        # freed before the rows are built
        del args
        dump.messages = []
        frame, nums, refs, not_loaded = _frames(fold, plan, fp, fast, workers, taken)
        appointments, out_of_order = len(fold.appointments), fold.out_of_order
        appointments += len(taken.index) if taken is not None else 0
        # the fold (an event and an appointment per message) is acyclic: freed here by reference
        # counting, so the first collection after re-enabling the GC does not have to walk it
        del fold
    finally:
        if collecting:
            gc.enable()
    frame = add_provenance(frame, path, nums)
    frame[SOURCE_REF] = refs
    reasons = Counter(not_loaded["reason"])
    if out_of_order:
        warnings.append(Notice(HL7_OUT_OF_ORDER, {"count": out_of_order}))
    return SourceTable(
        path=path,
        kind="hl7",
        frame=frame,
        headers=[*FIELD_NAMES, HL7_SOURCES],
        header_row=0,
        header_records=0,
        blank_rows=0,
        skipped_rows=n - len(frame),
        total_records=n,
        sha256=digest,
        size=size,
        canonical=True,
        details={
            "messages": n,
            "duplicates": stats["duplicates"],
            "reused_control_ids": stats["reused_ids"],
            "appointments": appointments,
            "not_loaded": dict(sorted(reasons.items())),
            "msh_segments": census,
            "charsets": dict(stats["charsets"]),
            "batches": dump.batches,
            "out_of_order": out_of_order,
        },
        not_loaded=not_loaded,
        warnings=dump.warnings + warnings,
    )


@cache
def _default_oids() -> dict[str, str]:
    """The ``[oid]`` table of the shipped identifiers.toml (callers outside a run)."""
    from cer_loader.catalogues.identifiers import load_identifiers
    from cer_loader.resources import data_dir

    return dict(load_identifiers(data_dir("schemas") / "identifiers.toml").oid)


def _custom(field_paths: dict[str, str] | None) -> dict:
    unknown = [k for k in (field_paths or {}) if k not in FIELD_NAMES]
    if unknown:
        raise ConfigError(
            f"[hl7]: nieznane pole CeR '{unknown[0]}'", f"[hl7]: unknown CeR field '{unknown[0]}'"
        )
    try:
        return compile_paths(field_paths)
    except ValueError as exc:
        raise ConfigError(
            f"[hl7]: zła ścieżka HL7 {exc} (oczekiwano np. PID-3[2].1 albo ZSK-1)",
            f"[hl7]: bad HL7 path {exc} (expected e.g. PID-3[2].1 or ZSK-1)",
        ) from None


def _frames(
    fold: Fold,
    plan: FieldPlan,
    fp: FileProgress | None = None,
    fast: bool = True,
    workers: int | None = None,
    taken: Taken | None = None,
) -> tuple[pd.DataFrame, Any, Any, pd.DataFrame]:
    """The loaded rows as Arrow-backed text columns (``TEXT``, what the CSV reader gives; the
    few distinct ``HL7_SOURCES`` texts as shared Python strings), their message numbers and
    source references, and the not-loaded list."""
    at = fp.at if fp is not None and fp.tell is not None else None
    base = fp.expected * FOLD_SHARE if fp is not None else 0.0
    step = (fp.expected - base) / max(len(fold.appointments), 1) if fp is not None else 0.0
    first = {appt.last.index: appt.first for appt in fold.appointments if appt.last}
    cols, nums, refs, gone = rows(fold.appointments, plan, fast, workers, at, base, step)
    got: tuple[dict[str, Any], Any, Any] = (cols, nums, refs)
    if taken is not None:
        got = merge(cols, nums, refs, [first[k] for k in nums], taken)
        gone += taken.gone
    for ev in fold.others:
        why = ev.reason or ("not-scheduling" if ev.kind == "other" else "unparseable")
        gone.append(("", why, ev.index, ev.control_id, ev.event))
    not_loaded = pd.DataFrame(gone, columns=NOT_LOADED_COLUMNS).astype({"message_index": "int64"})
    not_loaded = not_loaded.sort_values("message_index", kind="stable").reset_index(drop=True)
    frame = pd.DataFrame(
        {
            name: pd.Series(np.asarray(v, object), dtype=object)
            if name == HL7_SOURCES
            else pd.array(v, dtype=TEXT)
            for name, v in got[0].items()
        }
    )
    return frame, got[1], pd.array(got[2], dtype=TEXT), not_loaded
