"""What every check is handed and how a check is described: ``Context`` and ``CheckSpec``.

A check is a plain function ``(frame, ctx) -> boolean Series`` (True where the row passes)
with the columns it reads. The modules holding checks list them in a ``checks()`` function;
``validate.registry`` puts those lists together in a stated order. Nothing registers itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Context:
    scopes: pd.DataFrame  # indexed by code (scopes.load_scopes)
    as_of: dt.date
    mus_id: str


Fn = Callable[[pd.DataFrame, Context], pd.Series]


@dataclass(frozen=True)
class CheckSpec:
    code: str
    inputs: tuple[str, ...]
    ok: Fn


def spec(code: str, ok: Fn, *inputs: str) -> CheckSpec:
    return CheckSpec(code=code, inputs=tuple(inputs), ok=ok)


def scope_attr(f: pd.DataFrame, ctx: Context, attr: str, default: str | int | bool) -> pd.Series:
    """A scope's attribute (``scopes.toml``) per row, ``default`` for unknown scopes."""
    known = ctx.scopes[attr]
    codes, uniques = pd.factorize(f["scope_code"])  # a handful of codes: look each up once
    pos = known.index.get_indexer(uniques)[codes] if len(codes) else np.zeros(0, dtype=np.intp)
    values = known.to_numpy()[pos] if len(known) else np.full(len(pos), default)
    return pd.Series(np.where(pos >= 0, values, default), index=f.index)
