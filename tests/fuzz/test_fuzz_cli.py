"""Fuzzing the whole run in-process (CliRunner): mutated CSV, HL7 and XLSX inputs through
``cer-loader run`` give exit 0, 1 or 2 (never 3, never an exception), a balanced summary when
one is written, no PESEL, name or phone of the input on the console or in the logs, every
output 0600. Runs only on request (``pytest -m fuzz tests/fuzz -s``; each input is a full run,
so these targets take a tenth of FUZZ_EXAMPLES; see ``fuzzkit``).
"""

from __future__ import annotations

import json
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from cer_loader.cli import cli

from fuzzkit import (  # noqa: F401  (fixtures)
    LogCapture,
    assert_no_crash,
    check_logs,
    crash,
    fuzz_settings,
    keep_last,
    leak_in,
    logs_fixture,
    message_class,
    record,
    report_fixture,
    timed_fixture,
)
from mutants import CSV, HL7, mutate_text, mutate_workbook

pytestmark = pytest.mark.fuzz
PIPELINE = 0.1  # share of FUZZ_EXAMPLES: a full run per input


def check_run(target: str, suffix: str, raw: bytes, lang: str, logs: LogCapture) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / f"in{suffix}", Path(tmp) / "out"
        src.write_bytes(raw)
        keep_last(target, raw, suffix)
        args = ["run", str(src), "--mus", "000000927722-001", "--as-of", "2026-12-01",
                "--out", str(out), "--ledger", str(Path(tmp) / "ledger.sqlite"), "--quiet",
                "--lang", lang]  # fmt: skip
        result = CliRunner().invoke(cli, args)
        said = result.output
        error = next(
            (ln for ln in said.splitlines() if ln.lower().startswith(("błąd", "error"))), ""
        )
        record(target, f"exit {result.exit_code}" + (f" {message_class(error)}" if error else ""))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            crash(target, f"CRASH {type(result.exception).__name__}", raw, suffix)
        elif result.exit_code not in (0, 1, 2):
            crash(target, f"EXIT {result.exit_code}: {message_class(error)}", raw, suffix)
        if leak_in(said):
            crash(target, f"LEAK {leak_in(said)!r} on the console", raw, suffix)
        check_logs(target, logs, raw, suffix)
        summary = out / "summary.json"
        if summary.exists() and not json.loads(summary.read_text())["balance_holds"]:
            crash(target, "UNBALANCED summary", raw, suffix)
        for f in out.rglob("*") if out.exists() else ():
            if f.is_file() and stat.S_IMODE(f.stat().st_mode) != 0o600:
                crash(target, f"MODE {oct(f.stat().st_mode)} of {f.name}", raw, suffix)


def fuzz_pipeline(target: str, suffix: str, make: Callable[[st.DataObject], bytes],
                  logs: LogCapture) -> None:  # fmt: skip
    @fuzz_settings(PIPELINE)
    @given(st.data())
    def one(data: st.DataObject) -> None:
        check_run(target, suffix, make(data), data.draw(st.sampled_from(["pl", "en"])), logs)

    one()
    assert_no_crash(target)


def test_fuzz_csv_pipeline(logs: LogCapture, timed: None) -> None:
    fuzz_pipeline("csv_pipeline", ".csv", lambda data: mutate_text(CSV, data), logs)


def test_fuzz_hl7_pipeline(logs: LogCapture, timed: None) -> None:
    fuzz_pipeline("hl7_pipeline", ".hl7", lambda data: mutate_text(HL7, data), logs)


def test_fuzz_xlsx_pipeline(logs: LogCapture, timed: None) -> None:
    fuzz_pipeline("xlsx_pipeline", ".xlsx", mutate_workbook, logs)
