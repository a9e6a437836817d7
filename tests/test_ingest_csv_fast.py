"""The CSV read stage's shortcuts of issue 10's fourth session, each held to what it replaced:
UTF-8 validation by Arrow (Python's strict decoder), the UTF-8 line scan without a padded copy
(the previous scan), line bounds in small chunks (``split_lines``), blank records decided by
first bytes (trimming every column), provenance built from buffers (``add_provenance``), and
the census over the reader's bytes and lines (the census reading the file itself)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.errors import CerLoaderError
from cer_loader.ingest.csv import encoding, physical
from cer_loader.ingest.csv.assemble import source_frame
from cer_loader.ingest.csv.census import census_csv
from cer_loader.ingest.csv.columns import blank_records
from cer_loader.ingest.csv.counted import read_counted
from cer_loader.ingest.csv.physical import line_bounds, positions
from cer_loader.ingest.csv.reader import read_csv_bytes, split_lines
from cer_loader.ingest.table import (
    READER_FIELD,
    READER_ISSUE,
    READER_VALUE,
    SOURCE_FILE,
    SOURCE_REF,
    SOURCE_ROW,
    TEXT,
    add_provenance,
)

# byte soup that hits UTF-8's edges: leads, continuations, overlongs, surrogates, > U+10FFFF
EDGES = [b"\xc2\xa0", b"\xe2\x80\x9e", b"\xf0\x9f\x98\x80", b"\xc0\x80", b"\xe0\x80\x80",
         b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf5", b"\x80", b"\xbf", b"\xc5", b"\xe2\x80",
         b"\xff", "ąż".encode(), "ąż".encode("cp1250"), b"a", b";", b"\n", b"\r\n", b'"']  # fmt: skip
SOUP = st.lists(st.sampled_from(EDGES) | st.binary(max_size=3), max_size=40).map(b"".join)


@settings(max_examples=400)
@given(SOUP, st.integers(1, 9))
def test_is_utf8_is_what_python_decodes(data: bytes, chunk: int) -> None:
    """Arrow's validator in chunks (cut at character starts) accepts exactly what
    ``bytes.decode("utf-8")`` accepts, wherever the chunks fall."""
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    with pytest.MonkeyPatch.context() as m:
        m.setattr(encoding, "_CHUNK", chunk)
        assert encoding.is_utf8(data) is valid
    assert encoding.is_utf8(data) is valid


def _full_utf8_lines_before(arr: np.ndarray, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The scan as it was (a padded copy of the whole file): the oracle."""
    none = np.empty(0, dtype=np.int64)
    hi = np.flatnonzero(arr >= 0x80)
    if not len(hi):
        return none, none
    padded = np.concatenate((arr, np.zeros(3, dtype=np.uint8)))
    b = padded[hi]
    conts = [(padded[hi + k] & 0xC0) == 0x80 for k in (1, 2, 3)]
    width = np.zeros(len(hi), dtype=np.int64)
    width[(b >= 0xC2) & (b <= 0xDF) & conts[0]] = 2
    width[((b & 0xF0) == 0xE0) & conts[0] & conts[1]] = 3
    width[(b >= 0xF0) & (b <= 0xF4) & conts[0] & conts[1] & conts[2]] = 4
    if not width.any():
        return none, none
    bounds = np.concatenate(([-1], np.flatnonzero(arr == 10), [len(data)]))
    line = np.searchsorted(bounds, hi) - 1
    n = len(bounds) - 1
    covered = np.bincount(line, weights=width, minlength=n)
    total = np.bincount(line, minlength=n)
    return np.flatnonzero((total > 0) & (covered == total) & (covered > 0)), bounds


@settings(max_examples=300)
@given(SOUP, st.integers(1, 9))
def test_the_utf8_line_scan_is_the_previous_one(data: bytes, chunk: int) -> None:
    arr = np.frombuffer(data, dtype=np.uint8)
    lines, bounds = _full_utf8_lines_before(arr, data)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(physical, "CHUNK", chunk)
        now_lines, now_bounds = encoding._full_utf8_lines(arr, data)
    assert now_lines.tolist() == lines.tolist()
    assert now_bounds.tolist() == bounds.tolist()


TEXT_EOL = st.text(alphabet=list('ab;"\r\n \t0ąŚ„'), max_size=60)


@given(TEXT_EOL, st.sampled_from(["utf-8", "utf-8-sig", "cp1250"]), st.integers(1, 9))
def test_line_bounds_in_any_chunks_are_split_lines(text: str, enc: str, chunk: int) -> None:
    data = text.encode(enc)
    start = 3 if enc == "utf-8-sig" else 0
    with pytest.MonkeyPatch.context() as m:
        m.setattr(physical, "CHUNK", chunk)
        starts, stops = line_bounds(data, start)
        above = positions(np.frombuffer(data, dtype=np.uint8), 0x80, start, above=True)
    codec = "utf-8" if enc.startswith("utf") else enc
    got = [data[a:b].decode(codec) for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
    assert got == split_lines(text)
    assert above.tolist() == [k for k in range(start, len(data)) if data[k] >= 0x80]


def _blank_before(columns: list[pa.ChunkedArray], patched: dict[int, list[str]], n: int) -> list:
    """Blank records as they were found (every column trimmed by Arrow): the oracle."""
    if not n:
        return []
    empty = None
    for col in columns:
        e = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(col)), 0)
        empty = e if empty is None else pc.and_(empty, e)
    blank = np.ones(n, dtype=bool) if empty is None else empty.to_numpy(zero_copy_only=False)
    blank = np.array(blank, dtype=bool)
    for i, fields in patched.items():
        blank[i - 1] = not any(f.strip() for f in fields)
    return blank.tolist()


CELL = st.text(alphabet=list("a0-. \t\u00a0\u3000\u2028\x1fż"), max_size=3)


@settings(max_examples=300)
@given(
    st.integers(1, 4).flatmap(lambda w: st.lists(st.lists(CELL, min_size=w, max_size=w))),
    st.integers(1, 5),
    st.data(),
)
def test_blank_records_by_first_bytes_are_the_trimmed_ones(
    rows: list[list[str]], cut: int, data: st.DataObject
) -> None:
    n, width = len(rows), len(rows[0]) if rows else 1
    columns = []
    for j in range(width):
        cells = ["lead", *[r[j] for r in rows]]  # sliced off below: chunks with an offset
        chunks = [cells[a : a + cut] for a in range(0, n + 1, cut)]
        col = pa.chunked_array([pa.array(c, type=pa.large_string()) for c in chunks])
        columns.append(col.slice(1))
    patched = {}
    if n:
        for k in data.draw(st.lists(st.integers(1, n), max_size=3)):
            patched[k] = data.draw(st.lists(CELL, min_size=1, max_size=width + 1))
    assert blank_records(columns, patched, n).tolist() == _blank_before(columns, patched, n)


@given(
    st.lists(st.text(max_size=4), max_size=8),
    st.text(alphabet=list("abż/ .-"), min_size=1, max_size=20),
    st.dictionaries(st.integers(0, 7), st.tuples(*[st.text(max_size=3)] * 3), max_size=3),
)
def test_the_frame_is_what_pandas_broadcasting_makes(
    cells: list[str], name: str, issues: dict[int, tuple[str, str, str]]
) -> None:
    # the oracle: the provenance columns as add_provenance made them before it built them from
    # buffers (a deep copy, then pandas broadcasting each scalar)
    n = len(cells)
    issues = {k: v for k, v in issues.items() if k < n}
    col = pa.chunked_array([pa.array(cells, type=pa.large_string())])
    rows = np.arange(n, dtype=np.int64) * 2 + 2
    path = Path(name)
    now = source_frame(["x"], [col], path, rows, issues)
    before = pd.DataFrame({"x": pd.array(col, dtype=TEXT)}).copy()
    before[SOURCE_FILE] = str(path)
    before[SOURCE_ROW] = pd.array(rows, dtype="int64")
    for c in (SOURCE_REF, READER_ISSUE, READER_FIELD, READER_VALUE):
        before[c] = ""
    pd.testing.assert_frame_equal(
        add_provenance(before[["x"]], path, rows), before, check_exact=True
    )
    if issues:
        lists = {c: [""] * n for c in (READER_ISSUE, READER_FIELD, READER_VALUE)}
        for p, values in issues.items():
            for c, v in zip(lists, values, strict=True):
                lists[c][p] = v
        for c, values in lists.items():
            before[c] = values
    pd.testing.assert_frame_equal(now, before, check_exact=True)


ROWS = st.lists(
    st.lists(st.text(alphabet=list('ab ;"\n\r') + list("ąŚ„"), max_size=6), min_size=1, max_size=4),
    max_size=10,
)  # fmt: skip


@settings(max_examples=200)
@given(
    ROWS,
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1250", "mixed", "undefined"]),
    st.lists(st.integers(0, 12), max_size=3),
    st.booleans(),
)
def test_the_census_of_the_readers_bytes_is_the_census_of_the_file(
    rows: list[list[str]], eol: str, enc: str, blanks: list[int], stray: bool
) -> None:
    """Counting the reader's bytes and lines gives the census that reading the file again
    gives (quoted newlines, stray quotes, blank lines, CR/CRLF/LF, BOM, a cp1250 file with
    UTF-8 lines, an undefined cp1250 byte), and ``read_counted`` fails where the separate
    reader and census failed, with the same text."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator=eol).writerows([["x", "y", "z"], *rows])
    lines = buf.getvalue().split(eol)
    for b in sorted(blanks, reverse=True):
        lines.insert(min(b + 1, len(lines)), "")
    if stray and len(lines) > 2:
        lines[2] = '"' + lines[2]
    text = eol.join(lines)
    if enc == "mixed":
        half = len(text) // 2
        data = text[:half].encode("cp1250", "replace") + text[half:].encode("utf-8")
    elif enc == "undefined":
        data = text.encode("cp1250", "replace") + b"\x98"
    else:
        data = text.encode(enc, "replace")
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "p.csv"
        p.write_bytes(data)
        try:
            table, read = read_csv_bytes(p, delimiter=";")
        except CerLoaderError as exc:
            with pytest.raises(CerLoaderError) as again:
                read_counted(p, delimiter=";")
            assert (again.value.message, again.value.message_en) == (exc.message, exc.message_en)
            return
        enc_found, delim = table.details["encoding"], table.details["delimiter"]
        shared = census_csv(p, enc_found, delim, read=read)
        alone = census_csv(p, enc_found, delim)
    assert shared == alone
    assert table.sha256 == alone.sha256
