"""Vectorized parsing of dates and Europe/Warsaw wall-clock times.

Accepted dates: ``dd.mm.yyyy``, ``d.m.yyyy``, ``dd-mm-yyyy``, ``dd/mm/yyyy`` (day first, as
Polish systems write it), ``yyyy-mm-dd`` and compact ``yyyymmdd`` (an Excel-style
`` 00:00[:00]`` tail is ignored). Times: ``H:MM``, ``HH:MM``, ``HH:MM:SS``. A datetime may carry
an offset (``+01:00``, ``+0200``, ``Z``). A date column holding a date *and* a time
(``10.03.2027 09:00``) with no separate time is read as both.

Every parser here works on the distinct values of a column (``columns.per_distinct``).

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

from cer_loader.normalize.columns import as_arrow, per_distinct

ZONE = "Europe/Warsaw"

_DATE = (
    r"(?:(?P<d1>\d{1,2})\.(?P<m1>\d{1,2})\.(?P<y1>\d{4})"
    r"|(?P<y2>\d{4})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2})"
    r"|(?P<d3>\d{1,2})-(?P<m3>\d{1,2})-(?P<y3>\d{4})"
    r"|(?P<d4>\d{1,2})/(?P<m4>\d{1,2})/(?P<y4>\d{4})"
    r"|(?P<y5>\d{4})(?P<m5>\d{2})(?P<d5>\d{2}))"
)
_YEARS = ("y1", "y2", "y3", "y4", "y5")
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
_OFFSET = r"(?P<off>Z|[+-]\d{2}:?\d{2})"
DATE_RE = rf"^\s*{_DATE}(?:[ T]0?0:00(?::00)?Z?)?\s*$"
TIME_RE = rf"^\s*{_TIME}\s*$"
DATETIME_RE = rf"^\s*{_DATE}(?:[ T]+{_TIME})?\s*{_OFFSET}?\s*$"

# status values
OK, MISSING, UNPARSEABLE, INVALID_DATE = "ok", "missing", "unparseable", "invalid-date"
NONEXISTENT, OFFSET_MISMATCH = "nonexistent", "offset-mismatch"


def extract(values: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of ``pattern`` per value (None where no match), with Arrow's RE2 engine.

    pandas' ``str.extract`` runs Python's ``re`` once per value; this runs in C++.
    """
    groups = pc.extract_regex(as_arrow(values), pattern)
    out = {}
    names = [groups.type.field(j).name for j in range(groups.type.num_fields)]
    for i, name in enumerate(names):
        col = pc.struct_field(groups, [i])
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)
        out[name] = pd.Series(col.to_pandas(), index=values.index, dtype="object")
    return pd.DataFrame(out, index=values.index)


def _blank(values: pd.Series) -> pd.Series:
    return values.astype("str").fillna("").str.strip() == ""


def _ymd(parts: pd.DataFrame) -> pd.DataFrame:
    """Year, month and day text from whichever date alternative matched."""
    out = {}
    for key, name in (("y", "year"), ("m", "month"), ("d", "day")):
        col = parts[f"{key}1"]
        for i in range(2, len(_YEARS) + 1):
            col = col.where(col.notna(), parts[f"{key}{i}"])
        out[name] = col
    return pd.DataFrame(out)


def _shaped(parts: pd.DataFrame) -> pd.Series:
    found = parts[_YEARS[0]].notna()
    for y in _YEARS[1:]:
        found |= parts[y].notna()
    return found


def _to_number(col: pd.Series, default: int = 0) -> np.ndarray:
    arr = pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True)  # distinct
    ints = pc.cast(arr, pa.int64(), safe=False) if len(arr) else pa.array([], pa.int64())
    return np.asarray(pc.fill_null(ints, default).to_numpy(zero_copy_only=False), dtype="int64")


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (datetime64 dates at midnight, status) for a column of date text."""
    both = per_distinct(values, _parse_dates_frame)
    return both["date"], both["status"]


def _parse_dates_frame(values: pd.Series) -> pd.DataFrame:
    text = values.astype("str").fillna("")
    parts = extract(text, DATE_RE)
    shaped = _shaped(parts)
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
    return pd.DataFrame({"date": dates, "status": status}, index=values.index)


def parse_times(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (timedelta since midnight, status) for a column of time text."""
    both = per_distinct(values, _parse_times_frame)
    return both["time"], both["status"]


def _parse_times_frame(values: pd.Series) -> pd.DataFrame:
    text = values.astype("str").fillna("")
    parts = extract(text, TIME_RE)
    h, m, s = _to_number(parts["H"]), _to_number(parts["M"]), _to_number(parts["S"])
    shaped = parts["H"].notna().to_numpy() & (h < 24) & (m < 60) & (s < 60)
    delta = pd.to_timedelta(h * 3600 + m * 60 + s, unit="s")
    out = pd.Series(delta, index=values.index).where(shaped)
    status = pd.Series(np.where(shaped, OK, UNPARSEABLE), index=values.index, dtype="object")
    status[_blank(values)] = MISSING
    return pd.DataFrame({"time": out, "status": status}, index=values.index)


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


def _parse_datetimes(values: pd.Series) -> pd.DataFrame:
    """Date-and-time text → naive ``wall`` time, ``status``, ``offset`` (minutes, NaN when
    none) and ``timed`` (a time part was written)."""
    text = values.astype("str").fillna("")
    parts = extract(text, DATETIME_RE)
    timed = parts["H"].notna()
    shaped = _shaped(parts) & timed
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
        index=values.index,
    )
    comps.loc[~shaped, ["year", "month", "day"]] = [2000, 1, 1]
    wall = pd.to_datetime(comps, errors="coerce").where(shaped & time_ok)
    status = pd.Series(OK, index=values.index, dtype="object")
    status[~(shaped & time_ok)] = UNPARSEABLE
    status[shaped & time_ok & wall.isna()] = INVALID_DATE
    status[_blank(values)] = MISSING
    offset = _offset_minutes(parts["off"])
    return pd.DataFrame({"wall": wall, "status": status, "offset": offset, "timed": timed})


def _parse_start_frame(start: pd.Series, start_date: pd.Series, start_time: pd.Series,
                       use_start: bool) -> pd.DataFrame:  # fmt: skip
    if use_start:
        parsed = _parse_datetimes(start)
        wall, status, offsets = parsed["wall"], parsed["status"].astype(object), parsed["offset"]
    else:
        dates, dstatus = parse_dates(start_date)
        times, tstatus = parse_times(start_time)
        dstatus, tstatus = dstatus.astype(object), tstatus.astype(object)
        wall = dates + times
        status = dstatus.where(dstatus != OK, tstatus)
        offsets = None
        # "10.03.2027 09:00" in the date column and no separate time: read as both
        written = per_distinct(start_date, _parse_datetimes)
        both = (dstatus == UNPARSEABLE) & (tstatus == MISSING) & written["timed"]
        both &= written["status"] != UNPARSEABLE
        if both.any():
            wall = wall.where(~both, written["wall"])
            status = status.where(~both, written["status"].astype(object))
            offsets = written["offset"].where(both)
    loc = localize(wall.where(status == OK), offsets)
    loc.loc[status != OK, "status"] = status[status != OK]
    return loc


def parse_start(
    start: pd.Series | None, start_date: pd.Series | None, start_time: pd.Series | None
) -> pd.DataFrame:
    """Parse appointment starts from ``start`` or ``start_date`` + ``start_time``.

    Returns ``instant`` (UTC, NaT on failure), ``status`` and ``ambiguous`` per row.
    """
    given = next((c for c in (start, start_date) if c is not None), None)
    if given is None:
        raise ValueError("need start or start_date")
    index = given.index
    use_start = start is not None and not (start_date is not None and _blank(start).all())
    blank = pd.Series("", index=index, dtype="str")
    start = blank if start is None else start.astype("str").fillna("")
    start_date = blank if start_date is None else start_date.astype("str").fillna("")
    start_time = blank if start_time is None else start_time.astype("str").fillna("")
    key = pc.binary_join_element_wise(
        as_arrow(start), as_arrow(start_date), as_arrow(start_time),
        pa.scalar("\x1f", pa.large_string()),
    )  # fmt: skip
    if isinstance(key, pa.ChunkedArray):
        key = key.combine_chunks()
    # codes in order of first appearance (what pd.factorize(sort=False) gives), by Arrow
    # directly: no pandas column of the joined text
    encoded = pc.dictionary_encode(key)
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.intp)
    distinct = len(encoded.dictionary)
    if distinct * 2 > len(key):
        return _parse_start_frame(start, start_date, start_time, use_start)
    first = np.empty(distinct, dtype=np.intp)  # each code's first row (no sort)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1, dtype=np.intp)
    sub = _parse_start_frame(
        start.iloc[first].reset_index(drop=True),
        start_date.iloc[first].reset_index(drop=True),
        start_time.iloc[first].reset_index(drop=True),
        use_start,
    )
    sub["status"] = sub["status"].astype("category")  # spread as codes, not as objects
    out = sub.iloc[codes]
    out.index = index
    return out
