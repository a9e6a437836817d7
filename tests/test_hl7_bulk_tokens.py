"""The column path's tokeniser (``bulk_tokens.Segments``) against ``fast_tokens.Plain``.

Messages of the column domain (standard delimiters, CR segments, no escape) with segments in
any order, repeated or blank, Polish and other non-ASCII letters (as UTF-8 text, which the
chunk view is), spaces around values, empty components and sub-components: every field and
every component read on the bytes of a whole chunk equals what the per-message tokens read.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.ingest.hl7v2.bulk_tokens import Segments
from cer_loader.ingest.hl7v2.fast_tokens import get, plain

NAMES = ["SCH", "PID", "TQ1", "AIP", "ZSK", "ŁZK", "NT", "PIDX"]
ATOMS = ["", " ", "a", " b ", "Łódź", "ż", "12", "x y", "€", "  "]


@st.composite
def value(draw: st.DrawFn) -> str:
    atom = st.sampled_from(ATOMS)
    sub = st.lists(atom, min_size=1, max_size=3).map("&".join)
    comp = st.lists(st.one_of(atom, sub), min_size=1, max_size=4).map("^".join)
    return draw(st.lists(comp, min_size=1, max_size=3).map("~".join))


@st.composite
def message(draw: st.DrawFn) -> str:
    msh = "MSH|^~\\&|" + "|".join(draw(st.lists(value(), max_size=12)))
    segs = [msh]
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 9)) == 0:
            segs.append(draw(st.sampled_from(["", " ", "   "])))  # blank segments
            continue
        name = draw(st.sampled_from(NAMES))
        segs.append("|".join([name, *draw(st.lists(value(), max_size=8))]))
    return "\r".join(segs) + draw(st.sampled_from(["", "\r", "\r\r"]))


@settings(max_examples=150, deadline=None)
@given(msgs=st.lists(message(), min_size=1, max_size=6), keep=st.lists(st.booleans(), min_size=6))
def test_segments_read_what_plain_reads(msgs: list[str], keep: list[bool]) -> None:
    chosen = [bool(k) for k in keep[: len(msgs)]]
    chosen[0] = True
    view = pa.array(msgs, pa.large_string())
    s = Segments(view, np.array(chosen))
    mine = [m for m, k in zip(msgs, chosen, strict=True) if k]
    assert s.n == len(mine)
    for name in ["MSH", *NAMES[:5]]:
        fields = {n: s.field(name, n).to_pylist() for n in range(1, 11)}
        comps = {(n, c): s.get(name, n, c).to_pylist() for n in range(1, 11) for c in (1, 2, 4)}
        has = s.has(name).tolist()
        for k, text in enumerate(mine):
            p = plain(text)
            if p is None:
                assert s.repeated[k]  # a segment name twice: left to the per-message path
                continue
            if s.repeated[k]:
                assert any(not seg[:3].isascii() for seg in p.segments)
                continue
            got = p.seg(name)
            assert has[k] == bool(got)
            for n, values in fields.items():
                assert values[k] == (got[n] if n < len(got) else ""), (name, n)
            for (n, c), values in comps.items():
                assert values[k] == get(got, n, c), (name, n, c)
