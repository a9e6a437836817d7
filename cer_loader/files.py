"""Writing output files that may hold personal data: the only place that creates them.

Every file is created with mode 0600 and appears under its name only when complete: it is
written to a temporary name in the same folder (``.<name>.<random>.tmp``) and renamed.

- :func:`write_private` / :func:`open_private` — one file, replaced atomically.
- :class:`Outputs` — several files of one run: each written under its temporary name, then
  :meth:`Outputs.commit` renames them all, in the order they were staged (put the file that
  seals the set, such as ``summary.json``, last). Until then the old files stay as they were;
  :meth:`Outputs.discard` (or an exception inside ``with Outputs() as out:``) removes the
  temporary files and leaves the old outputs untouched.
- :func:`create_private` — an empty 0600 file, created only if absent (for SQLite state).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from cer_loader.errors import ReportError

MODE = 0o600


def _error(path: Path, exc: OSError) -> ReportError:
    return ReportError(
        f"nie można zapisać pliku: {exc.strerror or exc}",
        f"cannot write file: {exc.strerror or exc}",
        path=path,
    )


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def _open_new(path: Path) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, MODE)
    os.fchmod(fd, MODE)  # whatever the umask
    return fd


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def create_private(path: Path) -> bool:
    """Create an empty 0600 file at ``path`` unless it exists; True when it was created."""
    try:
        os.close(_open_new(path))
    except FileExistsError:
        return False
    except OSError as exc:
        raise _error(path, exc) from None
    return True


def _write_temporary(path: Path, data: bytes) -> Path:
    tmp = _temporary(path)
    try:
        with os.fdopen(_open_new(tmp), "wb") as fh:
            fh.write(data)
    except OSError as exc:
        _remove(tmp)
        raise _error(path, exc) from None
    return tmp


def _replace(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise _error(path, exc) from None


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a 0600 temporary file in the same folder, then rename."""
    _replace(_write_temporary(path, data), path)


@contextlib.contextmanager
def _open_temporary(path: Path) -> Iterator[tuple[IO[str], Path]]:
    tmp = _temporary(path)
    try:
        fh = os.fdopen(_open_new(tmp), "w", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise _error(path, exc) from None
    try:
        with fh:
            yield fh, tmp
    except BaseException:
        _remove(tmp)
        raise


@contextlib.contextmanager
def open_private(path: Path) -> Iterator[IO[str]]:
    """A text handle (UTF-8 with BOM, for csv) on a 0600 file that replaces ``path`` when the
    ``with`` block ends without an exception (and is removed when it does not)."""
    with _open_temporary(path) as (fh, tmp):
        yield fh
    _replace(tmp, path)


class Outputs:
    """The output files of one run, renamed into place together by :meth:`commit`."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    @property
    def paths(self) -> list[Path]:
        return [path for _, path in self._staged]

    def write(self, path: Path, data: bytes) -> None:
        self._staged.append((_write_temporary(path, data), path))

    def staged(self, path: Path) -> Path | None:
        """The temporary file staged for ``path`` (None: nothing staged for it yet)."""
        return next((tmp for tmp, final in self._staged if final == path), None)

    def reserve(self, path: Path) -> Path:
        """An empty 0600 temporary file for ``path``, staged: a library that writes by file
        name (the workbook writer) fills it; :meth:`commit` renames it like the others."""
        tmp = _temporary(path)
        try:
            os.close(_open_new(tmp))
        except OSError as exc:
            raise _error(path, exc) from None
        self._staged.append((tmp, path))
        return tmp

    @contextlib.contextmanager
    def open(self, path: Path) -> Iterator[IO[str]]:
        with _open_temporary(path) as (fh, tmp):
            yield fh
        self._staged.append((tmp, path))

    def commit(self) -> None:
        staged, self._staged = self._staged, []
        for i, (tmp, path) in enumerate(staged):
            try:
                os.replace(tmp, path)
            except OSError as exc:
                for rest, _ in staged[i:]:
                    _remove(rest)
                raise _error(path, exc) from None

    def discard(self) -> None:
        staged, self._staged = self._staged, []
        for tmp, _ in staged:
            _remove(tmp)

    def __enter__(self) -> Outputs:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()
