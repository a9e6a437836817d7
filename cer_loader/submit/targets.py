"""Where to send: ``[targets.NAME]`` tables of ``cer-loader.toml``.

Keys: ``url`` (https only), ``ca_bundle`` (a path or a list of paths: several trust anchors at
once, e.g. the old and new CCP1 roots), ``tls_p12``, ``wss_p12``, ``soap_version`` ("1.1" or
"1.2"), ``password_env`` (one environment variable for both certificates' password),
``tls_password_env``, ``wss_password_env`` (one per certificate, before ``password_env``; names of
environment variables: passwords themselves never live in the file). Relative paths are relative to the config file. The target
named ``production`` is marked ``production=True``: the CLI asks for an explicit flag and a typed
confirmation of the MUŚ id before using it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from cer_loader.errors import ConfigError

NAMES = ("emulator", "integration", "production")
DEFAULT = "emulator"
TLS_PASSWORD_ENV = "CER_LOADER_TLS_P12_PASSWORD"
WSS_PASSWORD_ENV = "CER_LOADER_WSS_P12_PASSWORD"
_KEYS = {
    "url", "ca_bundle", "tls_p12", "wss_p12", "soap_version", "password_env",
    "tls_password_env", "wss_password_env",
}  # fmt: skip

SoapVersion = Literal["1.1", "1.2"]


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    ca_bundle: tuple[Path, ...]
    tls_p12: Path | None
    wss_p12: Path | None
    soap_version: SoapVersion = "1.1"
    tls_password_env: str = TLS_PASSWORD_ENV
    wss_password_env: str = WSS_PASSWORD_ENV
    production: bool = False


def _bad(name: str, pl: str, en: str) -> ConfigError:
    return ConfigError(f"[targets.{name}]: {pl}", f"[targets.{name}]: {en}")


def _target(name: str, table: Mapping[str, Any], base_dir: Path) -> Target:
    unknown = set(table) - _KEYS
    if unknown:
        raise _bad(name, f"nieznane klucze {sorted(unknown)}", f"unknown keys {sorted(unknown)}")
    url = str(table.get("url", ""))
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise _bad(
            name,
            f"url musi być adresem https:// (jest: '{url}')",
            f"url must be https:// (is '{url}')",
        )
    raw = table.get("ca_bundle", [])
    bundles = [raw] if isinstance(raw, str) else list(raw)
    if not bundles:
        raise _bad(
            name,
            "brak ca_bundle: weryfikacji serwera nie można wyłączyć",
            "no ca_bundle: server verification cannot be turned off",
        )
    version = str(table.get("soap_version", "1.1"))
    if version not in ("1.1", "1.2"):
        raise _bad(name, "soap_version to 1.1 albo 1.2", "soap_version is 1.1 or 1.2")

    def path(key: str) -> Path | None:
        value = table.get(key)
        return (base_dir / str(value)).resolve() if value else None

    return Target(
        name=name,
        url=url,
        ca_bundle=tuple((base_dir / str(b)).resolve() for b in bundles),
        tls_p12=path("tls_p12"),
        wss_p12=path("wss_p12"),
        soap_version=version,  # type: ignore[arg-type]
        tls_password_env=str(
            table.get("tls_password_env", table.get("password_env", TLS_PASSWORD_ENV))
        ),
        wss_password_env=str(
            table.get("wss_password_env", table.get("password_env", WSS_PASSWORD_ENV))
        ),
        production=name == "production",
    )


def load_targets(doc: Mapping[str, Any], base_dir: Path) -> dict[str, Target]:
    """The targets a parsed ``cer-loader.toml`` configures (may be empty: then the embedded
    emulator is the default)."""
    tables = doc.get("targets", {})
    if not isinstance(tables, Mapping):
        raise ConfigError("[targets] musi być tabelą", "[targets] must be a table")
    out: dict[str, Target] = {}
    for name, table in tables.items():
        if name not in NAMES:
            raise ConfigError(
                f"nieznany cel '{name}' (dozwolone: {', '.join(NAMES)})",
                f"unknown target '{name}' (allowed: {', '.join(NAMES)})",
            )
        if not isinstance(table, Mapping):
            raise _bad(name, "musi być tabelą", "must be a table")
        out[name] = _target(name, table, base_dir)
    return out
