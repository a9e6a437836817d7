"""The per-message fold of an HL7 dump: every message decoded, its header read, folded.

``fold_messages`` decodes each message (``charset``), reads its header (``fast_header`` in the
fast domain, else ``Message`` + ``events.header``), drops true replays (same sender, control id
and content), notes reused control ids, charset switches and bytes no charset reads, lists
messages it cannot take (too large, unknown charset, unparseable) and folds the rest into
appointments (``events.Fold``). Messages the column path took (``bulk.Taken``) are skipped here,
their charsets and notes counted in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from cer_loader.ingest.hl7v2.bulk import Taken
from cer_loader.ingest.hl7v2.charset import Refused, decode, msh18, printable
from cer_loader.ingest.hl7v2.events import Event, Fold, header
from cer_loader.ingest.hl7v2.fast import fast_header
from cer_loader.ingest.hl7v2.fast_tokens import plain_header
from cer_loader.ingest.hl7v2.tokens import Message
from cer_loader.ingest.options import Limits
from cer_loader.ingest.progress import EVERY, FileProgress
from cer_loader.outcomes import (
    HL7_CHARSET_REFUSED,
    HL7_CHARSET_SWITCH,
    HL7_CONTROL_ID_REUSED,
    HL7_INVALID_BYTES,
    HL7_TOO_LARGE,
    HL7_UNREADABLE,
    Notice,
    Outcome,
)

__all__ = ["FOLD_SHARE", "fold_messages"]

FOLD_SHARE = 0.3  # of the reading time (measured: the field extraction of loaded ones is the rest)


def fold_messages(
    messages: Sequence[bytes],
    charset: str | None,
    default: str,
    updates_book: bool = False,
    max_message_bytes: int = Limits.max_message_bytes,
    fp: FileProgress | None = None,
    fast: bool = True,
    taken: Taken | None = None,
) -> tuple[Fold, dict, list[Notice]]:
    """Decode and fold every message; one bad message is listed, never sinks the dump.

    ``taken``: messages the column path read (``bulk``), skipped here; their charsets and
    notes are counted in with the others'."""
    fold = Fold(updates_book=updates_book)
    seen: set[tuple[str, str, int]] = set()  # (sender, control id, content): true replays
    ids: set[tuple[str, str]] = set()  # (sender, control id) seen so far
    charsets: Counter[str] = Counter()
    first_codec: dict[str, int] = {}
    notes: dict[tuple[Outcome, tuple[tuple[str, Any], ...]], list[int]] = {}
    reused: list[str] = []
    duplicates = 0

    def note(outcome: Outcome, index: int, **values: Any) -> None:
        got = notes.setdefault((outcome, tuple(values.items())), [0, index])
        got[0] += 1
        got[1] = min(got[1], index)

    skip = [False] * len(messages)
    if taken is not None:
        for index, codec, why in zip(taken.index.tolist(), taken.codec, taken.note, strict=True):
            skip[index - 1] = True
            charsets[codec] += 1
            first_codec.setdefault(codec, index)
            if why:
                declared, used = why.split("->")
                note(HL7_CHARSET_SWITCH, index, declared=declared, used=used)
    at = fp.at if fp is not None and fp.tell is not None else None
    for index in range(1, len(messages) + 1):
        if at is not None and not index % EVERY:
            at(int(index * FOLD_SHARE))
        if skip[index - 1]:
            continue
        raw = messages[index - 1]
        if len(raw) > max_message_bytes:
            fold.others.append(_refused(raw, index, "too-large"))
            note(HL7_TOO_LARGE, index, limit=max_message_bytes)
            continue
        dec = decode(raw, msh18(raw), charset, default)
        if isinstance(dec, Refused):
            fold.others.append(_refused(raw, index, "charset-unknown"))
            note(HL7_CHARSET_REFUSED, index, label=dec.label)
            continue
        try:
            quick = plain_header(dec.text) if fast else None
            if quick is not None:
                ev = fast_header(quick[0], index)
                digest = hash(tuple(quick[1][1:])) if ev.control_id else 0
            else:
                msg = Message(dec.text, dec.codec)
                ev = header(msg, index)
                digest = hash(tuple(msg.segments[1:])) if ev.control_id else 0
        except Exception as exc:  # noqa: BLE001 - a message the parser cannot take: listed
            fold.others.append(_refused(raw, index, "unparseable"))
            note(HL7_UNREADABLE, index, error=type(exc).__name__)
            continue
        charsets[dec.codec] += 1
        if dec.codec not in first_codec or first_codec[dec.codec] > index:
            first_codec[dec.codec] = index
        if dec.note:
            kind, _, what = dec.note.partition(":")
            if kind == "invalid-bytes":
                note(HL7_INVALID_BYTES, index, codec=what)
            else:
                declared, used = dec.note.split("->")
                note(HL7_CHARSET_SWITCH, index, declared=declared, used=used)
        if ev.control_id:
            key = (ev.sender, ev.control_id)
            if (*key, digest) in seen:
                duplicates += 1  # a true replay: the same id and the same content
                continue
            if key in ids:
                reused.append(str(index))  # a different message reusing the id: processed
            seen.add((*key, digest))
            ids.add(key)
        if ev.kind in ("siu", "srm"):
            # fields are extracted later, only for appointments that get loaded; keeping the text
            # (not the split message) is cheaper than holding every split segment until then
            ev.text, ev.codec = dec.text, dec.codec
        fold.apply(ev)
    warnings = [
        Notice(outcome, {**dict(values), "count": count, "first": first})
        for (outcome, values), (count, first) in sorted(notes.items(), key=lambda kv: kv[1][1])
    ]
    charsets = Counter({c: charsets[c] for c in sorted(charsets, key=first_codec.__getitem__)})
    if reused:
        warnings.append(
            Notice(
                HL7_CONTROL_ID_REUSED, {"count": len(reused), "examples": ", #".join(reused[:5])}
            )
        )
    stats = {"duplicates": duplicates, "charsets": charsets, "reused_ids": len(reused), "ids": ids}
    return fold, stats, warnings


def _refused(raw: bytes, index: int, why: str) -> Event:
    """A message that is not decoded: listed with MSH-10 / MSH-9 read from its raw header."""
    line = raw[: min(len(raw), 1024)].split(b"\r", 1)[0].split(b"\n", 1)[0]
    fields = line.split(line[3:4]) if len(line) > 3 else []
    control = printable(fields[9].decode("latin-1").strip()) if len(fields) > 9 else ""
    event = printable(fields[8].decode("latin-1").strip()) if len(fields) > 8 else ""
    return Event(index, control[:40], event[:40], "refused", reason=why)
