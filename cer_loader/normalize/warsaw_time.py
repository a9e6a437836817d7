"""Vectorized parsing of dates and Europe/Warsaw wall-clock times.

Accepted dates: ``dd.mm.yyyy``, ``d.m.yyyy``, ``yyyy-mm-dd`` (an Excel-style `` 00:00[:00]``
tail is ignored). Times: ``H:MM``, ``HH:MM``, ``HH:MM:SS``. A datetime may carry an offset
(``+01:00``, ``+0200``, ``Z``).

A wall time is never shifted silently: a time in the spring DST gap is ``nonexistent``, a
date such as 31.02 is ``invalid-date``. A time in the autumn fold without an offset takes the
standard-time (CET, +01:00) reading and is flagged ``ambiguous``. An explicit offset must be
the one Europe/Warsaw has at that instant (``offset-mismatch`` otherwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ZONE = "Europe/Warsaw"

_DATE = (
    r"(?:(?P<d1>\d{1,2})\.(?P<m1>\d{1,2})\.(?P<y1>\d{4})"
    r"|(?P<y2>\d{4})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2}))"
)
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
_OFFSET = r"(?P<off>Z|[+-]\d{2}:?\d{2})"
DATE_RE = rf"^\s*{_DATE}(?:[ T]0?0:00(?::00)?)?\s*$"
TIME_RE = rf"^\s*{_TIME}\s*$"
DATETIME_RE = rf"^\s*{_DATE}(?:[ T]+{_TIME})?\s*{_OFFSET}?\s*$"

# status values
OK, MISSING, UNPARSEABLE, INVALID_DATE = "ok", "missing", "unparseable", "invalid-date"
NONEXISTENT, OFFSET_MISMATCH = "nonexistent", "offset-mismatch"


def extract(values: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of ``pattern`` per value (None where no match), with Arrow's RE2 engine.

    pandas' ``str.extract`` runs Python's ``re`` once per value; this runs in C++.
    """
    arr = pa.array(values.astype("str").fillna("").to_numpy(dtype=object), type=pa.string())
    groups = pc.extract_regex(arr, pattern)
    out = {}
    names = [groups.type.field(j).name for j in range(groups.type.num_fields)]
    for i, name in enumerate(names):
        col = pc.struct_field(groups, [i])
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        out[name] = pd.Series(col.to_pandas(), index=values.index, dtype="object")
    return pd.DataFrame(out, index=values.index)


def _blank(values: pd.Series) -> pd.Series:
    return values.astype("str").fillna("").str.strip() == ""


def _ymd(parts: pd.DataFrame) -> pd.DataFrame:
    y = parts["y1"].fillna(parts["y2"])
    m = parts["m1"].fillna(parts["m2"])
    d = parts["d1"].fillna(parts["d2"])
    return pd.DataFrame({"year": y, "month": m, "day": d})


def _to_number(col: pd.Series, default: int = 0) -> np.ndarray:
    arr = pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    ints = pc.cast(arr, pa.int64(), safe=False) if len(arr) else pa.array([], pa.int64())
    return np.asarray(pc.fill_null(ints, default).to_numpy(zero_copy_only=False), dtype="int64")


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (datetime64 dates at midnight, status) for a column of date text."""
    text = values.astype("str").fillna("")
    parts = extract(text, DATE_RE)
    shaped = parts["y1"].notna() | parts["y2"].notna()
    ymd = _ymd(parts)
    comps = pd.DataFrame(
        {
            "year": _to_number(ymd["year"], 2000),
            "month": _to_number(ymd["month"], 1),
            "day": _to_number(ymd["day"], 1),
        },
        index=values.index,
    )
    comps.loc[~shaped, ["year", "month", "day"]] = [2000, 1, 1]
    dates = pd.to_datetime(comps, errors="coerce").where(shaped)
    status = pd.Series(OK, index=values.index, dtype="object")
    status[~shaped] = UNPARSEABLE
    status[shaped & dates.isna()] = INVALID_DATE
    status[_blank(values)] = MISSING
    return dates, status


def parse_times(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (timedelta since midnight, status) for a column of time text."""
    text = values.astype("str").fillna("")
    parts = extract(text, TIME_RE)
    h, m, s = _to_number(parts["H"]), _to_number(parts["M"]), _to_number(parts["S"])
    shaped = parts["H"].notna().to_numpy() & (h < 24) & (m < 60) & (s < 60)
    delta = pd.to_timedelta(h * 3600 + m * 60 + s, unit="s")
    out = pd.Series(delta, index=values.index).where(shaped)
    status = pd.Series(np.where(shaped, OK, UNPARSEABLE), index=values.index, dtype="object")
    status[_blank(values)] = MISSING
    return out, status


def _offset_minutes(off: pd.Series) -> pd.Series:
    o = off.fillna("").str.replace(":", "", regex=False)
    z = o == "Z"
    sign = np.where(o.str.startswith("-"), -1, 1)
    hh = pd.to_numeric(o.str[1:3], errors="coerce")
    mm = pd.to_numeric(o.str[3:5], errors="coerce")
    minutes = sign * (hh * 60 + mm)
    return minutes.where(~z, 0).where(o != "")


def localize(wall: pd.Series, offset_minutes: pd.Series | None = None) -> pd.DataFrame:
    """Wall-clock datetimes (naive) in Europe/Warsaw → ``instant`` (UTC), ``status``, ``ambiguous``.

    Where ``offset_minutes`` is given for a row, the instant is wall − offset and the offset
    must agree with Europe/Warsaw at that instant.
    """
    n = len(wall)
    std = np.zeros(n, dtype=bool)  # False = not DST: the standard-time reading of a fold
    aware = wall.dt.tz_localize(ZONE, ambiguous=std, nonexistent="NaT")
    strict = wall.dt.tz_localize(ZONE, ambiguous="NaT", nonexistent="NaT")
    instant = aware.dt.tz_convert("UTC")
    status = pd.Series(OK, index=wall.index, dtype="object")
    status[wall.notna() & aware.isna()] = NONEXISTENT
    ambiguous = wall.notna() & aware.notna() & strict.isna()
    if offset_minutes is not None:
        has_off = offset_minutes.notna() & wall.notna()
        if has_off.any():
            explicit = (wall - pd.to_timedelta(offset_minutes.fillna(0), unit="m")).dt.tz_localize(
                "UTC"
            )
            back = explicit.dt.tz_convert(ZONE).dt.tz_localize(None)
            mismatch = has_off & (back != wall)
            instant = instant.where(~has_off, explicit)
            status[has_off] = OK
            status[mismatch] = OFFSET_MISMATCH
            ambiguous = ambiguous & ~has_off
    status[wall.isna()] = MISSING
    return pd.DataFrame(
        {"instant": instant.where(status == OK), "status": status, "ambiguous": ambiguous},
        index=wall.index,
    )


def parse_start(
    start: pd.Series | None, start_date: pd.Series | None, start_time: pd.Series | None
) -> pd.DataFrame:
    """Parse appointment starts from ``start`` or ``start_date`` + ``start_time``.

    Returns ``instant`` (UTC, NaT on failure), ``status`` and ``ambiguous`` per row.
    """
    if start is None and start_date is None:
        raise ValueError("need start or start_date")
    index = (start if start is not None else start_date).index  # type: ignore[union-attr]
    if start is None or (start_date is not None and _blank(start).all()):
        assert start_date is not None
        dates, dstatus = parse_dates(start_date)
        if start_time is None:
            start_time = pd.Series("", index=index)
        times, tstatus = parse_times(start_time)
        wall = dates + times
        status = dstatus.where(dstatus != OK, tstatus)
        offsets = None
    else:
        text = start.astype("str").fillna("")
        parts = extract(text, DATETIME_RE)
        shaped = (parts["y1"].notna() | parts["y2"].notna()) & parts["H"].notna()
        ymd = _ymd(parts)
        h, m, s = _to_number(parts["H"]), _to_number(parts["M"]), _to_number(parts["S"])
        time_ok = (h < 24) & (m < 60) & (s < 60)
        comps = pd.DataFrame(
            {
                "year": _to_number(ymd["year"], 2000),
                "month": _to_number(ymd["month"], 1),
                "day": _to_number(ymd["day"], 1),
                "hour": np.where(time_ok, h, 0),
                "minute": np.where(time_ok, m, 0),
                "second": np.where(time_ok, s, 0),
            },
            index=index,
        )
        comps.loc[~shaped, ["year", "month", "day"]] = [2000, 1, 1]
        wall = pd.to_datetime(comps, errors="coerce").where(shaped & time_ok)
        status = pd.Series(OK, index=index, dtype="object")
        status[~(shaped & time_ok)] = UNPARSEABLE
        status[shaped & time_ok & wall.isna()] = INVALID_DATE
        status[_blank(start)] = MISSING
        offsets = _offset_minutes(parts["off"])
    loc = localize(wall.where(status == OK), offsets)
    loc.loc[status != OK, "status"] = status[status != OK]
    return loc
