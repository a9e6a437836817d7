"""The HL7 reader's fast path (``hl7v2.fast``) against the general one (``Message``), the oracle.

Generated dumps vary what the fast path must notice and decline: custom delimiters, CR / LF /
CRLF separators, escapes, repetitions, components and sub-components, explicit nulls, repeated
and missing segments, charsets, MLLP framing, junk between messages, duplicate deliveries.
``read_hl7(fast=True)`` must give exactly the frame, not-loaded list, warnings and counts of
``read_hl7(fast=False)``; per message, what the fast path takes it must read as ``Message`` does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cer_loader.ingest.hl7v2 import read_hl7
from cer_loader.ingest.hl7v2.events import header
from cer_loader.ingest.hl7v2.fast import fast_extract, fast_header, plain
from cer_loader.ingest.hl7v2.fast_tokens import plain_header
from cer_loader.ingest.hl7v2.field_map import FieldPlan, compile_paths, extract
from cer_loader.ingest.hl7v2.rows import PARALLEL_FROM, processes
from cer_loader.ingest.hl7v2.tokens import Message
from cer_loader.ingest.progress import FileProgress

NPWZ_OID = "2.16.840.1.113883.3.4424.1.6.2"
PESEL_OID = "2.16.840.1.113883.3.4424.1.1.616"
ATOMS = [
    "", "", "", '""', "X", "abc", " 12 ", "44051401359", "44051401358", "73051213886",
    "NNPOL", "NI", "PESEL", "PPN", "POL", "DE", "MR", "L", "D", "CP", "PRN", "ORN", "NET",
    "Internet", "a@b.pl", "+48", "48", "22", "600100200", "502 055 764", "NPWZ", "PWZ", "nil",
    NPWZ_OID, PESEL_OID, "1234567", "202501151030", "20250115", "202501150000",
    "20250115103000+0100", "202501151100", "2025011511", "20251301", "M30", "30", "45", "MIN",
    "min", "h", "s", "2 hours", "F", "m", "K", "Łódź", "Żółć", "pierwsza", "S", "\\T\\",
    "\\X41\\", "\\E\\", "\\.br\\", "a\\", " ", f"NPWZ&{NPWZ_OID}&ISO", "x&PESEL", "&b",
]  # fmt: skip
SEGMENTS = ["SCH", "TQ1", "PID", "PV1", "RGS", "AIS", "AIL", "AIP", "AIG", "NTE", "ARQ", "ZSK"]
EVENTS = ["SIU^S12", "SIU^S12", "SIU^S13", "SIU^S14", "SIU^S15", "SIU^S17", "SIU^S26"]
EVENTS += ["SRM^S01", "ADT^A04", "SIU^^SIU_S12", "SIU^S99", '""', ""]
PATHS = {
    "visit_kind": "ZSK-1",
    "request_date": "ZSK-4",
    "referral_key": "PID-3[2].4",
    "medical_category": "MSH-2",
    "referral_number": "AIS-3.1.2",
    "start_time": "SCH-11.4",
}


def value(simple: bool) -> st.SearchStrategy[str]:
    atoms = [a for a in ATOMS if "\\" not in a] if simple else ATOMS
    atom = st.sampled_from(atoms)
    rep = st.lists(atom, min_size=1, max_size=13).map("^".join)
    return st.one_of(st.just(""), atom, st.lists(rep, min_size=1, max_size=3).map("~".join))


@st.composite
def message(draw: st.DrawFn, simple: bool | None = None) -> tuple[str, str]:
    """(text, charset label) of one message; ``simple``: inside the fast domain."""
    simple = draw(st.booleans()) if simple is None else simple
    names = draw(st.lists(st.sampled_from(SEGMENTS), max_size=9, unique=simple))
    if draw(st.booleans()):
        names = ["SCH", *[n for n in names if n != "SCH"]] if simple else ["SCH", *names]
    charset = draw(st.sampled_from(["", "UNICODE UTF-8", "8859/2", "CP1250"]))
    msh = [
        "MSH", "^~\\&", draw(st.sampled_from(["HIS", "LAB"])), "FAC", "CER", "P1",
        draw(st.sampled_from(["20250101120000", "20241231", "2025010112+0100", ""])), "",
        draw(st.sampled_from(EVENTS)), draw(st.sampled_from(["C1", "C2", "C3", "", '""'])),
        "P", "2.5", "", "", "", "", "", charset,
    ]  # fmt: skip
    segs = ["|".join(msh)]
    for name in names:
        fields = draw(st.lists(value(simple), max_size=41 if name == "PID" else 14))
        segs.append("|".join([name, *fields]))
    sep = "\r" if simple else draw(st.sampled_from(["\r", "\n", "\r\n"]))
    text = sep.join(segs) + draw(st.sampled_from(["", sep]))
    if not simple and draw(st.booleans()):
        text = text.translate(str.maketrans("|^~\\&", "#*@!%"))
    return text, charset


def encoded(text: str, charset: str) -> bytes:
    codec = {"8859/2": "iso8859-2", "CP1250": "cp1250"}.get(charset, "utf-8")
    return text.encode(codec)


@st.composite
def dump(draw: st.DrawFn) -> bytes:
    out: list[bytes] = []
    for _ in range(draw(st.integers(1, 8))):
        roll = draw(st.integers(0, 9))
        if roll == 0 and out:
            out.append(out[-1])  # a duplicate delivery
            continue
        if roll == 1:
            out.append(b"junk between messages\r")
        raw = encoded(*draw(message()))
        out.append(b"\x0b" + raw + b"\x1c\r" if roll == 2 else raw + b"\r")
    return b"".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=dump(), paths=st.booleans(), book=st.booleans())
def test_fast_read_is_the_general_read(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, paths: bool, book: bool
) -> None:
    path = tmp_path_factory.mktemp("fast") / "dump.hl7"
    path.write_bytes(data)
    field_paths = PATHS if paths else None
    oids = {"pesel": PESEL_OID, "npwz": NPWZ_OID}
    fast = read_hl7(path, field_paths=field_paths, updates_book=book, oids=oids)
    slow = read_hl7(path, field_paths=field_paths, updates_book=book, oids=oids, fast=False)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.not_loaded is not None and slow.not_loaded is not None
    pd.testing.assert_frame_equal(fast.not_loaded, slow.not_loaded)
    assert fast.warnings == slow.warnings
    assert fast.details == slow.details
    assert (fast.skipped_rows, fast.total_records) == (slow.skipped_rows, slow.total_records)


@settings(max_examples=200, deadline=None)
@given(msg=message(simple=True), paths=st.booleans())
def test_fast_message_is_the_general_message(msg: tuple[str, str], paths: bool) -> None:
    text = msg[0]
    quick = plain(text)
    assert quick is not None  # generated inside the fast domain: taken
    general = Message(text)
    assert fast_header(quick, 7) == header(general, 7)
    fields = FieldPlan(compile_paths(PATHS if paths else None), PESEL_OID, NPWZ_OID)
    assert fast_extract(quick, fields) == extract(Message(text), fields)


def test_fast_path_declines_what_it_cannot_read() -> None:
    base = "MSH|^~\\&|HIS|FAC|||20250101||SIU^S12|C1|P|2.5\rSCH||A1"
    assert plain(base) is not None
    assert plain(base + "\rNTE|1||a\\T\\b") is None  # an escape
    assert plain(base.replace("\r", "\n")) is None  # LF separators
    assert plain(base + "\rAIS|1\rAIS|2") is None  # a repeated segment
    assert plain(base.replace("^~\\&", "^~\\&#")) is None  # v2.7 truncation character
    assert plain(base.translate(str.maketrans("|^", "#*"))) is None  # custom delimiters
    assert plain_header(base + "\rAIS|1\rAIS|2") is not None  # the fold reads the header only


@settings(max_examples=200, deadline=None)
@given(msg=message())
def test_fast_header_is_the_general_header(msg: tuple[str, str]) -> None:
    quick = plain_header(msg[0])
    if quick is not None:
        general = Message(msg[0])
        assert quick[1] == general.segments  # the duplicate digest hashes these
        assert fast_header(quick[0], 3) == header(general, 3)


def test_two_processes_read_what_one_reads(tmp_path: Path) -> None:
    """The field extraction shared with a forked process joins the halves in order."""
    segs = [
        "MSH|^~\\&|HIS|FAC|CER|P1|20250101120000||SIU^{t}|C{i}|P|2.5",
        "SCH||A{a}|||||||20|MIN|^^^2025011510{m:02d}",
        "PID|1||44051401359^^^^NI||Kowalski^Jan||19800101|M|||||600100200^PRN^CP",
        "AIS|1||SCOPE1\\T\\x^Porada",  # an escape: the general path, in both processes
    ]
    msgs = []
    for i in range(1, 121):
        trigger = "S15" if i % 7 == 0 else "S13" if i % 5 == 0 else "S12"
        text = "\r".join(segs[: 3 + i % 2]).format(t=trigger, i=i, a=i % 90, m=i % 60)
        msgs.append(text.encode() + b"\r")
    path = tmp_path / "dump.hl7"
    path.write_bytes(b"".join(msgs) + msgs[3])
    seen: list[tuple[int, int]] = []
    two = read_hl7(path, workers=2, progress=FileProgress(lambda d, e: seen.append((d, e))))
    one = read_hl7(path, workers=1)
    assert len(one.frame) > 60
    pd.testing.assert_frame_equal(two.frame, one.frame)
    assert two.not_loaded is not None and one.not_loaded is not None
    pd.testing.assert_frame_equal(two.not_loaded, one.not_loaded)
    assert (two.warnings, two.details) == (one.warnings, one.details)
    done = [d for d, _ in seen]
    assert done == sorted(done) and all(d <= e for d, e in seen)


@pytest.mark.parametrize("fails", ["dies", "raises"])
def test_rows_the_forked_child_does_not_deliver_are_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    """The fold's second process dies or fails before it sends its half: this process reads
    that half, and the result is the one process's."""
    import importlib

    rows_module = importlib.import_module("cer_loader.ingest.hl7v2.rows")  # not its function

    def later(*_: object):  # type: ignore[no-untyped-def]
        if fails == "dies":
            os._exit(3)
        raise RuntimeError("the child's half failed")
        yield  # a generator, as the real one

    segs = ["MSH|^~\\&|HIS|FAC|CER|P1|20250101||SIU^{t}|C{i}|P|2.5",
            "SCH||A{i}|||||||20|MIN|^^^2025011510{m:02d}"]  # fmt: skip
    msgs = ["\r".join(segs).format(t="S13" if i % 5 == 0 else "S12", i=i, m=i % 60).encode()
            for i in range(1, 81)]  # fmt: skip
    path = tmp_path / "dump.hl7"
    path.write_bytes(b"\r".join(msgs))
    one = read_hl7(path, workers=1, fast=False)
    monkeypatch.setattr(rows_module, "_later", later)
    two = read_hl7(path, workers=2, fast=False)
    assert len(one.frame) > 60
    pd.testing.assert_frame_equal(two.frame, one.frame)
    assert (two.warnings, two.details) == (one.warnings, one.details)


def test_processes_by_default() -> None:
    assert processes(None, PARALLEL_FROM - 1) == 1
    assert processes(1, 10**6) == 1
    assert processes(2, 1) == 1
