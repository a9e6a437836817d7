"""A CSV file read and counted: the reader (:mod:`.reader`) and the independent census
(:mod:`.census`) over one read of the file's bytes, then the balance between them.

Both need the same bytes, their SHA-256 and their physical lines; reading, hashing and
splitting them once (:class:`.physical.FileBytes`) leaves the census what is its own: the
quote parity per line, its own framing of the odd lines, its own blank lines.
"""

from __future__ import annotations

from pathlib import Path

from cer_loader.ingest.csv.census import balance, census_csv, check_balance
from cer_loader.ingest.csv.reader import read_csv_bytes
from cer_loader.ingest.options import Limits
from cer_loader.ingest.progress import FileProgress
from cer_loader.ingest.table import SourceTable


def read_counted(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: Limits | None = None,
    progress: FileProgress | None = None,
) -> SourceTable:
    """:func:`.reader.read_csv`, its records counted again by the census; a difference raises
    :class:`CensusMismatchError` (exit 2), and ``details["census"]`` holds the balance."""
    limits = limits or Limits()
    table, read = read_csv_bytes(
        path, encoding=encoding, delimiter=delimiter, limits=limits, progress=progress
    )
    census = census_csv(
        path,
        table.details["encoding"],
        table.details["delimiter"],
        max_bytes=limits.max_file_bytes,
        read=read,
    )
    check_balance(table, census)  # raises CensusMismatchError when records went missing
    table.details["census"] = balance(table, census)
    return table
