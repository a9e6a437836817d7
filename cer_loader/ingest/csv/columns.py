"""The records of a framed CSV file as Arrow string columns (``large_string``, what pandas' ``str`` holds), parsed by pyarrow in one pass.

The framing (:mod:`.framing`) has already decided where every record starts and ends. What is
left is splitting records into fields, which pyarrow's CSV parser does in C++ straight into
Arrow arrays (no Python object per cell). It is fed the file's own bytes, one record per line,
so it can never merge records: the records the framing reads differently from RFC 4180
(stray quotes, lenient quotes, records spanning lines) are replaced in the feed by a
placeholder of the right width, and their fields — from the ``csv`` module, see ``special`` — are patched in afterwards with one
``take`` per column. A record whose field count differs from the header's is handed back by
pyarrow (``invalid_row_handler``, with its line number) and split by the grammar instead, so
short rows are padded and long ones keep their surplus for ``csv-extra-fields``. Should
pyarrow's row count still differ from the framing's, every record holding a quote is patched
and pyarrow reads the rest with quoting off.

Cells are read as bytes: a UTF-8 file's columns are its bytes as they are (the file was
checked to be UTF-8); a single-byte code page (cp1250, ISO-8859-2) is transcoded to UTF-8
column by column, only in the chunks that hold a byte above 0x7F (:func:`transcode`).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cer_loader.errors import InputError
from cer_loader.ingest.csv.framing import _Framing, _Grammar
from cer_loader.ingest.csv.physical import PhysicalLines

BLOCK = 4 << 20  # pyarrow's parse block (also the largest chunk of a column): 16 MiB blocks
# parse ~30 % slower, their buffers no longer fit the caches


class NotUtf8Rows(Exception):
    """A code-page feed holds a row of another width: pyarrow hands such rows to the handler
    as UTF-8 text, so the feed must be transcoded first (see ``read_csv``)."""


def _read(
    feed: Any, g: _Grammar, ncols: int, quoting: bool, threads: bool, strict: bool
) -> tuple[pa.Table, list[int | None]]:
    skipped: list[int | None] = []

    def handler(row: Any) -> str:
        skipped.append(row.number)
        return "skip"

    names = [str(j) for j in range(ncols)]
    source = pa.BufferReader(feed if isinstance(feed, pa.Buffer) else pa.py_buffer(feed))
    table = pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=names, use_threads=threads, block_size=BLOCK),
        parse_options=pacsv.ParseOptions(
            delimiter=g.delim,
            quote_char='"' if quoting else False,
            double_quote=True,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=None if strict else handler,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.large_binary() for c in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )
    return table, skipped


def _parse(
    feed: Any, g: _Grammar, ncols: int, quoting: bool, strict: bool = False
) -> tuple[pa.Table, list[int]]:
    """The feed's rows (binary columns) and the 1-based lines pyarrow handed back. Parsed on
    all cores; only when a row was handed back is it parsed again on one thread, which numbers
    every row. ``strict`` (a code-page feed): no row may be handed back (:class:`NotUtf8Rows`)."""
    if (feed.size if isinstance(feed, pa.Buffer) else len(feed)) == 0:
        empty = [pa.chunked_array([], type=pa.large_binary()) for _ in range(ncols)]
        return pa.table(empty, names=[str(j) for j in range(ncols)]), []
    if strict:
        try:
            return _read(feed, g, ncols, quoting, threads=True, strict=True)[0], []
        except pa.ArrowInvalid:
            raise NotUtf8Rows() from None
    table, skipped = _read(feed, g, ncols, quoting, threads=True, strict=False)
    if skipped and None in skipped:
        table, skipped = _read(feed, g, ncols, quoting, threads=False, strict=False)
    return table, [int(k) for k in skipped if k is not None]


def _feed(lines: PhysicalLines, fr: _Framing, cut: list[int], placeholder: bytes) -> Any:
    """The bytes of every record after the header, those in ``cut`` (ascending) replaced by
    ``placeholder`` (their line ends kept: a cut never joins a ``\r`` with a ``\n``)."""
    data = lines.data
    start = lines.span(*fr.where[0])[1]
    if not cut:
        return pa.py_buffer(data).slice(start)  # the file itself: no copy
    view, pos = memoryview(data), start
    parts: list[memoryview | bytes] = []
    for r in cut:
        a, b = _lines_of(fr, r)
        parts += [view[pos : int(lines.starts[a])], placeholder]
        pos = int(lines.stops[b])
    parts.append(view[pos:])
    return b"".join(parts)


def _lines_of(fr: _Framing, r: int) -> tuple[int, int]:
    if r in fr.where:
        return fr.where[r]
    first = int(fr.line_of(np.array([r], dtype=np.int64))[0])
    return first, first


def record_columns(
    fr: _Framing,
    special: dict[int, list[str]],
    g: _Grammar,
    ncols: int,
    lines: PhysicalLines,
    codec: str | None,
    quote_lines: np.ndarray,
) -> tuple[list[pa.ChunkedArray], dict[int, list[str]]]:
    """``ncols`` string columns over the records after the header, and the fields of every
    record that was not parsed by pyarrow (by record index), for the extra-field and blank
    checks. ``codec``: the single-byte code page of ``lines.data`` (None: it is UTF-8)."""
    n = fr.records - 1
    if n <= 0:  # a header and nothing else
        return [pa.chunked_array([], type=pa.large_string()) for _ in range(ncols)], {}
    placeholder = ('""' + g.delim * (ncols - 1)).encode("ascii")
    fed = np.arange(1, n + 1, dtype=np.int64)  # the feed's lines: every record, in order
    cut = sorted(r for r in special if r)
    feed = _feed(lines, fr, cut, placeholder)
    if codec is None:
        table, skipped = _parse(feed, g, ncols, quoting=True)
    else:
        table, skipped = _parse(feed, g, ncols, quoting=True, strict=True)
    del feed
    if table.num_rows + len(skipped) != n:
        records = np.unique(fr.record_of(np.asarray(quote_lines, dtype=np.int64)))
        more = [int(r) for r in records if r and r not in special]
        special.update({r: g.split(fr.text(r)) for r in more})
        cut = sorted(r for r in special if r)
        feed = _feed(lines, fr, cut, placeholder)
        if codec is None:
            table, skipped = _parse(feed, g, ncols, quoting=False)
        else:
            table, skipped = _parse(feed, g, ncols, quoting=False, strict=True)
        if table.num_rows + len(skipped) != n:
            raise InputError(
                "Wewnętrzny błąd czytnika CSV: liczba rekordów się nie zgadza.",
                "Internal CSV reader error: the record count differs.",
                path=fr.path,
            )
    patched = {i: special[i] for i in special if i}
    back = fed[np.asarray(skipped, dtype=np.int64) - 1] if skipped else fed[:0]
    for k in back.tolist():
        if k not in patched:
            patched[k] = g.split(fr.text(k))
    columns = [transcode(table.column(j), codec) for j in range(ncols)]
    if patched:
        parsed = np.setdiff1d(fed, back, assume_unique=True)
        columns = _patch(columns, patched, parsed, n)
    return columns, patched


def _patch(
    columns: list[pa.ChunkedArray], patched: dict[int, list[str]], parsed: np.ndarray, n: int
) -> list[pa.ChunkedArray]:
    """Columns of length ``n`` with the ``patched`` records' fields in their places;
    ``parsed``: the records (1-based, ascending) pyarrow's rows hold, in order."""
    order = np.empty(n, dtype=np.int64)
    order[parsed - 1] = np.arange(len(parsed))
    keys = sorted(patched)
    order[np.asarray(keys, dtype=np.int64) - 1] = len(parsed) + np.arange(len(keys))
    index = pa.array(order)
    rows = [patched[i] for i in keys]
    out = []
    for j, col in enumerate(columns):
        extra = pa.array([r[j] if j < len(r) else "" for r in rows], type=pa.large_string())
        out.append(pc.take(pa.chunked_array([*col.chunks, extra], type=pa.large_string()), index))
    return out


@functools.lru_cache(maxsize=8)
def _extra_bytes(codec: str) -> np.ndarray:
    """Per byte of ``codec``: how many more bytes its character takes in UTF-8."""
    return np.array(
        [len(bytes([b]).decode(codec, errors="replace").encode("utf-8")) - 1 for b in range(256)],
        dtype=np.int64,
    )


def transcode(col: pa.ChunkedArray, codec: str | None) -> pa.ChunkedArray:
    """A binary column as UTF-8 strings: as it is (``codec`` None: already UTF-8, checked), or
    decoded from the single-byte ``codec`` in the chunks holding a non-ASCII byte."""
    return pa.chunked_array([_transcode(c, codec) for c in col.chunks], type=pa.large_string())


def _transcode(chunk: pa.Array, codec: str | None) -> pa.Array:
    if codec is None or not len(chunk):
        return chunk.view(pa.large_string())
    _, offsets_buf, data_buf = chunk.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    lo = int(offsets[0])
    body = (
        np.frombuffer(data_buf, dtype=np.uint8)[lo : int(offsets[-1])]
        if data_buf
        else np.empty(0, np.uint8)
    )
    high = np.flatnonzero(body >= 0x80)
    if not len(high):
        return chunk.view(pa.large_string())
    grown = np.concatenate(([0], np.cumsum(_extra_bytes(codec)[body[high]])))
    rel = offsets - lo
    new_offsets = rel + grown[np.searchsorted(high, rel, side="left")]
    text = body.tobytes().decode(codec).encode("utf-8")
    if len(text) != new_offsets[-1]:  # pragma: no cover - a codec that is not single-byte
        raise ValueError(f"{codec} is not a single-byte code page")
    buffers = [None, pa.py_buffer(new_offsets), pa.py_buffer(text)]
    return pa.Array.from_buffers(pa.large_string(), len(chunk), buffers)


# bytes a value can start with and not be blank: ASCII, but none of Arrow's ASCII whitespace
_TEXT_START = np.ones(256, dtype=bool)
_TEXT_START[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = False
_TEXT_START[0x80:] = False  # a non-ASCII start (NBSP, U+3000 …) is decided by trimming


def _starts_with_text(col: pa.ChunkedArray) -> np.ndarray:
    """Per value: its first byte is ASCII and not whitespace, so it cannot trim to ``""``."""
    parts = [np.zeros(0, dtype=bool)]
    for c in col.chunks:
        _, offsets_buf, data_buf = c.buffers()
        off = np.frombuffer(offsets_buf, dtype=np.int64)[c.offset : c.offset + len(c) + 1]
        first = np.full(len(c), 0x20, dtype=np.uint8)  # empty: a space, so undecided
        filled = off[1:] > off[:-1]
        if data_buf is not None and filled.any():
            first[filled] = np.frombuffer(data_buf, dtype=np.uint8)[off[:-1][filled]]
        parts.append(_TEXT_START[first])
    return np.concatenate(parts)


def blank_records(
    columns: list[pa.ChunkedArray], patched: dict[int, list[str]], n: int
) -> np.ndarray:
    """Records whose every field is empty or whitespace (patched ones judged by all fields).

    A record whose value starts with a letter, digit or sign in some column is not blank;
    the first bytes rule out nearly every record in the first column or two, and only the
    records left are trimmed by Arrow, column by column."""
    if not n:
        return np.zeros(0, dtype=bool)
    maybe = np.arange(n, dtype=np.int64)  # records that may still be blank
    plain = all(col.null_count == 0 for col in columns)
    for col in columns if plain else []:
        maybe = maybe[~_starts_with_text(col)[maybe]]
        if not len(maybe):
            break
    blank = np.zeros(n, dtype=bool)
    if len(maybe):
        rows = pa.array(maybe)
        empty = None
        for col in columns:
            part = pc.take(col, rows) if len(maybe) < n else col
            e = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(part)), 0)
            empty = e if empty is None else pc.and_(empty, e)
            if not pc.any(empty).as_py():
                break
        if empty is None:  # no columns: every record is blank
            blank[maybe] = True
        else:
            blank[maybe] = np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    for i, fields in patched.items():
        blank[i - 1] = not any(f.strip() for f in fields)
    return blank
