"""Run every check (vectorized, in registry order) and collect the findings as data.

Output of ``validate``: an *issues* table, one row per (input row, rule), with columns
``row`` (the frame's index label), ``rule``, ``severity``, ``field``, ``value`` (the text as the
user wrote it) and ``other_row`` (for duplicate rules: where the first occurrence is, "12" or
"other.csv:12"; "" otherwise). Rows with an ``error`` issue are rejected; the rest are accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from cer_loader.catalogues.rules import Rule
from cer_loader.ingest.table import (
    READER_FIELD,
    READER_ISSUE,
    READER_VALUE,
    SOURCE_FILE,
    SOURCE_ROW,
)
from cer_loader.validate.appointment import text_problem_field
from cer_loader.validate.context import CheckSpec, Context
from cer_loader.validate.identity import visit_key
from cer_loader.validate.registry import CHECKS
from cer_loader.validate.typed import check_typed

ISSUE_COLUMNS = ["row", "rule", "severity", "field", "value", "other_row"]
# where the value shown for a field comes from, when not the field's own text column
_DISPLAY = {"start": "n_start_text"}
# rules whose value is derived (not the cell's text, not identifying): shown unmasked
DERIVED = {"programme-sex": "n_sex", "programme-age": "n_age"}


def failed_rows(spec: CheckSpec, f: pd.DataFrame, ctx: Context) -> pd.Index:
    """Index labels of rows failing the check; a check sees only the columns it declares,
    and a missing answer (NA) counts as a failure."""
    view = pd.DataFrame({c: f[c] for c in dict.fromkeys(spec.inputs)}, index=f.index, copy=False)
    ok = spec.ok(view, ctx)
    passed = ok.to_numpy(dtype=bool, na_value=False)
    return f.index[~passed]


def first_rows(f: pd.DataFrame, key: pd.Series, missing: object, rows: pd.Index) -> np.ndarray:
    """For each of ``rows``, where the first row with the same key is: its spreadsheet row
    ("12"), or file and row ("wizyty.csv:12") when it sits in another input file; "" when the
    row has no key (``missing``). Computed for those rows only, on whole arrays: the key
    factorized once (codes in order of first appearance, so code ``c`` first appears where the
    running maximum first reaches it) — a groupby over every row took ~2.3 s per key at 1M."""
    codes = pd.factorize(key, use_na_sentinel=False)[0]
    n = len(codes)
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
    first_of = np.flatnonzero(new)  # first_of[c]: the position where code c first appears
    at = f.index.get_indexer(rows)
    first = first_of[codes[at]]
    row_text = f[SOURCE_ROW].to_numpy()[first].astype(str).astype(object)
    first_file = f[SOURCE_FILE].iloc[first].astype("string").reset_index(drop=True)
    own_file = f[SOURCE_FILE].iloc[at].astype("string").reset_index(drop=True)
    name = first_file.str.rsplit("/", n=1).str[-1].fillna("").to_numpy(dtype=object)
    same = (first_file == own_file).fillna(False).to_numpy(dtype=bool)
    out = np.where(same, row_text, name + ":" + row_text)
    out[key.iloc[at].to_numpy() == missing] = ""
    return out


def _value_for(f: pd.DataFrame, code: str, field: str, rows: pd.Index) -> pd.Series:
    if code in DERIVED:
        return f.loc[rows, DERIVED[code]].astype("str")
    if field.startswith("("):
        return f.loc[rows, READER_VALUE]
    column = _DISPLAY.get(field, field)
    if column in f.columns:
        return f.loc[rows, column].astype("str")
    return pd.Series("", index=rows)


def validate(
    f: pd.DataFrame,
    ctx: Context,
    rules: Mapping[str, Rule],
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Every check over every row; ``progress(checks_done, checks)`` after each check."""
    check_typed(f)
    other = {
        "duplicate-appointment-id": lambda rows: first_rows(f, f["appointment_id"], "", rows),
        "duplicate-visit": lambda rows: first_rows(f, visit_key(f), -1, rows),
        # which of the field's numbers goes to CeR: its last two digits (as masking shows them)
        "phone-picked": lambda rows: f.loc[rows, "n_phone"].astype("str").str[-2:].to_numpy(),
    }
    # the checks read the frame and write nothing: two threads run them (their Arrow and
    # numpy kernels release the GIL), the answers taken in registry order
    pool = ThreadPoolExecutor(2, thread_name_prefix="validate")
    try:
        answers = pool.map(lambda spec: failed_rows(spec, f, ctx), CHECKS.values())
        parts = _parts(f, rules, zip(CHECKS, answers, strict=True), other, progress)
    finally:  # on Ctrl-C the checks not started are dropped
        pool.shutdown(wait=True, cancel_futures=True)
    if not parts:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    issues = pd.concat(parts, ignore_index=True)
    # a row the reader itself set aside (stray quote, total line) is reported for that alone:
    # its other "failures" would only be noise from a mangled or non-appointment row
    set_aside = f.index[f[READER_ISSUE] != ""]
    if len(set_aside):
        noise = issues["row"].isin(set_aside) & (
            issues["rule"] != f.loc[issues["row"], READER_ISSUE].to_numpy()
        )
        issues = issues[~noise].reset_index(drop=True)
    return issues[ISSUE_COLUMNS]


def _parts(
    f: pd.DataFrame,
    rules: Mapping[str, Rule],
    answers: Iterable[tuple[str, pd.Index]],
    other: Mapping[str, Callable[[pd.Index], object]],
    progress: Callable[[int, int], None] | None,
) -> list[pd.DataFrame]:
    """One issues table per check that some rows fail, in registry order."""
    parts = []
    for done, (code, rows) in enumerate(answers, 1):
        if progress is not None:
            progress(done, len(CHECKS))
        if rows.empty:
            continue
        rule = rules[code]
        part = pd.DataFrame(
            {
                "row": rows,
                "rule": code,
                "severity": rule.severity,
                "field": rule.field,
                "value": _value_for(f, code, rule.field, rows).to_numpy(),
            }
        )
        if code == "text-invalid":
            fields = text_problem_field(f.loc[rows])
            part["field"] = fields.to_numpy()
            part["value"] = [f.at[r, c] for r, c in zip(rows, fields, strict=True)]
        elif rule.field.startswith("("):
            reader_field = f.loc[rows, READER_FIELD].to_numpy()
            part["field"] = [x if x else rule.field for x in reader_field]
        part["other_row"] = other[code](rows) if code in other else ""
        parts.append(part)
    return parts


def rejected_rows(issues: pd.DataFrame) -> pd.Index:
    return pd.Index(pd.unique(issues.loc[issues["severity"] == "error", "row"]))
