"""Declared schemas for our TOML files, checked as a whole: types, ranges, unknown keys, secrets.

A schema is a tree of ``Table`` (known keys), ``Tables`` (any names, each the same table, e.g.
``[targets.NAME]``), ``Dict`` (any keys, one value type, e.g. ``[values.visit_kind]``) and
leaf ``Value``s (a check and the words for what is expected). ``check_document`` raises a
``ConfigError`` naming the file, the dotted key and what was expected; an unknown key gets
the closest known one ("did you mean"). ``refuse_secrets`` refuses any key that looks like it
holds a password or token, naming the key and never the value.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cer_loader.errors import ConfigError


@dataclass(frozen=True)
class Value:
    ok: Callable[[Any], bool]
    pl: str  # what is expected, in Polish (e.g. "liczba całkowita 1-100000")
    en: str


@dataclass(frozen=True)
class Table:
    keys: Mapping[str, Node]
    # where an unknown key probably belongs instead (section name -> a hint), for both languages
    elsewhere: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    unknown: tuple[str, str] = ("nieznany klucz", "unknown key")  # how an unknown key is named


@dataclass(frozen=True)
class Tables:
    each: Table


@dataclass(frozen=True)
class Dict:
    value: Node
    keys: Value | None = None  # what the keys must be (any text when None)


Node = Value | Table | Tables | Dict


def text(pl: str = "tekst w cudzysłowie", en: str = "quoted text") -> Value:
    return Value(lambda v: isinstance(v, str), pl, en)


def one_of(*choices: str) -> Value:
    shown = ", ".join(f'"{c}"' for c in choices)
    return Value(
        lambda v: isinstance(v, str) and v in choices, f"jedno z: {shown}", f"one of: {shown}"
    )


def integer(lo: int, hi: int) -> Value:
    return Value(
        lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi,
        f"liczba całkowita {lo}-{hi}",
        f"a whole number {lo}-{hi}",
    )


def boolean() -> Value:
    return Value(lambda v: isinstance(v, bool), "true albo false", "true or false")


def text_or_list() -> Value:
    return Value(
        lambda v: (
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
        ),
        "tekst albo lista tekstów",
        "text or a list of texts",
    )


def date_value() -> Value:
    return Value(
        lambda v: isinstance(v, str | dt.date) and not isinstance(v, dt.datetime),
        "data RRRR-MM-DD lub DD.MM.RRRR",
        "a date YYYY-MM-DD or DD.MM.YYYY",
    )


def _kind(v: object) -> tuple[str, str]:
    if isinstance(v, bool):
        return "wartość logiczna", "a boolean"
    if isinstance(v, int | float):
        return f"liczba {v}", f"the number {v}"
    if isinstance(v, str):
        return "tekst", "text"
    if isinstance(v, dict):
        return "tabela", "a table"
    if isinstance(v, list):
        return "lista", "a list"
    return type(v).__name__, type(v).__name__


def _fail(path: Path, key: str, pl: str, en: str) -> ConfigError:
    return ConfigError(f"klucz {key}: {pl}", f"key {key}: {en}", path=path)


def _wrong(path: Path, key: str, value: object, pl: str, en: str) -> ConfigError:
    got_pl, got_en = _kind(value)
    return _fail(path, key, f"oczekiwano: {pl} (jest: {got_pl})", f"expected {en} (got {got_en})")


def _unknown(path: Path, key: str, name: str, table: Table) -> ConfigError:
    if name in table.elsewhere:
        hint_pl, hint_en = table.elsewhere[name]
        return _fail(path, key, f"nieznany tutaj; {hint_pl}", f"not known here; {hint_en}")
    close = difflib.get_close_matches(name, list(table.keys), n=1, cutoff=0.6)
    known = ", ".join(table.keys)
    what_pl, what_en = table.unknown
    if close:
        return _fail(
            path, key, f"{what_pl} - czy chodziło o {close[0]}? (znane: {known})",
            f"{what_en} - did you mean {close[0]}? (known: {known})",
        )  # fmt: skip
    return _fail(path, key, f"{what_pl} (znane: {known})", f"{what_en} (known: {known})")


def check_document(doc: Mapping[str, Any], schema: Table, path: Path, prefix: str = "") -> None:
    """Raise ConfigError at the first key that breaks ``schema``."""
    for name, value in doc.items():
        key = f"{prefix}{name}"
        node = schema.keys.get(name)
        if node is None:
            raise _unknown(path, key if prefix else f"[{name}]", name, schema)
        _check(value, node, path, key)


def _check(value: object, node: Node, path: Path, key: str) -> None:
    if isinstance(node, Value):
        if not node.ok(value):
            raise _wrong(path, key, value, node.pl, node.en)
        return
    if not isinstance(value, dict):
        raise _wrong(path, key, value, f"tabela [{key}]", f"a table [{key}]")
    if isinstance(node, Table):
        check_document(value, node, path, key + ".")
    elif isinstance(node, Tables):
        for name, sub in value.items():
            if not isinstance(sub, dict):
                raise _wrong(
                    path, f"{key}.{name}", sub, f"tabela [{key}.{name}]", f"a table [{key}.{name}]"
                )
            check_document(sub, node.each, path, f"{key}.{name}.")
    else:
        for name, sub in value.items():
            if node.keys is not None and not node.keys.ok(name):
                raise _fail(
                    path,
                    f"{key}.{name}",
                    f"oczekiwano klucza: {node.keys.pl}",
                    f"expected a key: {node.keys.en}",
                )
            _check(sub, node.value, path, f"{key}.{name}")


# names that suggest a secret: whole words, or these anywhere in the name
_SECRET_WORDS = {
    "password",
    "passwd",
    "pass",
    "pwd",
    "haslo",
    "secret",
    "token",
    "pin",
    "apikey",
    "passphrase",
}
_SECRET_PARTS = (
    "password",
    "passwd",
    "haslo",
    "secret",
    "token",
    "passphrase",
    "p12pass",
    "pfxpass",
)


def _fold(name: str) -> str:
    return name.lower().replace("ł", "l").replace("ś", "s").replace("ó", "o")


def looks_secret(name: str) -> bool:
    """True for key names such as password, db_password, hasło, api_token, pin, p12_pass; a
    name ending in ``_env`` names an environment variable and holds no secret."""
    folded = _fold(name)
    if folded.endswith("_env"):
        return False
    words = set(re.split(r"[^a-z0-9]+", folded))
    squashed = re.sub(r"[^a-z0-9]", "", folded)
    return bool(words & _SECRET_WORDS) or any(p in squashed for p in _SECRET_PARTS)


def refuse_secrets(doc: Mapping[str, Any], path: Path, prefix: str = "") -> None:
    """Refuse a file holding any key that suggests a secret, at any depth (never shows the value)."""
    for name, value in doc.items():
        key = f"{prefix}{name}"
        if looks_secret(name):
            raise ConfigError(
                f"klucz {key}: hasła i tokeny nie mogą być w pliku - podaj je w zmiennej "
                'środowiskowej (np. password_env = "CER_P12_PASSWORD") albo przy pytaniu',
                f"key {key}: passwords and tokens must not be in a file - give them in an "
                'environment variable (e.g. password_env = "CER_P12_PASSWORD") or when asked',
                path=path,
            )
        if isinstance(value, dict):
            refuse_secrets(value, path, key + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    refuse_secrets(item, path, f"{key}[{i}].")
