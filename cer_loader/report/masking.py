"""Masking of personal data in anything meant for other eyes (messages, console, logs)."""

from __future__ import annotations

import pandas as pd

from cer_loader.fields import PII_FIELDS


def mask_values(values: pd.Series) -> pd.Series:
    """``44051401359`` → ``*********59``; ``Kowalska`` → ``K*******``; short values → ``***``."""
    text = values.astype("str").fillna("")
    n = text.str.len()
    digits = text.str.fullmatch(r"[\d\s+\-]+").fillna(False)
    tail = text.str[-2:]
    head = text.str[:1]
    masked_digits = n.apply(lambda k: "*" * max(k - 2, 3)) + tail
    masked_text = head + n.apply(lambda k: "*" * max(k - 1, 3))
    out = masked_text.where(~digits, masked_digits)
    out = out.where(n > 3, "***")
    return out.where(n > 0, "")


def mask_for_field(values: pd.Series, fields: pd.Series) -> pd.Series:
    """Mask the values whose field identifies a person; leave the others."""
    pii = fields.isin(PII_FIELDS)
    if not pii.any():
        return values.astype("str")
    out = values.astype("str").copy()
    out[pii] = mask_values(values[pii])
    return out


def mask_one(value: str) -> str:
    return str(mask_values(pd.Series([value])).iloc[0])
