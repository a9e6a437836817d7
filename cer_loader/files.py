"""Writing output files that may hold personal data: created with mode 0600, replaced atomically."""

from __future__ import annotations

import os
from pathlib import Path

from cer_loader.errors import ReportError


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a 0600 temporary file in the same folder, then rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise ReportError(
            f"nie można zapisać pliku: {exc.strerror}",
            f"cannot write file: {exc.strerror}",
            path=path,
        ) from None


def open_private(path: Path):  # type: ignore[no-untyped-def]
    """A text handle (UTF-8) on a new 0600 file, for streaming writers such as csv."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
