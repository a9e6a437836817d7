"""Run settings: provider context (MUŚ, REGON, NIP, NFZ branch), as-of date, paths, batch size.

Sources, later wins: defaults < ``cer-loader.toml`` (``--config`` or the working folder) < CLI
options. Secrets never come from this file (there are none in the load stage).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from stdnum.pl import nip as std_nip
from stdnum.pl import regon as std_regon

from cer_loader.errors import ConfigError
from cer_loader.resources import data_dir, load_toml

MUS_RE = re.compile(r"^\d{12}-\d{3}$")
NFZ_BRANCH_RE = re.compile(r"^(0[1-9]|1[0-6])$")
_SECRET_KEYS = {"password", "haslo", "hasło", "pin", "secret", "key_password"}


def today_warsaw() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Warsaw")).date()


@dataclass(frozen=True)
class Settings:
    mus_id: str = ""
    regon: str = ""
    nip: str = ""
    nfz_branch: str = ""
    as_of: dt.date = field(default_factory=today_warsaw)
    batch_size: int = 5000
    lang: str = "pl"
    template_dir: Path = field(default_factory=lambda: data_dir("templates"))
    xsd: Path = field(default_factory=lambda: data_dir("schemas") / "zasilInicjalnie.xsd")
    scopes: Path = field(default_factory=lambda: data_dir("schemas") / "scopes.toml")
    rules: Path = field(default_factory=lambda: data_dir("schemas") / "rules.toml")
    identifiers: Path = field(default_factory=lambda: data_dir("schemas") / "identifiers.toml")

    def checked(self) -> Settings:
        """Validate the provider context; raise ConfigError on the first problem."""
        if not self.mus_id:
            raise ConfigError(
                "brak identyfikatora MUŚ: podaj --mus lub [provider] mus_id w cer-loader.toml",
                "no MUŚ id: give --mus or [provider] mus_id in cer-loader.toml",
            )
        if not MUS_RE.match(self.mus_id):
            raise ConfigError(
                f"identyfikator MUŚ '{self.mus_id}' nie ma postaci 000000000000-000 "
                "(księga rejestrowa RPWDL - kod cz. VII)",
                f"MUŚ id '{self.mus_id}' is not of the form 000000000000-000 "
                "(RPWDL register book - part VII code)",
            )
        if self.regon and not std_regon.is_valid(self.regon):
            raise ConfigError(f"błędny REGON '{self.regon}'", f"invalid REGON '{self.regon}'")
        if self.nip and not std_nip.is_valid(self.nip):
            raise ConfigError(f"błędny NIP '{self.nip}'", f"invalid NIP '{self.nip}'")
        if self.nfz_branch and not NFZ_BRANCH_RE.match(self.nfz_branch):
            raise ConfigError(
                f"kod oddziału NFZ '{self.nfz_branch}' spoza 01-16",
                f"NFZ branch code '{self.nfz_branch}' is not 01-16",
            )
        if not 1 <= self.batch_size <= 100_000:
            raise ConfigError(
                "batch_size musi być w przedziale 1-100000", "batch_size must be 1-100000"
            )
        return self


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(
            f"{what}: '{text}' nie jest datą RRRR-MM-DD",
            f"{what}: '{text}' is not a YYYY-MM-DD date",
        ) from None


def load_settings(config_path: Path | None, overrides: dict[str, Any]) -> Settings:
    """Build Settings from an optional TOML file and CLI overrides (None values are ignored)."""
    values: dict[str, Any] = {}
    if config_path is not None:
        doc = load_toml(config_path, "konfiguracja", "configuration")
        bad = _SECRET_KEYS & {
            k.lower() for sec in doc.values() if isinstance(sec, dict) for k in sec
        }
        if bad:
            raise ConfigError(
                "hasła nie mogą być w pliku konfiguracji (użyj zmiennej środowiskowej)",
                "passwords must not be in the configuration file (use an environment variable)",
                path=config_path,
            )
        provider = doc.get("provider", {})
        run = doc.get("run", {})
        for key in ("mus_id", "regon", "nip", "nfz_branch"):
            if key in provider:
                values[key] = str(provider[key])
        if "as_of" in run:
            values["as_of"] = parse_date(run["as_of"], "as_of")
        if "batch_size" in run:
            values["batch_size"] = int(run["batch_size"])
        base = config_path.parent
        for key in ("template_dir", "xsd", "scopes", "rules", "identifiers"):
            if key in run:
                values[key] = (base / run[key]).resolve()
    for key, val in overrides.items():
        if val is not None:
            values[key] = val
    names = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in names})
