"""Run settings: provider context (MUŚ, REGON, NIP, NFZ branch), as-of date, paths, batch size.

Sources, later wins: defaults < ``cer-loader.toml`` (``--config`` or the working folder) < CLI
options. The file is checked against ``CONFIG_SCHEMA`` as a whole before anything is used:
a wrong type, a value out of range, an unknown section or key, or any key that looks like a
secret (secrets come from the environment or a prompt, never from a file) is a ConfigError
naming the file and the key.

Adding a section (e.g. for a new stage): add its ``Table`` to ``SECTIONS`` below (known keys
with their ``tomlcheck`` value types), and read it in ``load_settings`` into a field of
``Settings`` (or into ``Settings.sections`` as checked plain values). Nothing else is needed:
unknown-key errors, "did you mean" and the secret refusal follow from the schema.
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

import cer_loader.tomlcheck as tc
from cer_loader.errors import ConfigError
from cer_loader.resources import data_dir, load_toml

MUS_RE = re.compile(r"^\d{12}-\d{3}$")
NFZ_BRANCH_RE = re.compile(r"^(0[1-9]|1[0-6])$")
_PATHS = ("template_dir", "xsd", "scopes", "rules", "identifiers")
_MAPPING_FILE = ("należy do pliku mapowania (--mapping), nie do cer-loader.toml",
                 "belongs in the mapping file (--mapping), not in cer-loader.toml")  # fmt: skip

# one entry per section of cer-loader.toml (see the module docstring for adding one)
SECTIONS: dict[str, tc.Node] = {
    "provider": tc.Table({
        "mus_id": tc.text(), "regon": tc.text(), "nip": tc.text(), "nfz_branch": tc.text(),
    }),
    "run": tc.Table({
        "as_of": tc.date_value(),
        "batch_size": tc.integer(1, 100_000),
        "lang": tc.one_of("pl", "en"),
        **{k: tc.text("ścieżka (tekst)", "a path (text)") for k in _PATHS},
    }),
    # bounds on each input file (ingest.options.Limits; the pipeline builds it from these)
    "limits": tc.Table({
        **{k: tc.integer(1, 2**53) for k in (
            "max_file_bytes", "max_part_bytes", "max_ratio", "max_cells", "max_cell_chars",
            "max_message_bytes")},
        "max_columns": tc.integer(1, 18_262),  # ingest.options.WRITER_MAX_COLUMNS
    }),
    # submission targets (CeR test / production): TLS client and WS-Security certificates;
    # passwords only as names of environment variables
    "targets": tc.Tables(tc.Table({
        "url": tc.text(),
        "ca_bundle": tc.text_or_list(),
        "tls_p12": tc.text(), "wss_p12": tc.text(),
        "soap_version": tc.one_of("1.1", "1.2"),
        "password_env": tc.text(), "tls_password_env": tc.text(), "wss_password_env": tc.text(),
    })),
}  # fmt: skip
CONFIG_SCHEMA = tc.Table(
    SECTIONS, elsewhere={k: _MAPPING_FILE for k in ("source", "columns", "values", "hl7")}
)


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
    # [targets.NAME] of cer-loader.toml, checked against SECTIONS["targets"] (plain values)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    # [limits] of cer-loader.toml: field of ingest.options.Limits -> value (defaults when absent)
    limits: dict[str, int] = field(default_factory=dict)

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


def parse_date(text: object, what: str) -> dt.date:
    """A date written ``YYYY-MM-DD`` or ``DD.MM.YYYY`` (or a TOML date)."""
    if isinstance(text, dt.date) and not isinstance(text, dt.datetime):
        return text
    value = str(text).strip()
    try:
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", value):
            day, month, year = (int(x) for x in value.split("."))
            return dt.date(year, month, day)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{what}: '{value}' nie jest datą RRRR-MM-DD ani DD.MM.RRRR",
            f"{what}: '{value}' is not a YYYY-MM-DD or DD.MM.YYYY date",
        ) from None


def load_config(config_path: Path) -> dict[str, Any]:
    """The checked document of a ``cer-loader.toml`` (ConfigError on any problem)."""
    doc = load_toml(config_path, "konfiguracja", "configuration")
    tc.refuse_secrets(doc, config_path)
    tc.check_document(doc, CONFIG_SCHEMA, config_path)
    return doc


def load_settings(config_path: Path | None, overrides: dict[str, Any]) -> Settings:
    """Build Settings from an optional TOML file and CLI overrides (None values are ignored)."""
    values: dict[str, Any] = {}
    if config_path is not None:
        doc = load_config(config_path)
        provider = doc.get("provider", {})
        run = doc.get("run", {})
        for key in ("mus_id", "regon", "nip", "nfz_branch"):
            if key in provider:
                values[key] = provider[key]
        if "as_of" in run:
            try:
                values["as_of"] = parse_date(run["as_of"], "[run] as_of")
            except ConfigError as exc:
                raise ConfigError(exc.message, exc.message_en, path=config_path) from None
        for key in ("batch_size", "lang"):
            if key in run:
                values[key] = run[key]
        base = config_path.parent
        for key in _PATHS:
            if key in run:
                values[key] = (base / run[key]).resolve()
        values["limits"] = dict(doc.get("limits", {}))
        values["targets"] = {name: dict(spec) for name, spec in doc.get("targets", {}).items()}
    for key, val in overrides.items():
        if val is not None:
            values[key] = val
    names = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in names})
