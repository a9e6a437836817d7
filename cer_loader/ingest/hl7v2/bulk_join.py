"""Joining the column path's messages (``bulk``) with the per-message fold's.

``collides``: whether a message the fold read per message shares a key (control id, filler or
placer id) with one the column path took; only a message outside the column domain can, and
then the reader reads the whole dump per message. ``merge``: the rows of both in the order the
fold would have made them (an appointment's place is the number of its first message).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.ingest.hl7v2.bulk import Taken
from cer_loader.ingest.hl7v2.events import Fold
from cer_loader.ingest.hl7v2.rows import HL7_SOURCES

__all__ = ["collides", "merge"]


def collides(taken: Taken, fold: Fold, stats: dict) -> bool:
    """A message folded per message shares a key with one the column path took (only messages
    outside its domain can): then the dump is read per message throughout."""
    ids = [f"{sender}\x00{control}" for sender, control in stats["ids"]]
    filler = [f"{k[1]}\x00{k[2]}" for k in fold._keys if k[0] == "F"]
    placer = [f"{k[1]}\x00{k[2]}" for k in fold._keys if k[0] == "P"]
    for arrays, known in zip(taken.keys, (ids, filler, placer), strict=True):
        if known and arrays:
            got = pc.is_in(pa.chunked_array(arrays), pa.array(known, pa.large_string()))
            if pc.any(got).as_py():
                return True
    return False


def merge(
    cols: dict[str, list[str]], nums: list[int], refs: list[str], firsts: list[int], t: Taken
) -> tuple[dict[str, Any], list[int], list[str]]:
    """The fold's rows and the column path's, in the order the fold would have made them."""
    trefs = [
        " / ".join(([f"MSH-10 {c}"] if c else []) + ([f"{s} {a}"] if s else []))
        for c, s, a in zip(t.control, t.id_source, t.appointment_id, strict=True)
    ]
    t.cols[HL7_SOURCES] = t.cols.pop("_sources")
    if not nums:
        return t.cols, t.rows, trefs
    order = np.argsort(np.asarray(firsts + t.rows, np.int64), kind="stable")
    out: dict[str, Any] = {}
    for name, values in cols.items():
        joined = np.empty(len(order), object)
        joined[:] = values + t.cols[name]
        out[name] = joined[order]
    picks = order.tolist()
    allnums, allrefs = nums + t.rows, refs + trefs
    return out, [allnums[k] for k in picks], [allrefs[k] for k in picks]
