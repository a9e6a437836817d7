"""The digester's helper process makes the digests the per-value HMAC makes, in the order
submitted, whatever the column (empty values, non-ASCII, slices of a longer array), and the
digests are still made when the helper cannot be started or dies half-way."""

from __future__ import annotations

import hmac
import io
import sys

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cer_loader.ledger import digester as digester_module
from cer_loader.ledger.digester import Digester, _frames, local
from cer_loader.ledger.hmac_loop import serve

SALT = "5f" * 32
SLOW_OK = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=25)


def oracle(salt: str, values: list[str]) -> bytes:
    return b"".join(hmac.digest(salt.encode(), v.encode(), "sha256") for v in values)


@pytest.fixture
def every_column_to_the_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digester_module, "HELPER_VALUES", 1)


@given(columns=st.lists(st.lists(st.text(max_size=30), max_size=40), min_size=1, max_size=4),
       skip=st.integers(0, 3), salt=st.sampled_from([SALT, "", "k" * 100]))  # fmt: skip
@SLOW_OK
def test_the_helper_makes_the_hmac_of_every_value_in_order(
    columns: list[list[str]], skip: int, salt: str
) -> None:
    digester_module.HELPER_VALUES = 1  # (a hypothesis test takes no function-scoped fixture)
    try:
        with Digester(salt, helper=True) as d:
            arrays = [pa.array(["x"] * skip + c, pa.string()).slice(skip) for c in columns]
            jobs = [d.submit(a) for a in arrays]
            assert (d._proc is not None) == any(columns)  # the helper made them
            halves = d.digest(pa.array([v for c in columns for v in c], pa.string()))
            for job, column in reversed(list(zip(jobs, columns, strict=True))):  # any order
                assert job.result() == oracle(salt, column)
        assert halves == oracle(salt, [v for c in columns for v in c])
    finally:
        digester_module.HELPER_VALUES = 20_000


def test_the_pipe_is_what_the_loop_reads() -> None:
    """The job the parent writes, served by the loop in this process: the same digests."""
    values = ["", "ąż|PL", "x" * 3000]
    job = b"".join(bytes(f) for f in _frames(pa.array(["skip", *values]).slice(1)))
    key = SALT.encode()
    out = io.BytesIO()
    serve(io.BytesIO(len(key).to_bytes(4, sys.byteorder) + key + job + job), out)
    assert out.getvalue() == oracle(SALT, values) * 2


@pytest.mark.usefixtures("every_column_to_the_helper")
def test_a_helper_that_dies_leaves_the_digests_to_this_process() -> None:
    with Digester(SALT, helper=True) as d:
        first = d.submit(pa.array(["a", "b"]))
        assert first.result() == oracle(SALT, ["a", "b"])
        assert d._proc is not None
        d._proc.kill()
        d._proc.wait()
        later = [d.submit(pa.array([f"v{i}", "w"])) for i in range(3)]
        assert [j.result() for j in later] == [oracle(SALT, [f"v{i}", "w"]) for i in range(3)]
        assert not d._usable  # noticed: nothing more is sent
        assert d.digest(pa.array(["z"] * 4)) == oracle(SALT, ["z"] * 4)


@pytest.mark.usefixtures("every_column_to_the_helper")
def test_no_helper_when_it_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with Digester(SALT, helper=True) as d:
        assert d.submit(pa.array(["a"])).result() == oracle(SALT, ["a"])
        assert d._proc is None


def test_short_columns_and_one_core_stay_here() -> None:
    with Digester(SALT, helper=True) as d:  # below HELPER_VALUES
        assert d.digest(pa.array(["a", "b"])) == oracle(SALT, ["a", "b"]) and d._proc is None
    with Digester(SALT, helper=False) as d:
        big = pa.array(["v"] * (3 * digester_module.HELPER_VALUES))
        assert d.submit(big).result() == local(SALT.encode(), big) and d._proc is None


def test_missing_values_are_refused() -> None:
    with Digester(SALT) as d, pytest.raises(ValueError, match="missing"):
        d.submit(pa.array(["a", None]))
