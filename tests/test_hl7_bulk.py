"""The HL7 reader's column path (``hl7v2.bulk``) against the per-message general path.

Generated dumps are mostly single bookings (SIU S12 with their own ids: what the column path
takes), with field values that exercise its reading (components, sub-components,
repetitions, Polish letters in cp1250 / ISO-8859-2 / UTF-8, characters whose case or class
differs, escapes, nulls), mixed with the messy messages of ``test_hl7_fast`` (custom
delimiters, LF, repeated segments, non-SIU, duplicates) and with bookings that share a
control, filler or placer id with another message. ``read_hl7`` (column path on) must give
exactly the frame, not-loaded list, warnings and counts of ``read_hl7(fast=False)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_hl7_fast import ATOMS, NPWZ_OID, PATHS, PESEL_OID, message

from cer_loader.ingest.hl7v2 import bulk, read_hl7
from cer_loader.ingest.hl7v2.bulk import take
from cer_loader.ingest.hl7v2.bulk_bytes import _unsafe_bytes, read_chunk, real, unsafe
from cer_loader.ingest.hl7v2.charset import CP1250, LATIN2
from cer_loader.ingest.hl7v2.field_map import FieldPlan, compile_paths

SAFE = ["Łódź", "Żółć", "ąęśźćń", "ĄŚŹ", "Müller", "€…", "„x”"]
ODD = ["ß", "ı", "ſ", "\xa0x", "x\u2003", "²", "\tx"]  # class or case differs as text
BOOK_ATOMS = [*ATOMS, *SAFE, "20250115103000", "202501151030", "X1", "a&b&c", "NPWZ"]
CHARSETS = {"": "utf-8", "UNICODE UTF-8": "utf-8", "8859/2": "iso8859-2", "CP1250": "cp1250"}


def field_value(draw: st.DrawFn, flavour: int) -> str:
    """flavour 0: escapes, nulls and odd characters; 1: repetitions too; else plain values."""
    atoms = (
        BOOK_ATOMS + ODD if flavour == 0 else [a for a in BOOK_ATOMS if "\\" not in a and a != '""']
    )
    atom = st.sampled_from(atoms)
    comp = st.lists(atom, min_size=1, max_size=3).map("&".join)
    rep = st.lists(st.one_of(atom, atom, comp), min_size=1, max_size=13).map("^".join)
    one = st.one_of(st.just(""), atom, rep)
    if flavour > 1:
        return draw(one)
    return draw(st.one_of(one, st.lists(rep, min_size=2, max_size=3).map("~".join)))


@st.composite
def booking(draw: st.DrawFn, n: int, shared: str) -> tuple[str, str]:
    """(text, charset label) of an SIU S12 booking numbered ``n``; ``shared``: which of its ids
    another booking reuses ("" none)."""
    flavour = draw(st.integers(0, 7))
    charset = draw(st.sampled_from(list(CHARSETS)))
    control = "SHARED" if shared == "control" else f"C{n}"
    filler = "F0^NS" if shared == "filler" else f"F{n}^NS"
    placer = "P0" if shared == "placer" else draw(st.sampled_from(["", f"P{n}"]))
    msh = ["MSH", "^~\\&", "HIS", "FAC", "CER", "P1", "20250101120000", "",
           draw(st.sampled_from(["SIU^S12", "SIU^S12^SIU_S12", "siu^s12 "])), control,
           "P", "2.5", "", "", "", "", "", charset]  # fmt: skip
    segs = ["|".join(msh), "|".join(["SCH", placer, filler] + [field_value(draw, flavour)
            for _ in range(draw(st.integers(0, 12)))])]  # fmt: skip
    names = ["TQ1", "PID", "PV1", "AIS", "AIL", "AIP", "ZSK", "AIG", "NTE", "ARQ"]
    if flavour > 1:  # mostly what a booking holds: a start in TQ1-7, no NTE
        names = names[1:-2] + ["ZSK"]
        when = draw(st.sampled_from(["202501151030", "20250115103000", "20250115103000+0100"]))
        segs.append("TQ1|||||||" + when + draw(st.sampled_from(["", "|" + when])))
    for name in draw(st.lists(st.sampled_from(names), max_size=8, unique=flavour > 0)):
        size = 41 if name == "PID" else 14
        values = [field_value(draw, flavour) for _ in range(draw(st.integers(0, size)))]
        segs.append("|".join([name, *values]))
    return "\r".join(segs), charset


def encoded(text: str, charset: str, draw: st.DrawFn) -> bytes:
    codec = CHARSETS[charset]
    if codec != "utf-8" and draw(st.booleans()):
        codec = draw(st.sampled_from(["cp1250", "iso8859-2"]))  # the declared one or the other
    return text.encode(codec, errors="replace")


@st.composite
def bulk_dump(draw: st.DrawFn) -> bytes:
    out: list[bytes] = []
    for n in range(1, draw(st.integers(1, 12)) + 1):
        roll = draw(st.integers(0, 19))
        if roll == 0 and out:
            out.append(out[-1])  # a duplicate delivery
            continue
        if roll < 4:
            out.append(encoded(*draw(message()), draw) + b"\r")  # a messy one
            continue
        shared = "" if roll < 16 else ["control", "filler", "placer", ""][roll - 16]
        text, charset = draw(booking(n, shared))
        out.append(encoded(text, charset, draw) + b"\r")
    return b"".join(out)


def read_both(path: Path, **kw: object) -> None:
    fast = read_hl7(path, **kw)  # type: ignore[arg-type]
    slow = read_hl7(path, fast=False, **kw)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.not_loaded is not None and slow.not_loaded is not None
    pd.testing.assert_frame_equal(fast.not_loaded, slow.not_loaded)
    assert fast.warnings == slow.warnings
    assert fast.details == slow.details
    assert list(fast.details["charsets"]) == list(slow.details["charsets"])
    assert (fast.skipped_rows, fast.total_records) == (slow.skipped_rows, slow.total_records)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=bulk_dump(), paths=st.booleans(), override=st.sampled_from([None, None, "cp1250"]))
def test_column_read_is_the_general_read(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, paths: bool, override: str | None
) -> None:
    path = tmp_path_factory.mktemp("bulk") / "dump.hl7"
    path.write_bytes(data)
    oids = {"pesel": PESEL_OID, "npwz": NPWZ_OID}
    read_both(path, field_paths=PATHS if paths else None, oids=oids, charset=override)


PLAN = FieldPlan(compile_paths(PATHS), PESEL_OID, NPWZ_OID)
BASE = "MSH|^~\\&|HIS|FAC|CER|P1|20250101||SIU^S12|C{n}|P|2.5\rSCH||A{n}|||||||20|MIN\r"
BASE += "TQ1|||||||202501151030\rPID|1||44051401359^^^^NI||Kowalska^Żaneta\r"


def taken(*texts: str, codec: str = "utf-8") -> list[int]:
    got = take([t.encode(codec) for t in texts], None, "utf-8", 1 << 20, PLAN)
    return got.index.tolist()


def test_column_path_takes_single_bookings_only() -> None:
    plain = [BASE.format(n=n) for n in range(1, 4)]
    assert taken(*plain) == [1, 2, 3]
    assert taken(*plain, codec="iso8859-2") == [1, 2, 3]
    assert taken(plain[0], plain[0]) == []  # the same control id twice (a replay)
    assert taken(plain[0], plain[1].replace("C2", "C1")) == []  # reused control id
    assert taken(plain[0], plain[1].replace("A2", "A1")) == []  # one filler id, two messages
    assert taken(plain[0].replace("S12", "S13"), plain[1]) == [2]  # an update: the fold's
    assert taken(plain[0] + "AIS|1\rAIS|2", plain[1]) == [2]  # a repeated segment
    assert taken(plain[0] + "NTE|1||a\\T\\b", plain[1]) == [2]  # an escape
    assert taken(plain[0].replace("\r", "\n"), plain[1]) == [2]  # LF separators
    assert taken(plain[0] + 'ZSK|""', plain[1]) == [2]  # an explicit null


def test_columns_are_read_on_the_column_path(tmp_path: Path) -> None:
    """A realistic dump: every booking is read on whole columns, none per message."""
    msgs = []
    for n in range(1, 301):
        text = BASE.format(n=n) + "AIS|1||02.1100.001.02\rAIP|1||7391205^^^^^^^^NPWZ&"
        text += NPWZ_OID + "&ISO^^^^NPWZ\rZSK|pierwsza|pilny|123|20261124"
        msgs.append(text.encode("cp1250" if n % 2 else "iso8859-2"))
    chunk = read_chunk(msgs, None, "utf-8")
    assert chunk.ok.all() and chunk.exact.all()
    path = tmp_path / "dump.hl7"
    path.write_bytes(b"\r".join(msgs))
    assert len(take(msgs, None, "utf-8", 1 << 20, PLAN).index) == 300
    read_both(path, field_paths=PATHS, oids={"pesel": PESEL_OID, "npwz": NPWZ_OID})


def test_a_message_outside_the_domain_sharing_a_key_sends_all_per_message(tmp_path: Path) -> None:
    first = BASE.format(n=1).encode()
    other = BASE.format(n=2).replace("C2", "C1").translate(str.maketrans("|^~\\&", "#*@!%"))
    path = tmp_path / "dump.hl7"
    path.write_bytes(first + b"\r" + other.encode() + b"\r")
    read_both(path)
    assert read_hl7(path).details["reused_control_ids"] == 1


@pytest.mark.parametrize("codec", [CP1250, LATIN2])
def test_safe_bytes_read_alike_as_bytes_and_as_text(codec: str) -> None:
    """What the column path lets through: no white space, digit, or case mapping to ASCII."""
    table = _unsafe_bytes(codec)
    for b in np.flatnonzero(~table[128:]).tolist():
        b += 128
        ch = bytes([b]).decode(codec)
        assert not unsafe(ch) and not ch.isspace() and not ch.isdigit()
        assert real(ch.encode(codec).decode("latin-1"), codec) == ch
    assert table[0xA0] and table[0xDF]  # NBSP, ß


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=bulk_dump(), cut=st.integers(0, 8))
def test_a_chunk_of_ranges_reads_as_the_chunk_of_copies(data: bytes, cut: int) -> None:
    """``read_chunk`` on the dump's messages as ranges (``framing.Messages``: one gather of
    their bytes) and on the list of their copies gives the same chunk."""
    from cer_loader.ingest.hl7v2.framing import (
        Messages,
        _envelope_at_line_start,
        _messages_only,
        _split_all,
    )

    assume(not _envelope_at_line_start(data))
    got = _messages_only(data).messages
    assert isinstance(got, Messages)
    ranges, copies = got[cut:], _split_all(data).messages[cut:]
    a, b = read_chunk(ranges, None, "utf-8"), read_chunk(copies, None, "utf-8")
    assert a.view.equals(b.view) and (a.codec, a.note) == (b.codec, b.note)
    for name in ("ok", "exact", "lens"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_chunks_in_two_processes_read_what_one_chunk_reads(tmp_path: Path) -> None:
    """Two chunks read in two processes (``workers=2``) and one (``workers=1``) give the same rows;
    an id reused across the chunk boundary keeps both messages off the column path."""
    msgs = [BASE.format(n=n) + "AIS|1||S1^Porada" for n in range(1, 301)]
    msgs[249] = msgs[249].replace("C250", "C10")
    msgs[279] = msgs[279].replace("SCH||A280", "SCH||A20")
    path = tmp_path / "dump.hl7"
    path.write_bytes("\r".join(msgs).encode("cp1250"))
    two, one = read_hl7(path, workers=2), read_hl7(path, workers=1)
    pd.testing.assert_frame_equal(two.frame, one.frame)
    assert (two.warnings, two.details) == (one.warnings, one.details)
    assert one.details["reused_control_ids"] == 1 and len(one.frame) == 299
    got = take([m.encode() for m in msgs], None, "utf-8", 1 << 20, PLAN, workers=2).index
    assert 10 not in got and 250 not in got and 20 not in got and 280 not in got
    assert len(got) == 296
    read_both(path, workers=2)


def _forked_chunks_that(fails: str):
    """A stand-in for ``bulk._chunks``, the forked child's work (it runs in the child): fails
    the way ``fails`` says."""
    real_chunks = bulk._chunks

    def chunks(job: object, starts: list[int]):  # type: ignore[no-untyped-def]
        if fails == "start":
            os._exit(3)
        if fails == "dies":
            yield from real_chunks(job, starts[:1])  # type: ignore[arg-type]
            os._exit(3)  # without sending the rest
        for _ in starts:
            yield None  # "this chunk failed"

    return chunks


@pytest.mark.parametrize("fails", ["start", "dies", "each chunk"])
def test_chunks_the_child_does_not_deliver_are_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    """Whatever the forked child does not deliver (it dies at once, dies after one chunk, or
    reports every chunk failed), this process reads: the same rows as one process."""
    monkeypatch.setattr(bulk, "CHUNK", 40)  # 300 messages: 8 chunks, the later 4 in the child
    monkeypatch.setattr(bulk, "_chunks", _forked_chunks_that(fails))
    msgs = [(BASE.format(n=n) + "AIS|1||S1^Porada").encode() for n in range(1, 301)]
    two = take(msgs, None, "utf-8", 1 << 20, PLAN, workers=2)
    one = take(msgs, None, "utf-8", 1 << 20, PLAN, workers=1)
    assert two.index.tolist() == one.index.tolist() == list(range(1, 301))
    for name, chunks in one.cols.items():
        assert pa.concat_arrays(two.cols[name]).equals(pa.concat_arrays(chunks)), name


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(
            ["MSH|", "MSH^", "MSHX", "MSH", "\r", "\n", "\r\n", "junk", " ", "PID|1"]
            + ["FHS|", "BHS|", "BTS", "FTS|1", "xBHS|", "ZBTS"]
        ),
        max_size=30,
    )
)
def test_split_without_envelopes_is_the_full_split(parts: list[str]) -> None:
    """The envelope-free fast scan of ``framing.split_dump`` finds what the full one finds
    wherever no envelope name starts a line (names inside a line are no segment)."""
    from cer_loader.ingest.hl7v2.framing import _envelope_at_line_start, _messages_only, _split_all

    data = "".join(parts).encode()
    if _envelope_at_line_start(data):
        assert any(data.startswith(n) or b"\r" + n in data or b"\n" + n in data
                   for n in (b"FHS", b"BHS", b"BTS", b"FTS"))  # fmt: skip
        return
    fast, full = _messages_only(data), _split_all(data)
    assert (fast.messages, fast.offsets, fast.warnings) == (
        full.messages,
        full.offsets,
        full.warnings,
    )
    assert (fast.batches, fast.files, fast.envelope) == (full.batches, full.files, full.envelope)
