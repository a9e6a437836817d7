"""A frictionless Table Schema with the constraints of our rules that a Table Schema can say
(required, unique, patterns, enums, dates, ranges, lengths), for the CSV that
``cer-loader sample`` writes: the fair generic baseline the benchmark compares against."""

from __future__ import annotations

from typing import Any

from cer_loader.resources import data_dir


def scope_codes() -> list[str]:
    import tomllib

    with (data_dir("schemas") / "scopes.toml").open("rb") as f:
        return [s["code"] for s in tomllib.load(f)["scope"]]


def schema() -> Any:
    from frictionless import Schema

    date = {"type": "date", "format": "%d.%m.%Y"}
    text = {"type": "string", "constraints": {"maxLength": 255}}
    fields = [
        {"name": "Nr wizyty", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "Data wizyty", **date, "constraints": {"required": True}},
        {"name": "Godz.", "type": "string",
         "constraints": {"required": True, "pattern": "([01]?[0-9]|2[0-3]):[0-5][0-9]"}},
        {"name": "Czas (min)", "type": "integer", "constraints": {"minimum": 1, "maximum": 1440}},
        {"name": "Gabinet", **text},
        {"name": "Kod świadczenia", "type": "string",
         "constraints": {"required": True, "enum": scope_codes()}},
        {"name": "Rodzaj wizyty", "type": "string",
         "constraints": {"enum": ["pierwsza", "Pierwszorazowa", "kontynuacja"]}},
        {"name": "Kategoria", "type": "string", "constraints": {"enum": ["pilny", "stabilny"]}},
        {"name": "Data zgłoszenia", **date},
        {"name": "Klucz skierowania", "type": "string", "constraints": {"pattern": "[0-9]{44}"}},
        {"name": "Nr skierowania", **text},
        {"name": "NPWZ lekarza", "type": "string", "constraints": {"pattern": "[1-9][0-9]{6}"}},
        {"name": "PESEL", "type": "string", "constraints": {"pattern": "[0-9]{11}"}},
        {"name": "Nr dokumentu", **text},
        {"name": "Rodzaj dokumentu", **text},
        {"name": "Kraj", "type": "string", "constraints": {"pattern": "[A-Z]{2,3}"}},
        {"name": "Nazwisko", **text},
        {"name": "Imię", **text},
        {"name": "Data urodzenia", **date},
        {"name": "Płeć", "type": "string", "constraints": {"enum": ["K", "M", "F"]}},
        {"name": "Telefon", "type": "string", "constraints": {"pattern": "[+0-9 ()-]{7,20}"}},
        {"name": "E-mail", "type": "string", "format": "email"},
        {"name": "Uwagi", "type": "string", "constraints": {"maxLength": 2000}},
    ]  # fmt: skip
    return Schema.from_descriptor({"fields": fields})
