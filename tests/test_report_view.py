"""The rows the reports take once (report/view.py) give what the whole run's frame gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cer_loader.mapping import load_mapping
from cer_loader.pipeline import Run, run
from cer_loader.report.origins import origins_of
from cer_loader.report.rows import issue_table
from cer_loader.report.view import report_view
from cer_loader.report.workbook import write_steward_workbook
from cer_loader.settings import load_settings

from conftest import SAMPLE

FIXED = dt.datetime(2027, 1, 2, tzinfo=dt.UTC)


def _run(tmp_path: Path, *inputs: Path) -> Run:
    settings = load_settings(SAMPLE / "cer-loader.toml", {})
    return run(list(inputs), settings, mapping_path=SAMPLE / "mapping.toml",
               out_dir=tmp_path, render=False, config_path=SAMPLE / "cer-loader.toml")  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Run]:
    """The sample and a copy of it (two tables, repeats across them), and a second run of
    their steward workbook."""
    out = tmp_path_factory.mktemp("first")
    copy = tmp_path_factory.mktemp("in") / "kopia.csv"
    lines = (SAMPLE / "wizyty_poradnia.csv").read_bytes().split(b"\n")
    copy.write_bytes(b"\n".join([lines[0], *lines[4:]]))  # not the same content
    first = _run(out, SAMPLE / "wizyty_poradnia.csv", copy)
    again = _run(tmp_path_factory.mktemp("again"), out / "report.xlsx")
    return [first, again]


def test_the_view_holds_only_the_rows_with_an_issue(runs: list[Run]) -> None:
    for done in runs:
        result = done.result
        view = report_view(result)
        rows = set(result.issues["row"])
        assert set(view.frame.index) == rows and len(view.frame) < len(result.frame)
        assert view.frame.index.is_monotonic_increasing  # input order
        assert len(view.frame.columns) < 10 < len(result.frame.columns)


def test_issue_tables_from_the_view_equal_those_from_the_whole_frame(runs: list[Run]) -> None:
    for done in runs:
        r = done.result
        view = report_view(r)
        assert len(r.errors) and len(r.warnings)
        for issues in (r.errors, r.warnings, r.errors.iloc[::3]):
            whole = issue_table(issues, r.frame, r.tables, r.rules, r.settings.lang)
            taken = issue_table(issues, view.frame, r.tables, r.rules, r.settings.lang, view)
            assert len(whole) == len(issues)
            pd.testing.assert_frame_equal(whole, taken)


def test_origins_of_the_taken_rows_are_those_of_the_whole_run(runs: list[Run]) -> None:
    assert any(t.kind == "steward" for t in runs[1].result.tables)
    mapping = load_mapping(SAMPLE / "mapping.toml")
    for done in runs:
        view = report_view(done.result)
        whole, taken = (
            origins_of(done.result, mapping),
            origins_of(done.result, mapping, view.frame),
        )
        assert taken.items == whole.items and taken.headers == whole.headers
        assert taken.values == whole.values
        labels = list(view.frame.index)
        for a, b in zip(
            (taken.index, taken.file, taken.row, taken.ref),
            (whole.index, whole.file, whole.row, whole.ref),
            strict=True,
        ):
            assert len(a) == len(labels)
            assert a[labels].tolist() == b[labels].tolist()


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:  # docProps holds the writer's own clock
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def test_the_workbook_from_taken_rows_is_the_one_from_the_whole_frame(
    runs: list[Run], tmp_path: Path
) -> None:
    mapping = load_mapping(SAMPLE / "mapping.toml")
    for k, done in enumerate(runs):
        view = report_view(done.result)
        whole = dataclasses.replace(view, frame=done.result.frame)
        a, b = tmp_path / f"taken{k}.xlsx", tmp_path / f"whole{k}.xlsx"
        write_steward_workbook(a, done.result, done.summary, mapping, clock=lambda: FIXED,
                               view=view)  # fmt: skip
        write_steward_workbook(b, done.result, done.summary, mapping, clock=lambda: FIXED,
                               view=whole)  # fmt: skip
        assert _parts(a) == _parts(b)
