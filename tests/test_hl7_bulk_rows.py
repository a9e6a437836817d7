"""The column path's rows as Arrow columns (``hl7v2.bulk_rows``, ``bulk_join``) against plain
Python: values patched by index (text and dictionary columns), the source reference of each
row, the fold's rows and the column path's joined in order; the reader's frame types; and
when a second process is used (``rows.free_core``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.ingest.hl7v2 import TEXT, read_hl7
from cer_loader.ingest.hl7v2.bulk_join import merge
from cer_loader.ingest.hl7v2.bulk_rows import _patched, _refs, blank_text, empty
from cer_loader.ingest.hl7v2.rows import HL7_SOURCES, free_core

texts = st.text(st.sampled_from(["a", "Ż", "ł", " ", "/", "^", "1", "€"]), max_size=4)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), values=st.lists(texts, min_size=1, max_size=20), dictionary=st.booleans())
def test_patched_is_the_list_with_values_replaced(
    data: st.DataObject, values: list[str], dictionary: bool
) -> None:
    keys = data.draw(st.lists(st.integers(0, len(values) - 1), unique=True))
    patch = {k: data.draw(texts) for k in keys}
    arr = pa.array(values, pa.large_string())
    if dictionary:
        arr = pc.dictionary_encode(arr)
    want = [patch.get(k, v) for k, v in enumerate(values)]
    got = _patched(arr, patch)
    assert got.to_pylist() == want
    assert isinstance(got, pa.DictionaryArray) == dictionary


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["", "C1", "Ż 2"]), st.sampled_from(["", "SCH-1", "SCH-2"]), texts
        ),
        max_size=12,
    )
)
def test_reference_is_the_per_message_text(rows: list[tuple[str, str, str]]) -> None:
    """``rows._rows``' reference: ``MSH-10 <control>`` and ``<SCH-n> <id>`` joined by ``/``."""
    want = [
        " / ".join(([f"MSH-10 {c}"] if c else []) + ([f"{s} {a}"] if s else [])) for c, s, a in rows
    ]
    cols = [pa.array([r[k] for r in rows], pa.large_string()) for k in range(3)]
    got = _refs(*cols)
    assert got.to_pylist() == want and got.type == pa.large_string()


@settings(max_examples=100, deadline=None)
@given(data=st.data(), chunks=st.lists(st.integers(0, 5), max_size=3))
def test_merge_orders_the_fold_and_the_columns(data: st.DataObject, chunks: list[int]) -> None:
    """The joined rows are both sides' rows in the order of their message numbers (each side
    in file order already), every chunk freed from ``Taken`` as it is joined."""
    total = sum(chunks) + data.draw(st.integers(0, 6))
    mine = sorted(data.draw(st.permutations(range(1, total + 1)))[: sum(chunks)])
    fold_nums = [n for n in range(1, total + 1) if n not in mine]
    fold = {"start": [f"f{n}" for n in fold_nums], HL7_SOURCES: [f"s{n}" for n in fold_nums]}
    t = empty()
    t.rows = np.asarray(mine, np.int64)
    t.cols = {"start": [], "_sources": []}
    at = 0
    for size in chunks:
        part = mine[at : at + size]
        at += size
        t.cols["start"].append(pa.array([f"t{n}" for n in part], pa.large_string()))
        src = pa.array([f"s{n % 2}" for n in part], pa.large_string())
        t.cols["_sources"].append(pc.dictionary_encode(src))
    t.refs = [pa.array([f"r{n}" for n in mine], pa.large_string())]
    cols, nums, refs = merge(fold, fold_nums, [f"r{n}" for n in fold_nums], fold_nums, t)
    assert nums.tolist() == list(range(1, total + 1))
    want = [f"t{n}" if n in mine else f"f{n}" for n in nums.tolist()]
    assert cols["start"].to_pylist() == want
    sources = [f"s{n % 2}" if n in mine else f"s{n}" for n in nums.tolist()]
    assert list(cols[HL7_SOURCES]) == sources
    assert refs.to_pylist() == [f"r{n}" for n in nums.tolist()]
    assert not t.cols and not t.refs


def test_blank_text_is_empty_strings() -> None:
    assert blank_text(3).to_pylist() == ["", "", ""] and len(blank_text(0)) == 0


def test_frame_holds_arrow_text_and_shared_sources(tmp_path: Path) -> None:
    """The reader's frame: Arrow-backed ``str`` columns as the CSV reader's, the sources (a
    few long texts repeated on every row) Python strings, one per distinct value on the column
    path."""
    msg = "MSH|^~\\&|HIS|FAC|CER|P1|20250101||SIU^S12|C{n}|P|2.5\rSCH||A{n}|||||||20|MIN\r"
    msg += "TQ1|||||||202501151030\rPID|1||44051401359^^^^NI||Kowalska^Żaneta"
    path = tmp_path / "dump.hl7"
    path.write_bytes("\r".join(msg.format(n=n) for n in range(1, 6)).encode())
    for fast in (True, False):
        frame = read_hl7(path, fast=fast).frame
        assert frame["start"].dtype == TEXT and frame["patient_first_name"].iloc[0] == "Żaneta"
        assert frame[HL7_SOURCES].dtype == object
        assert len(set(frame[HL7_SOURCES])) == 1
        if fast:  # the column path: one string for all the rows that share it
            assert len({id(v) for v in frame[HL7_SOURCES]}) == 1


def test_a_core_is_free_by_the_run_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``rows.free_core``: the tasks runnable now (this one among them) against the cores; the
    1-minute load average only where the run queue cannot be read."""
    queue = tmp_path / "loadavg"
    queue.write_text("3.50 3.10 2.00 1/180 4242\n")  # a busy minute, nobody else running now
    assert free_core(2, source=str(queue))
    queue.write_text("0.10 0.10 0.10 2/180 4242\n")  # someone else running now
    assert not free_core(2, looks=2, source=str(queue)) and free_core(3, source=str(queue))
    monkeypatch.setattr("os.getloadavg", lambda: (0.5, 0.5, 0.5))
    assert free_core(2, source=str(tmp_path / "absent"))
    monkeypatch.setattr("os.getloadavg", lambda: (1.5, 0.5, 0.5))
    assert not free_core(2, source=str(tmp_path / "absent"))
