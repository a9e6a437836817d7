"""Fuzzing the readers at their boundary (``cer_loader.ingest.read_source``): mutated CSV
text, HL7 dumps and XLSX packages either give a balanced ``SourceTable`` or a CerLoaderError
of exit 2 naming no personal data; never another exception, nothing personal in the logs.
Runs only on request (``pytest -m fuzz tests/fuzz -s``; see ``fuzzkit``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cer_loader.ingest import read_source
from cer_loader.ingest.options import ReaderOptions
from cer_loader.ingest.table import SourceTable

from fuzzkit import (  # noqa: F401  (fixtures)
    LogCapture,
    assert_no_crash,
    attempt,
    check_logs,
    crash,
    fuzz_settings,
    leak_in,
    logs_fixture,
    record,
    report_fixture,
    timed_fixture,
)
from mutants import CSV, HL7, mutate_text, mutate_workbook

pytestmark = pytest.mark.fuzz


def check_read(target: str, path: Path, raw: bytes, logs: LogCapture) -> None:
    path.write_bytes(raw)
    table: SourceTable | None = attempt(
        target, lambda: read_source(path, ReaderOptions()), raw, path.suffix
    )
    if table is not None:
        record(target, f"read ({'rows' if table.data_rows else 'no rows'})")
        parts = table.header_records + table.blank_rows + table.skipped_rows + table.data_rows
        if table.total_records != parts:
            crash(target, "UNBALANCED table", raw, path.suffix)
        said = "\n".join(n.text(lang) for n in table.warnings for lang in ("pl", "en"))
        if leak_in(said):
            crash(target, f"LEAK {leak_in(said)!r} in a reader warning", raw, path.suffix)
    check_logs(target, logs, raw, path.suffix)


def test_fuzz_csv_reader(tmp_path: Path, logs: LogCapture, timed: None) -> None:
    @fuzz_settings()
    @given(st.data())
    def one(data: st.DataObject) -> None:
        check_read("csv_reader", tmp_path / "in.csv", mutate_text(CSV, data), logs)

    one()
    assert_no_crash("csv_reader")


def test_fuzz_hl7_reader(tmp_path: Path, logs: LogCapture, timed: None) -> None:
    @fuzz_settings()
    @given(st.data())
    def one(data: st.DataObject) -> None:
        check_read("hl7_reader", tmp_path / "in.hl7", mutate_text(HL7, data), logs)

    one()
    assert_no_crash("hl7_reader")


def test_fuzz_xlsx_reader(tmp_path: Path, logs: LogCapture, timed: None) -> None:
    @fuzz_settings()
    @given(st.data())
    def one(data: st.DataObject) -> None:
        check_read("xlsx_reader", tmp_path / "in.xlsx", mutate_workbook(data), logs)

    one()
    assert_no_crash("xlsx_reader")
