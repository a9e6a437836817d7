"""The CSV reader's bounds: cell length and record width, checked before anything is parsed.

A 1 MiB cell used to surface as "the header has one column" (the ``csv`` module's field limit
made every delimiter fail the sniff); a record with 50k delimiters would have made a frame 50k
columns wide. Both are now an :class:`InputError` naming the line and the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cer_loader.errors import InputError
from cer_loader.ingest.csv.framing import CANDIDATE_DELIMITERS, SNIFF_LINES, _Framing, _Grammar
from cer_loader.ingest.headers import cell_too_long
from cer_loader.ingest.options import Limits


def _long(texts: Sequence[str], limit: int) -> list[int]:
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return np.flatnonzero(lengths > limit).tolist()


def check_line_lengths(lines: Sequence[str], path: Path, limits: Limits) -> None:
    """Before the delimiter is sniffed (on the lines the sniff reads): a line whose every split
    by a candidate delimiter leaves a piece longer than ``max_cell_chars`` holds a cell too long
    whatever the delimiter; later lines get the precise check of :func:`check_records`."""
    limit = limits.max_cell_chars
    for k in _long(lines[:SNIFF_LINES], limit):
        line = lines[k]
        pieces = [max(map(len, line.split(d))) for d in CANDIDATE_DELIMITERS]
        if min(pieces) > limit:
            raise cell_too_long(path, k + 1, "?", min(pieces), limits)


def check_records(
    fr: _Framing, g: _Grammar, headers: list[str], limits: Limits, line_bytes: np.ndarray
) -> None:
    """Every record's fields within ``max_cell_chars`` (``line_bytes``: each physical line's
    length in bytes, never less than in characters: only records longer than the limit in
    bytes are split and measured)."""
    limit, path = limits.max_cell_chars, fr.path
    long = set(fr.record_of(np.flatnonzero(line_bytes > limit)).tolist())
    long |= {
        r for r, (a, b) in fr.where.items() if int(line_bytes[a : b + 1].sum()) + b - a > limit
    }
    for k in sorted(long):
        for j, value in enumerate(g.split(fr.text(k))):
            if len(value) > limit:
                name = headers[j] if j < len(headers) else f"{j + 1}"
                raise cell_too_long(path, _row(fr, k), name, len(value), limits)


def check_widths(fr: _Framing, patched: dict[int, list[str]], limits: Limits) -> None:
    """Records wider than ``max_columns`` (only records the parser handed back can be: the
    others have exactly the header's width, which was checked)."""
    for k in sorted(patched):
        if len(patched[k]) > limits.max_columns:
            raise InputError(
                f"wiersz {_row(fr, k)} ma więcej pól niż limit max_columns = {limits.max_columns}",
                f"row {_row(fr, k)} has more fields than the limit max_columns = "
                f"{limits.max_columns}",
                path=fr.path,
                line=_row(fr, k),
            )


def _row(fr: _Framing, k: int) -> int:
    """Record index → row number as a spreadsheet shows it (header row 1)."""
    return k + 1
