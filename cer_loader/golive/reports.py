"""Output files of the go-live commands: issue CSVs pointing back at source rows, coverage,
summary. Written 0600 and atomically; every cell neutralised against formula injection."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cer_loader.files import write_private

_RISKY = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """Text safe to open in a spreadsheet: a leading formula character is quoted ('=...)."""
    text = "" if value is None else str(value)
    text = "".join(c if c >= " " or c in "\t\n" else "\ufffd" for c in text)
    return "'" + text if text.startswith(_RISKY) else text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([cell(h) for h in header])
    for row in rows:
        w.writerow([cell(v) for v in row])
    write_private(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))


def write_json(path: Path, doc: Mapping[str, Any]) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"
    write_private(path, text.encode("utf-8"))
