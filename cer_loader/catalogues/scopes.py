"""The scope catalogue (TOML): which NFZ scope codes a run accepts and the rules each carries."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cer_loader.errors import ConfigError
from cer_loader.resources import load_toml

CODE_RE = re.compile(r"^\d{2}\.\d{4}\.\d{3}\.\d{2}$")
COLUMNS = [
    "code", "name", "kind", "sex", "min_age", "max_age",
    "requires_category", "requires_referral", "confidence",
]  # fmt: skip


def load_scopes(path: Path) -> pd.DataFrame:
    """One row per scope, indexed by code. Raises ConfigError naming the file and the entry."""
    doc = load_toml(path, "katalog zakresów", "scope catalogue")
    entries = doc.get("scope")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            "katalog zakresów nie ma żadnej pozycji [[scope]]",
            "the scope catalogue has no [[scope]] entry",
            path=path,
        )
    rows = []
    for i, e in enumerate(entries, start=1):
        where = f"[[scope]] nr {i}"
        code = str(e.get("code", ""))
        if not CODE_RE.match(code):
            raise ConfigError(
                f"{where}: kod '{code}' nie ma postaci RR.SSSS.PPP.RR",
                f"[[scope]] #{i}: code '{code}' is not RR.SSSS.PPP.RR",
                path=path,
            )
        if e.get("kind") not in ("aos", "programme"):
            raise ConfigError(
                f"{where} ({code}): kind musi być 'aos' albo 'programme'",
                f"[[scope]] #{i} ({code}): kind must be 'aos' or 'programme'",
                path=path,
            )
        if e.get("sex", "") not in ("", "F", "M"):
            raise ConfigError(
                f"{where} ({code}): sex musi być 'F' albo 'M'",
                f"[[scope]] #{i} ({code}): sex must be 'F' or 'M'",
                path=path,
            )
        for key in ("min_age", "max_age"):
            if key in e and not isinstance(e[key], int):
                raise ConfigError(
                    f"{where} ({code}): {key} musi być liczbą całkowitą",
                    f"[[scope]] #{i} ({code}): {key} must be an integer",
                    path=path,
                )
        rows.append(
            {
                "code": code,
                "name": str(e.get("name", code)),
                "kind": e["kind"],
                "sex": e.get("sex", ""),
                "min_age": e.get("min_age", -1),
                "max_age": e.get("max_age", 1000),
                "requires_category": bool(e.get("requires_category", False)),
                "requires_referral": bool(e.get("requires_referral", False)),
                "confidence": str(e.get("confidence", "UNCONFIRMED")),
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    dup = frame["code"][frame["code"].duplicated()]
    if len(dup):
        raise ConfigError(
            f"kod zakresu powtórzony w katalogu: {dup.iloc[0]}",
            f"scope code repeated in the catalogue: {dup.iloc[0]}",
            path=path,
        )
    return frame.set_index("code", drop=False)
