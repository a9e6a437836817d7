"""Exceptions for the run itself; row problems are data (see ``rules.py``), never exceptions.

The tree, with the exit code the CLI maps each class to::

    CerLoaderError                 3  fatal: the run cannot continue
    ├── UsageError                 2  bad option or argument combination
    ├── ConfigError                2  bad TOML, unknown column in a mapping, bad scope catalogue
    ├── InputError                 2  unreadable input, undetectable encoding or delimiter
    │   └── CensusMismatchError    2  the reader lost or invented records (independent count differs)
    ├── RenderError                3  template or XSD problem while writing the payload
    └── ReportError                3  an output file could not be written

Every error carries a message meant for people in Polish (``message``) and English
(``message_en``; defaults to the Polish text), and optional context (``path``, ``line``).
``text(lang)`` gives the one-line form the CLI prints.
"""

from __future__ import annotations

from pathlib import Path


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
        return where + (self.message_en if lang == "en" else self.message)

    def __str__(self) -> str:
        return self.text("pl")


class UsageError(CerLoaderError):
    exit_code = 2


class ConfigError(CerLoaderError):
    exit_code = 2


class InputError(CerLoaderError):
    exit_code = 2


class CensusMismatchError(InputError):
    """The reader's record count disagrees with the independent count of the file."""


class RenderError(CerLoaderError):
    exit_code = 3


class ReportError(CerLoaderError):
    exit_code = 3
