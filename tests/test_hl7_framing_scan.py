"""The HL7 framing's numpy scans (``framing``) against regular-expression oracles and the full
split: the census of MSH lines (``count_msh``), the envelope check and the envelope-free split
(``split_dump`` → ``_messages_only``) on bytes made of the pieces that trip a scan (names with
and without a separator, names inside a line, CR / LF / CRLF, high bytes, data too short)."""

from __future__ import annotations

import re
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.ingest.csv import physical
from cer_loader.ingest.hl7v2.framing import (
    Messages,
    _envelope_at_line_start,
    _line_starts,
    _messages_only,
    _split_all,
    count_msh,
    split_dump,
)

PIECES = ["MSH|", "MSH^", "MSHX", "MSH", "MSH ", "MSH\r", "MSH\xc5", "M", "SH|", "\r", "\n"]
PIECES += ["\r\n", "junk", " ", "PID|1", "\x0b", "\xe9", "xMSH|", "FHS|", "BTS", "FTS|1", "xBHS|"]


def _census(data: bytes) -> int:
    """The census as a regular expression: a line that starts with MSH + a separator."""
    lines = data.replace(b"\r", b"\n")
    head = 1 if re.match(rb"^MSH[^A-Za-z0-9\r\n ]", lines) else 0
    return head + len(re.findall(rb"\nMSH[^A-Za-z0-9\r\n ]", lines))


def _envelope(data: bytes) -> bool:
    return any(
        data.startswith(n) or b"\r" + n in data or b"\n" + n in data
        for n in (b"FHS", b"BHS", b"BTS", b"FTS")
    )


dumps = st.lists(st.sampled_from(PIECES), max_size=40).map(lambda p: "".join(p).encode("latin-1"))


@settings(max_examples=400, deadline=None)
@given(data=dumps)
def test_census_is_the_regular_expression(data: bytes) -> None:
    assert count_msh(data) == _census(data)


@settings(max_examples=300, deadline=None)
@given(data=dumps, block=st.integers(1, 9))
def test_scans_in_small_blocks_are_the_scans_whole(data: bytes, block: int) -> None:
    """The census and the line starts scan the data a block at a time: blocks of a few bytes
    (an "MSH" or a CRLF cut at every place) give what one block gives."""
    with patch.object(physical, "CHUNK", block):  # the census's scan for "M" bytes
        small = count_msh(data)
    with patch.object(physical, "CHUNK", len(data) + 1):
        assert small == count_msh(data) == _census(data)
    u8 = np.frombuffer(data, np.uint8)
    want = [0, *(m.end() for m in re.finditer(rb"[\r\n]", data))]
    assert _line_starts(u8, block=block).tolist() == want


@settings(max_examples=400, deadline=None)
@given(data=dumps)
def test_envelope_scan_and_split_are_the_full_split(data: bytes) -> None:
    assert _envelope_at_line_start(data) == _envelope(data)
    full, got = _split_all(data), split_dump(data)
    assert (got.messages, got.offsets, got.warnings) == (full.messages, full.offsets, full.warnings)
    assert (got.batches, got.files, got.envelope) == (full.batches, full.files, full.envelope)
    if not _envelope(data):
        alone = _messages_only(data)
        assert (alone.messages, alone.offsets) == (full.messages, full.offsets)
        assert len(got.messages) == count_msh(data)


@settings(max_examples=400, deadline=None)
@given(data=dumps, cut=st.tuples(st.integers(-12, 12), st.integers(-12, 12)))
def test_messages_as_ranges_are_the_copies(data: bytes, cut: tuple[int, int]) -> None:
    """The envelope-free split gives its messages as ranges of the data (``Messages``): each
    one, any slice of them, their lengths and their bytes end to end (``joined``) are those of
    the list of copies ``_split_all`` makes."""
    if _envelope(data):
        return
    got, copies = _messages_only(data).messages, _split_all(data).messages
    assert isinstance(got, Messages) and isinstance(copies, list)
    assert list(got) == copies and len(got) == len(copies) and got == copies
    assert [got[k] for k in range(-len(copies), len(copies))] == copies + copies
    part, want = got[cut[0] : cut[1]], copies[cut[0] : cut[1]]
    assert list(part) == want and list(got[::-1]) == copies[::-1]
    assert part.lengths().tolist() == [len(m) for m in want]  # type: ignore[attr-defined]
    assert part.joined().tobytes() == b"".join(want)  # type: ignore[attr-defined]
    if copies:
        assert got != copies[:-1] and got != [*copies[:-1], copies[-1] + b"x"]
