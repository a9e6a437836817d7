"""Exceptions for the run itself; row problems are data (rule codes), never exceptions.

The tree, with the exit code the CLI maps each class to (``exit_code``)::

    CerLoaderError                 3  fatal: the run cannot continue
    ├── UsageError                 2  bad option, argument or combination (--out over an input,
    │                                 the same file twice, an unusable --out or --state)
    ├── ConfigError                2  bad TOML, unknown column in a mapping, bad scope catalogue
    ├── InputError                 2  missing or unreadable input, undetectable encoding/delimiter
    │   └── CensusMismatchError    2  the reader lost or invented records (independent count differs)
    ├── RenderError                3  template or XSD problem while writing the payload
    └── ReportError                3  an output file could not be written

Besides these the CLI gives exit 0 (all rows accepted), 1 (finished, but some rows rejected or
nothing loaded), 3 for any other exception (its type named, no traceback, no data) and 130 for
Ctrl-C.

Every error carries a message meant for people in Polish (``message``) and English
(``message_en``; defaults to the Polish text), and optional context (``path``, ``line``).
``text(lang)`` gives the one-line form the CLI prints; control characters in it (a file name
holding a terminal escape sequence) are shown escaped, never raw.
"""

from __future__ import annotations

import re
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: every control character (ESC included) as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class CerLoaderError(Exception):
    """Root of every exception the library raises on purpose."""

    exit_code: int = 3

    def __init__(
        self,
        message: str,
        message_en: str | None = None,
        *,
        path: str | Path | None = None,
        line: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message
        self.path = str(path) if path is not None else None
        self.line = line

    def text(self, lang: str = "pl") -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        return printable(where + (self.message_en if lang == "en" else self.message))

    def __str__(self) -> str:
        return self.text("pl")


class UsageError(CerLoaderError):
    """A bad option or combination of options (exit 2)."""

    exit_code = 2


class ConfigError(CerLoaderError):
    """A configuration, mapping or catalogue file that cannot be used (exit 2)."""

    exit_code = 2


class InputError(CerLoaderError):
    """An input file that is missing or cannot be read as a whole (exit 2)."""

    exit_code = 2


class CensusMismatchError(InputError):
    """The reader's record count disagrees with the independent count of the file."""


class RenderError(CerLoaderError):
    """The payload could not be written: template or XSD problem (exit 3)."""

    exit_code = 3


class ReportError(CerLoaderError):
    """An output file or the run state could not be written (exit 3)."""

    exit_code = 3
