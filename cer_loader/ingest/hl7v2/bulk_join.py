"""Joining the column path's messages (``bulk``) with the per-message fold's.

``collides``: whether a message the fold read per message shares a key (control id, filler or
placer id) with one the column path took; only a message outside the column domain can, and
then the reader reads the whole dump per message. ``merge``: the rows of both in the order the
fold would have made them (an appointment's place is the number of its first message).
"""

from __future__ import annotations

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
) -> tuple[dict[str, pa.Array | np.ndarray], np.ndarray, pa.Array]:
    """The fold's rows and the column path's, in the order the fold would have made them: Arrow
    text columns, and the sources (``HL7_SOURCES``) as an object array of shared strings (a
    dump has few distinct ones). Each column's chunks are freed from ``t`` as it is joined."""
    t.cols[HL7_SOURCES] = t.cols.pop("_sources")
    order = None
    if nums:
        order = pa.array(np.argsort(np.asarray(firsts + t.rows.tolist(), np.int64), kind="stable"))
    out: dict[str, pa.Array | np.ndarray] = {}
    for name, values in cols.items():
        chunks = t.cols.pop(name)
        if name == HL7_SOURCES:
            out[name] = _shared(values, chunks, order)
            continue
        joined = _text(values, chunks)
        del chunks
        out[name] = joined if order is None else joined.take(order)
    allnums = np.concatenate([np.asarray(nums, np.int64), t.rows])
    refs_joined = _text(refs, t.refs)
    t.refs = []
    if order is None:
        return out, allnums, refs_joined
    return out, allnums[order.to_numpy()], refs_joined.take(order)


def _text(values: list[str], chunks: list[pa.Array]) -> pa.Array:
    """The fold's values then the column path's chunks, as one ``large_string`` array."""
    return pa.concat_arrays([pa.array(values, pa.large_string()), *chunks])


def _shared(values: list[str], chunks: list[pa.Array], order: pa.Array | None) -> np.ndarray:
    """The fold's values then the chunks' (dictionary arrays), one Python string per distinct
    value, in ``order``."""
    parts = [np.asarray(values, dtype=object)]
    for chunk in chunks:
        if not isinstance(chunk, pa.DictionaryArray):
            parts.append(np.asarray(chunk.to_pylist(), dtype=object))
            continue
        book = np.asarray(chunk.dictionary.to_pylist(), dtype=object)
        parts.append(book[chunk.indices.to_numpy()])
    joined = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return joined if order is None else joined[order.to_numpy()]
