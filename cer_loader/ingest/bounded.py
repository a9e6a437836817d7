"""Reading an input file within bounds: regular files only, never more than a limit of bytes.

A FIFO would block the run forever, ``/dev/zero`` would grow memory without end, a socket or a
device is not an export: each is refused at once (exit 2, naming the file) before a byte is
read. :func:`read_input_bytes` opens the file once, checks what it is on the open descriptor
(no window between the check and the read) and reads at most ``max_bytes``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cer_loader.errors import InputError
from cer_loader.ingest.options import Limits

_KINDS = (
    (stat.S_ISFIFO, "potok (FIFO)", "a pipe (FIFO)"),
    (stat.S_ISCHR, "urządzenie znakowe", "a character device"),
    (stat.S_ISBLK, "urządzenie blokowe", "a block device"),
    (stat.S_ISSOCK, "gniazdo", "a socket"),
    (stat.S_ISDIR, "katalog", "a folder"),
)


def _not_regular(path: Path, mode: int) -> InputError:
    pl, en = next(((p, e) for test, p, e in _KINDS if test(mode)), ("plik specjalny", "special"))
    return InputError(
        f"to nie jest zwykły plik, tylko {pl}; podaj plik z eksportem",
        f"this is not a regular file but {en}; give an export file",
        path=path,
    )


def spaced(n: int) -> str:
    """A number with thin groups as Polish writes it: 1 048 576."""
    return f"{n:,}".replace(",", " ")


def _too_big(path: Path, size: int, limit: int) -> InputError:
    return InputError(
        f"plik ma {spaced(size)} bajtów, więcej niż limit max_file_bytes = {spaced(limit)}; "
        "podziel plik albo podnieś limit w [limits]",
        f"the file has {size:,} bytes, more than the limit max_file_bytes = {limit:,}; split it "
        "or raise the limit in [limits]",
        path=path,
    )


def _unreadable(path: Path, exc: OSError) -> InputError:
    return InputError(
        f"nie można odczytać pliku: {exc.strerror or exc}",
        f"cannot read the file: {exc.strerror or exc}",
        path=path,
    )


def check_regular(path: Path) -> None:
    """Refuse anything but an existing regular file (without opening it: a FIFO would block)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError("nie ma takiego pliku", "no such file", path=path) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if not stat.S_ISREG(mode):
        raise _not_regular(path, mode)


def read_input_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """The whole input file, at most ``max_bytes`` (default :class:`Limits`); else InputError."""
    path = Path(path)
    limit = Limits().max_file_bytes if max_bytes is None else max_bytes
    check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _unreadable(path, exc) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):  # replaced since the check
            raise _not_regular(path, st.st_mode)
        if st.st_size > limit:
            raise _too_big(path, st.st_size, limit)
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise _unreadable(path, exc) from None
    if len(data) > limit:  # grew while we read
        raise _too_big(path, len(data), limit)
    return data


def is_panic(exc: BaseException) -> bool:
    """A Rust panic surfaced by pyo3 (``pyo3_runtime.PanicException``, a BaseException)."""
    return type(exc).__name__ == "PanicException"
