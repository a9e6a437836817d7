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

Speed: the file is never split into Python strings. Physical lines and quotes are found with
numpy over the bytes (:mod:`.physical`); only lines holding a quote are decoded and examined
with the (linear, possessive) line regexes, and only lines that end inside an open quote get
the look-ahead above. pyarrow's C++ parser then splits the file's own bytes into columns, the
records holding quotes cut out of its feed, parsed by the C ``csv`` module in one batch and
patched in (:mod:`.columns`). A cp1250 or ISO-8859-2 file is transcoded to UTF-8 column by
column after the parse; a file of another encoding, or of mixed encodings, is decoded as a
whole and read as UTF-8.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader import outcomes
from cer_loader.errors import InputError
from cer_loader.ingest.csv.assemble import source_frame
from cer_loader.ingest.csv.columns import NotUtf8Rows, blank_records, record_columns
from cer_loader.ingest.csv.encoding import MIXED, decode, detect_encoding, is_utf8, utf8_lines
from cer_loader.ingest.csv.framing import (  # noqa: F401  (re-exported: the reader's public names)
    CANDIDATE_DELIMITERS,
    EXCERPT,
    EXTRA_FIELDS,
    MAX_SPAN,
    SNIFF_LINES,
    UNCLOSED_QUOTE,
    _frame,
    _Framing,
    _Grammar,
    _grammar,
    sniff_delimiter,
    split_lines,
)
from cer_loader.ingest.csv.limits import check_line_lengths, check_records, check_widths
from cer_loader.ingest.csv.physical import FileBytes, PhysicalLines
from cer_loader.ingest.headers import UniqueNames, check_columns, looks_like_data, shown
from cer_loader.ingest.options import Limits
from cer_loader.ingest.progress import FileProgress
from cer_loader.ingest.table import PROVENANCE, SourceTable, read_input_bytes
from cer_loader.outcomes import Notice


def _parse_special(fr: _Framing, g: _Grammar) -> dict[int, list[str]]:
    """Fields of the records holding quotes: the csv module in one batch, strays split as text."""
    keys = sorted({*fr.quoted, *fr.joined})  # the joined ones: pyarrow reads one line each
    d, items = g.delim, [fr.text(i) for i in keys]
    try:
        parsed: list[list[str]] | None = list(csv.reader(items, delimiter=d, strict=False))
    except csv.Error:
        parsed = None
    if parsed is None or len(parsed) != len(items):  # never let the csv module merge records
        parsed = [g.split(t) for t in items]
    rows = {i: row or [""] for i, row in zip(keys, parsed, strict=True)}
    for i, at in fr.stray.items():
        text = fr.text(i)
        rows[i] = (g.split(text[: at - 1]) if at else []) + text[at:].split(d)
    return rows


def _names(raw: list[str], warnings: list[Notice]) -> list[str]:
    names: list[str] = []
    unique = UniqueNames(PROVENANCE)
    data_like = looks_like_data(raw)
    for j, value in enumerate(raw, start=1):
        name = " ".join(value.split())
        if not name:
            name = f"Kolumna {j}"
            warnings.append(Notice(outcomes.HEADER_MISSING, {"column": j, "name": name}))
        base, name = name, unique.add(name)
        if name != base:
            warnings.append(
                Notice(
                    outcomes.HEADER_DUPLICATE,
                    {"header": shown(base, data_like), "column": j, "name": shown(name, data_like)},
                )
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


_SINGLE_BYTE = {"cp1250": b"\x81\x83\x88\x90\x98", "iso8859-2": b""}  # and undefined bytes


def _source(data: bytes, encoding: str | None, path: Path) -> tuple[str, bytes, int, str | None]:
    """(encoding label, bytes to read, offset after a BOM, the single-byte code page of those
    bytes or None when they are UTF-8). Undecodable bytes raise :class:`InputError` (from
    :func:`.encoding.decode`, naming the byte, its offset and line)."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            name = ""
        label = encoding
    else:
        label = detect_encoding(data, path=path)
        name = "" if label.endswith(MIXED) else codecs.lookup(label).name
    if name in ("utf-8", "utf-8-sig"):
        if encoding and not is_utf8(data):
            decode(data, encoding, path=path)  # raises, naming the byte
        return label, data, 3 if data.startswith(b"\xef\xbb\xbf") else 0, None
    if name in _SINGLE_BYTE:
        if any(data.find(bytes([b])) >= 0 for b in _SINGLE_BYTE[name]):  # memchr, not a copy
            decode(data, label, path=path)  # raises, naming the byte
        return label, data, 0, name
    text = decode(data, label, path=path).removeprefix("\ufeff")  # mixed, or another codec
    return label, text.encode("utf-8", errors="surrogatepass"), 0, None


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
    return read_csv_bytes(
        path, encoding=encoding, delimiter=delimiter, limits=limits, progress=progress
    )[0]


def read_csv_bytes(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: Limits | None = None,
    progress: FileProgress | None = None,
) -> tuple[SourceTable, FileBytes]:
    """:func:`read_csv`, and the file's bytes as read (for the census: :mod:`.counted`)."""
    path = Path(path)
    limits = limits or Limits()
    fp = progress or FileProgress(None)
    read = FileBytes(read_input_bytes(path, limits.max_file_bytes))
    data = read.data
    enc, src, start, codec = _source(data, encoding, path)
    warnings: list[Notice] = []
    if enc.endswith(MIXED):
        warnings.append(_mixed_notice(data, enc))
    lines = PhysicalLines(src, start, codec or "utf-8")
    if src is data:  # the census may count on these lines: they split the file's own bytes
        read.start, read.bounds = start, (lines.starts, lines.stops)
    fp.expect(len(lines) - 1, exact=False)
    if not len(lines) or not lines[0].strip():
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
    head = lines[:SNIFF_LINES]
    if delimiter is None:
        check_line_lengths(head, path, limits)
    delim = delimiter or sniff_delimiter(head, path=path)
    g = _grammar(delim)
    quote_lines = lines.quote_lines()
    fr = _frame(lines, g, path, quote_lines.tolist())
    fp.expect(fr.records - 1)  # the records below the header, exactly
    fp.share(0.25)
    headers = _names(g.split(fr.text(0)), warnings)
    ncols = len(headers)
    check_columns(path, ncols, limits, "nagłówek pliku", "the file's header")
    check_records(fr, g, headers, limits, lines.byte_lengths())
    special = _parse_special(fr, g)
    try:
        columns, patched = record_columns(fr, special, g, ncols, lines, codec, quote_lines)
    except NotUtf8Rows:  # rows of another width in a code-page file: read it as UTF-8
        assert codec is not None
        utf8 = PhysicalLines(lines.data.decode(codec).encode("utf-8"), 0, "utf-8")
        columns, patched = record_columns(fr, special, g, ncols, utf8, None, quote_lines)
        del utf8
    check_widths(fr, patched, limits)
    fp.share(0.5)
    n = fr.records - 1
    blank = blank_records(columns, patched, n)
    keep = ~blank
    position = np.cumsum(keep) - 1
    issues: dict[int, tuple[str, str, str]] = {}
    for i, fields in patched.items():
        if len(fields) > ncols and keep[i - 1] and any(f != "" for f in fields[ncols:]):
            issues[i - 1] = (EXTRA_FIELDS, "", delim.join(fields[ncols:]))
    for i, at in fr.stray.items():
        text = fr.text(i)
        k = len(g.split(text[:at])) - 1 if at else 0
        excerpt = text[at : at + EXCERPT] + ("…" if len(text) > at + EXCERPT else "")
        issues[i - 1] = (UNCLOSED_QUOTE, headers[k] if k < ncols else "", excerpt)

    if not keep.all():
        kept = pa.array(np.flatnonzero(keep))
        columns = [pc.take(col, kept) for col in columns]
    by_position = {int(position[k]): issue for k, issue in issues.items()}
    frame = source_frame(headers, columns, path, np.flatnonzero(keep) + 2, by_position)
    fp.share(0.65)
    if fr.stray:
        first = min(fr.stray) + 1
        warnings.append(
            Notice(outcomes.CSV_UNCLOSED_QUOTES, {"count": len(fr.stray), "first": first})
        )
    table = SourceTable(
        path=path,
        kind="csv",
        frame=frame,
        headers=headers,
        header_records=1,
        blank_rows=int(blank.sum()),
        total_records=fr.records,
        sha256=read.sha256(),
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
    return table, read
