"""Who a row's patient is and which visit a row books: one definition for the duplicate rule
(within a run) and the ledger (across runs, as a digest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.normalize.columns import as_arrow, text


def patient_key(f: pd.DataFrame) -> pd.Series:
    """PESEL, or document type|country|number for patients without one; "" when unknown.

    The document text is built only for the rows without a PESEL (most rows have one)."""
    present = f["n_pesel_present"].to_numpy(dtype=bool, na_value=False)
    pesel = f["patient_pesel"]
    if present.all() and pesel.dtype == "str":
        return pesel.copy()
    if pesel.dtype == "str" and not pesel.isna().any():
        doc = _document_key(f.loc[~present])
        if not doc.isna().any():
            arr = pc.replace_with_mask(
                _one(as_arrow(pesel)), pa.array(~present), _one(as_arrow(doc))
            )
            return text(arr, f.index).rename(pesel.name)
    return pesel.where(present, _document_key(f))


def _one(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _document_key(f: pd.DataFrame) -> pd.Series:
    """document type|country|number, "" without a document type or number."""
    doc = (
        f["n_doc_type"] + "|" + f["n_doc_country"] + "|" + f["patient_document_number"].str.upper()
    )
    has_doc = (f["n_doc_type"] != "") & (f["patient_document_number"] != "")
    return doc.where(has_doc, "")


def visit_parts(f: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """The same visit is the same (patient, scope, start instant): the three parts per row and
    whether all three are known."""
    patient = patient_key(f)
    complete = (patient != "") & (f["scope_code"] != "") & f["n_start"].notna()
    return patient, f["scope_code"], f["n_start"], complete


def visit_key(f: pd.DataFrame) -> pd.Series:
    """An integer per row identifying (patient, scope, start); -1 where any part is unknown."""
    patient, scope, start, complete = visit_parts(f)
    # each part factorized, the three codes combined and factorized again: the same numbers
    # as a groupby's ngroup (first appearance order), without grouping three columns
    factors = [pd.factorize(part, use_na_sentinel=False) for part in (patient, scope, start)]
    sizes = [max(len(uniques), 1) for _, uniques in factors]
    combined = np.zeros(len(f), dtype=np.int64)
    if sizes[0] * sizes[1] * sizes[2] < 2**62:  # one code per triple, factorized once
        for (codes, _), size in zip(factors, sizes, strict=True):
            combined = combined * size + codes
        combined = pd.factorize(combined)[0].astype(np.int64)
    else:
        for (codes, _), size in zip(factors, sizes, strict=True):
            combined = combined * size + codes
            combined = pd.factorize(combined)[0].astype(np.int64)  # keep the product small
    return pd.Series(combined, index=f.index).where(complete.to_numpy(dtype=bool), -1)


def visit_text(f: pd.DataFrame, mus_id: str) -> tuple[pd.Series, pd.Series]:
    """The visit as text ``MUŚ|patient|scope|start UTC`` (what the ledger digests) and whether
    it is complete."""
    patient, scope, start, complete = visit_parts(f)
    when = start.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return mus_id + "|" + patient + "|" + scope + "|" + when.fillna(""), complete


# what patient_key reads
PATIENT_COLUMNS = (
    "patient_pesel", "n_pesel_present", "n_doc_type", "n_doc_country", "patient_document_number"
)  # fmt: skip


def patients_without_sms(f: pd.DataFrame, rows: pd.Index) -> int:
    """How many distinct patients among ``rows`` have no mobile number (``n_phone_mobile``) in
    any of those rows: CeR cannot send them an SMS. A row whose patient is unknown counts once.

    On Arrow columns, no copy of the rows: the patient keys are dictionary-encoded (a code per
    row) rather than factorized as a million Python strings; the summary counts this while
    the journal writes, at the run's peak of memory."""
    if not len(rows) or "n_phone_mobile" not in f.columns:
        return 0
    at = pa.array(f.index.get_indexer(rows))
    key = _one(as_arrow(patient_key(f))).take(at)
    mobile = f["n_phone_mobile"].to_numpy(dtype=bool, na_value=False)[at.to_numpy()]
    enc = pc.dictionary_encode(key)
    codes = enc.indices.to_numpy(zero_copy_only=False)
    with_mobile = np.bincount(codes, weights=mobile, minlength=len(enc.dictionary)) > 0
    named = pc.not_equal(enc.dictionary, "").to_numpy(zero_copy_only=False)
    unknown = ~named[codes]
    return int((named & ~with_mobile).sum()) + int((unknown & ~mobile).sum())
