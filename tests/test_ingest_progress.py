"""Progress by rows (messages for HL7) through reading, validation, rendering and reports: the
callback sequence of a whole run over CSV, XLSX and HL7 samples — counts never go down, never
pass their total, end equal to it, the reading count equals the rows (messages) read, and the
hot loops report every few thousand units, not per row."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import pytest

from cer_loader.cli.common import Progress
from cer_loader.ingest import read_source
from cer_loader.ingest.progress import EVERY, FileProgress, estimate
from cer_loader.pipeline import run
from cer_loader.samples.writers import write_sample
from cer_loader.settings import load_settings

Calls = list[tuple[str, int, int]]


def record(calls: Calls):  # noqa: ANN201 - the pipeline's Progress callable
    return lambda stage, done, total: calls.append((stage, done, total))


def by_stage(calls: Calls) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for stage, done, total in calls:
        out[stage].append((done, total))
    return out


def assert_sane(seq: list[tuple[int, int]]) -> None:
    dones = [d for d, _ in seq]
    assert dones == sorted(dones), f"count went down: {seq}"
    assert all(0 <= d <= t for d, t in seq), f"count past its total: {seq}"
    assert seq[-1][0] == seq[-1][1], f"did not end at its total: {seq[-1]}"


@pytest.mark.parametrize(
    "fmt,rows,stage", [("csv", 3000, "read"), ("xlsx", 1500, "read"),
                       ("hl7", 3 * EVERY + 100, "read_messages")],
)  # fmt: skip
def test_a_run_reports_rows_through_every_stage(
    fmt: str, rows: int, stage: str, tmp_path: Path
) -> None:
    w = write_sample(tmp_path / f"w.{fmt}", fmt, rows, 0.05, seed=4)
    calls: Calls = []
    done = run([w.data], load_settings(w.config, {}), mapping_path=w.mapping,
               out_dir=tmp_path / "out", progress=record(calls))  # fmt: skip
    stages = by_stage(calls)
    assert list(dict.fromkeys(s for s, _, _ in calls)) == [stage, "validate", "render", "report"]
    for seq in stages.values():
        assert_sane(seq)
    reading = stages[stage]
    assert reading[-1] == (rows, rows)  # rows below the header / messages, all of them
    assert reading[0][0] == 0 and reading[0][1] >= 1  # an estimate before anything is read
    middle = {d for d, _ in reading if 0 < d < rows}
    assert middle, f"reading jumped from 0 to the end: {reading}"
    assert len(reading) < 12 + 3 * rows // EVERY  # every few thousand, not per row
    assert stages["validate"][-1] == (rows, rows)
    assert len({d for d, _ in stages["validate"]}) > 2  # moves check by check
    accepted = done.summary["accepted"]
    assert stages["render"][-1] == (accepted, accepted)


def test_several_inputs_make_one_count_with_estimates_for_the_files_not_read(
    tmp_path: Path,
) -> None:
    a = write_sample(tmp_path / "a" / "w.csv", "csv", 800, 0.0, seed=1)
    b = write_sample(tmp_path / "b" / "w.csv", "csv", 1200, 0.0, seed=2)
    calls: Calls = []
    run([a.data, b.data], load_settings(a.config, {}), mapping_path=a.mapping,
        progress=record(calls))  # fmt: skip
    reading = by_stage(calls)["read"]
    assert_sane(reading)
    assert reading[-1] == (2000, 2000)
    first_total = reading[0][1]  # both files estimated from their first bytes
    assert 1000 <= first_total <= 4000, reading
    assert (800, 800 + 1200) in reading or any(d == 800 and t > 800 for d, t in reading)


def test_file_progress_is_monotonic_and_counts_only_once_exact() -> None:
    seen: list[tuple[int, int]] = []
    fp = FileProgress(lambda d, t: seen.append((d, t)))
    fp.expect(1000, exact=False)
    fp.share(0.5)  # not counted: the total is only an estimate
    fp.expect(800)
    fp.share(0.5)
    fp.expect(900, exact=False)  # an estimate after the exact count is ignored
    fp.share(0.25)  # never down
    fp.at(10_000)  # never past the total
    fp.finish(800)
    assert seen == [(0, 1000), (0, 800), (400, 800), (400, 800), (800, 800), (800, 800)]
    FileProgress(None).share(1.0)  # no callback: nothing to do, no error


def test_estimates_from_the_first_bytes(tmp_path: Path) -> None:
    csv = write_sample(tmp_path / "c" / "w.csv", "csv", 5000, 0.0).data
    hl7 = write_sample(tmp_path / "h" / "w.hl7", "hl7", 5000, 0.0).data
    assert 4500 <= estimate(csv, "csv") <= 5500
    assert 4500 <= estimate(hl7, "hl7") <= 5500
    assert estimate(tmp_path / "missing.csv", "csv") == 0
    (tmp_path / "empty.csv").write_bytes(b"")
    assert estimate(tmp_path / "empty.csv", "csv") == 0


def test_a_reader_alone_reports_blank_rows_too(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a;b\n1;2\n\n3;4\n", encoding="utf-8")
    seen: list[tuple[int, int]] = []
    table = read_source(path, progress=lambda d, t: seen.append((d, t)))
    assert table.data_rows == 2 and table.blank_rows == 1
    assert_sane(seen)
    assert seen[-1] == (3, 3)  # rows below the header, the blank one included


def test_the_bar_draws_each_stage_once() -> None:
    stream = io.StringIO()
    bar = Progress("pl", True, stream=stream)
    for done, total in ((0, 5000), (0, 4000), (1000, 4000), (4000, 4000)):
        bar("read", done, total)
    drawn = stream.getvalue()
    bar("read", 4000, 4000)  # the pipeline's closing call: no second bar
    assert stream.getvalue() == drawn
    assert "Wczytywanie" in drawn and "4000/4000" in drawn and "wierszy" in drawn
    bar("read_messages", 7, 7)
    assert "wiadomości" in stream.getvalue()
