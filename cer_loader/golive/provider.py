"""The provider file (TOML): the MUŚ as CeR should know it, its mobile points (mammobus stops)
and its schedules — checked, and turned into the records of ``zapiszDaneMus``,
``importujMobilnePunktyObslugi`` and ``zapiszHarmonogram``.

```toml
[mus]
id = "000000927722-001"        # księga rejestrowa RPWDL - kod cz. VII
name = "Poradnia Kardiologiczna"
regon = "192598184"            # optional, checked with stdnum
nip = "8567346215"             # optional
nfz_branch = "07"              # optional
scopes = ["02.1100.001.02"]    # scope codes of the scope catalogue
phone = "+48 22 100 20 30"     # optional: the unit's phone for patients
[mus.address]
street = "ul. Szpitalna"; building = "5"; unit = ""; postal_code = "00-950"; city = "Warszawa"
teryt = "0918123"              # optional

[[mobile_point]]               # mammography / HPV: mammobus stops
id = "MB-01"; name = "..."; scope = "..."; from = 2027-01-11; to = 2027-01-22
[mobile_point.address]         # same keys as [mus.address]

[[schedule]]
id = "GAB-1"; name = "Gabinet 1"; scope = "02.1100.001.02"; valid_from = 2026-12-01
valid_to = 2027-12-31          # optional
practitioner_npwz = "8159083"  # optional
mobile_point = "MB-01"         # optional: a schedule of a mobile point
```
Problems are data (code from ``schemas/provider_rules.toml``, where, value), never exceptions;
a file that cannot be read at all is a ConfigError (exit 2).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from stdnum.pl import nip as std_nip
from stdnum.pl import regon as std_regon

from cer_loader.golive.catalogue import GoLive
from cer_loader.golive.operations import record_key
from cer_loader.normalize.checksums import npwz_ok
from cer_loader.resources import load_toml

MUS_RE = re.compile(r"^\d{12}-\d{3}$")
POSTAL_RE = re.compile(r"^\d{2}-\d{3}$")
_SECTIONS = {"mus", "mobile_point", "schedule"}
_MUS_KEYS = {"id", "name", "regon", "nip", "nfz_branch", "scopes", "phone", "address"}
_ADDRESS_KEYS = {"street", "building", "unit", "postal_code", "city", "teryt"}
_POINT_KEYS = {"id", "name", "scope", "from", "to", "address"}
_SCHEDULE_KEYS = {
    "id",
    "name",
    "scope",
    "valid_from",
    "valid_to",
    "practitioner_npwz",
    "mobile_point",
}


@dataclass(frozen=True)
class Problem:
    code: str  # a rule of schemas/provider_rules.toml
    where: str  # "mus.regon", "schedule[2].scope", ...
    value: str


@dataclass(frozen=True)
class Provider:
    path: Path
    doc: dict[str, Any]

    @property
    def mus(self) -> dict[str, Any]:
        return dict(self.doc.get("mus", {}))

    @property
    def mus_id(self) -> str:
        return str(self.mus.get("id", ""))

    @property
    def mobile_points(self) -> list[dict[str, Any]]:
        return list(self.doc.get("mobile_point", []))

    @property
    def schedules(self) -> list[dict[str, Any]]:
        return list(self.doc.get("schedule", []))

    def schedule_ids(self) -> set[str]:
        return {str(s.get("id", "")) for s in self.schedules}

    def periods(self) -> dict[str, tuple[dt.date | None, dt.date | None]]:
        """Schedule id -> (valid from, valid to), None where not given or not a date."""
        return {str(s.get("id", "")): (_date(s["valid_from"]) if s.get("valid_from") else None,
                                       _date(s["valid_to"]) if s.get("valid_to") else None)
                for s in self.schedules}  # fmt: skip


def load_provider(path: Path) -> Provider:
    return Provider(path, load_toml(path, "plik placówki", "provider file"))


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        return None


def check_provider(p: Provider, *, scope_codes: set[str], golive: GoLive, as_of: dt.date,
                   mus_id: str = "") -> list[Problem]:  # fmt: skip
    """Every problem of the provider file, in file order."""
    out: list[Problem] = []
    doc = p.doc

    def add(code: str, where: str, value: Any = "") -> None:
        out.append(Problem(code, where, str(value)))

    for key in sorted(set(doc) - _SECTIONS):
        add("provider-unknown-key", key, key)
    mus = doc.get("mus")
    if not isinstance(mus, dict):
        add("provider-required", "mus")
        return out
    _keys(mus, _MUS_KEYS, "mus", add)
    for key in ("id", "name", "scopes", "address"):
        if key not in mus or mus[key] in ("", []):
            add("provider-required", f"mus.{key}")
    mid = str(mus.get("id", ""))
    if mid and not MUS_RE.match(mid):
        add("provider-mus-id", "mus.id", mid)
    elif mid and mus_id and mid != mus_id:
        add("provider-mus-mismatch", "mus.id", mid)
    for key, ok in (("regon", std_regon.is_valid), ("nip", std_nip.is_valid)):
        if mus.get(key) and not ok(str(mus[key])):
            add(f"provider-{key}", f"mus.{key}", mus[key])
    if mus.get("nfz_branch") and not re.fullmatch(r"0[1-9]|1[0-6]", str(mus["nfz_branch"])):
        add("provider-nfz-branch", "mus.nfz_branch", mus["nfz_branch"])
    scopes = mus.get("scopes", [])
    if not isinstance(scopes, list):
        add("provider-type", "mus.scopes", scopes)
        scopes = []
    for s in scopes:
        if str(s) not in scope_codes:
            add("provider-scope-unknown", "mus.scopes", s)
    if isinstance(mus.get("address"), dict):
        _address(mus["address"], "mus.address", add)
    elif "address" in mus:
        add("provider-type", "mus.address", mus["address"])
    mus_scopes = {str(s) for s in scopes}
    points = doc.get("mobile_point", [])
    point_ids = _entries(points, "mobile_point", _POINT_KEYS, ("id", "name", "scope", "from", "to", "address"),
                         mus_scopes, add)  # fmt: skip
    for i, e in enumerate(points if isinstance(points, list) else [], start=1):
        if isinstance(e, dict):
            _period(e.get("from"), e.get("to"), f"mobile_point[{i}]", as_of, add, ("from", "to"))
            if isinstance(e.get("address"), dict):
                _address(e["address"], f"mobile_point[{i}].address", add)
    sched = doc.get("schedule", [])
    _entries(
        sched, "schedule", _SCHEDULE_KEYS, ("id", "name", "scope", "valid_from"), mus_scopes, add
    )
    covered = set()
    for i, e in enumerate(sched if isinstance(sched, list) else [], start=1):
        if not isinstance(e, dict):
            continue
        covered.add(str(e.get("scope", "")))
        _period(
            e.get("valid_from"),
            e.get("valid_to"),
            f"schedule[{i}]",
            as_of,
            add,
            ("valid_from", "valid_to"),
        )
        npwz = str(e.get("practitioner_npwz", ""))
        if npwz and not bool(npwz_ok(pd.Series([npwz])).iloc[0]):
            add("provider-npwz", f"schedule[{i}].practitioner_npwz", npwz)
        if e.get("mobile_point") and str(e["mobile_point"]) not in point_ids:
            add("provider-mobile-point-unknown", f"schedule[{i}].mobile_point", e["mobile_point"])
    for s in sorted(mus_scopes - covered):
        add("provider-schedules-missing", "schedule", s)
    point_scopes = (
        {str(e.get("scope", "")) for e in points if isinstance(e, dict)}
        if isinstance(points, list)
        else set()
    )
    for s in sorted((mus_scopes & golive.mobile_point_scopes) - point_scopes):
        add("provider-mobile-points-missing", "mobile_point", s)
    return out


def _keys(d: dict[str, Any], allowed: set[str], where: str, add: Any) -> None:
    for key in sorted(set(d) - allowed):
        add("provider-unknown-key", f"{where}.{key}", key)


def _address(a: dict[str, Any], where: str, add: Any) -> None:
    _keys(a, _ADDRESS_KEYS, where, add)
    for key in ("street", "building", "postal_code", "city"):
        if not str(a.get(key, "")).strip():
            add("provider-required", f"{where}.{key}")
    if a.get("postal_code") and not POSTAL_RE.match(str(a["postal_code"])):
        add("provider-postal-code", f"{where}.postal_code", a["postal_code"])
    if a.get("teryt") and not re.fullmatch(r"\d{7}", str(a["teryt"])):
        add("provider-teryt", f"{where}.teryt", a["teryt"])


def _entries(items: Any, name: str, allowed: set[str], required: tuple[str, ...],
             mus_scopes: set[str], add: Any) -> set[str]:  # fmt: skip
    if not isinstance(items, list):
        add("provider-type", name, items)
        return set()
    seen: set[str] = set()
    for i, e in enumerate(items, start=1):
        where = f"{name}[{i}]"
        if not isinstance(e, dict):
            add("provider-type", where, e)
            continue
        _keys(e, allowed, where, add)
        for key in required:
            if key not in e or str(e[key]).strip() == "":
                add("provider-required", f"{where}.{key}")
        ident = str(e.get("id", ""))
        if ident in seen:
            add("provider-duplicate-id", f"{where}.id", ident)
        seen.add(ident)
        if e.get("scope") and str(e["scope"]) not in mus_scopes:
            add("provider-scope-not-mus", f"{where}.scope", e["scope"])
    return seen


def _period(
    start: Any, end: Any, where: str, as_of: dt.date, add: Any, keys: tuple[str, str]
) -> None:
    a = _date(start) if start is not None else None
    b = _date(end) if end is not None else None
    if start is not None and a is None:
        add("provider-date", f"{where}.{keys[0]}", start)
    if end is not None and b is None:
        add("provider-date", f"{where}.{keys[1]}", end)
    if a and b and b < a:
        add("provider-period", where, f"{a} – {b}")
    if b and b < as_of:
        add("provider-period-past", f"{where}.{keys[1]}", b)


def records(p: Provider) -> dict[str, list[dict[str, Any]]]:
    """The records of each operation, keyed by operation name (after a clean check)."""
    mus = p.mus
    mid = p.mus_id
    addr = {k: str(v) for k, v in dict(mus.get("address", {})).items()}
    out: dict[str, list[dict[str, Any]]] = {
        "zapiszDaneMus": [{
            "key": record_key("zapiszDaneMus", mid, mid), "local_id": mid, "mus_id": mid,
            "name": str(mus.get("name", "")), "regon": str(mus.get("regon", "")),
            "nip": str(mus.get("nip", "")), "nfz_branch": str(mus.get("nfz_branch", "")),
            "phone": str(mus.get("phone", "")), "scopes": [str(s) for s in mus.get("scopes", [])],
            "address": {k: addr.get(k, "") for k in _ADDRESS_KEYS},
        }],
        "importujMobilnePunktyObslugi": [],
        "zapiszHarmonogram": [],
    }  # fmt: skip
    for e in p.mobile_points:
        a = {k: str(v) for k, v in dict(e.get("address", {})).items()}
        out["importujMobilnePunktyObslugi"].append({
            "key": record_key("importujMobilnePunktyObslugi", mid, str(e["id"])), "local_id": str(e["id"]),
            "id": str(e["id"]), "name": str(e["name"]), "scope": str(e["scope"]),
            "date_from": str(_date(e["from"])), "date_to": str(_date(e["to"])),
            "address": {k: a.get(k, "") for k in _ADDRESS_KEYS},
        })  # fmt: skip
    for e in p.schedules:
        out["zapiszHarmonogram"].append({
            "key": record_key("zapiszHarmonogram", mid, str(e["id"])), "local_id": str(e["id"]),
            "id": str(e["id"]), "name": str(e["name"]), "scope": str(e["scope"]),
            "valid_from": str(_date(e["valid_from"])),
            "valid_to": str(_date(e["valid_to"])) if e.get("valid_to") else "",
            "npwz": str(e.get("practitioner_npwz", "")), "mobile_point": str(e.get("mobile_point", "")),
        })  # fmt: skip
    return out
