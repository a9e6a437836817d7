"""The command line's language: click's own texts in Polish (default) or English.

Click marks its texts with ``gettext``; this module puts its own translator in click's modules
(``install``), so usage errors, ``--help`` headings and "Missing option" come out in Polish.
Our help texts are written in Polish and registered with their English twin (``bi``); the
command and option classes in :mod:`cer_loader.cli.common` translate them while formatting.

The language is chosen before click parses anything (a usage error can come before ``--lang``
is read): ``--lang en`` / ``--lang=en`` anywhere in the arguments, else ``CER_LOADER_LANG``,
else Polish. ``LANG`` is not used: servers usually carry ``en_US`` or ``C`` whatever their users
read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

_state = {"lang": "pl"}
_EN: dict[str, str] = {}  # our Polish help texts -> English
CLICK_PL = {
    "Usage:": "Użycie:",
    "Options": "Opcje",
    "Commands": "Polecenia",
    "Positional arguments": "Argumenty",
    "Show this message and exit.": "Pokazuje ten opis i kończy.",
    "Show the version and exit.": "Pokazuje wersję i kończy.",
    "%(prog)s, version %(version)s": "%(prog)s, wersja %(version)s",
    "Error: {message}": "Błąd: {message}",
    "Try '{command} {option}' for help.": "Pomoc: '{command} {option}'.",
    "Missing argument": "Brak argumentu",
    "Missing option": "Brak opcji",
    "Missing parameter": "Brak parametru",
    "Missing parameter: {param_name}": "Brak parametru: {param_name}",
    "Missing {param_type}": "Brak: {param_type}",
    "Missing command.": "Brak polecenia.",
    "No such command {name!r}.": "Nie ma polecenia {name!r}.",
    "No such option {name!r}.": "Nie ma opcji {name!r}.",
    "No such option: {name}": "Nie ma opcji: {name}",
    "Option {name!r} does not take a value.": "Opcja {name!r} nie przyjmuje wartości.",
    "Invalid value for {param_hint}: {message}": "Błędna wartość {param_hint}: {message}",
    "Invalid value: {message}": "Błędna wartość: {message}",
    "{value!r} is not a valid {number_type}.": "{value!r} nie jest poprawną liczbą ({number_type}).",
    "{value} is not in the range {range}.": "{value} spoza zakresu {range}.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} nie istnieje.",
    "{name} {filename!r} is a file.": "{name} {filename!r} jest plikiem.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} jest katalogiem.",
    "{name} {filename!r} is not readable.": "{name} {filename!r}: brak prawa odczytu.",
    "{name} {filename!r} is not writable.": "{name} {filename!r}: brak prawa zapisu.",
    "Could not open file {filename!r}: {message}": "Nie można otworzyć pliku {filename!r}: {message}",
    "file": "plik",
    "directory": "katalog",
    "path": "ścieżka",
    "Aborted!": "Przerwano!",
    "default: {default}": "domyślnie: {default}",
    "env var: {var}": "zmienna środowiskowa: {var}",
    "Choose from:\n\t{choices}": "Do wyboru:\n\t{choices}",
    "deprecated": "przestarzałe",
    "required": "wymagane",
    "unknown error": "nieznany błąd",
    "Argument {name!r} takes {nargs} values.": "Argument {name!r} przyjmuje {nargs} wartości.",
    "Value must be an iterable.": "Wartość musi być listą.",
    "{value!r} is not a valid UUID.": "{value!r} nie jest poprawnym UUID.",
}
CLICK_PL_PLURAL = {
    "Got unexpected extra argument ({args})": ("Nadmiarowy argument ({args})",
                                               "Nadmiarowe argumenty ({args})"),
    "Did you mean {possibility}?": ("Czy chodziło o {possibility}?",
                                    "(Czy chodziło o jedną z: {possibilities}?)"),
    "Option {name!r} requires an argument.": ("Opcja {name!r} wymaga wartości.",
                                              "Opcja {name!r} wymaga {nargs} wartości."),
    "{value!r} is not {choice}.": ("{value!r} to nie {choice}.",
                                   "{value!r} nie jest jedną z wartości: {choices}."),
    "{value!r} does not match the format {format}.": (
        "{value!r} nie pasuje do formatu {format}.", "{value!r} nie pasuje do formatów {formats}."),
    "Takes {nargs} values but 1 was given.": ("Wymaga {nargs} wartości, podano 1.",
                                              "Wymaga {nargs} wartości, podano {len}."),
    "{len_type} values are required, but {len_value} was given.": (
        "Wymagane wartości: {len_type}, podano {len_value}.",
        "Wymagane wartości: {len_type}, podano {len_value}."),
}  # fmt: skip
# click's words of the usage line, in Polish
_USAGE_PL = {"[OPTIONS]": "[OPCJE]", "COMMAND [ARGS]...": "POLECENIE [ARGUMENTY]..."}
# our metavars, written in Polish, in English
_USAGE_EN = {
    "PLIK...": "FILE...",
    "PLIK": "FILE",
    "KATALOG": "DIR",
    "ŚCIEŻKA": "PATH",  # click.Path's own name, made Polish when the type was built
    "DATA": "DATE",
    "UDZIAŁ": "SHARE",
    "SEKUNDY": "SECONDS",
    "USTERKI": "FAULTS",
    "NAZWA": "NAME",
    "UZASADNIENIE": "REASON",
}


def lang() -> str:
    return _state["lang"]


def set_lang(value: str | None) -> str:
    _state["lang"] = "en" if value == "en" else "pl"
    return _state["lang"]


def choose(args: Sequence[str]) -> str:
    """The language for this invocation, from the arguments before click parses them."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            return set_lang(args[i + 1])
        if arg.startswith("--lang="):
            return set_lang(arg.split("=", 1)[1])
    return set_lang(os.environ.get("CER_LOADER_LANG", "pl"))


def bi(pl: str, en: str) -> str:
    """Register the English twin of a Polish help text; returns the Polish text."""
    _EN[pl] = en
    return pl


def tr(text: str | None) -> str | None:
    """One of our texts (help, epilog, metavar) in the current language."""
    if text is None or lang() == "pl":
        return text
    if text in _EN:
        return _EN[text]
    for pl, en in _USAGE_EN.items():
        text = text.replace(pl, en)
    return text


def usage(piece: str) -> str:
    """A piece of a usage line (``[OPTIONS]``, a metavar) in the current language."""
    for old, new in (_USAGE_PL if lang() == "pl" else _USAGE_EN).items():
        piece = piece.replace(old, new)
    return piece


def click_text(message: str) -> str:
    """One of click's texts in the current language."""
    return CLICK_PL.get(message, message) if lang() == "pl" else message


def _ngettext(singular: str, plural: str, n: int) -> str:
    if lang() == "pl" and singular in CLICK_PL_PLURAL:
        one, many = CLICK_PL_PLURAL[singular]
        return one if n == 1 else many
    return singular if n == 1 else plural


def install() -> None:
    """Put the translator into every click module that marks texts with gettext."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types
    import click.utils

    modules = (click.core, click.decorators, click.exceptions, click.formatting, click.parser,
               click.termui, click.types, click.utils)  # fmt: skip
    for module in modules:
        if hasattr(module, "_"):
            module._ = click_text  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]


install()
