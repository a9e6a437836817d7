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
import functools
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cer_loader.errors import InputError
from cer_loader.ingest.encoding import decode, detect_encoding
from cer_loader.sources import (
    PROVENANCE,
    READER_FIELD,
    READER_ISSUE,
    READER_VALUE,
    SourceTable,
    add_provenance,
)

CANDIDATE_DELIMITERS = (";", ",", "\t", "|")
MAX_SPAN = 1000  # physical lines one quoted field may span
HEADER_MAX_SPAN = 5
SNIFF_LINES = 100
EXCERPT = 40
EXTRA_FIELDS = "csv-extra-fields"
UNCLOSED_QUOTE = "csv-unclosed-quote"


@dataclass(frozen=True)
class _Grammar:
    """The line-level quote grammar for one delimiter (compiled regexes, no backtracking)."""

    delim: str
    prefix: re.Pattern[str]  # match: the complete fields (each with its delimiter) at the start
    open_tail: re.Pattern[str]  # fullmatch after ``prefix``: an opened, unclosed quoted field
    close: re.Pattern[str]  # match inside a quoted field: up to and including the closing quote
    strict_prefix: re.Pattern[str]  # like ``prefix`` but a closing quote must end its field
    strict_field: re.Pattern[str]  # fullmatch: one RFC 4180 field
    pure: re.Pattern[str]  # fullmatch: a closed record whose every quote belongs to a quoted field

    def junk_at(self, line: str) -> int:
        """Offset of a quoted field with text after its closing quote (``"Nowak;x;"y``), or -1."""
        start = self.strict_prefix.match(line).end()  # type: ignore[union-attr]
        return -1 if self.strict_field.fullmatch(line, start) else start

    def open_at(self, line: str) -> int:
        """Offset of the quote that leaves ``line`` inside a quoted field, or -1."""
        start = self.prefix.match(line).end()  # type: ignore[union-attr]
        return start if self.open_tail.fullmatch(line, start) else -1

    def split(self, text: str) -> list[str]:
        """Fields of one record; ``csv`` semantics (lenient), independent of field size limits."""
        try:
            row = next(csv.reader([text], delimiter=self.delim, strict=False), None)
        except csv.Error:
            row = None
        return row if row else self._split_slow(text)

    def _split_slow(self, text: str) -> list[str]:
        fields: list[str] = []
        pos, end, d = 0, len(text), self.delim
        quoted = re.compile(rf'"((?:[^"]|"")*+)(?:"([^{re.escape(d)}]*+))?', re.S)
        while True:
            if text.startswith('"', pos):
                m = quoted.match(text, pos)
                assert m is not None
                fields.append(m.group(1).replace('""', '"') + (m.group(2) or ""))
                pos = m.end()
            else:
                nxt = text.find(d, pos)
                nxt = end if nxt < 0 else nxt
                fields.append(text[pos:nxt])
                pos = nxt
            if pos >= end:
                return fields
            pos += 1

    def looks_like_record(self, line: str, ncols: int | None) -> bool:
        if ncols is None:
            return self.delim in line
        if ncols < 2:
            return False
        if '"' not in line:
            return line.count(self.delim) == ncols - 1
        return self.open_at(line) < 0 and len(self.split(line)) == ncols


@functools.lru_cache(maxsize=8)
def _grammar(delim: str) -> _Grammar:
    d = re.escape(delim)
    field = rf'(?:"(?:[^"]|"")*+"[^{d}]*+|(?:[^"{d}][^{d}]*+)?)'
    strict = rf'(?:"(?:[^"]|"")*+"|(?:[^"{d}][^{d}]*+)?)'
    pure = rf'(?:"(?:[^"]|"")*+"|[^"{d}]*+)'
    return _Grammar(
        delim=delim,
        prefix=re.compile(rf"(?:{field}{d})*+"),
        open_tail=re.compile(r'"(?:[^"]|"")*+'),
        close=re.compile(r'(?:[^"]|"")*+"'),
        strict_prefix=re.compile(rf"(?:{strict}{d})*+"),
        strict_field=re.compile(strict),
        pure=re.compile(rf"(?:{pure}{d})*+{pure}"),
    )


def split_lines(text: str) -> list[str]:
    """Physical lines; ``\\r\\n``, ``\\r`` and ``\\n`` each end one; a final line end adds no line."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def sniff_delimiter(lines: list[str], *, path: str | Path | None = None) -> str:
    """Pick among ``; , TAB |`` the delimiter giving the most consistent field count (≥ 2)."""
    sample = lines[:SNIFF_LINES]
    best: tuple[float, int] = (0.0, 1)
    choice = None
    for cand in CANDIDATE_DELIMITERS:
        try:
            counts = [
                len(r)
                for r in csv.reader(sample, delimiter=cand, strict=False)
                if any(f.strip() for f in r)
            ]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts) / len(counts), counts[0])
        if score > best:
            best, choice = score, cand
    if choice is None:
        raise InputError(
            "Nie rozpoznano separatora pól (średnik, przecinek, tabulator, |): nagłówek ma "
            "jedną kolumnę. Podaj separator jawnie.",
            "Could not detect the field delimiter (; , TAB |): the header has one column. "
            "Give the delimiter explicitly.",
            path=path,
            line=1,
        )
    return choice


def _span_end(
    lines: list[str], i: int, g: _Grammar, ncols: int | None, limit: int, whole: bool = False
) -> int:
    """Last line of the multi-line record opened on line ``i``, or -1 when the quote is stray.

    ``whole``: line ``i`` read with its opening quote as text is a complete record by itself."""
    stop = min(len(lines), i + 1 + limit)
    for k in range(i + 1, stop):
        line = lines[k]
        m = g.close.match(line)
        if m is None:
            if g.looks_like_record(line, ncols):
                return -1
            continue
        rest = m.end()
        if rest < len(line) and line[rest] != g.delim:
            return -1
        if rest < len(line) and g.open_at(line[rest + 1 :]) >= 0:
            continue  # closes and opens the next quoted field
        if (whole or g.delim in line[: rest - 1]) and g.looks_like_record(line, ncols):
            return -1
        return k
    return -1


@dataclass
class _Framing:
    texts: list[str]  # one per record, header first
    quoted: list[int]  # records holding a quote (parsed by the csv module)
    stray: dict[int, int]  # record → offset of its stray quote
    spans: list[tuple[int, int]]  # multi-line records, physical lines (1-based, inclusive)
    stray_lines: list[int]
    path: Path


def _frame(lines: list[str], g: _Grammar, path: Path) -> _Framing:
    first_end = 0
    if '"' in lines[0] and g.open_at(lines[0]) >= 0:
        first_end = _span_end(lines, 0, g, None, HEADER_MAX_SPAN)
        if first_end < 0:
            raise InputError(
                "Nagłówek ma niezamknięty cudzysłów; popraw pierwszy wiersz pliku.",
                "The header has an unclosed quote; fix the first row of the file.",
                path=path,
                line=1,
            )
    header = "\n".join(lines[: first_end + 1])
    fr = _Framing([header], [0] if '"' in header else [], {}, [], [], path)
    if first_end:
        fr.spans.append((1, first_end + 1))
    ncols = len(g.split(header))
    texts, pos = fr.texts, first_end + 1
    for i in [k for k in range(pos, len(lines)) if '"' in lines[k]]:
        if i < pos:
            continue
        texts.extend(lines[pos:i])
        line, pos = lines[i], i + 1
        if g.pure.fullmatch(line):  # plain RFC 4180: left to pandas with quoting on
            texts.append(line)
            continue
        at = g.open_at(line)
        if at >= 0:
            before = len(g.split(line[:at])) - 1 if at else 0
            whole = ncols >= 2 and before + line[at:].count(g.delim) + 1 == ncols
            end = _span_end(lines, i, g, ncols, MAX_SPAN, whole)
            joined = "\n".join(lines[i : end + 1]) if end >= 0 else ""
            if joined and len(g.split(joined)) <= ncols:
                if not g.pure.fullmatch(joined):
                    fr.quoted.append(len(texts))
                texts.append(joined)
                fr.spans.append((i + 1, end + 1))
                pos = end + 1
                continue
            fr.stray[len(texts)] = at
            fr.stray_lines.append(i + 1)
        elif (at := g.junk_at(line)) >= 0:
            fr.stray[len(texts)] = at  # one line either way: the census count is unaffected
        else:
            fr.quoted.append(len(texts))
        texts.append(line)
    texts.extend(lines[pos:])
    return fr


def _parse_special(fr: _Framing, g: _Grammar) -> dict[int, list[str]]:
    """Fields of the records holding quotes: the csv module in one batch, strays split as text."""
    d, items = g.delim, [fr.texts[i] for i in fr.quoted]
    try:
        parsed: list[list[str]] | None = list(csv.reader(items, delimiter=d, strict=False))
    except csv.Error:
        parsed = None
    if parsed is None or len(parsed) != len(items):  # never let the csv module merge records
        parsed = [g.split(t) for t in items]
    rows = {i: row or [""] for i, row in zip(fr.quoted, parsed, strict=True)}
    for i, at in fr.stray.items():
        text = fr.texts[i]
        rows[i] = (g.split(text[: at - 1]) if at else []) + text[at:].split(d)
    return rows


def _body(fr: _Framing, special: dict[int, list[str]], g: _Grammar, ncols: int) -> pd.DataFrame:
    """All records after the header as text columns (at least ``ncols``).

    Records are fed to pandas' C parser one per line, ``special`` ones (strays, lenient quotes) as
    placeholders patched in afterwards. The rest is plain RFC 4180, so pandas reads it as we do;
    should its record count still differ, every record holding a quote is parsed by the ``csv``
    module instead and pandas reads the rest with quoting off, where it cannot merge lines."""
    d, texts = g.delim, fr.texts
    feed = [t or " " for t in texts[1:]]  # no empty line: the C parser may not keep it
    for i in special:
        if i:
            feed[i - 1] = " "
    width = max([ncols, *(len(r) for r in special.values())])
    width = max(width, max((t.count(d) for t in feed), default=0) + 1)
    frame = _read_c(feed, d, width, csv.QUOTE_MINIMAL)
    if len(frame) != len(feed):  # a guard: pandas and our grammar disagree somewhere
        more = [i for i in range(1, len(texts)) if '"' in texts[i] and i not in special]
        special.update(zip(more, (g.split(texts[i]) for i in more), strict=True))
        return _body_plain(fr, special, g, width)
    return _patch(frame, special, width)


def _body_plain(
    fr: _Framing, special: dict[int, list[str]], g: _Grammar, width: int
) -> pd.DataFrame:
    feed = [" " if '"' in t or not t else t for t in fr.texts[1:]]
    width = max([width, *(len(r) for r in special.values())])
    frame = _read_c(feed, g.delim, width, csv.QUOTE_NONE)
    if len(frame) != len(feed):
        raise InputError(
            "Wewnętrzny błąd czytnika CSV: liczba rekordów się nie zgadza.",
            "Internal CSV reader error: the record count differs.",
            path=fr.path,
        )
    return _patch(frame, special, width)


def _read_c(feed: list[str], d: str, width: int, quoting: int) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO("\n".join(feed)),
        sep=d,
        header=None,
        names=range(width),
        index_col=False,
        quoting=quoting,
        quotechar='"',
        doublequote=True,
        dtype=str,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
    )


def _patch(frame: pd.DataFrame, special: dict[int, list[str]], width: int) -> pd.DataFrame:
    keys = [i - 1 for i in special if i]
    if keys:
        for j in range(width):
            col = frame[j].to_numpy(dtype=object, copy=True)
            col[keys] = [r[j] if j < len(r) else "" for i, r in special.items() if i]
            frame[j] = pd.Series(col, dtype=frame[j].dtype)
    return frame


def _names(raw: list[str], warnings: list[str]) -> list[str]:
    names: list[str] = []
    for j, value in enumerate(raw, start=1):
        name = " ".join(value.split())
        if not name:
            name = f"Kolumna {j}"
            warnings.append(
                f"Kolumna {j} nie ma nagłówka; nazwana „{name}” (EN: column {j} has no header)"
            )
        if name in names or name in PROVENANCE:
            base, n = name, 2
            while f"{base} ({n})" in names:
                n += 1
            name = f"{base} ({n})"
            warnings.append(
                f"Powtórzony lub zastrzeżony nagłówek „{base}” w kolumnie {j}; nazwany „{name}” "
                f"(EN: duplicate or reserved header '{base}' in column {j})"
            )
        names.append(name)
    return names


def read_csv(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> SourceTable:
    """Read one delimited file into a :class:`SourceTable` (``kind="csv"``); see module doc."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"Nie można odczytać pliku: {exc.strerror}",
            f"Cannot read the file: {exc.strerror}",
            path=path,
        ) from exc
    enc = encoding or detect_encoding(data, path=path)
    text = decode(data, enc, path=path).removeprefix("\ufeff")
    lines = split_lines(text)
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
    delim = delimiter or sniff_delimiter(lines, path=path)
    g = _grammar(delim)
    fr = _frame(lines, g, path)
    special = _parse_special(fr, g)
    warnings: list[str] = []
    headers = _names(g.split(fr.texts[0]), warnings)
    ncols = len(headers)
    body = _body(fr, special, g, ncols)

    blank = np.fromiter(
        (not t.replace(delim, "").replace('"', "").strip() for t in fr.texts[1:]),
        dtype=bool,
        count=len(body),
    )
    for k in np.flatnonzero(blank).tolist():
        if '"' in fr.texts[k + 1]:
            row = special.get(k + 1) or g.split(fr.texts[k + 1])
            blank[k] = not any(f.strip() for f in row)
    keep = ~blank
    position = np.cumsum(keep) - 1
    issues: dict[int, tuple[str, str, str]] = {}
    if body.shape[1] > ncols:
        extra = body.iloc[:, ncols:]
        wide = np.flatnonzero(keep & (extra != "").any(axis=1).to_numpy())
        for k in wide.tolist():
            r = special.get(k + 1) or g.split(fr.texts[k + 1])
            issues[k] = (EXTRA_FIELDS, "", delim.join(r[ncols:]))
    for i, at in fr.stray.items():
        text = fr.texts[i]
        k = len(g.split(text[:at])) - 1 if at else 0
        excerpt = text[at : at + EXCERPT] + ("…" if len(text) > at + EXCERPT else "")
        issues[i - 1] = (UNCLOSED_QUOTE, headers[k] if k < ncols else "", excerpt)

    frame = body.iloc[:, :ncols].set_axis(headers, axis=1)
    if not keep.all():
        frame = frame[keep].reset_index(drop=True)
    frame = add_provenance(frame, path, np.flatnonzero(keep) + 2)
    if issues:
        n = len(frame)
        cols = {READER_ISSUE: [""] * n, READER_FIELD: [""] * n, READER_VALUE: [""] * n}
        for k, (code, field, value) in issues.items():
            p = int(position[k])
            cols[READER_ISSUE][p], cols[READER_FIELD][p], cols[READER_VALUE][p] = code, field, value
        for name, values in cols.items():
            frame[name] = values
    if fr.stray:
        first = min(fr.stray) + 1
        warnings.append(
            f"{len(fr.stray)} wiersz(y) z niezamkniętym cudzysłowem odrzucono jako "
            f"{UNCLOSED_QUOTE} (pierwszy: wiersz {first}) "
            f"(EN: {len(fr.stray)} row(s) with an unclosed quote rejected; first: row {first})"
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
