"""The records of a framed CSV file as Arrow string columns, parsed by pyarrow in one pass.

The framing (:mod:`.framing`) has already decided where every record starts and ends. What is
left is splitting records into fields, which pyarrow's CSV parser does in C++ straight into
Arrow strings (no Python object per cell). It is fed one record per line, so it can never merge
records: records the framing reads differently from RFC 4180 (stray quotes, lenient quotes,
records spanning lines) and empty lines are fed as a placeholder of the right width, and their
fields — from the ``csv`` module, see ``special`` — are patched in afterwards with one
``take`` per column. A record whose field count differs from the header's is handed back by
pyarrow (``invalid_row_handler``, with its line number: the parse is single-threaded so every
row is numbered) and split by the grammar instead, so short rows are padded and long ones keep
their surplus for ``csv-extra-fields``. Should pyarrow's row count still differ from the
framing's, every record holding a quote is patched and pyarrow reads the rest with quoting off.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cer_loader.errors import InputError
from cer_loader.ingest.csv.framing import _Framing, _Grammar


def _parse(feed: bytes, g: _Grammar, ncols: int, quoting: bool) -> tuple[pa.Table, list[int]]:
    skipped: list[int] = []

    def handler(row: Any) -> str:
        skipped.append(row.number)
        return "skip"

    names = [str(j) for j in range(ncols)]
    table = pacsv.read_csv(
        io.BytesIO(feed),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=16 << 20),
        parse_options=pacsv.ParseOptions(
            delimiter=g.delim,
            quote_char='"' if quoting else False,
            double_quote=True,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=handler,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )
    return table, skipped


def record_columns(
    fr: _Framing, special: dict[int, list[str]], g: _Grammar, ncols: int, empty: np.ndarray
) -> tuple[list[pa.ChunkedArray], dict[int, list[str]]]:
    """``ncols`` string columns over the records after the header, and the fields of every
    record that was not parsed by pyarrow (by record index), for the extra-field and blank
    checks. ``empty``: 0-based positions (after the header) of empty records."""
    texts = fr.texts
    if len(texts) == 1:  # a header and nothing else
        return [pa.chunked_array([], type=pa.string()) for _ in range(ncols)], {}
    placeholder = '""' + g.delim * (ncols - 1)
    feed = texts[1:]
    for i in special:
        if i:
            feed[i - 1] = placeholder
    for k in empty.tolist():
        feed[k] = placeholder
    data = "\n".join(feed).encode("utf-8")
    table, skipped = _parse(data, g, ncols, quoting=True)
    if table.num_rows + len(skipped) != len(feed) or None in skipped:
        more = [i for i in range(1, len(texts)) if '"' in texts[i] and i not in special]
        special.update(zip(more, (g.split(texts[i]) for i in more), strict=True))
        for i in more:
            feed[i - 1] = placeholder
        table, skipped = _parse("\n".join(feed).encode("utf-8"), g, ncols, quoting=False)
        if table.num_rows + len(skipped) != len(feed) or None in skipped:
            raise InputError(
                "Wewnętrzny błąd czytnika CSV: liczba rekordów się nie zgadza.",
                "Internal CSV reader error: the record count differs.",
                path=fr.path,
            )
    patched = {i: special[i] for i in special if i}
    for k in skipped:  # 1-based line of the feed = record index
        if k not in patched:
            patched[k] = g.split(texts[k])
    columns = [table.column(j) for j in range(ncols)]
    if patched:
        columns = _patch(columns, patched, sorted(skipped), len(feed))
    return columns, patched


def _patch(
    columns: list[pa.ChunkedArray], patched: dict[int, list[str]], skipped: list[int], n: int
) -> list[pa.ChunkedArray]:
    """Columns of length ``n`` with the ``patched`` records' fields in their places."""
    k = np.arange(n, dtype=np.int64)
    order = k - np.searchsorted(np.asarray(skipped, dtype=np.int64) - 1, k)  # skip-adjusted
    keys = sorted(patched)
    order[np.asarray(keys, dtype=np.int64) - 1] = len(columns[0]) + np.arange(len(keys))
    index = pa.array(order)
    rows = [patched[i] for i in keys]
    out = []
    for j, col in enumerate(columns):
        extra = pa.array([r[j] if j < len(r) else "" for r in rows], type=pa.string())
        out.append(pc.take(pa.chunked_array([*col.chunks, extra], type=pa.string()), index))
    return out


def blank_records(
    columns: list[pa.ChunkedArray], patched: dict[int, list[str]], n: int
) -> np.ndarray:
    """Records whose every field is empty or whitespace (patched ones judged by all fields)."""
    if not n:
        return np.zeros(0, dtype=bool)
    empty = None
    for col in columns:
        e = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(col)), 0)
        empty = e if empty is None else pc.and_(empty, e)
        if not pc.any(empty).as_py():
            break
    blank = np.ones(n, dtype=bool) if empty is None else empty.to_numpy(zero_copy_only=False)
    blank = np.array(blank, dtype=bool)  # writable
    for i, fields in patched.items():
        blank[i - 1] = not any(f.strip() for f in fields)
    return blank
