"""Readers: one input file → one ``SourceTable`` (see ``cer_loader.ingest.table``).

``read_source`` picks the reader by the file's suffix and first bytes. It is the readers'
boundary: only regular files get that far (a FIFO or device is refused before it is opened),
every reader works within ``ReaderOptions.limits``, and a panic from a third-party binding (a
``BaseException``) becomes an :class:`InputError` naming the file. ``progress(done, expected)``
is told how reading goes, in rows below the header or HL7 messages (:mod:`.progress`).
"""

from __future__ import annotations

from pathlib import Path

from cer_loader.errors import InputError
from cer_loader.ingest.bounded import check_regular, is_panic
from cer_loader.ingest.options import ReaderOptions
from cer_loader.ingest.progress import FileProgress, Tell, estimate, units
from cer_loader.ingest.table import SourceTable
from cer_loader.memory import lean_pool

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
HL7_SUFFIXES = {".hl7", ".mllp", ".er7"}


def detect_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return "xlsx"
    if suffix in HL7_SUFFIXES:
        return "hl7"
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise InputError(
            f"nie można odczytać pliku: {exc.strerror}",
            f"cannot read file: {exc.strerror}",
            path=path,
        ) from None
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf\x0b\r\n ")
    if stripped.startswith((b"MSH", b"FHS", b"BHS")):
        return "hl7"
    return "csv"


def read_source(
    path: Path, options: ReaderOptions | None = None, progress: Tell | None = None
) -> SourceTable:
    """Read one input file with the reader its suffix and first bytes call for; ``progress``
    (if given) is told ``(done, expected)`` as it goes (see :mod:`.progress`)."""
    lean_pool()  # Arrow's buffers from jemalloc where it is there (cer_loader.memory)
    opts = options or ReaderOptions()
    if path.is_dir():
        raise InputError("to jest katalog, nie plik", "this is a folder, not a file", path=path)
    check_regular(path)
    try:
        fp = FileProgress(progress)
        fp.expect(estimate(path, detect_kind(path)), exact=False)
        table = _read(path, opts, fp)
        fp.finish(units(table.kind, table.total_records, table.header_records))
        return table
    except BaseException as exc:
        if not is_panic(exc):
            raise
        raise InputError(
            f"biblioteka odczytu nie poradziła sobie z zawartością pliku: {str(exc)[:200]}",
            f"a reading library failed on the file's content: {str(exc)[:200]}",
            path=path,
        ) from None


def _read(path: Path, opts: ReaderOptions, fp: FileProgress) -> SourceTable:
    kind = detect_kind(path)
    if kind == "xlsx":
        from cer_loader.ingest.steward import is_steward_workbook, read_steward
        from cer_loader.ingest.workbook.reader import read_workbook

        if is_steward_workbook(path):  # our own report.xlsx, fixed by a data steward
            return read_steward(path, opts.limits)

        return read_workbook(
            path,
            sheet=opts.sheet,
            header_row=opts.header_row,
            known_headers=opts.known_headers,
            limits=opts.limits,
            progress=fp,
        )
    if kind == "hl7":
        from cer_loader.ingest.hl7v2 import read_hl7

        return read_hl7(
            path,
            field_paths=dict(opts.hl7_paths) or None,
            charset=opts.encoding,
            updates_book=opts.hl7_updates_book,
            limits=opts.limits,
            oids=dict(opts.identifier_oids) or None,
            progress=fp,
        )
    from cer_loader.ingest.csv.counted import read_counted

    return read_counted(
        path, encoding=opts.encoding, delimiter=opts.delimiter, limits=opts.limits, progress=fp
    )
