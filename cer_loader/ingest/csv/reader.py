"""CSV / TSV exports → :class:`SourceTable`, without ever merging rows silently.

Reading: the bytes are decoded once (:mod:`.encoding`); ``\\r\\n``, ``\\r`` and ``\\n`` all end a
physical line (inside a quoted field they become ``\\n`` in the value). The first record is the
header (row 1); every later record is row 2, 3, … in file order, as a spreadsheet numbers them:
a newline inside a quoted field does not start a new row. Values stay text (``""`` when empty).

Quotes follow RFC 4180, read leniently the way Excel reads them: a field that *starts* with ``"``
is quoted (``""`` inside is one ``"``; text after the closing quote up to the delimiter is kept);
a ``"`` anywhere else in a field is a literal character (``O"Neil``, ``12" monitor``).

**Stray-quote heuristic.** pandas, the ``csv`` module and frictionless let a field that opens
with ``"`` and is never closed swallow every following line until the next quote, and report
fewer rows with no error. Here a line whose last field opens a quote that does not close on the
same line is only joined with the following lines when *all* of these hold:

* a later line closes the quote *cleanly*: the closing ``"`` is followed by the delimiter or
  the end of the line (a line that closes and cleanly opens another quoted field continues);
* no line in between looks like a record of its own: a line that is complete by itself and
  has exactly the header's number of fields (with a one-column file this test is skipped;
  for the header, any line holding the delimiter counts). The final closing line is held to
  the same test when a delimiter precedes its closing quote, or when the opening line, its
  quote read as text, is itself a complete record (``2;Nowak";y`` after ``1;"Kowalski;x``
  is two records with two stray quotes, not one record);
* the quote closes within :data:`MAX_SPAN` physical lines and before the end of the file;
* the joined record has no more fields than the header.

Otherwise the quote is *stray*, and so is a quoted field on a single line whose closing quote
is followed by other text than the delimiter (``2;"Nowak;x;"pilne"``: the stray quote pairs
with a later one, and Excel would silently glue three fields into one). That line alone becomes a rejected row (``_reader_issue`` =
``csv-unclosed-quote``, ``_reader_field`` = its column, ``_reader_value`` = an excerpt; the
line is split on the delimiter with the quote kept as text) and the next line is read as a
record again. A stray quote in the header raises :class:`InputError`. A record with more non-empty
fields than the header keeps its first fields and is rejected as ``csv-extra-fields`` (the surplus in
``_reader_value``); a record with fewer is padded with ``""``. Records whose fields are all
empty or whitespace are blank: counted in ``blank_rows``, not in ``frame``.

Speed: records without ``"`` go to pandas' C parser with quoting off (so it cannot merge
lines); records with quotes go through the C ``csv`` module in one batch and are patched in;
only lines holding a quote are examined with the (linear, possessive) line regexes, and only
lines that end inside an open quote get the look-ahead above.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader import outcomes
from cer_loader.errors import InputError
from cer_loader.ingest.csv.columns import blank_records, record_columns
from cer_loader.ingest.csv.encoding import MIXED, decode, detect_and_decode, utf8_lines
from cer_loader.ingest.csv.framing import (  # noqa: F401  (re-exported: the reader's public names)
    CANDIDATE_DELIMITERS,
    EXCERPT,
    EXTRA_FIELDS,
    MAX_SPAN,
    UNCLOSED_QUOTE,
    _frame,
    _Framing,
    _Grammar,
    _grammar,
    sniff_delimiter,
    split_lines,
)
from cer_loader.ingest.csv.limits import check_line_lengths, check_records, check_widths
from cer_loader.ingest.headers import UniqueNames, check_columns
from cer_loader.ingest.options import Limits
from cer_loader.ingest.progress import FileProgress
from cer_loader.ingest.table import (
    PROVENANCE,
    READER_FIELD,
    READER_ISSUE,
    READER_VALUE,
    SourceTable,
    add_provenance,
    read_input_bytes,
)
from cer_loader.outcomes import Notice

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str": Arrow-backed text


def _parse_special(fr: _Framing, g: _Grammar) -> dict[int, list[str]]:
    """Fields of the records holding quotes: the csv module in one batch, strays split as text."""
    keys = sorted({*fr.quoted, *fr.joined})  # the joined ones: pyarrow reads one line each
    d, items = g.delim, [fr.texts[i] for i in keys]
    try:
        parsed: list[list[str]] | None = list(csv.reader(items, delimiter=d, strict=False))
    except csv.Error:
        parsed = None
    if parsed is None or len(parsed) != len(items):  # never let the csv module merge records
        parsed = [g.split(t) for t in items]
    rows = {i: row or [""] for i, row in zip(keys, parsed, strict=True)}
    for i, at in fr.stray.items():
        text = fr.texts[i]
        rows[i] = (g.split(text[: at - 1]) if at else []) + text[at:].split(d)
    return rows


def _names(raw: list[str], warnings: list[Notice]) -> list[str]:
    names: list[str] = []
    unique = UniqueNames(PROVENANCE)
    for j, value in enumerate(raw, start=1):
        name = " ".join(value.split())
        if not name:
            name = f"Kolumna {j}"
            warnings.append(Notice(outcomes.HEADER_MISSING, {"column": j, "name": name}))
        base, name = name, unique.add(name)
        if name != base:
            warnings.append(
                Notice(outcomes.HEADER_DUPLICATE, {"header": base, "column": j, "name": name})
            )
        names.append(name)
    return names


def _mixed_notice(data: bytes, enc: str) -> Notice:
    page = enc.removesuffix(MIXED)
    found = [k + 1 for k in utf8_lines(data, page)]
    shown = ", ".join(map(str, found[:10])) + (", …" if len(found) > 10 else "")
    return Notice(
        outcomes.CSV_MIXED_ENCODING, {"encoding": page, "count": len(found), "lines": shown}
    )


def read_csv(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: Limits | None = None,
    progress: FileProgress | None = None,
) -> SourceTable:
    """Read one delimited file into a :class:`SourceTable` (``kind="csv"``); see module doc.
    ``progress``: told at the end of each whole-file pass (the census after it is the rest)."""
    path = Path(path)
    limits = limits or Limits()
    fp = progress or FileProgress(None)
    data = read_input_bytes(path, limits.max_file_bytes)
    if encoding:
        enc, text = encoding, decode(data, encoding, path=path)
    else:
        enc, text = detect_and_decode(data, path=path)
    text = text.removeprefix("\ufeff")
    warnings: list[Notice] = []
    if enc.endswith(MIXED):
        warnings.append(_mixed_notice(data, enc))
    lines = split_lines(text)
    fp.expect(len(lines) - 1, exact=False)
    if not lines or not lines[0].strip():
        raise InputError(
            "Plik jest pusty albo pierwszy wiersz (nagłówek) jest pusty.",
            "The file is empty or its first row (the header) is blank.",
            path=path,
            line=1,
        )
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise InputError(
            f"Niepoprawny separator pól {delimiter!r}: musi to być jeden znak inny niż cudzysłów.",
            f"Invalid delimiter {delimiter!r}: it must be one character other than a quote.",
            path=path,
        )
    if delimiter is None:
        check_line_lengths(lines, path, limits)
    delim = delimiter or sniff_delimiter(lines, path=path)
    g = _grammar(delim)
    fr = _frame(lines, g, path)
    fp.expect(len(fr.texts) - 1)  # the records below the header, exactly
    fp.share(0.25)
    headers = _names(g.split(fr.texts[0]), warnings)
    ncols = len(headers)
    check_columns(path, ncols, limits, "nagłówek pliku", "the file's header")
    lengths = np.fromiter(map(len, fr.texts), dtype=np.int64, count=len(fr.texts))
    check_records(fr, g, headers, limits, lengths)
    special = _parse_special(fr, g)
    columns, patched = record_columns(fr, special, g, ncols, np.flatnonzero(lengths[1:] == 0))
    check_widths(fr, patched, limits)
    fp.share(0.5)
    n = len(fr.texts) - 1
    blank = blank_records(columns, patched, n)
    keep = ~blank
    position = np.cumsum(keep) - 1
    issues: dict[int, tuple[str, str, str]] = {}
    for i, fields in patched.items():
        if len(fields) > ncols and keep[i - 1] and any(f != "" for f in fields[ncols:]):
            issues[i - 1] = (EXTRA_FIELDS, "", delim.join(fields[ncols:]))
    for i, at in fr.stray.items():
        text = fr.texts[i]
        k = len(g.split(text[:at])) - 1 if at else 0
        excerpt = text[at : at + EXCERPT] + ("…" if len(text) > at + EXCERPT else "")
        issues[i - 1] = (UNCLOSED_QUOTE, headers[k] if k < ncols else "", excerpt)

    if not keep.all():
        kept = pa.array(np.flatnonzero(keep))
        columns = [pc.take(col, kept) for col in columns]
    frame = pd.DataFrame(
        {h: pd.array(col, dtype=TEXT) for h, col in zip(headers, columns, strict=True)},
        columns=headers,
    )
    frame = add_provenance(frame, path, np.flatnonzero(keep) + 2)
    if issues:
        n = len(frame)
        cols = {READER_ISSUE: [""] * n, READER_FIELD: [""] * n, READER_VALUE: [""] * n}
        for k, (code, field, value) in issues.items():
            p = int(position[k])
            cols[READER_ISSUE][p], cols[READER_FIELD][p], cols[READER_VALUE][p] = code, field, value
        for name, values in cols.items():
            frame[name] = values
    fp.share(0.65)
    if fr.stray:
        first = min(fr.stray) + 1
        warnings.append(
            Notice(outcomes.CSV_UNCLOSED_QUOTES, {"count": len(fr.stray), "first": first})
        )
    return SourceTable(
        path=path,
        kind="csv",
        frame=frame,
        headers=headers,
        header_records=1,
        blank_rows=int(blank.sum()),
        total_records=len(fr.texts),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        details={
            "encoding": enc,
            "delimiter": delim,
            "physical_lines": len(lines),
            "quoted_newlines": sum(b - a for a, b in fr.spans),
            "multiline_spans": [list(s) for s in fr.spans],
            "unclosed_quote_lines": list(fr.stray_lines),
        },
        warnings=warnings,
    )
