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
Without a mapping file, common Polish and English headers are recognised (``KNOWN_HEADERS``);
a file none of whose headers is recognised stops with a UsageError pointing at ``inspect``.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

import cer_loader.tomlcheck as tc
from cer_loader.errors import ConfigError, UsageError
from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.headers import fold, looks_like_data, shown
from cer_loader.ingest.options import ReaderOptions
from cer_loader.ingest.steward import ENUMS, ORIGIN
from cer_loader.ingest.table import PROVENANCE, SourceTable
from cer_loader.resources import load_toml

# canonical field -> header spellings seen in Polish exports (compared folded: see ``fold``)
POLISH_HEADERS: dict[str, list[str]] = {
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
# the same for English exports (scheduling systems, the public "no-show" data sets)
ENGLISH_HEADERS: dict[str, list[str]] = {
    "appointment_id": ["appointmentid", "appointment id", "booking id", "visit id"],
    "start": ["appointment start", "start datetime", "scheduled start", "start"],
    "start_date": ["appointmentday", "appointment day", "appointment date", "visit date", "date"],
    "start_time": ["starttime", "start time", "appointment time", "time"],
    "duration_minutes": ["duration", "duration min", "duration minutes", "length"],
    "schedule_id": ["schedule", "schedule id", "resource", "room"],
    "scope_code": ["service code", "procedure code", "product code"],
    "visit_kind": ["visit type", "appointment type"],
    "medical_category": ["priority", "urgency"],
    "request_date": ["scheduledday", "scheduled day", "request date", "booking date",
                     "booked on"],
    "referral_key": ["referral key", "e referral key"],
    "referral_number": ["referral number", "referral no"],
    "patient_pesel": ["pesel number", "national id"],
    "patient_document_type": ["document type", "id document type"],
    "patient_document_number": ["document number", "passport number", "id document number"],
    "patient_document_country": ["issuing country", "document country", "country"],
    "patient_first_name": ["first name", "firstname", "given name"],
    "patient_last_name": ["last name", "lastname", "surname", "family name"],
    "patient_birth_date": ["birth date", "birthdate", "date of birth", "dob"],
    "patient_sex": ["gender", "sex"],
    "patient_phone": ["phone", "phone number", "mobile", "mobile phone", "telephone", "cell"],
    "patient_email": ["email address", "e mail"],
    "notes": ["notes", "comments", "remarks"],
}  # fmt: skip
KNOWN_HEADERS: dict[str, list[str]] = {
    name: spellings + ENGLISH_HEADERS.get(name, []) for name, spellings in POLISH_HEADERS.items()
}
# headers common in exports that hold nothing CeR takes (a local patient number is not a PESEL)
NOT_CER_HEADERS = ("patientid", "patient id", "age", "neighbourhood", "sms received", "no show")

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
        known |= {fold(name) for name in KNOWN_HEADERS} | {fold(h) for h in NOT_CER_HEADERS}
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


def _codec(value: object) -> bool:
    try:
        return isinstance(value, str) and bool(
            getattr(codecs.lookup(value), "_is_text_encoding", True)
        )
    except LookupError:
        return False


def _in(*choices: str) -> tc.Value:
    """A value-map target: one of ``choices`` (compared case-insensitively, as normalize does)."""
    folded = {c.lower() for c in choices}
    shown = ", ".join(f'"{c}"' for c in choices)
    return tc.Value(lambda v: isinstance(v, str) and v.strip().lower() in folded,
                    f"jedno z: {shown}", f"one of: {shown}")  # fmt: skip


_FIELD = ("nieznane pole CeR", "unknown CeR field")
# what a value map of an enumerated field may map to
VALUE_TARGETS = {
    "visit_kind": _in("first", "continuation"),
    "medical_category": _in("pilny", "stabilny"),
    "patient_sex": _in("F", "M"),
}
_CONFIG_FILE = ("należy do cer-loader.toml (--config), nie do pliku mapowania",
                "belongs in cer-loader.toml (--config), not in the mapping file")  # fmt: skip
MAPPING_SCHEMA = tc.Table(
    {
        "source": tc.Table({
            "encoding": tc.Value(_codec, "nazwa kodowania tekstu, np. \"cp1250\"",
                                 'a text encoding name, e.g. "cp1250"'),
            "delimiter": tc.Value(lambda v: isinstance(v, str) and len(v) == 1,
                                  'jeden znak, np. ";"', 'one character, e.g. ";"'),
            "sheet": tc.text(),
            "header_row": tc.integer(1, 1_048_576),
            "hl7_updates_book": tc.boolean(),
        }),
        "columns": tc.Table({n: tc.text("nagłówek kolumny (tekst)", "a column header (text)")
                             for n in FIELD_NAMES}, unknown=_FIELD),
        "values": tc.Table({n: tc.Dict(VALUE_TARGETS.get(n, tc.text())) for n in FIELD_NAMES},
                           unknown=_FIELD),
        "hl7": tc.Table({n: tc.text("ścieżka HL7, np. \"SCH-7.1\"", 'an HL7 path, e.g. "SCH-7.1"')
                         for n in FIELD_NAMES}, unknown=_FIELD),
    },
    elsewhere={k: _CONFIG_FILE for k in ("provider", "run", "targets")},
)  # fmt: skip


def load_mapping(path: Path | None) -> Mapping:
    """Read and check a mapping file (``MAPPING_SCHEMA``); any problem is a ConfigError naming
    the file and the key."""
    if path is None:
        return Mapping()
    doc = load_toml(path, "plik mapowania", "mapping file")
    tc.check_document(doc, MAPPING_SCHEMA, path)
    columns = doc.get("columns", {})
    values = doc.get("values", {})
    hl7 = doc.get("hl7", {})
    return Mapping(
        path=path,
        source=dict(doc.get("source", {})),
        columns=dict(columns),
        values={k: dict(v) for k, v in values.items()},
        hl7=dict(hl7),
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
        proposal = propose_columns(table.headers)
        if not proposal:
            # a file with no header line: its first row is a patient's data, not to be printed
            data_like = looks_like_data(table.headers)
            names = ", ".join(shown(h, data_like) for h in table.headers)
            raise UsageError(
                f"plik {table.path.name}: żadna kolumna nie jest rozpoznana jako pole CeR "
                f"(nagłówki: {names or 'brak'}); przygotuj plik mapowania: "
                f"cer-loader inspect {table.path} > mapping.toml, popraw go i podaj --mapping",
                f"file {table.path.name}: no column is recognised as a CeR field "
                f"(headers: {names or 'none'}); make a mapping file: "
                f"cer-loader inspect {table.path} > mapping.toml, edit it and pass --mapping",
            )
        return proposal
    present = set(table.headers)
    for name, header in mapping.columns.items():
        if header not in present:
            # with no header line the file's "headers" are its first row: masked, as above
            data_like = looks_like_data(table.headers)
            names = ", ".join(shown(h, data_like) for h in table.headers)
            raise ConfigError(
                f"pole {name}: kolumny '{header}' nie ma w pliku {table.path.name} (są: {names})",
                f"field {name}: column '{header}' is not in {table.path.name} (it has: {names})",
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
    out = {}
    empty = pd.Series("", index=src.index, dtype="str")
    for name in FIELD_NAMES:
        col = columns.get(name)
        if col is None:
            out[name] = empty
            continue
        values = _trimmed(src[col].astype("str").fillna(""))
        vmap = mapping.value_map(name)
        if vmap:
            values = _mapped(values, vmap)
        out[name] = values
    for col in PROVENANCE:
        out[col] = src[col]
    return pd.DataFrame(out, index=src.index, copy=False)


_WHITESPACE = np.zeros(256, dtype=bool)  # bytes that may begin or end a whitespace character
_WHITESPACE[[*range(0x09, 0x0E), *range(0x1C, 0x21), *range(0x80, 0x100)]] = True


def _trimmed(values: pd.Series) -> pd.Series:
    """``values.str.strip()``; the column itself (no copy) when no value begins or ends with a
    byte that can be part of whitespace (judged on the Arrow buffers: first and last bytes)."""
    arr = getattr(values.array, "_pa_array", None)
    if arr is None or not pa.types.is_large_string(arr.type) or arr.null_count:
        return values.str.strip()
    for chunk in arr.chunks:
        if not len(chunk):
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        data = chunk.buffers()[2]
        full = offsets[1:] > offsets[:-1]
        if data is None or not full.any():
            continue
        body = np.frombuffer(data, dtype=np.uint8)
        if (
            _WHITESPACE[body[offsets[:-1][full]]].any()
            or _WHITESPACE[body[offsets[1:][full] - 1]].any()
        ):
            return values.str.strip()
    return values


def _mapped(values: pd.Series, vmap: dict[str, str]) -> pd.Series:
    """A value map (keys lower-case) applied case-insensitively, once per distinct value."""
    codes, uniques = pd.factorize(values)
    distinct = pd.Series(uniques, dtype="str")
    mapped = distinct.str.lower().map(vmap)
    distinct = mapped.where(mapped.notna(), distinct).astype("str")
    taken = pa.array(distinct.tolist(), type=pa.large_string()).take(pa.array(codes))
    return pd.Series(pd.array(taken, dtype=values.dtype), index=values.index)


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
