"""P1 identifier roots and identity-document types, loaded from ``schemas/identifiers.toml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pycountry

from cer_loader.errors import ConfigError
from cer_loader.resources import load_toml

REQUIRED_OIDS = ("pesel", "mus", "npwz")


@dataclass(frozen=True)
class IdentifierConfig:
    oid: dict[str, str]
    doc_roots: dict[str, str]  # document type -> root template with {country}
    doc_aliases: dict[str, str]  # folded alias -> document type
    doc_labels: dict[str, str]


def load_identifiers(path: Path) -> IdentifierConfig:
    doc = load_toml(path, "identyfikatory P1", "P1 identifiers")
    oid = {k: str(v) for k, v in doc.get("oid", {}).items()}
    missing = [k for k in REQUIRED_OIDS if k not in oid]
    if missing:
        raise ConfigError(
            f"[oid]: brak {', '.join(missing)}", f"[oid]: missing {', '.join(missing)}", path=path
        )
    roots, aliases, labels = {}, {}, {}
    for name, spec in doc.get("document", {}).items():
        root = str(spec.get("root", ""))
        if "{country}" not in root:
            raise ConfigError(
                f"[document.{name}]: root musi zawierać {{country}}",
                f"[document.{name}]: root must contain {{country}}",
                path=path,
            )
        roots[name] = root
        labels[name] = str(spec.get("label", name))
        aliases[name.lower()] = name
        for a in spec.get("aliases", []):
            aliases[str(a).strip().lower()] = name
    return IdentifierConfig(oid=oid, doc_roots=roots, doc_aliases=aliases, doc_labels=labels)


@cache
def _country_lookup() -> dict[str, str]:
    """alpha-2, alpha-3, numeric (with or without leading zeros), English name -> numeric."""
    table: dict[str, str] = {}
    for c in pycountry.countries:
        num = c.numeric
        for key in (c.alpha_2, c.alpha_3, num, str(int(num)), c.name):
            table[key.lower()] = num
    return table


def country_numeric(values: pd.Series) -> pd.Series:
    """ISO 3166-1 numeric code (3 digits) per value, "" when unknown or empty."""
    key = values.astype("str").fillna("").str.strip().str.lower()
    return key.map(_country_lookup()).fillna("").astype("str")


def document_type(values: pd.Series, ids: IdentifierConfig) -> pd.Series:
    key = values.astype("str").fillna("").str.strip().str.lower()
    return key.map(ids.doc_aliases).fillna("").astype("str")
