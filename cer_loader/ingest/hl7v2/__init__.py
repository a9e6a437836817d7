"""HL7 v2 dump (SIU / SRM) → ``SourceTable``: one row per appointment CeR must receive.

Pipeline, each step in its own module::

    bytes ─ framing (BOM, MLLP, FHS/BHS/BTS/FTS, split at MSH on raw bytes)
          ─ charset (MSH-18 per message, aliases, CP1250 / ISO-8859-2 trap)
          ─ tokens  (segments on CR | LF | CRLF, delimiters from MSH-1/2, paths; escapes)
          ─ events  (header only: dedupe by MSH-10, fold S12–S17/S26 and SRM per appointment)
          ─ fields  (default map with fallbacks + ``field_paths``, provenance; timing, patient),
                    run only for the messages that make up a loaded appointment

Accounting: ``total_records`` = messages; every message that does not end as a loaded row
(duplicate, folded-in update, not loaded, not scheduling, unparseable) is a skipped row, so
``total_records == skipped_rows + len(frame)``. ``details["msh_segments"]`` is an independent
line count of MSH segments; a difference raises ``CensusMismatchError``.
"""

from __future__ import annotations

import gc
import hashlib
from collections import Counter
from pathlib import Path

import pandas as pd

from cer_loader.errors import CensusMismatchError, ConfigError, InputError
from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.hl7v2.charset import codec_for, decode, msh18
from cer_loader.ingest.hl7v2.events import NOT_LOADED_COLUMNS, Fold, final_fields, header, reason
from cer_loader.ingest.hl7v2.field_map import compile_paths
from cer_loader.ingest.hl7v2.framing import count_msh, deframe, split_dump
from cer_loader.ingest.hl7v2.tokens import Message
from cer_loader.ingest.table import SOURCE_REF, SourceTable, add_provenance, read_input_bytes
from cer_loader.outcomes import reader_note

__all__ = ["read_hl7", "HL7_SOURCES"]

HL7_SOURCES = "_hl7_sources"  # "start=TQ1-7;patient_pesel=PID-3[2]": which path won per field


def read_hl7(
    path: Path,
    *,
    field_paths: dict[str, str] | None = None,
    charset: str | None = None,
    default_charset: str = "utf-8",
    updates_book: bool = False,
) -> SourceTable:
    """Read an HL7 v2 dump into a canonical ``SourceTable`` of kind ``"hl7"`` (see module doc).

    ``updates_book``: an SIU update (S13, S14, ...) for an id no S12 booked in the dump is an
    upsert that books it, for dumps that start mid-stream (HL7.md §5 step 9); by default such
    updates are listed as ``update-without-booking``.
    """
    path = Path(path)
    custom = _custom(field_paths)
    for label in (charset, default_charset):
        if label and codec_for(label)[0] is None:
            raise ConfigError(
                f"nieznane kodowanie znaków: {label}", f"unknown character set: {label}"
            )
    data = read_input_bytes(path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            "plik HL7 w UTF-16 nie jest obsługiwany; zapisz go jako UTF-8",
            "UTF-16 HL7 files are not supported; save the file as UTF-8",
            path=path,
        )
    body = deframe(data)
    dump = split_dump(body)
    census = count_msh(body)
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
        fold, stats, warnings = _fold(dump.messages, charset, default_charset, updates_book)
        frame, rows, refs, not_loaded = _frames(fold, custom)
        appointments, out_of_order = len(fold.appointments), fold.out_of_order
        # the fold (an event and an appointment per message) is acyclic: freed here by reference
        # counting, so the first collection after re-enabling the GC does not have to walk it
        del fold
    finally:
        if collecting:
            gc.enable()
    frame = add_provenance(frame, path, rows)
    frame[SOURCE_REF] = refs
    reasons = Counter(not_loaded["reason"])
    if out_of_order:
        warnings.append(
            f"{out_of_order} wiadomości ma MSH-7 wcześniejszy niż poprzednia dla tej samej wizyty; "
            f"decyduje kolejność w pliku (EN: {out_of_order} messages are dated (MSH-7) before the "
            "previous one for the same appointment; file order decides)"
        )
    n = len(dump.messages)
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
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        canonical=True,
        details={
            "messages": n,
            "duplicates": stats["duplicates"],
            "appointments": appointments,
            "not_loaded": dict(sorted(reasons.items())),
            "msh_segments": census,
            "charsets": dict(stats["charsets"]),
            "batches": dump.batches,
            "out_of_order": out_of_order,
        },
        not_loaded=not_loaded,
        warnings=[reader_note(w) for w in dump.warnings + warnings],
    )


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


def _fold(
    messages: list[bytes], charset: str | None, default: str, updates_book: bool = False
) -> tuple[Fold, dict, list[str]]:
    fold = Fold(updates_book=updates_book)
    seen: dict[tuple[str, str], int] = {}
    charsets: Counter[str] = Counter()
    notes: dict[str, list[int]] = {}
    changed: list[str] = []
    duplicates = 0
    for index, raw in enumerate(messages, 1):
        dec = decode(raw, msh18(raw), charset, default)
        charsets[dec.codec] += 1
        if dec.note:
            notes.setdefault(dec.note, [0, index])[0] += 1
        msg = Message(dec.text, dec.codec)
        ev = header(msg, index)
        if ev.control_id:
            key = (ev.sender, ev.control_id)
            digest = hash(tuple(msg.segments[1:]))
            if key in seen:
                duplicates += 1
                if seen[key] != digest:
                    changed.append(str(index))
                continue
            seen[key] = digest  # type: ignore[index]
        if ev.kind in ("siu", "srm"):
            # fields are extracted later, only for appointments that get loaded; keeping the text
            # (not the split message) is cheaper than holding every split segment until then
            ev.text, ev.codec = dec.text, dec.codec
        fold.apply(ev)
    warnings = [_charset_warning(note, count, first) for note, (count, first) in notes.items()]
    if changed:
        warnings.append(
            f"{len(changed)} wiadomości powtarza MSH-10 wcześniejszej, ale z inną treścią; pominięto je "
            f"(np. nr {', '.join(changed[:5])}) (EN: {len(changed)} messages repeat an earlier MSH-10 with "
            f"different content and were skipped, e.g. #{', #'.join(changed[:5])})"
        )
    return fold, {"duplicates": duplicates, "charsets": charsets}, warnings


def _charset_warning(note: str, count: int, first: int) -> str:
    kind, _, what = note.partition(":") if not note.count("->") else ("switch", "", note)
    if kind == "switch":
        declared, used = what.split("->")
        return (
            f"{count} wiadomości (pierwsza nr {first}): deklarowane kodowanie {declared} nie pasuje do treści, "
            f"odczytano jako {used} (EN: {count} messages, first #{first}: declared charset {declared} does not "
            f"fit the bytes, read as {used})"
        )
    if kind == "unknown-charset":
        return (
            f"{count} wiadomości (pierwsza nr {first}): nieznane kodowanie MSH-18 „{what}”, użyto domyślnego "
            f"(EN: {count} messages, first #{first}: unknown MSH-18 charset '{what}', default used)"
        )
    return (
        f"{count} wiadomości (pierwsza nr {first}): bajty niepoprawne w {what}, zastąpione znakiem � "
        f"(EN: {count} messages, first #{first}: bytes invalid in {what} replaced with �)"
    )


def _frames(fold: Fold, custom: dict) -> tuple[pd.DataFrame, list[int], list[str], pd.DataFrame]:
    cols: dict[str, list[str]] = {name: [] for name in [*FIELD_NAMES, HL7_SOURCES]}
    appends = [(name, cols[name].append) for name in FIELD_NAMES]
    rows: list[int] = []
    refs: list[str] = []
    gone: list[tuple[str, str, int, str, str]] = []
    for appt in fold.appointments:
        last = appt.last
        assert last is not None
        why = reason(appt)
        if why:
            appt.release()
            gone.append((appt.appointment_id, why, last.index, last.control_id, last.event))
            continue
        fields = final_fields(appt, custom)
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
        rows.append(last.index)
        ref = [f"MSH-10 {last.control_id}"] if last.control_id else []
        refs.append(
            " / ".join(
                ref + ([f"{appt.id_source} {appt.appointment_id}"] if appt.id_source else [])
            )
        )
    for ev in fold.others:
        gone.append(
            (
                "",
                "not-scheduling" if ev.kind == "other" else "unparseable",
                ev.index,
                ev.control_id,
                ev.event,
            )
        )
    not_loaded = pd.DataFrame(gone, columns=NOT_LOADED_COLUMNS).astype({"message_index": "int64"})
    not_loaded = not_loaded.sort_values("message_index", kind="stable").reset_index(drop=True)
    return pd.DataFrame(cols, dtype="object"), rows, refs, not_loaded
