"""Who a row's patient is and which visit a row books: one definition for the duplicate rule
(within a run) and the ledger (across runs, as a digest)."""

from __future__ import annotations

import pandas as pd


def patient_key(f: pd.DataFrame) -> pd.Series:
    """PESEL, or document type|country|number for patients without one; "" when unknown."""
    doc = (
        f["n_doc_type"] + "|" + f["n_doc_country"] + "|" + f["patient_document_number"].str.upper()
    )
    has_doc = (f["n_doc_type"] != "") & (f["patient_document_number"] != "")
    return f["patient_pesel"].where(f["n_pesel_present"], doc.where(has_doc, ""))


def visit_parts(f: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """The same visit is the same (patient, scope, start instant): the three parts per row and
    whether all three are known."""
    patient = patient_key(f)
    complete = (patient != "") & (f["scope_code"] != "") & f["n_start"].notna()
    return patient, f["scope_code"], f["n_start"], complete


def visit_key(f: pd.DataFrame) -> pd.Series:
    """An integer per row identifying (patient, scope, start); -1 where any part is unknown."""
    patient, scope, start, complete = visit_parts(f)
    parts = pd.DataFrame({"p": patient, "s": scope, "t": start})
    codes = parts.groupby(["p", "s", "t"], sort=False, dropna=False).ngroup()
    return codes.where(complete, -1)


def visit_text(f: pd.DataFrame, mus_id: str) -> tuple[pd.Series, pd.Series]:
    """The visit as text ``MUŚ|patient|scope|start UTC`` (what the ledger digests) and whether
    it is complete."""
    patient, scope, start, complete = visit_parts(f)
    when = start.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return mus_id + "|" + patient + "|" + scope + "|" + when.fillna(""), complete


def patients_without_sms(f: pd.DataFrame, rows: pd.Index) -> int:
    """How many distinct patients among ``rows`` have no mobile number (``n_phone_mobile``) in
    any of those rows: CeR cannot send them an SMS. A row whose patient is unknown counts once."""
    if not len(rows) or "n_phone_mobile" not in f.columns:
        return 0
    sub = f.loc[rows]
    key = patient_key(sub)
    key = key.where(
        key != "", "\x00row" + pd.Series(range(len(sub)), index=sub.index).astype("str")
    )
    has_mobile = sub["n_phone_mobile"].astype(bool).groupby(key.to_numpy()).any()
    return int((~has_mobile).sum())
