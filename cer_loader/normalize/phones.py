"""Phone numbers to E.164 (+48 by default) and e-mail shape checks, vectorized.

Polish numbers (9 national digits, optionally written with +48 / 0048 / 48 and spaces, dashes,
dots or parentheses) are handled with string operations over the whole column. Anything else
that starts with ``+`` or ``00`` goes to the ``phonenumbers`` library once per distinct value.
``phonenumbers`` is the oracle in the tests for the vectorized Polish path.
"""

from __future__ import annotations

import pandas as pd
import phonenumbers

from cer_loader.normalize.warsaw_time import extract

EMAIL_RE = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"


def _foreign_e164(value: str) -> str:
    try:
        num = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(num):
        return ""
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def to_e164(values: pd.Series, default_region: str = "PL") -> pd.Series:
    """E.164 text per value; "" where the value is empty or not a usable phone number."""
    if default_region != "PL":
        raise ValueError("only the PL default region is vectorized")
    raw = values.astype("str").fillna("").str.strip()
    compact = raw.str.replace(r"[\s\-./()]", "", regex=True)
    compact = compact.str.replace(r"^00", "+", regex=True)
    national = extract(compact, r"^(?:\+48|48)?(?P<n>[1-9]\d{8})$")["n"]
    out = ("+48" + national).where(national.notna(), "")
    foreign = national.isna() & compact.str.startswith("+") & ~compact.str.startswith("+48")
    if foreign.any():
        uniq = pd.unique(compact[foreign].to_numpy())
        lookup = {u: _foreign_e164(u) for u in uniq}
        out = out.where(~foreign, compact[foreign].map(lookup))
    return out.astype("str")


def email_ok(values: pd.Series) -> pd.Series:
    text = values.astype("str").fillna("").str.strip()
    return pd.Series(
        text.str.fullmatch(EMAIL_RE).fillna(False).to_numpy(dtype=bool), index=values.index
    )


__all__ = ["to_e164", "email_ok"]
