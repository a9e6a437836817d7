"""Free-slot exports → canonical slots → checked slots.

A slot export is read by the ordinary readers (CSV, workbook) and mapped like appointments: a
mapping file's ``[columns]`` names the source header for each slot field, ``[values.slot_type]``
adds spellings; without one, common Polish headers are recognised. Rules live in
``schemas/slot_rules.toml``; issues are data (``row, rule, field, value, severity``) exactly like
the appointment checks'.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cer_loader.errors import ConfigError
from cer_loader.golive.catalogue import GoLive
from cer_loader.ingest.options import ReaderOptions
from cer_loader.ingest.table import PROVENANCE, READER_ISSUE, READER_VALUE, SourceTable
from cer_loader.mapping import fold
from cer_loader.normalize import warsaw_time
from cer_loader.normalize.checksums import npwz_ok
from cer_loader.resources import load_toml

SLOT_FIELDS = (
    "slot_id", "schedule_id", "start", "start_date", "start_time", "duration_minutes",
    "slot_type", "scope_code", "practitioner_npwz",
)  # fmt: skip
KNOWN_SLOT_HEADERS: dict[str, list[str]] = {
    "slot_id": ["id terminu", "nr terminu", "identyfikator terminu", "id slotu", "id"],
    "schedule_id": ["harmonogram", "id harmonogramu", "grafik", "gabinet"],
    "start": ["termin", "data i godzina", "poczatek", "start"],
    "start_date": ["data", "data terminu", "dzien"],
    "start_time": ["godzina", "godz.", "godz", "godzina rozpoczecia"],
    "duration_minutes": ["czas trwania", "czas (min)", "czas trwania (min)", "minuty", "czas"],
    "slot_type": ["rodzaj terminu", "typ terminu", "typ slotu", "rodzaj slotu", "rodzaj"],
    "scope_code": ["kod swiadczenia", "kod zakresu", "zakres", "kod produktu", "swiadczenie"],
    "practitioner_npwz": ["npwz", "npwz lekarza", "pwz", "nr pwz", "lekarz npwz"],
}  # fmt: skip
MAX_DURATION = 720


@dataclass(frozen=True)
class SlotMapping:
    path: Path | None = None
    source: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def reader_options(self) -> ReaderOptions:
        known = {fold(h) for hs in KNOWN_SLOT_HEADERS.values() for h in hs}
        known |= {fold(h) for h in self.columns.values()}
        return ReaderOptions(
            encoding=self.source.get("encoding"),
            delimiter=self.source.get("delimiter"),
            sheet=self.source.get("sheet"),
            header_row=self.source.get("header_row"),
            known_headers=frozenset(known),
        )


def _unknown(kind_pl: str, kind_en: str, key: str, known: list[str], path: Path) -> ConfigError:
    close = difflib.get_close_matches(key, known, n=1)
    hint_pl = f"; czy chodziło o '{close[0]}'?" if close else ""
    hint_en = f"; did you mean '{close[0]}'?" if close else ""
    return ConfigError(
        f"nieznany {kind_pl} '{key}'{hint_pl}", f"unknown {kind_en} '{key}'{hint_en}", path=path
    )


def load_slot_mapping(path: Path | None) -> SlotMapping:
    """A slot mapping file: ``[source]``, ``[columns]`` (slot field = header), ``[values.*]``."""
    if path is None:
        return SlotMapping()
    doc = load_toml(path, "plik mapowania terminów", "slot mapping file")
    for section in doc:
        if section not in ("source", "columns", "values"):
            raise _unknown("rozdział", "section", section, ["source", "columns", "values"], path)
    for section in ("source", "columns", "values"):
        if not isinstance(doc.get(section, {}), dict):
            raise ConfigError(
                f"[{section}] musi być tabelą", f"[{section}] must be a table", path=path
            )
    for key in doc.get("source", {}):
        if key not in ("encoding", "delimiter", "sheet", "header_row"):
            known = ["encoding", "delimiter", "sheet", "header_row"]
            raise _unknown("klucz [source]", "[source] key", key, known, path)
    for section in ("columns", "values"):
        for key, val in doc.get(section, {}).items():
            if key not in SLOT_FIELDS:
                raise _unknown(
                    f"pole [{section}]", f"[{section}] field", key, list(SLOT_FIELDS), path
                )
            ok = isinstance(val, str) if section == "columns" else isinstance(val, dict)
            if not ok:
                what = "tekst (nagłówek)" if section == "columns" else "tabela"
                what_en = "a string (header)" if section == "columns" else "a table"
                raise ConfigError(
                    f"[{section}] {key}: oczekiwano: {what}",
                    f"[{section}] {key}: expected {what_en}",
                    path=path,
                )
    header_row = doc.get("source", {}).get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise ConfigError(
            "[source] header_row: oczekiwano liczby całkowitej ≥ 1",
            "[source] header_row: expected an integer ≥ 1",
            path=path,
        )
    return SlotMapping(
        path=path,
        source=dict(doc.get("source", {})),
        columns={k: str(v) for k, v in doc.get("columns", {}).items()},
        values={
            k: {str(a): str(b) for a, b in v.items()} for k, v in doc.get("values", {}).items()
        },
    )


def propose(headers: list[str]) -> dict[str, str]:
    by_fold = {fold(h): h for h in headers}
    out: dict[str, str] = {}
    for name, spellings in KNOWN_SLOT_HEADERS.items():
        for s in (name, *spellings):
            h = by_fold.get(fold(s))
            if h is not None and h not in out.values():
                out[name] = h
                break
    if "start" in out and "start_date" in out:
        del out["start"]
    return out


def canonical(table: SourceTable, mapping: SlotMapping) -> pd.DataFrame:
    """Every slot field as text ("" when unmapped) plus the provenance columns."""
    columns = dict(mapping.columns) or propose(table.headers)
    missing = [h for h in columns.values() if h not in table.headers]
    if missing:
        raise ConfigError(
            f"kolumny '{missing[0]}' nie ma w pliku {table.path.name} (są: {', '.join(table.headers)})",
            f"column '{missing[0]}' is not in {table.path.name} (it has: {', '.join(table.headers)})",
            path=mapping.path,
        )
    if not ({"start", "start_date"} & set(columns)) or "schedule_id" not in columns:
        raise ConfigError(
            f"w pliku {table.path.name} nie rozpoznano kolumn harmonogramu i terminu (nagłówki: "
            f"{', '.join(table.headers)}); podaj plik mapowania terminów (--mapping)",
            f"no schedule and start columns recognised in {table.path.name} (headers: "
            f"{', '.join(table.headers)}); give a slot mapping file (--mapping)",
            path=table.path,
        )
    src = table.frame
    out = pd.DataFrame(index=src.index)
    for name in SLOT_FIELDS:
        col = columns.get(name)
        out[name] = src[col].astype("str").str.strip() if col else ""
    for col in PROVENANCE:
        out[col] = src[col]
    return out


def check_slots(
    slots: pd.DataFrame,
    *,
    golive: GoLive,
    scope_codes: set[str],
    as_of: dt.date,
    values: dict[str, dict[str, str]] | None = None,
    schedules: set[str] | None = None,
    booked: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalize and check slots. Returns (normalized slots, issues).

    ``booked``: appointments CeR already holds (``schedule_id, start, end`` in UTC) — a free
    slot may not overlap one of the same schedule. ``schedules``: the schedule ids a provider
    file declares (None: not checked).
    """
    s = slots.copy()
    issues: list[pd.DataFrame] = []

    def flag(
        mask: pd.Series, rule: str, field: str, value: pd.Series | str, sev: str = "error"
    ) -> None:
        if mask.any():
            v = (
                value[mask]
                if isinstance(value, pd.Series)
                else pd.Series(value, index=s.index[mask])
            )
            issues.append(pd.DataFrame({"row": s.index[mask], "rule": rule, "field": field,
                                        "value": v.astype(str).to_numpy(), "severity": sev}))  # fmt: skip

    reader = s[READER_ISSUE] != ""
    flag(reader, "slot-reader", "", s[READER_ISSUE] + ": " + s[READER_VALUE])
    parsed = warsaw_time.parse_start(
        s["start"] if (s["start"] != "").any() or not (s["start_date"] != "").any() else None,
        s["start_date"] if (s["start_date"] != "").any() else None,
        s["start_time"] if (s["start_time"] != "").any() else None,
    )
    shown = s["start"].where(
        s["start"] != "", (s["start_date"] + " " + s["start_time"]).str.strip()
    )
    status = parsed["status"]
    flag(~reader & (status == warsaw_time.NONEXISTENT), "slot-start-nonexistent", "start", shown)
    bad_start = ~reader & (status != warsaw_time.OK) & (status != warsaw_time.NONEXISTENT)
    flag(bad_start, "slot-start-invalid", "start", shown)
    s["n_start"] = parsed["instant"]
    floor = pd.Timestamp(as_of, tz=warsaw_time.ZONE).tz_convert("UTC")
    flag(~reader & s["n_start"].notna() & (s["n_start"] < floor), "slot-start-past", "start", shown)

    dur = pd.to_numeric(
        s["duration_minutes"].where(s["duration_minutes"].str.fullmatch(r"\d{1,4}"), None)
    )
    dur_ok = dur.between(1, MAX_DURATION)
    flag(~reader & ~dur_ok, "slot-duration-invalid", "duration_minutes", s["duration_minutes"])
    s["n_duration"] = dur.where(dur_ok)
    s["n_end"] = s["n_start"] + pd.to_timedelta(s["n_duration"], unit="min")

    tmap = golive.slot_type_map()
    tmap |= {fold(k): v for k, v in (values or {}).get("slot_type", {}).items()}
    s["n_slot_type"] = s["slot_type"].map(lambda v: tmap.get(fold(v), "")) if len(s) else ""
    flag(~reader & (s["n_slot_type"] == ""), "slot-type-unknown", "slot_type", s["slot_type"])
    flag(
        ~reader & ~s["scope_code"].isin(scope_codes),
        "slot-scope-unknown",
        "scope_code",
        s["scope_code"],
    )
    flag(~reader & (s["schedule_id"] == ""), "slot-schedule-missing", "schedule_id", "")
    if schedules is not None:
        unknown = ~reader & (s["schedule_id"] != "") & ~s["schedule_id"].isin(schedules)
        flag(unknown, "slot-schedule-unknown", "schedule_id", s["schedule_id"])
    npwz = s["practitioner_npwz"]
    s["n_npwz_ok"] = (npwz != "") & npwz_ok(npwz)
    flag(
        ~reader & (npwz != "") & ~s["n_npwz_ok"],
        "slot-npwz-checksum",
        "practitioner_npwz",
        npwz,
        "warning",
    )

    timed = s["n_start"].notna() & s["n_end"].notna() & (s["schedule_id"] != "") & ~reader
    overlap, other = _overlaps(s[timed])
    flag(timed & s.index.isin(overlap.index), "slot-overlap", "start",
         other.reindex(s.index).fillna(""))  # fmt: skip
    if booked is not None and len(booked):
        hit = _hits_booked(s[timed], booked)
        flag(timed & s.index.isin(hit.index), "slot-overlaps-appointment", "start",
             hit.reindex(s.index).fillna(""))  # fmt: skip
    cols = ["row", "rule", "field", "value", "severity"]
    out = pd.concat(issues, ignore_index=True) if issues else pd.DataFrame(columns=cols)
    return s, out


def _fmt(instants: pd.Series) -> pd.Series:
    return instants.dt.tz_convert(warsaw_time.ZONE).dt.strftime("%d.%m.%Y %H:%M")


def _overlaps(t: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Slots that overlap the previous slot of their schedule (sorted by start), with the
    other slot's start as the value shown."""
    if t.empty:
        empty = pd.Series(dtype=object)
        return empty, empty
    o = t.sort_values(["schedule_id", "n_start", "n_end"], kind="stable")
    prev_end = o.groupby("schedule_id")["n_end"].cummax().shift(1)
    prev_start = o["n_start"].shift(1)
    same = o["schedule_id"].eq(o["schedule_id"].shift(1))
    hit = same & (o["n_start"] < prev_end)
    shown = _fmt(prev_start[hit]) if hit.any() else pd.Series(dtype=object)
    return hit[hit], shown


def _hits_booked(t: pd.DataFrame, booked: pd.DataFrame) -> pd.Series:
    """Slots overlapping an appointment of the same schedule: the appointment's start shown."""
    b = booked.dropna(subset=["start", "end"])
    b = b[b["schedule_id"].isin(set(t["schedule_id"]))]
    if b.empty:
        return pd.Series(dtype=object)
    b = b.rename(columns={"start": "b_start", "end": "b_end"})[["schedule_id", "b_start", "b_end"]]
    left = t[["schedule_id", "n_start", "n_end"]].reset_index(names="_row")
    pairs = left.merge(b, on="schedule_id")
    hit = (pairs["n_start"] < pairs["b_end"]) & (pairs["b_start"] < pairs["n_end"])
    first = pairs[hit].drop_duplicates("_row")
    return pd.Series(
        _fmt(first["b_start"]).to_numpy(), index=first["_row"].to_numpy(), dtype=object
    )


def coverage(
    slots: pd.DataFrame,
    ok: pd.Index,
    golive: GoLive,
    as_of: dt.date,
    *,
    declared: dict[str, tuple[dt.date | None, dt.date | None]] | None = None,
) -> pd.DataFrame:
    """Per schedule: the first and last day with an accepted slot, whether the last reaches the
    horizon (as-of + ``coverage_months``, or the schedule's own end when it ends sooner), and
    every gap: more than ``max_gap_days`` days in a row without any slot up to the horizon.

    ``declared``: the provider file's schedules (id -> valid from, valid to); a declared
    schedule without any accepted slot is listed with no days and fails coverage.
    """
    h = pd.Timestamp(as_of) + pd.DateOffset(months=golive.coverage_months)
    full = dt.date(h.year, h.month, h.day)
    one = dt.timedelta(days=1)
    a = slots.loc[ok].dropna(subset=["n_start", "n_end"])
    local = a["n_start"].dt.tz_convert(warsaw_time.ZONE).dt.date if len(a) else a["n_start"]
    by_schedule = {str(k): sorted(set(g)) for k, g in local.groupby(a["schedule_id"], sort=True)}
    declared = declared or {}
    rows = []
    for sched in sorted(set(by_schedule) | set(declared)):
        begin, end = declared.get(sched, (None, None))
        start = max(as_of, begin) if begin else as_of
        horizon = min(full, end) if end else full
        days = by_schedule.get(sched, [])
        if not days:
            gap = [(start.isoformat(), horizon.isoformat())] if start <= horizon else []
            rows.append({"schedule_id": sched, "slots": 0, "first_day": "", "last_day": "",
                         "horizon": horizon.isoformat(), "reaches_horizon": False, "gaps": gap})  # fmt: skip
            continue
        as_of_s = start
        inside = [d for d in days if as_of_s <= d <= horizon]
        points = [as_of_s - one, *inside, horizon + one]
        gaps = [
            ((p + one).isoformat(), (q - one).isoformat())
            for p, q in zip(points, points[1:], strict=False)
            if (q - p).days - 1 > golive.max_gap_days
        ]
        rows.append({
            "schedule_id": sched, "slots": int(len(local[a["schedule_id"] == sched])), "first_day": days[0].isoformat(),
            "last_day": days[-1].isoformat(), "horizon": horizon.isoformat(),
            "reaches_horizon": days[-1] >= horizon, "gaps": gaps,
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
    out["reaches_horizon"] = out["reaches_horizon"].astype(bool)
    return out


COVERAGE_COLUMNS = [
    "schedule_id",
    "slots",
    "first_day",
    "last_day",
    "horizon",
    "reaches_horizon",
    "gaps",
]


def accepted_rows(slots: pd.DataFrame, issues: pd.DataFrame) -> pd.Index:
    errors = issues.loc[issues["severity"] == "error", "row"]
    return slots.index.difference(pd.Index(np.unique(errors.to_numpy())) if len(errors) else [])
