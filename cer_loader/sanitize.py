"""The one sanitiser every report value passes: text that a file, a spreadsheet or a terminal
can carry without harm, and masking of personal data by what a value looks like.

- :func:`clean` — control characters (C0 but TAB/LF/CR, DEL, C1) and lone surrogates become
  U+FFFD: an XML part of a workbook cannot hold them, a terminal would obey them.
- :func:`is_formula_like` — text a spreadsheet would take for a formula: it starts with
  ``= + - @`` TAB or CR (OWASP's list), unless it is a plain number (``-5``, ``+48600700800``);
  :func:`has_formula_prefix` — the prefix alone (workbook cells: Excel's quote prefix).
- :func:`csv_value` / :func:`csv_frame` — for ``rejected.csv``, ``warnings.csv`` and
  ``not_loaded.csv``: cleaned, and formula-like text prefixed with a single quote (the OWASP
  way: the cell shows ``'=SUM(A1)`` as text instead of computing it). Headers too.
- :func:`console` — for anything printed: every control character (TAB/LF/CR and ESC included)
  is shown as U+FFFD, so a file name cannot move the cursor or recolour the terminal.
- :func:`mask_personal` — PESEL-like numbers (11 digits), phone numbers and e-mail addresses
  anywhere in a text become ``*``-masked, keeping the last two characters of a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_BAD = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"
_BAD_RE = re.compile(_BAD)
_CONSOLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NUMBER_RE = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
REPLACEMENT = "\ufffd"

_PESEL_RE = r"(?<!\d)\d{11}(?!\d)"
_EMAIL_RE = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# +48 / 0048 optional, then 9 digits as Polish numbers are written: 600700800, 600 700 800,
# 600-700-800, (22) 123 45 67, 22 123-45-67 (dates and times never fit these groups)
_PHONE_RE = (
    r"(?<![\w+.:/-])(?:(?:\+|00)48[ -]?)?"
    r"(?:\d{9}|\d{3}[ -]\d{3}[ -]\d{3}|\(?\d{2}\)?[ -]\d{3}[ -]\d{2}[ -]\d{2})"
    r"(?![\d:./-])"
)
_PERSONAL_RE = re.compile(f"{_EMAIL_RE}|{_PESEL_RE}|{_PHONE_RE}")


def clean(value: object) -> str:
    """``value`` as text with no control character a file or a workbook cannot carry."""
    text = "" if value is None else str(value)
    return _BAD_RE.sub(REPLACEMENT, text) if _BAD_RE.search(text) else text


def has_formula_prefix(text: str) -> bool:
    """Starts with ``= + - @`` TAB or CR (a workbook cell gets Excel's quote prefix then, so
    even ``-5`` stays text when a steward edits it)."""
    return text.startswith(FORMULA_PREFIXES)


def is_formula_like(text: str) -> bool:
    """A formula prefix, and not a plain number: a CSV value to prefix with a quote."""
    return text.startswith(FORMULA_PREFIXES) and not _NUMBER_RE.fullmatch(text)


def csv_value(value: object) -> str:
    text = clean(value)
    return "'" + text if is_formula_like(text) else text


def console(value: object) -> str:
    """Text safe to print: no control character reaches the terminal (nor a line break)."""
    text = "" if value is None else str(value)
    return _CONSOLE_RE.sub(REPLACEMENT, text) if _CONSOLE_RE.search(text) else text


def _any(values: list[str], pattern: re.Pattern[str], sep: str) -> bool:
    """One C-speed scan of a whole column, joined by ``sep`` (which ``pattern`` never matches)."""
    return bool(pattern.search(sep.join(values)))


def clean_column(values: Iterable[object]) -> list[str]:
    """:func:`clean` over a column: one scan, and a per-value pass only when something is bad."""
    texts = ["" if v is None or v is pd.NA else str(v) for v in values]
    return [clean(t) for t in texts] if _any(texts, _BAD_RE, "\n") else texts


def csv_column(values: Iterable[object]) -> list[str]:
    texts = clean_column(values)
    return [("'" + t) if t[:1] in "=+-@\t\r" and t and is_formula_like(t) else t for t in texts]


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every value and header passed through :func:`csv_value`."""
    out = pd.DataFrame(
        {i: csv_column(frame.iloc[:, i].where(frame.iloc[:, i].notna(), "")) for i in
         range(frame.shape[1])},
        index=frame.index,
    )  # fmt: skip
    out.columns = [csv_value(c) for c in frame.columns]
    return out


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    if "@" in text:
        user, _, domain = text.partition("@")
        return user[:1] + "***@" + domain
    digits = sum(ch.isdigit() for ch in text)
    return "*" * max(digits - 2, 3) + "".join(ch for ch in text if ch.isdigit())[-2:]


def mask_personal(values: Iterable[object]) -> list[str]:
    """Mask PESEL-like numbers, phone numbers and e-mail addresses inside each text."""
    texts = ["" if v is None or v is pd.NA else str(v) for v in values]
    if not _any(texts, _PERSONAL_RE, "\x00"):
        return texts
    return [_PERSONAL_RE.sub(_mask_match, t) for t in texts]
