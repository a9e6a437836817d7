"""Opening a workbook with python-calamine safely: limits first, and no Rust panic escapes.

:func:`open_book` checks the bytes (:mod:`.package`: part sizes, zip-bomb ratio, DTDs, the
sheets' real extent) before calamine sees them; :func:`calamine_guard` turns what calamine
raises — its own errors, and ``PanicException``, which pyo3 derives from ``BaseException`` so an
``except Exception`` misses it (a date-formatted cell holding -1e308 panics in the date
conversion) — into an :class:`InputError` naming the file (exit 2).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from cer_loader.errors import CerLoaderError, InputError
from cer_loader.ingest.bounded import is_panic, read_input_bytes
from cer_loader.ingest.options import Limits
from cer_loader.ingest.workbook.package import check_package

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def unreadable(path: Path, exc: BaseException) -> InputError:
    return InputError(
        f"Plik nie jest poprawnym skoroszytem XLSX/XLS/ODS (uszkodzony lub inny format): {exc}.",
        f"Not a valid XLSX/XLS/ODS workbook (corrupt or another format): {exc}.",
        path=path,
    )


def _password(path: Path) -> InputError:
    return InputError(
        "Skoroszyt jest chroniony hasłem — zapisz kopię bez hasła i wczytaj ją.",
        "The workbook is password-protected; save a copy without a password and load that.",
        path=path,
    )


@contextmanager
def calamine_guard(path: Path) -> Iterator[None]:
    """Around every calamine call: its errors and panics become an InputError naming the file."""
    try:
        yield
    except CerLoaderError:
        raise
    except PasswordError:
        raise _password(path) from None
    except CalamineError as exc:
        raise unreadable(path, exc) from None
    except MemoryError:
        raise InputError(
            "za mało pamięci, by odczytać ten skoroszyt; podziel go albo zapisz jako CSV",
            "not enough memory to read this workbook; split it or save it as CSV",
            path=path,
        ) from None
    except BaseException as exc:
        if not is_panic(exc):
            raise
        raise InputError(
            "biblioteka odczytu skoroszytów (calamine) nie poradziła sobie z zawartością pliku "
            f"(np. data poza kalendarzem): {str(exc)[:200]}; sprawdź skoroszyt albo zapisz go "
            "jako CSV",
            "the workbook library (calamine) failed on the file's content (e.g. a date outside "
            f"the calendar): {str(exc)[:200]}; check the workbook or save it as CSV",
            path=path,
        ) from None


def open_book(path: Path, data: bytes, limits: Limits) -> CalamineWorkbook:
    """``data`` checked against ``limits``, then opened by calamine."""
    if data.startswith(_OLE_MAGIC) and "EncryptedPackage".encode("utf-16-le") in data:
        raise _password(path)
    if not data.startswith((b"PK", _OLE_MAGIC)) and b"\0" not in data[:4096]:
        raise InputError(
            "Plik nie jest skoroszytem (XLSX/XLS/ODS) — wygląda na plik tekstowy, np. CSV.",
            "The file is not a workbook (XLSX/XLS/ODS); it looks like a text file such as CSV.",
            path=path,
        )
    check_package(data, path, limits)
    with calamine_guard(path):
        return CalamineWorkbook.from_filelike(io.BytesIO(data))


@contextmanager
def open_checked(path: Path, limits: Limits) -> Iterator[CalamineWorkbook]:
    """The workbook at ``path`` read within ``limits``; calamine calls inside are guarded."""
    book = open_book(path, read_input_bytes(path, limits.max_file_bytes), limits)
    try:
        with calamine_guard(path):
            yield book
    finally:
        book.close()
