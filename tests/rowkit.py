"""Build tiny in-memory inputs for rule tests: one valid base row, mutated per case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from stdnum.pl import pesel as std_pesel

from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.catalogues.rules import load_rules
from cer_loader.catalogues.scopes import load_scopes
from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.table import SourceTable, add_provenance
from cer_loader.mapping import Mapping, apply_mapping
from cer_loader.normalize import normalize
from cer_loader.resources import data_dir
from cer_loader.settings import Settings
from cer_loader.validate import validate
from cer_loader.validate.context import Context

AS_OF = dt.date(2026, 12, 1)
MUS = "000000927722-001"
CARDIO = "02.1100.001.02"
CERVIX = "02.1450.101.02"
KEY44 = "1003189418826438454336384160240232430223812"[:43] + "0"


def make_pesel(born: dt.date, female: bool, serial: int = 123) -> str:
    offset = {18: 80, 19: 0, 20: 20, 21: 40, 22: 60}[born.year // 100]
    sex_digit = 4 if female else 5
    base = f"{born.year % 100:02d}{born.month + offset:02d}{born.day:02d}{serial:03d}{sex_digit}"
    return base + std_pesel.calc_check_digit(base)


BASE: dict[str, str] = {
    "appointment_id": "A1",
    "start_date": "12.01.2027",
    "start_time": "09:30",
    "duration_minutes": "20",
    "schedule_id": "GAB-1",
    "scope_code": CARDIO,
    "visit_kind": "first",
    "medical_category": "stabilny",
    "request_date": "15.11.2026",
    "referral_key": KEY44,
    "practitioner_npwz": "5425740",
    "patient_pesel": make_pesel(dt.date(1970, 5, 14), female=True),
    "patient_first_name": "Anna",
    "patient_last_name": "Kowalska",
    "patient_phone": "601 234 567",
    "patient_email": "anna@example.pl",
}


def table_of(rows: list[dict[str, str]], path: str = "test.csv") -> SourceTable:
    columns = sorted({k for r in rows for k in r} | set(FIELD_NAMES) - {"start"})
    frame = pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], columns=columns)
    frame = add_provenance(frame, Path(path), list(range(2, len(rows) + 2)))
    return SourceTable(
        path=Path(path),
        kind="csv",
        frame=frame,
        headers=columns,
        total_records=len(rows) + 1,
        canonical=True,
    )


def run_rules(rows: list[dict[str, Any]], **ctx: Any) -> pd.DataFrame:
    """The issues table for ``rows`` (each a mutation of BASE)."""
    schemas = data_dir("schemas")
    table = table_of([{**BASE, **r} for r in rows])
    canon = apply_mapping(table, Mapping())
    frame = normalize(canon, load_identifiers(schemas / "identifiers.toml"))
    context = Context(
        scopes=load_scopes(schemas / "scopes.toml"),
        as_of=ctx.get("as_of", AS_OF),
        mus_id=ctx.get("mus_id", MUS),
    )
    return validate(frame, context, load_rules(schemas / "rules.toml"))


def settings(**kw: Any) -> Settings:
    return Settings(mus_id=MUS, as_of=AS_OF, **kw)
