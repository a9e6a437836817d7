"""The steward's workbook for rejected free slots (``report.xlsx`` of ``cer-loader slots``).

Sheet "Do poprawy": what to fix first (the message), the rule, where the row came from, then the
row's original columns with the faulty cell filled; fixed, it is read back like any export
(``cer-loader slots report.xlsx --mapping ...``: the CER columns are ignored). Written with
openpyxl's streaming writer; every cell is text (no formula can run), 0600, atomically.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cer_loader.files import write_private
from cer_loader.golive.reports import cell

FIX_SHEET = "Do poprawy"
LEAD = {
    "pl": ("CER: co poprawić", "CER: reguły", "CER: plik źródłowy", "CER: wiersz źródłowy"),
    "en": ("CER: what to fix", "CER: rules", "CER: source file", "CER: source row"),
}
WIDTH = {0: 60, 1: 26, 2: 28, 3: 10}


def write_slot_workbook(
    path: Path,
    rows: Sequence[Mapping[str, Any]],
    headers: Sequence[str],
    faulty: Sequence[set[str]],
    lang: str,
) -> None:
    """``rows``: one per rejected slot (``message``, ``rules``, ``file``, ``row`` and the original
    columns by header); ``faulty``: per row, the headers of the cells to mark."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(FIX_SHEET)
    lead = LEAD["en" if lang == "en" else "pl"]
    for i, w in WIDTH.items():
        ws.column_dimensions[chr(65 + i)].width = w
    for j, h in enumerate(headers):
        ws.column_dimensions[_letter(len(lead) + j)].width = max(10, min(40, len(h) + 4))
    ws.freeze_panes = "B2"
    bold, red = Font(bold=True), PatternFill("solid", fgColor="FFC7CE")
    wrap = Alignment(wrap_text=True, vertical="top")

    def text(value: Any, **style: Any) -> Any:
        c = WriteOnlyCell(ws, value=cell(value))
        c.data_type = "s"
        for k, v in style.items():
            setattr(c, k, v)
        return c

    ws.append([text(h, font=bold) for h in (*lead, *headers)])
    for r, marks in zip(rows, faulty, strict=True):
        out = [
            text(r["message"], alignment=wrap),
            text(r["rules"]),
            text(r["file"]),
            text(r["row"]),
        ]
        out += [text(r.get(h, ""), fill=red) if h in marks else text(r.get(h, "")) for h in headers]
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    write_private(path, buf.getvalue())


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i + 1))


def slot_rows(part: pd.DataFrame, slots: pd.DataFrame, tables: Sequence[Any], messages: pd.Series,
              columns: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[set[str]]]:  # fmt: skip
    """Group a run's error issues per slot row: messages joined, faulty cells by header."""
    rows, marks = [], []
    for row_id, g in part.groupby("row", sort=True):
        src = slots.loc[row_id]
        orig = tables[int(src["_table"])].frame.loc[src["_local"]]
        rec = {h: orig[h] for h in orig.index if not str(h).startswith("_")}
        rec |= {"message": " · ".join(messages[g.index]), "rules": ", ".join(g["rule"]),
                "file": src["_source_file"], "row": src["_source_row"]}  # fmt: skip
        fields = set(g["field"])
        if "start" in fields:
            fields |= {"start_date", "start_time"}
        rows.append(rec)
        marks.append({columns[f] for f in fields if f in columns})
    return rows, marks
