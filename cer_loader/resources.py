"""Where the shipped data (``schemas/``, ``templates/``) lives: inside the wheel or in the source tree."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from cer_loader.errors import ConfigError

_PKG = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """``schemas`` or ``templates``: the wheel's copy (``cer_loader/_data``) or the repo's."""
    for base in (_PKG / "_data" / name, _PKG.parent / name):
        if base.is_dir():
            return base
    raise ConfigError(
        f"Brak katalogu danych pakietu: {name}/ (uszkodzona instalacja)",
        f"The package's data folder is missing: {name}/ (broken install)",
    )


def load_toml(path: Path, what_pl: str, what_en: str) -> dict[str, Any]:
    """Read a TOML file; a missing file or bad TOML is a one-line ConfigError naming the file."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(
            f"nie ma pliku ({what_pl})", f"file not found ({what_en})", path=path
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"plik ({what_pl}) nie jest zapisany w UTF-8 (bajt {exc.start}); zapisz go jako UTF-8",
            f"the file ({what_en}) is not UTF-8 (byte {exc.start}); save it as UTF-8",
            path=path,
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"błędny TOML ({what_pl}): {exc}", f"invalid TOML ({what_en}): {exc}", path=path
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"to katalog, nie plik ({what_pl})", f"a folder, not a file ({what_en})", path=path
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"nie można odczytać ({what_pl}): {exc.strerror}",
            f"cannot read ({what_en}): {exc.strerror}",
            path=path,
        ) from None
