"""One vocabulary for what happens to a record or a file: a stable code and a text in Polish and
English. Rule codes live in ``schemas/rules.toml``; this module holds the other outcomes (reader
warnings, reader rejections, not-loaded reasons, CeR's answers as the tool reports them), each an
``Outcome`` with ``{placeholders}``, and ``Notice``: one occurrence with its values.

Code, log keys and codes are English; only ``Outcome.text`` is for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Outcome:
    code: str  # stable, kebab-case, English: "csv-unclosed-quote", "hl7-cancelled", ...
    pl: str
    en: str

    def text(self, lang: str = "pl", **values: Any) -> str:
        return (self.en if lang == "en" else self.pl).format(**values)


@dataclass(frozen=True)
class Notice:
    """One occurrence of an outcome, with the values its text needs."""

    outcome: Outcome
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.outcome.code

    def text(self, lang: str = "pl") -> str:
        return self.outcome.text(lang, **self.values)
