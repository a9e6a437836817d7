"""The CSV reader works on the file's bytes (issue 10): physical lines found with numpy, cells
transcoded column by column. Each shortcut is held to the plain Python reading of the text."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.ingest.csv.columns import transcode
from cer_loader.ingest.csv.physical import PhysicalLines
from cer_loader.ingest.csv.reader import read_csv, split_lines

POLISH = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ„”–"
TEXT = st.text(alphabet=list('ab;"\r\n \t0') + list(POLISH), max_size=80)


@given(TEXT, st.sampled_from(["utf-8", "utf-8-sig", "cp1250"]))
def test_physical_lines_are_split_lines(text: str, enc: str) -> None:
    data = text.encode(enc)
    start = 3 if enc == "utf-8-sig" else 0
    lines = PhysicalLines(data, start, "utf-8" if enc.startswith("utf") else enc)
    assert list(lines) == split_lines(text)
    assert lines.quote_lines().tolist() == [
        k for k, ln in enumerate(split_lines(text)) if '"' in ln
    ]


@given(st.lists(st.text(alphabet=list("ab ;") + list(POLISH), max_size=12), max_size=30),
       st.sampled_from(["cp1250", "iso-8859-2"]), st.integers(1, 7))  # fmt: skip
def test_transcoding_a_column_is_decoding_each_cell(cells: list[str], codec: str, cut: int) -> None:
    cells = [c.encode(codec, errors="ignore").decode(codec) for c in cells]
    raw = [c.encode(codec) for c in cells]
    chunks = [raw[a : a + cut] for a in range(0, len(raw), cut)] or [[]]
    col = pa.chunked_array([pa.array(ch, type=pa.large_binary()) for ch in chunks])
    sliced = col.slice(1) if len(cells) > 1 else col  # offsets not starting at 0
    assert transcode(col, codec).to_pylist() == cells
    assert transcode(sliced, codec).to_pylist() == (cells[1:] if len(cells) > 1 else cells)


ROWS = st.lists(
    st.lists(st.text(alphabet=list('ab ;"\n') + list(POLISH), max_size=8), min_size=1, max_size=4),
    min_size=1, max_size=12,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(ROWS, st.sampled_from(["\n", "\r\n", "\r"]))
def test_a_code_page_file_reads_as_its_utf8_twin(rows: list[list[str]], eol: str) -> None:
    """Quoted cells, newlines inside them, Polish letters, rows shorter and longer than the
    header: cp1250 and ISO-8859-2 bytes (transcoded per column) give the frame, row numbers and
    reader issues the same file in UTF-8 gives."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator=eol).writerows([["x", "y", "z"], *rows])
    text = buf.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        seen = {}
        for enc in ("utf-8", "cp1250", "iso-8859-2"):
            if text.encode(enc, errors="ignore").decode(enc) != text:
                continue  # „”– are not in ISO-8859-2
            p = Path(tmp) / f"{enc}.csv"
            p.write_bytes(text.encode(enc))
            t = read_csv(p, encoding=enc, delimiter=";")
            seen[enc] = (t.frame.drop(columns="_source_file").values.tolist(), t.blank_rows)
    assert seen["utf-8"] == seen["cp1250"] == seen.get("iso-8859-2", seen["utf-8"])
