"""XLSX (and XLS/ODS, which calamine also reads) → ``SourceTable``: the cells as a person meant them.

Reading is python-calamine (Rust) and nothing else; openpyxl is only used by the tests to write
fixtures. What the reader decides, in order:

* **Sheet**: the one named (exact, then case/space-insensitive), else the first *visible*
  worksheet. Hidden sheets are never chosen on their own; naming one explicitly reads it with a
  warning. An unknown name is an ``InputError`` listing the visible sheets.
* **Header row**: the one given (1-based, as the sheet shows it), else the first of the top
  ``HEADER_SEARCH_ROWS`` rows whose non-empty cells mostly match ``known_headers`` (or that holds
  at least half of them; matching ignores case, diacritics and punctuation), else the first row
  with ≥ 3 non-empty text cells. Rows above it (titles, merged banners, blanks) are counted as
  ``header_records`` together with the header itself and reported as ``details["title_rows"]``.
* **Cells**: see :mod:`cer_loader.ingest.workbook.cells`. A vertical merge below the header (one date
  merged over a day's appointments) is filled down its first column, because that is what the
  person meant; horizontal merges are not spread into neighbouring fields.
* **Rows**: ``_source_row`` is the sheet's own row number. Blank rows are dropped and counted. A
  summary row ("Razem: 40", "Suma", "Łącznie", "Total", ...) stays in the frame with
  ``_reader_issue = "total-row"`` so the validator rejects it visibly.
* **Formulas**: calamine returns the cached value. A formula saved without one (files written
  by scripts that do not calculate) reads as empty, with a warning naming the cell.
* **Census**: ``details["used_rows"]`` is calamine's own range end (row 1 → last used row),
  not our loop; ``total_records`` must equal it or ``CensusMismatchError`` is raised.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from cer_loader import outcomes
from cer_loader.errors import CensusMismatchError, InputError
from cer_loader.ingest.headers import (
    UniqueNames,
    check_cell_length,
    check_columns,
    fold,
    looks_like_data,
    shown,
)
from cer_loader.ingest.options import Limits
from cer_loader.ingest.progress import FileProgress
from cer_loader.ingest.table import (
    READER_FIELD,
    READER_ISSUE,
    READER_VALUE,
    TOTAL_ROW,
    SourceTable,
    add_provenance,
    read_input_bytes,
)
from cer_loader.ingest.workbook.cells import (
    PESEL_HEADER,
    cell_text,
    column_letter,
    column_text,
    restore_pesel,
    unseen_cells,
)
from cer_loader.ingest.workbook.opening import calamine_guard, open_book
from cer_loader.outcomes import Notice

HEADER_SEARCH_ROWS = 100
TOTAL_LABEL = re.compile(
    r"\s*(razem|suma|łącznie|lacznie|ogółem|ogolem|total|sum)\b", re.IGNORECASE
)


def read_workbook(
    path: Path,
    *,
    sheet: str | None = None,
    header_row: int | None = None,
    known_headers: Iterable[str] = (),
    limits: Limits | None = None,
    progress: FileProgress | None = None,
) -> SourceTable:
    """Read one sheet of a workbook into a ``SourceTable`` of kind ``"xlsx"``; ``progress`` is
    told at the end of each whole-sheet pass."""
    path = Path(path)
    limits = limits or Limits()
    fp = progress or FileProgress(None)
    data = read_input_bytes(path, limits.max_file_bytes)
    book = open_book(path, data, limits)
    with calamine_guard(path):
        name, hidden, warnings = _choose_sheet(book, sheet, path)
        calamine_sheet = book.get_sheet_by_name(name)
        rows = calamine_sheet.to_python(skip_empty_area=False)
        end = calamine_sheet.end
        merged = calamine_sheet.merged_cell_ranges or []
    used_rows = end[0] + 1 if end else 0
    fp.expect(used_rows - 1, exact=False)
    if used_rows == 0:
        raise InputError(f"Arkusz „{name}” jest pusty.", f"Sheet '{name}' is empty.", path=path)
    if len(rows) != used_rows:
        raise CensusMismatchError(
            f"Arkusz „{name}”: odczytano {len(rows)} wierszy, a arkusz ma ich {used_rows}.",
            f"Sheet '{name}': read {len(rows)} rows but the sheet has {used_rows}.",
            path=path,
        )
    hdr = _find_header(rows, header_row, known_headers, path, name)
    fp.expect(len(rows) - hdr - 1)  # the rows below the header, exactly
    fp.share(0.65)
    filled = _fill_vertical_merges(rows, merged, hdr, warnings)
    body = rows[hdr + 1 :]
    firsts = [_first_filled(row) for row in body]
    kept = [i for i, first in enumerate(firsts) if first >= 0]
    data_rows = [body[i] for i in kept]
    headers, sources, texts, details = _columns(rows[hdr], data_rows, warnings)
    check_columns(path, len(headers), limits, f"arkusz „{name}”", f"sheet '{name}'")
    check_cell_length(path, headers, texts, [hdr + 2 + i for i in kept], limits)
    fp.share(0.8)
    frame = pd.DataFrame(dict(zip(headers, texts, strict=True)), columns=headers, dtype="str")
    frame = add_provenance(frame, path, [hdr + 2 + i for i in kept])
    totals = _mark_total_rows(frame, data_rows, [firsts[i] for i in kept], headers, sources)
    warnings += _unseen_warnings(unseen_cells(data, name))
    return SourceTable(
        path=path,
        kind="xlsx",
        frame=frame,
        headers=headers,
        header_row=hdr + 1,
        header_records=hdr + 1,
        blank_rows=len(body) - len(kept),
        skipped_rows=0,
        total_records=len(rows),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        details={
            "sheet": name,
            "header_row": hdr + 1,
            "used_rows": used_rows,
            "reader": "calamine",
            "hidden_sheets": hidden,
            "title_rows": hdr,
            "total_rows": totals,
            "merged_cells_filled": filled,
            **details,
        },
        warnings=warnings,
    )


def _unseen_warnings(cells: list[tuple[str, str]], limit: int = 20) -> list[Notice]:
    out = [
        Notice(outcomes.CELL_ERROR, {"cell": ref, "shown": shown})
        if shown
        else Notice(outcomes.CELL_FORMULA_NO_VALUE, {"cell": ref})
        for ref, shown in cells[:limit]
    ]
    if len(cells) > limit:
        out.append(Notice(outcomes.CELLS_MORE, {"count": len(cells) - limit}))
    return out


def _choose_sheet(
    book: CalamineWorkbook, wanted: str | None, path: Path
) -> tuple[str, list[str], list[Notice]]:
    meta = book.sheets_metadata
    hidden = [m.name for m in meta if m.visible != SheetVisibleEnum.Visible]
    visible = [
        m.name
        for m in meta
        if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet
    ]
    warnings: list[Notice] = []
    if wanted is None:
        if not visible:
            raise InputError(
                "Skoroszyt nie ma widocznego arkusza z danymi.",
                "The workbook has no visible worksheet.",
                path=path,
            )
        return visible[0], hidden, warnings
    names = [m.name for m in meta]
    match = [n for n in names if n == wanted] or [n for n in names if fold(n) == fold(wanted)]
    if not match:
        listed = ", ".join(f"„{n}”" for n in visible) or "(brak)"
        raise InputError(
            f"Nie ma arkusza „{wanted}”. Widoczne arkusze: {listed}.",
            f"No sheet named '{wanted}'. Visible sheets: {', '.join(visible) or '(none)'}.",
            path=path,
        )
    if match[0] in hidden:
        warnings.append(Notice(outcomes.SHEET_HIDDEN, {"sheet": match[0]}))
    return match[0], hidden, warnings


def _find_header(
    rows: list[list[Any]],
    header_row: int | None,
    known_headers: Iterable[str],
    path: Path,
    sheet: str,
) -> int:
    """0-based index of the header row."""
    if header_row is not None:
        if not 1 <= header_row <= len(rows) or not any(
            cell_text(v).strip() for v in rows[header_row - 1]
        ):
            raise InputError(
                f"Arkusz „{sheet}”: wiersz nagłówka {header_row} jest pusty lub poza arkuszem "
                f"(arkusz ma {len(rows)} wierszy).",
                f"Sheet '{sheet}': header row {header_row} is empty or outside the sheet "
                f"({len(rows)} rows).",
                path=path,
            )
        return header_row - 1
    top = rows[:HEADER_SEARCH_ROWS]
    known = {k for k in (fold(h) for h in known_headers) if k}
    if known:
        for i, row in enumerate(top):
            cells = [f for f in (fold(cell_text(v)) for v in row) if f]
            hits = sum(c in known for c in cells)
            if hits >= min(2, len(known)) and (hits * 2 > len(cells) or hits * 2 >= len(known)):
                return i
    for i, row in enumerate(top):
        if sum(1 for v in row if v.__class__ is str and v.strip()) >= 3:
            return i
    raise InputError(
        f"Arkusz „{sheet}”: nie znaleziono wiersza nagłówka w pierwszych {len(top)} wierszach; "
        "wskaż go opcją numeru wiersza nagłówka.",
        f"Sheet '{sheet}': no header row found in the first {len(top)} rows; give the header row.",
        path=path,
    )


def _fill_vertical_merges(
    rows: list[list[Any]],
    merged: list[tuple[tuple[int, int], tuple[int, int]]],
    hdr: int,
    warnings: list[Notice],
) -> int:
    filled = 0
    for (r1, c1), (r2, c2) in merged:
        if r1 >= len(rows) or c1 >= len(rows[r1]):  # outside the used area: nothing to fill
            ref = f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
            warnings.append(Notice(outcomes.MERGED_OUTSIDE, {"cells": ref}))
            continue
        if r1 <= hdr or r2 <= r1 or r2 >= len(rows):
            continue
        value = rows[r1][c1]
        for r in range(r1 + 1, r2 + 1):
            if rows[r][c1] == "":
                rows[r][c1] = value
                filled += 1
    return filled


def _columns(
    header: list[Any], body: list[list[Any]], warnings: list[Notice]
) -> tuple[list[str], list[int], list[list[str]], dict[str, int]]:
    """Header names, their source column indices and the text of each kept column."""
    width = max([len(header), *(len(r) for r in body[:1])])
    names = [" ".join(cell_text(v).split()) for v in header] + [""] * (width - len(header))
    raw_columns = list(zip(*body, strict=True)) if body else [()] * width
    headers: list[str] = []
    sources: list[int] = []
    texts: list[list[str]] = []
    restored = 0
    unique = UniqueNames()
    data_like = looks_like_data(names)
    for j, raw in enumerate(raw_columns):
        text = column_text(raw)
        name = names[j]
        if not name:
            if not any(t.strip() for t in text):
                continue  # no header and no data: a formatting leftover
            name = f"kolumna {column_letter(j)}"
            warnings.append(
                Notice(outcomes.HEADER_MISSING, {"column": column_letter(j), "name": name})
            )
        base, name = name, unique.add(name)
        if name != base:
            warnings.append(
                Notice(
                    outcomes.HEADER_DUPLICATE,
                    {
                        "header": shown(base, data_like),
                        "column": column_letter(j),
                        "name": shown(name, data_like),
                    },
                )
            )
        if PESEL_HEADER.search(name):
            restored += restore_pesel(raw, text)
        headers.append(name)
        sources.append(j)
        texts.append(text)
    return headers, sources, texts, {"pesel_zeros_restored": restored}


def _first_filled(row: list[Any]) -> int:
    """Index of the row's first non-empty cell; -1 for a blank row (whitespace counts as empty)."""
    for j, v in enumerate(row):
        if v.__class__ is not str or (v and not v.isspace()):
            return j
    return -1


def _mark_total_rows(
    frame: pd.DataFrame,
    rows: list[list[Any]],
    firsts: list[int],
    headers: list[str],
    sources: list[int],
) -> int:
    """Flag summary rows ("Razem: 40") in place; returns how many."""
    few = max(2, len(headers) // 4)
    header_of = dict(zip(sources, headers, strict=True))
    marked = 0
    for k, (row, first) in enumerate(zip(rows, firsts, strict=True)):
        value = row[first]
        if value.__class__ is str and TOTAL_LABEL.match(value):
            others = sum(1 for v in row[first + 1 :] if _first_filled([v]) == 0)
            if others <= few:
                frame.loc[k, [READER_ISSUE, READER_FIELD, READER_VALUE]] = [
                    TOTAL_ROW,
                    header_of[first],
                    value,
                ]
                marked += 1
    return marked
