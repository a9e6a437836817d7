"""The go-live catalogue (``schemas/golive.toml``): slot types, coverage horizon, gap length and
the scopes that need mobile points."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cer_loader.errors import ConfigError
from cer_loader.mapping import fold as fold_header
from cer_loader.resources import data_dir, load_toml

GOLIVE_FILE = "golive.toml"
_KEYS = {"coverage_months", "max_gap_days", "slot_type", "mobile_points"}


@dataclass(frozen=True)
class SlotType:
    code: str
    pl: str
    en: str
    aliases: tuple[str, ...]
    confidence: str

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.pl


@dataclass(frozen=True)
class GoLive:
    coverage_months: int
    max_gap_days: int
    slot_types: tuple[SlotType, ...]
    mobile_point_scopes: frozenset[str]
    path: Path

    def slot_type_map(self) -> dict[str, str]:
        """Folded spelling -> slot type code (codes themselves included)."""
        out: dict[str, str] = {}
        for t in self.slot_types:
            for spelling in (t.code, t.pl, *t.aliases):
                out[fold_header(spelling)] = t.code
        return out


def default_golive_path() -> Path:
    return data_dir("schemas") / GOLIVE_FILE


def load_golive(path: Path | None = None) -> GoLive:
    path = path or default_golive_path()
    doc = load_toml(path, "katalog go-live", "go-live catalogue")
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise ConfigError(
            f"nieznany klucz '{unknown[0]}' (znane: {', '.join(sorted(_KEYS))})",
            f"unknown key '{unknown[0]}' (known: {', '.join(sorted(_KEYS))})",
            path=path,
        )
    months, gap = doc.get("coverage_months", 3), doc.get("max_gap_days", 7)
    for key, val, hi in (("coverage_months", months, 24), ("max_gap_days", gap, 366)):
        if not isinstance(val, int) or isinstance(val, bool) or not 1 <= val <= hi:
            raise ConfigError(
                f"{key}: oczekiwano liczby całkowitej 1-{hi}, jest {val!r}",
                f"{key}: expected an integer 1-{hi}, got {val!r}",
                path=path,
            )
    types = []
    for i, t in enumerate(doc.get("slot_type", []), start=1):
        if not isinstance(t, dict) or not all(
            isinstance(t.get(k), str) for k in ("code", "pl", "en")
        ):
            raise ConfigError(
                f"[[slot_type]] nr {i}: wymagane code, pl, en (tekst)",
                f"[[slot_type]] #{i}: code, pl and en (text) are required",
                path=path,
            )
        aliases = t.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ConfigError(
                f"[[slot_type]] {t['code']}: aliases musi być listą tekstów",
                f"[[slot_type]] {t['code']}: aliases must be a list of strings",
                path=path,
            )
        types.append(
            SlotType(
                t["code"], t["pl"], t["en"], tuple(aliases), t.get("confidence", "UNCONFIRMED")
            )
        )
    if not types:
        raise ConfigError(
            "katalog go-live nie ma żadnego [[slot_type]]",
            "the go-live catalogue has no [[slot_type]]",
            path=path,
        )
    scopes = doc.get("mobile_points", {}).get("required_for_scopes", [])
    return GoLive(months, gap, tuple(types), frozenset(map(str, scopes)), path)
