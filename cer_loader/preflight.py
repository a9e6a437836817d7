"""Checks made before a run reads anything: the inputs exist and are distinct, and the output
places (``--out``, ``--ledger``) are usable and never an input.

Each problem is a one-line exit-2 error that names the option and the file(s) concerned.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cer_loader.errors import InputError, UsageError

SQLITE_MAGIC = b"SQLite format 3\x00"


def check_inputs(inputs: Sequence[Path]) -> None:
    """Every input exists and is a file; no file is given twice (same path or same content)."""
    if not inputs:
        raise UsageError("nie podano plików wejściowych", "no input files given")
    for path in inputs:
        if not Path(path).exists():
            raise InputError("nie ma takiego pliku", "no such file", path=path)
        if Path(path).is_dir():
            raise InputError("to jest katalog, nie plik", "this is a folder, not a file", path=path)
    seen: dict[Path, Path] = {}
    for path in inputs:
        real = Path(path).resolve()
        if real in seen:
            _twice(seen[real], path)
        seen[real] = Path(path)
    by_size: dict[int, list[Path]] = {}
    for real, path in seen.items():
        if real.is_file():  # a FIFO or device is the reader's to refuse; never read it here
            by_size.setdefault(real.stat().st_size, []).append(path)
    for same_size in (paths for paths in by_size.values() if len(paths) > 1):
        digests: dict[str, Path] = {}
        for path in same_size:
            digest = _sha256(path)
            if digest in digests:
                _twice(digests[digest], path, content=True)
            digests[digest] = path


def check_outputs(inputs: Sequence[Path], out_dir: Path | None, ledger_path: Path | None) -> None:
    """``--out`` is no input and holds none; ``--ledger`` is no input; both are usable places."""
    reals = {Path(p).resolve(): Path(p) for p in inputs}
    if out_dir is not None:
        out_real = out_dir.resolve()
        for real, path in reals.items():
            if real == out_real or out_real in real.parents:
                raise UsageError(
                    f"--out {out_dir}: katalog wyników zawiera plik wejściowy {path} i nadpisałby "
                    "go; podaj inny katalog --out",
                    f"--out {out_dir}: the output folder holds the input file {path} and would "
                    "overwrite it; give another --out folder",
                )
        _usable_folder(out_dir)
    if ledger_path is not None:
        state_path = ledger_path
        state_real = state_path.resolve()
        if state_real in reals:
            raise UsageError(
                f"--ledger {state_path}: to plik wejściowy {reals[state_real]}; podaj inny rejestr",
                f"--ledger {state_path}: this is the input file {reals[state_real]}; "
                "give another ledger",
            )
        _usable_state(state_path)


def _twice(first: Path, second: Path, *, content: bool = False) -> None:
    how = ("ma tę samą treść co", "has the same content as") if content else ("to ten sam plik co",
                                                                               "is the same file as")  # fmt: skip
    raise UsageError(
        f"plik {second} {how[0]} {first}: podaj każdy plik raz",
        f"file {second} {how[1]} {first}: give each file once",
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _usable_folder(out_dir: Path) -> None:
    """The folder exists (or can be made) and a file can be created in it."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(
            f"--out {out_dir}: to nie jest katalog (istnieje taki plik); podaj katalog wyników",
            f"--out {out_dir}: not a folder (such a file exists); give an output folder",
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _probe(out_dir)
    except OSError as exc:
        raise UsageError(
            f"--out {out_dir}: nie można zapisywać w tym katalogu ({exc.strerror}); "
            "podaj katalog, w którym wolno pisać",
            f"--out {out_dir}: cannot write in this folder ({exc.strerror}); "
            "give a folder you may write to",
        ) from None


def _usable_state(path: Path) -> None:
    """An existing state is a regular SQLite file; a new one can be created in its folder."""
    if path.exists():
        if not path.is_file():
            raise UsageError(
                f"--ledger {path}: to nie jest zwykły plik; podaj rejestr (SQLite)",
                f"--ledger {path}: not a regular file; give a ledger (SQLite)",
            )
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise UsageError(
                f"--ledger {path}: to nie jest rejestr cer-loader (SQLite); podaj właściwy plik",
                f"--ledger {path}: not a cer-loader ledger (SQLite); give the right file",
            )
        if not os.access(path, os.W_OK):
            raise UsageError(
                f"--ledger {path}: brak prawa zapisu do rejestru",
                f"--ledger {path}: the ledger is not writable",
            )
        return
    folder = path.parent
    try:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(20, "Not a directory")
        folder.mkdir(parents=True, exist_ok=True)
        _probe(folder)
    except OSError as exc:
        raise UsageError(
            f"--ledger {path}: nie można utworzyć rejestru w {folder} ({exc.strerror})",
            f"--ledger {path}: cannot create the ledger in {folder} ({exc.strerror})",
        ) from None


def _probe(folder: Path) -> None:
    """Create and remove a temporary file in ``folder`` (raises OSError when impossible)."""
    fd, name = tempfile.mkstemp(prefix=".cer-loader-probe-", dir=folder)
    os.close(fd)
    os.unlink(name)
