"""An independent count of the records in a CSV file, to prove the reader lost none.

The census never calls the reader's parser. It takes the physical lines (``\\r\\n``, ``\\r``,
``\\n``; found once for both, :mod:`.counted`) and counts ``"`` per line with numpy over the
raw bytes (:mod:`.census_bytes`; exact for every encoding the readers use, other encodings are
decoded and split with a regex), and walks only the lines with an *odd* count, since only they
can move a record boundary: with RFC 4180 quoting a line with an odd number of quotes toggles
"inside a quoted field".

Its rule: **records = physical lines − continuation lines of properly closed multi-line
fields.** A multi-line field runs from an odd line ``i`` to the next odd line ``j`` and counts as
properly closed when

* line ``i`` has a quote at a field start (line start or after the delimiter) followed by text
  with no lone quote up to the end of the line (otherwise its odd quote is a literal, ``O"Neil``);
* every line strictly between ``i`` and ``j`` either closes and reopens a quoted field (its
  lone ``"`` followed by the delimiter) or does not look like a record of its own (delimiters
  outside quoted segments ≠ header columns − 1; skipped for one-column files; any delimiter in
  a header span);
* line ``j``'s closing quote is followed by the delimiter or the line end, and when a
  delimiter precedes that quote, or line ``i`` with its quote read as text has as many fields
  as the header, line ``j`` does not look like a record of its own;
* ``j − i ≤ MAX_SPAN`` and the joined record has no more fields than the header.

Any other odd opener is a stray quote: its line is a record of its own and is listed in
``unclosed_quote_lines``. This mirrors what the reader promises (see :mod:`.delimited`) from a
different angle (quote parity instead of a tokenizer), so a parser bug that merges or splits
records shows up as a different count: :func:`check_balance` then raises
:class:`CensusMismatchError`. There is no tolerance: both sides count every record, rejected
ones included, so any difference is unexplained.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cer_loader.errors import CensusMismatchError, InputError
from cer_loader.ingest.bounded import read_input_bytes
from cer_loader.ingest.csv.census_bytes import ByteLines, bom_offset, byte_safe
from cer_loader.ingest.csv.encoding import MIXED, decode
from cer_loader.ingest.csv.physical import FileBytes
from cer_loader.ingest.table import SourceTable

MAX_SPAN = 1000  # same bound as the reader's, stated independently
HEADER_MAX_SPAN = 5
_LINE_END = re.compile(r"\r\n|\r|\n")
_CLOSE = re.compile(r'(?:[^"]|"")*"(?!")')


@dataclass
class Census:
    path: Path
    size: int
    sha256: str
    physical_lines: int
    records: int
    blank_records: int
    unclosed_quote_lines: list[int] = field(default_factory=list)
    multiline_spans: list[tuple[int, int]] = field(default_factory=list)

    def first_divergence(self, table: SourceTable) -> int | None:
        """First physical line (1-based) where the reader's record boundaries differ from ours."""
        theirs = {tuple(s) for s in table.details.get("multiline_spans", [])}
        mine = set(self.multiline_spans)
        lines = [a for a, _ in mine ^ theirs]
        stray_theirs = set(table.details.get("unclosed_quote_lines", []))
        lines += list(stray_theirs ^ set(self.unclosed_quote_lines))
        if lines:
            return min(lines)
        other = table.details.get("physical_lines")
        if other is not None and other != self.physical_lines:
            return min(other, self.physical_lines) + 1
        return None


class _Rules:
    def __init__(self, delim: str):
        d = re.escape(delim)
        self.delim = delim
        self.opener = re.compile(rf'(?:^|(?<={d}))"(?:[^"]|"")*$', re.S)
        self.segment = re.compile(rf'(?:^|(?<={d}))"(?:[^"]|"")*"', re.S)

    def columns(self, text: str) -> int:
        return self.segment.sub("", text).count(self.delim) + 1

    def record_like(self, line: str, ncols: int | None) -> bool:
        if ncols is None:
            return self.delim in line
        if ncols < 2 or self.columns(line) != ncols:
            return False
        return not (line.count('"') % 2 and self.opener.search(line))

    def clean_close(self, line: str) -> int:
        """End of the closing quote when it is followed by the delimiter or the line end, else -1."""
        m = _CLOSE.match(line)
        if m is None or (m.end() < len(line) and line[m.end()] != self.delim):
            return -1
        return m.end()

    def closed_span(self, lines: Sequence[str], i: int, j: int, ncols: int | None) -> bool:
        whole = False
        if ncols is not None and ncols >= 2:
            q = self.opener.search(lines[i]).start()  # type: ignore[union-attr]
            whole = self.columns(lines[i][:q]) + lines[i][q:].count(self.delim) == ncols
        for k in range(i + 1, j):
            line = lines[k]
            if _CLOSE.match(line):
                if self.clean_close(line) < 0:
                    return False
            elif self.record_like(line, ncols):
                return False
        end = self.clean_close(lines[j])
        if end < 0 or (
            (whole or self.delim in lines[j][: end - 1]) and self.record_like(lines[j], ncols)
        ):
            return False
        return ncols is None or self.columns("\n".join(lines[i : j + 1])) <= ncols


def _text_lines(data: bytes, encoding: str, path: Path) -> list[str]:
    try:
        text = decode(data, encoding, path=path)  # the shared decoder, not the reader's parser
    except InputError as exc:
        raise InputError(
            f"Kontrola liczby wierszy nie mogła odczytać pliku: {exc.message}",
            f"The row census could not read the file: {exc.message_en}",
            path=path,
        ) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = _LINE_END.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def _decodable(data: bytes, encoding: str, path: Path) -> None:
    """The bytes decode in ``encoding`` (cp1250: none of its five undefined bytes)."""
    try:
        if encoding == "cp1250":
            if any(data.find(bytes([b])) >= 0 for b in b"\x81\x83\x88\x90\x98"):
                data.decode("cp1250")  # raises, naming the byte
        else:
            data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"Kontrola liczby wierszy nie mogła odczytać pliku: {exc}",
            f"The row census could not read the file: {exc}",
            path=path,
        ) from exc


def census_csv(
    path: str | Path,
    encoding: str,
    delimiter: str,
    *,
    max_bytes: int | None = None,
    read: FileBytes | None = None,
) -> Census:
    """Count the records of a delimited file by the census rule (module docstring).

    ``read``: the bytes as the reader read and decoded them in ``encoding`` (so they are not
    read, hashed, checked or split into physical lines again); None: read the file here."""
    path = Path(path)
    data = read_input_bytes(path, max_bytes) if read is None else read.data
    lines: Sequence[str]
    if byte_safe(encoding, delimiter):  # numpy over the bytes; lines decoded only when needed
        if read is None and not encoding.endswith(MIXED) and encoding != "iso-8859-2":
            _decodable(data, encoding, path)
        bounds = None if read is None else read.lines_from(bom_offset(data, encoding))
        lines = ByteLines(data, encoding, bounds)
        n = len(lines)
        odd = np.flatnonzero(lines.quote_counts() & 1).tolist()
        blank_line = lines.blank_lines(delimiter, encoding)[1:]
    else:
        lines = _text_lines(data, encoding, path)
        n = len(lines)
        quotes = np.fromiter((ln.count('"') for ln in lines), dtype=np.int64, count=n)
        odd = np.flatnonzero(quotes & 1).tolist()
        blank_line = np.array(
            [not ln.replace(delimiter, "").replace('"', "").strip() for ln in lines[1:]],
            dtype=bool,
        )
    rules = _Rules(delimiter)
    ncols = rules.columns(lines[0]) if n else 0
    spans: list[tuple[int, int]] = []
    stray: list[int] = []
    done, t = 0, 0
    while t < len(odd):
        i = odd[t]
        t += 1
        if i < done or not rules.opener.search(lines[i]):
            continue
        width, limit = (None, HEADER_MAX_SPAN) if i == 0 else (ncols, MAX_SPAN)
        j = odd[t] if t < len(odd) else -1
        if j > i and j - i <= limit and rules.closed_span(lines, i, j, width):
            spans.append((i + 1, j + 1))
            done, t = j + 1, t + 1
            if i == 0:
                ncols = rules.columns("\n".join(lines[: j + 1]))
        else:
            stray.append(i + 1)
    blank = int(blank_line.sum())
    for a, b in spans:
        if a > 1:  # a span's lines are one record: blank only if all of them are
            part = blank_line[a - 2 : b - 1]
            blank -= int(part.sum()) - bool(part.all())
    return Census(
        path=path,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest() if read is None else read.sha256(),
        physical_lines=n,
        records=n - sum(b - a for a, b in spans),
        blank_records=blank,
        unclosed_quote_lines=stray,
        multiline_spans=spans,
    )


def balance(table: SourceTable, census: Census) -> dict[str, Any]:
    """The named terms of the row balance for ``summary.json``."""
    return {
        "physical_records": census.records,
        "header": table.header_records,
        "blank": table.blank_rows,
        "data_rows": table.data_rows,
        "sha256": census.sha256,
        "size": census.size,
    }


def check_balance(table: SourceTable, census: Census) -> None:
    """Raise :class:`CensusMismatchError` unless reader and census agree on every record."""
    path = table.path
    if table.sha256 and (table.sha256 != census.sha256 or table.size != census.size):
        raise CensusMismatchError(
            "Plik zmienił się między odczytem a kontrolą liczby wierszy; uruchom ponownie.",
            "The file changed between reading and the row census; run again.",
            path=path,
        )
    parts = table.header_records + table.blank_rows + table.skipped_rows + table.data_rows
    if parts != table.total_records:
        raise CensusMismatchError(
            f"Bilans wierszy się nie zgadza: nagłówek {table.header_records} + puste "
            f"{table.blank_rows} + pominięte {table.skipped_rows} + dane {table.data_rows} "
            f"≠ {table.total_records} rekordów odczytanych.",
            f"Row balance broken: header {table.header_records} + blank {table.blank_rows} + "
            f"skipped {table.skipped_rows} + data {table.data_rows} ≠ {table.total_records} "
            "records read.",
            path=path,
        )
    if table.total_records != census.records:
        line = census.first_divergence(table)
        where_pl = f" Pierwsza rozbieżność w linii {line}." if line else ""
        where_en = f" First divergence at line {line}." if line else ""
        raise CensusMismatchError(
            f"Czytnik odczytał {table.total_records} rekordów, a niezależne liczenie pliku "
            f"daje {census.records} (linii fizycznych: {census.physical_lines}). Wiersze "
            f"mogły zostać zgubione lub sklejone — sprawdź cudzysłowy w pliku.{where_pl}",
            f"The reader read {table.total_records} records but the independent count of "
            f"the file gives {census.records} ({census.physical_lines} physical lines). Rows "
            f"may have been lost or merged — check the quotes in the file.{where_en}",
            path=path,
            line=line,
        )
