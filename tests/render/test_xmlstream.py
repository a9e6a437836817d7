"""Streaming XSD validation (``cer_loader/xmlstream.py``): it is available with the lxml we
install, it says yes only to what the tree check accepts (hypothesis mutates a valid batch and
holds the two to one verdict), it refuses DOCTYPEs and entities, prints nothing, works in two
threads at once, and ``check`` takes it before building any tree."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from cer_loader import xmlstream
from cer_loader.render import check as check_module
from cer_loader.render.check import check, checker
from cer_loader.resources import data_dir
from cer_loader.xmlsafe import parse_bytes, parser

XSD = data_dir("schemas") / "zasilInicjalnie.xsd"
RECORD = (
    '<rezerwacja kluczIdempotencji="{key}"><identyfikatorWizyty>W{n}</identyfikatorWizyty>'
    '<termin poczatek="2026-12-08T14:40:00+01:00" czasTrwaniaMin="15"/>'
    "<kodZakresu>02.1100.001.02</kodZakresu><rodzajWizyty>KONTYNUACJA</rodzajWizyty>"
    '<pacjent><identyfikator root="2.16.840.1.113883.3.4424.1.1.616" extension="51102914065"/>'
    "<imie>Zażółć</imie><plec>F</plec><telefon>+48502055764</telefon></pacjent></rezerwacja>"
)
DOC = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<zasilInicjalnie xmlns="urn:cer-loader:zasilInicjalnie:draft-1" wersjaKontraktu="draft-1" '
    'identyfikatorPaczki="P-1" numerPaczki="1" liczbaPaczek="1" liczbaRekordow="2"><kontekst>'
    '<miejsceUdzielaniaSwiadczen root="2.16.840.1.113883.3.4424.2.3.3" extension="000000927722-001"/>'
    "<stanNaDzien>2026-12-01</stanNaDzien></kontekst><rezerwacje>{records}</rezerwacje>"
    "</zasilInicjalnie>"
)
VALID = DOC.format(records=RECORD.format(key="k1", n=1) + RECORD.format(key="k2", n=2)).encode()


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD), parser()))


@pytest.fixture(scope="module")
def stream() -> xmlstream.StreamSchema:
    made = xmlstream.compile_schema(etree.parse(str(XSD), parser()))
    assert made is not None
    return made


def tree_verdict(schema: etree.XMLSchema, data: bytes) -> bool:
    try:
        return bool(schema.validate(parse_bytes(data)))
    except etree.XMLSyntaxError:
        return False


def test_the_lxml_we_install_exports_what_streaming_needs() -> None:
    assert xmlstream.available()  # not a silent fallback: CI runs the streaming path


def test_a_valid_batch_streams_valid(stream: xmlstream.StreamSchema) -> None:
    assert stream.valid(VALID)


@pytest.mark.parametrize(
    "mutated",
    [
        VALID.replace(b"<plec>F</plec>", b"<plec>Q</plec>", 1),  # enumeration
        VALID.replace(b"+48502055764", b"48502055764", 1),  # pattern
        VALID.replace(b"<imie>", "<imię>".encode(), 1),  # malformed (tag mismatch)
        VALID[:-30],  # truncated
        VALID.replace(b'extension="k1"', b"", 1).replace(b'kluczIdempotencji="k1"', b"", 1),
        VALID.replace(b'kluczIdempotencji="k2"', b'kluczIdempotencji="k1"', 1),  # xs:unique
        VALID.replace(b"Za", b"&ent;", 1),  # an entity nobody declared
        VALID.replace(b"\n<zas", b'\n<!DOCTYPE z [<!ENTITY ent "x">]>\n<zas', 1),  # a DOCTYPE
    ],
)
def test_what_the_tree_check_refuses_does_not_stream_valid(
    stream: xmlstream.StreamSchema, schema: etree.XMLSchema, mutated: bytes
) -> None:
    assert mutated != VALID
    assert not tree_verdict(schema, mutated)
    assert not stream.valid(mutated)


def test_a_doctype_is_refused_even_when_the_document_would_be_valid(
    stream: xmlstream.StreamSchema,
) -> None:
    with_doctype = VALID.replace(b"\n<zas", b"\n<!DOCTYPE zasilInicjalnie>\n<zas", 1)
    assert not stream.valid(with_doctype)


PIECES = st.sampled_from(
    ["<", ">", "&", ";", '"', "'", "=", "/", " ", "x", "9", "-", ":", "T", "+", "ż", "\x00",
     "&amp;", "<a/>", "</plec>", "<plec>", "]]>", "<!--", "-->", "<?x?>", "\r\n", "\t"]
)  # fmt: skip


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.integers(0, len(VALID)), cut=st.integers(0, 12), insert=st.lists(PIECES, max_size=4)
)
def test_a_streamed_yes_is_the_tree_checks_yes(
    stream: xmlstream.StreamSchema, schema: etree.XMLSchema, start: int, cut: int, insert: list[str]
) -> None:
    """A yes from the stream is a yes from the tree check. (Not the other way round: the stream
    says no on any warning, a processing instruction named ``xmlx`` for one, and the tree
    check then decides.)"""
    mutated = VALID[:start] + "".join(insert).encode() + VALID[start + cut :]
    if stream.valid(mutated):
        assert tree_verdict(schema, mutated)


SLOTS = [b"2026-12-08T14:40:00+01:00", b"15", b"02.1100.001.02", b"KONTYNUACJA", b"51102914065",
         b"F", b"+48502055764", b"2026-12-01", b"2.16.840.1.113883.3.4424.1.1.616", b"W1"]  # fmt: skip
VALUES = st.text(alphabet="0123456789+-:.TZFKWPILNYSAOaż &<>' ", max_size=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slot=st.sampled_from(SLOTS), value=VALUES)
def test_streaming_and_the_tree_check_agree_on_values(
    stream: xmlstream.StreamSchema, schema: etree.XMLSchema, slot: bytes, value: str
) -> None:
    """Values are where batches differ: there the two agree both ways (the stream is used)."""
    mutated = VALID.replace(slot, value.encode(), 1)
    assert stream.valid(mutated) == tree_verdict(schema, mutated)


def test_nothing_is_printed_when_a_batch_is_refused(
    stream: xmlstream.StreamSchema, capfd: pytest.CaptureFixture[str]
) -> None:
    bad = VALID.replace(b"+48502055764", b"x51102914065", 1).replace(b"<imie>", b"<imie a=>", 1)
    assert not stream.valid(bad)
    assert not stream.valid(VALID.replace(b"+48502055764", b"x51102914065", 1))
    out, err = capfd.readouterr()
    assert "51102914065" not in out + err and err == ""


def test_a_schema_that_reads_other_files_is_not_streamed(tmp_path: Path) -> None:
    doc = etree.fromstring(
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:include schemaLocation="other.xsd"/></xs:schema>'
    )
    assert xmlstream.compile_schema(doc) is None


def test_two_threads_stream_at_once(stream: xmlstream.StreamSchema) -> None:
    bad = VALID.replace(b"<plec>F</plec>", b"<plec>Q</plec>", 1)
    wrong: list[str] = []

    def work(own: xmlstream.StreamSchema) -> None:
        for i in range(200):
            data, expected = (VALID, True) if i % 2 else (bad, False)
            if own.valid(data) != expected:
                wrong.append(f"{i}")

    others = [xmlstream.compile_schema(etree.parse(str(XSD), parser())) for _ in range(2)]
    threads = [threading.Thread(target=work, args=(s,)) for s in others if s is not None]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(threads) == 2 and wrong == []


def test_check_streams_a_valid_batch_without_building_a_tree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = checker(data_dir("templates"), XSD)
    assert c.stream is not None

    def no_tree(data: bytes) -> None:
        raise AssertionError("a tree was built for a batch the stream found valid")

    monkeypatch.setattr(check_module, "parse_bytes", no_tree)
    import pyarrow as pa

    assert check(c, VALID, pa.array(["k1", "k2"])) is None


def test_check_still_reports_the_tree_checks_message_for_a_refused_batch() -> None:
    import pyarrow as pa

    c = checker(data_dir("templates"), XSD)
    bad = VALID.replace(b"<plec>F</plec>", b"<plec>Q</plec>", 1)
    problem = check(c, bad, pa.array(["k1", "k2"]))
    assert problem is not None and problem[0] == "xsd" and "plec" in problem[1]
    assert "'***'" in problem[1]  # the value masked, as before


@pytest.mark.parametrize(
    "digit", ["\u0663", "\uff13", "\u09e9"]
)  # Arabic-Indic, fullwidth, Bengali
def test_the_shipped_xsd_takes_ascii_digits_only(
    schema: etree.XMLSchema, stream: xmlstream.StreamSchema, digit: str
) -> None:
    # in an XSD pattern \d is any Unicode decimal digit; the contract writes [0-9]
    phone = VALID.replace(b"+48502055764", ("+4850205576" + digit).encode())
    assert phone != VALID
    assert not tree_verdict(schema, phone) and not stream.valid(phone)
    assert tree_verdict(schema, VALID) and stream.valid(VALID)
