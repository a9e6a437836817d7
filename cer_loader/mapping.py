"""The mapping file (TOML): which source column feeds which CeR field, and value maps.

```toml
[source]              # all optional: detected when absent
encoding = "cp1250"
delimiter = ";"
sheet = "Wizyty"      # workbooks
header_row = 3        # workbooks
[columns]             # canonical field = header in the export
patient_pesel = "PESEL"
[values.visit_kind]   # per field, applied after trimming, case-insensitive
"pierwsza" = "first"
[hl7]                 # HL7 dumps: canonical field = HL7 path
medical_category = "SCH-7.1"
```
Without a mapping file, common Polish headers are recognised (``KNOWN_HEADERS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cer_loader.errors import ConfigError
from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.headers import fold
from cer_loader.ingest.options import ReaderOptions
from cer_loader.ingest.steward import ENUMS, ORIGIN
from cer_loader.ingest.table import PROVENANCE, SourceTable
from cer_loader.resources import load_toml

# canonical field -> header spellings seen in Polish exports (compared folded: see ``fold``)
KNOWN_HEADERS: dict[str, list[str]] = {
    "appointment_id": ["id wizyty", "identyfikator wizyty", "nr wizyty", "numer wizyty",
                       "id rezerwacji", "nr rezerwacji", "id"],
    "start": ["termin", "termin wizyty", "data i godzina", "data i godzina wizyty"],
    "start_date": ["data wizyty", "data", "data terminu", "dzien wizyty"],
    "start_time": ["godzina", "godz.", "godz", "godzina wizyty", "godz. wizyty"],
    "duration_minutes": ["czas trwania", "czas (min)", "czas trwania (min)", "minuty", "czas"],
    "schedule_id": ["harmonogram", "id harmonogramu", "grafik", "gabinet"],
    "mus_id": ["mus", "kod mus", "id mus", "miejsce udzielania swiadczen"],
    "scope_code": ["kod swiadczenia", "kod zakresu", "zakres", "kod produktu", "swiadczenie"],
    "visit_kind": ["rodzaj wizyty", "typ wizyty", "rodzaj"],
    "medical_category": ["kategoria medyczna", "kategoria", "przypadek"],
    "request_date": ["data zgloszenia", "data wpisu", "data rejestracji", "data zapisu"],
    "referral_key": ["klucz skierowania", "klucz e-skierowania", "e-skierowanie"],
    "referral_number": ["numer skierowania", "nr skierowania", "skierowanie papierowe"],
    "practitioner_npwz": ["npwz", "npwz lekarza", "pwz", "nr pwz", "lekarz npwz"],
    "patient_pesel": ["pesel", "pesel pacjenta"],
    "patient_document_type": ["rodzaj dokumentu", "typ dokumentu", "dokument"],
    "patient_document_number": ["numer dokumentu", "nr dokumentu", "nr paszportu", "seria i numer"],
    "patient_document_country": ["kraj dokumentu", "kraj wydania", "kraj wydania dokumentu", "kraj"],
    "patient_first_name": ["imie", "imie pacjenta"],
    "patient_last_name": ["nazwisko", "nazwisko pacjenta"],
    "patient_birth_date": ["data urodzenia", "data ur.", "ur."],
    "patient_sex": ["plec", "plec pacjenta"],
    "patient_phone": ["telefon", "tel.", "tel", "nr telefonu", "telefon kontaktowy", "komorka"],
    "patient_email": ["e-mail", "email", "adres e-mail", "mail"],
    "notes": ["uwagi", "komentarz", "notatki"],
}  # fmt: skip

# value maps every run starts from; a mapping file's [values.*] add to and override them
DEFAULT_VALUES: dict[str, dict[str, str]] = {
    "visit_kind": {
        "first": "first", "pierwsza": "first", "pierwszorazowa": "first", "p": "first",
        "1": "first", "continuation": "continuation", "kontynuacja": "continuation",
        "kolejna": "continuation", "kontrolna": "continuation", "k": "continuation",
        "2": "continuation",
    },
    "medical_category": {
        "pilny": "pilny", "pilna": "pilny", "przypadek pilny": "pilny",
        "stabilny": "stabilny", "stabilna": "stabilny", "przypadek stabilny": "stabilny",
    },
    "patient_sex": {
        "f": "F", "k": "F", "kobieta": "F", "ż": "F", "m": "M", "mężczyzna": "M",
        "mezczyzna": "M",
    },
}  # fmt: skip


@dataclass
class Mapping:
    path: Path | None = None
    source: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    hl7: dict[str, str] = field(default_factory=dict)

    def value_map(self, name: str) -> dict[str, str]:
        merged = {k.lower(): v for k, v in DEFAULT_VALUES.get(name, {}).items()}
        merged.update({k.strip().lower(): v for k, v in self.values.get(name, {}).items()})
        return merged

    def known_headers(self) -> set[str]:
        known = {fold(h) for spellings in KNOWN_HEADERS.values() for h in spellings}
        known |= {fold(name) for name in KNOWN_HEADERS}
        return known | {fold(h) for h in self.columns.values()}

    def reader_options(self) -> ReaderOptions:
        """The plain options a reader needs, from ``[source]``, ``[columns]`` and ``[hl7]``."""
        src = self.source
        return ReaderOptions(
            encoding=src.get("encoding"),
            delimiter=src.get("delimiter"),
            sheet=src.get("sheet"),
            header_row=src.get("header_row"),
            known_headers=frozenset(self.known_headers()),
            hl7_paths=dict(self.hl7),
            hl7_updates_book=bool(src.get("hl7_updates_book", False)),
        )


def load_mapping(path: Path | None) -> Mapping:
    if path is None:
        return Mapping()
    doc = load_toml(path, "plik mapowania", "mapping file")
    for section in ("columns", "values", "hl7"):
        unknown = [k for k in doc.get(section, {}) if k not in FIELD_NAMES]
        if unknown:
            allowed = ", ".join(FIELD_NAMES)
            raise ConfigError(
                f"[{section}]: nieznane pole CeR '{unknown[0]}' (dozwolone: {allowed})",
                f"[{section}]: unknown CeR field '{unknown[0]}' (allowed: {allowed})",
                path=path,
            )
    columns = doc.get("columns", {})
    values = doc.get("values", {})
    hl7 = doc.get("hl7", {})
    return Mapping(
        path=path,
        source=dict(doc.get("source", {})),
        columns={k: str(v) for k, v in columns.items()},
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
        hl7={k: str(v) for k, v in hl7.items()},
    )


def propose_columns(headers: list[str]) -> dict[str, str]:
    """Canonical field -> header, by the known Polish spellings (first match wins)."""
    by_fold = {fold(h): h for h in headers}
    proposal: dict[str, str] = {}
    for name, spellings in KNOWN_HEADERS.items():
        for s in [name, *spellings]:  # a header may already be the canonical name
            if fold(s) in by_fold and by_fold[fold(s)] not in proposal.values():
                proposal[name] = by_fold[fold(s)]
                break
    if "start" in proposal and "start_date" in proposal:
        del proposal["start"]
    return proposal


def resolve_columns(mapping: Mapping, table: SourceTable) -> dict[str, str]:
    """The columns used for this table; a mapped header missing from the file is a ConfigError."""
    if not mapping.columns:
        return propose_columns(table.headers)
    present = set(table.headers)
    for name, header in mapping.columns.items():
        if header not in present:
            raise ConfigError(
                f"pole {name}: kolumny '{header}' nie ma w pliku {table.path.name} "
                f"(są: {', '.join(table.headers)})",
                f"field {name}: column '{header}' is not in {table.path.name} "
                f"(it has: {', '.join(table.headers)})",
                path=mapping.path,
            )
    return dict(mapping.columns)


def apply_mapping(table: SourceTable, mapping: Mapping) -> pd.DataFrame:
    """A frame with every canonical field (str, "" when unmapped) and the provenance columns."""
    src = table.frame
    if table.canonical:
        columns = {name: name for name in FIELD_NAMES if name in src.columns}
    else:
        columns = resolve_columns(mapping, table)
    out = pd.DataFrame(index=src.index)
    for name in FIELD_NAMES:
        col = columns.get(name)
        if col is None:
            out[name] = ""
            continue
        values = src[col].astype("str").fillna("").str.strip()
        vmap = mapping.value_map(name)
        if vmap:
            mapped = values.str.lower().map(vmap)
            values = mapped.where(mapped.notna(), values).astype("str")
        out[name] = values
    for col in PROVENANCE:
        out[col] = src[col]
    return out


def proposal_toml(table: SourceTable) -> str:
    """A mapping file the user can save and edit, for ``cer-loader inspect``."""
    proposal = propose_columns(table.headers)
    lines = ["[source]"]
    for key in ("encoding", "delimiter", "sheet", "header_row"):
        if key in table.details and table.details[key] is not None:
            val = table.details[key]
            lines.append(
                f"{key} = {val!r}".replace("'", '"') if isinstance(val, str) else f"{key} = {val}"
            )
    lines += ["", "[columns]"]
    for name in FIELD_NAMES:
        if name in proposal:
            lines.append(f'{name} = "{proposal[name]}"')
    unmapped = [h for h in table.headers if h not in proposal.values()]
    for h in unmapped:
        lines.append(f'# ? = "{h}"')
    return "\n".join(lines) + "\n"


def enum_choices(mapping: Mapping) -> dict[str, list[str]]:
    out = {}
    for name, targets in ENUMS.items():
        vmap = mapping.value_map(name)
        out[name] = [
            next((c for c in cands if vmap.get(c.lower(), c) == target), target)
            for target, cands in targets.items()
        ]
    return out


def steward_canonical(table: SourceTable) -> pd.DataFrame:
    """``apply_mapping`` for a steward table: each row through the mapping of its original file."""
    origins = table.details["origins"]
    values = table.details.get("values", {})
    f = table.frame
    parts = []
    groups = f.groupby(ORIGIN, sort=False).groups.items() if len(f) else [(0, f.index)]
    for k, idx in groups:
        columns = {n: h for n, h in origins[int(k)]["columns"].items() if h in table.headers}
        sub = SourceTable(path=table.path, kind="steward", frame=f.loc[idx], headers=table.headers)
        parts.append(apply_mapping(sub, Mapping(columns=columns, values=values)))
    return pd.concat(parts).loc[f.index]
