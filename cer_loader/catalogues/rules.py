"""The rule catalogue: stable codes, the field each concerns, severity and messages (TOML data).

The checks themselves are in ``validate/`` (listed by ``validate.registry``); this module loads ``schemas/rules.toml`` (or a
site's copy) and makes sure catalogue and checks name exactly the same codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cer_loader.errors import ConfigError
from cer_loader.resources import load_toml

SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Rule:
    code: str
    field: str
    severity: str
    confidence: str
    source: str
    pl: str
    en: str

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.pl

    def title(self, lang: str) -> str:
        """The message without its row-specific parts (``{value}``, ``{other_row}``, ``{picked}``
        → "…"): a heading for a group of findings under this rule."""
        text = self.message(lang).replace("{value}", "…")
        return text.replace("{other_row}", "…").replace("{picked}", "…")


def load_rules(path: Path) -> dict[str, Rule]:
    doc = load_toml(path, "katalog reguł", "rule catalogue")
    table = doc.get("rule", {})
    rules: dict[str, Rule] = {}
    for code, spec in table.items():
        missing = [k for k in ("field", "severity", "pl", "en") if k not in spec]
        if missing:
            raise ConfigError(
                f"reguła {code}: brak {', '.join(missing)}",
                f"rule {code}: missing {', '.join(missing)}",
                path=path,
            )
        if spec["severity"] not in SEVERITIES:
            raise ConfigError(
                f"reguła {code}: severity musi być 'error' albo 'warning'",
                f"rule {code}: severity must be 'error' or 'warning'",
                path=path,
            )
        rules[code] = Rule(
            code=code,
            field=spec["field"],
            severity=spec["severity"],
            confidence=spec.get("confidence", "UNCONFIRMED"),
            source=spec.get("source", ""),
            pl=spec["pl"],
            en=spec["en"],
        )
    return rules


def check_catalogue(rules: dict[str, Rule], implemented: set[str], path: Path) -> None:
    """Every implemented check needs a catalogue entry and vice versa."""
    missing = sorted(implemented - set(rules))
    unknown = sorted(set(rules) - implemented)
    if missing:
        raise ConfigError(
            f"katalog reguł nie opisuje reguł: {', '.join(missing)}",
            f"the rule catalogue lacks rules: {', '.join(missing)}",
            path=path,
        )
    if unknown:
        raise ConfigError(
            f"katalog reguł zawiera nieznane reguły: {', '.join(unknown)}",
            f"the rule catalogue names unknown rules: {', '.join(unknown)}",
            path=path,
        )
