"""Line framing for delimited files: where each record starts and ends, quote by quote.

The grammar (``_Grammar``) and the framing (``_frame``) implement the stray-quote heuristic
documented in :mod:`.delimited`: only lines holding a quote are examined with linear,
possessive regexes, and only lines that end inside an open quote get the look-ahead.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cer_loader.errors import InputError
from cer_loader.ingest.table import EXTRA_FIELDS, UNCLOSED_QUOTE  # noqa: F401  (re-exported)

CANDIDATE_DELIMITERS = (";", ",", "\t", "|")
MAX_SPAN = 1000  # physical lines one quoted field may span
HEADER_MAX_SPAN = 5
SNIFF_LINES = 100
EXCERPT = 40


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


def sniff_delimiter(lines: Sequence[str], *, path: str | Path | None = None) -> str:
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
    lines: Sequence[str], i: int, g: _Grammar, ncols: int | None, limit: int, whole: bool = False
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
    """Where the records are: by default one physical line each; the exceptions by record index
    (0 = the header). ``lines`` may be decoded text or a lazy view of the bytes."""

    lines: Sequence[str]
    records: int  # records in the file, the header included
    quoted: list[int]  # records holding a quote the csv module parses
    stray: dict[int, int]  # record → offset of its stray quote
    spans: list[tuple[int, int]]  # multi-line records, physical lines (1-based, inclusive)
    stray_lines: list[int]
    path: Path
    joined: list[int] = field(default_factory=list)  # records spanning several lines
    # record → (first, last) physical line of every record the framing looked at
    where: dict[int, tuple[int, int]] = field(default_factory=dict)

    def line_of(self, records: np.ndarray) -> np.ndarray:
        """First physical line (0-based) of each record in ``records``."""
        joins = sorted((r, b - a) for r, (a, b) in self.where.items() if b > a)
        if not joins:
            return np.asarray(records, dtype=np.int64)
        at = np.array([r for r, _ in joins], dtype=np.int64)
        absorbed = np.concatenate(([0], np.cumsum([n for _, n in joins])))
        return records + absorbed[np.searchsorted(at, records, side="left")]

    def record_of(self, lines: np.ndarray) -> np.ndarray:
        """The record each physical line (0-based) belongs to."""
        joins = sorted(self.where.values())
        spanned = [(a, b) for a, b in joins if b > a]
        if not spanned:
            return np.asarray(lines, dtype=np.int64)
        first = np.array([a for a, _ in spanned], dtype=np.int64)
        last = np.array([b for _, b in spanned], dtype=np.int64)
        absorbed = np.concatenate(([0], np.cumsum(last - first)))
        k = np.searchsorted(first, lines, side="right")  # joins starting at or before the line
        inside = (k > 0) & (lines <= last[np.maximum(k - 1, 0)])
        out = lines - absorbed[k]  # lines absorbed by the joins before
        out[inside] = first[k[inside] - 1] - absorbed[k[inside] - 1]
        return out

    def text(self, r: int) -> str:
        """The text of record ``r`` (its lines joined by ``\n``)."""
        if r in self.where:
            a, b = self.where[r]
            return self.lines[a] if a == b else "\n".join(self.lines[a : b + 1])
        return self.lines[int(self.line_of(np.array([r]))[0])]

    @property
    def texts(self) -> list[str]:
        """Every record's text (tests and small files: the reader itself never builds this)."""
        return [self.text(r) for r in range(self.records)]


def _frame(
    lines: Sequence[str], g: _Grammar, path: Path, quote_lines: Iterable[int] | None = None
) -> _Framing:
    """Frame ``lines``; ``quote_lines``: the lines holding a quote (found here when None)."""
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
    fr = _Framing(lines, 0, [0] if '"' in header else [], {}, [], [], path)
    fr.where[0] = (0, first_end)
    if first_end:
        fr.spans.append((1, first_end + 1))
    ncols = len(g.split(header))
    absorbed, pos = first_end, first_end + 1
    if quote_lines is None:
        quote_lines = [k for k in range(pos, len(lines)) if '"' in lines[k]]
    for i in quote_lines:
        if i < pos:
            continue
        line, pos, r = lines[i], i + 1, i - absorbed
        if g.pure.fullmatch(line):  # plain RFC 4180: left to pyarrow with quoting on
            continue
        at = g.open_at(line)
        if at >= 0:
            before = len(g.split(line[:at])) - 1 if at else 0
            whole = ncols >= 2 and before + line[at:].count(g.delim) + 1 == ncols
            end = _span_end(lines, i, g, ncols, MAX_SPAN, whole)
            joined = "\n".join(lines[i : end + 1]) if end >= 0 else ""
            if joined and len(g.split(joined)) <= ncols:
                if not g.pure.fullmatch(joined):
                    fr.quoted.append(r)
                fr.joined.append(r)
                fr.where[r] = (i, end)
                fr.spans.append((i + 1, end + 1))
                absorbed, pos = absorbed + end - i, end + 1
                continue
            fr.stray[r] = at
            fr.stray_lines.append(i + 1)
        elif (at := g.junk_at(line)) >= 0:
            fr.stray[r] = at  # one line either way: the census count is unaffected
        else:
            fr.quoted.append(r)
        fr.where[r] = (i, i)
    fr.records = len(lines) - absorbed
    return fr
