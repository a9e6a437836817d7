"""The order a run commits in: payload, then the reports (renamed into place, summary.json
last), then the ledger. A crash (``os._exit`` in a subprocess) or a failure between the steps
leaves the old outputs or complete new ones, and the ledger never holds a run whose reports are
missing; with submission the batches are journaled RENDERED before sending and the run is
marked finished only after its reports."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cer_loader import pipeline
from cer_loader.cli import cli
from cer_loader.ledger import open_ledger
from cer_loader.report import writer
from cer_loader.settings import load_settings
from cer_loader.submit.orchestrate import Submission

from conftest import SAMPLE

CSV, MAPPING, CONFIG = (SAMPLE / "wizyty_poradnia.csv", SAMPLE / "mapping.toml",
                        SAMPLE / "cer-loader.toml")  # fmt: skip
REPORTS = ("rejected.csv", "warnings.csv", "report.xlsx", "report.html", "summary.json")
# mode "reports": dies while the reports are staged; "journal": after they are renamed, before
# the ledger commit (the journal writes while the reports are made, and waits for them at its
# commit: the child dies there); "none": runs to the end
SCRIPT = """
import os, sys
from pathlib import Path
from cer_loader import pipeline
from cer_loader.report import writer
mode, out, ledger = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
def die(*a, **k):
    os._exit(9)
if mode == "reports":
    writer.write_html_report = die
elif mode == "journal":
    real = pipeline.journal
    def journal(*a, before_commit, **k):
        def gate():
            before_commit()  # the reports are in place
            die()
        return real(*a, before_commit=gate, **k)
    pipeline.journal = journal
pipeline.run([Path(sys.argv[4])], config_path=sys.argv[5], mapping_path=sys.argv[6],
             out_dir=out, ledger_path=ledger)
"""


def run_child(mode: str, out: Path, ledger: Path) -> int:
    args = [sys.executable, "-c", SCRIPT, mode, str(out), str(ledger), str(CSV), str(CONFIG),
            str(MAPPING)]  # fmt: skip
    return subprocess.run(args, capture_output=True, timeout=300).returncode


def ledger_rows(ledger: Path) -> dict[str, int]:
    if not ledger.exists():
        return {"runs": 0, "batches": 0, "run_ends": 0}
    conn = sqlite3.connect(ledger)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] if t in names else 0
                for t in ("runs", "batches", "run_ends")}  # fmt: skip
    finally:
        conn.close()


def snapshot(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in REPORTS if (out / name).exists()}


def test_killed_while_reports_are_staged_leaves_old_outputs_and_no_run(tmp_path: Path) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    pipeline.run([CSV], config_path=CONFIG, mapping_path=MAPPING, out_dir=out, render=False)
    old = snapshot(out)
    assert set(old) == set(REPORTS)
    assert run_child("reports", out, ledger) == 9
    assert snapshot(out) == old  # the earlier reports, untouched
    assert ledger_rows(ledger)["runs"] == ledger_rows(ledger)["batches"] == 0
    # the rerun into the same folder is not refused (nothing was journaled) and completes
    assert run_child("none", out, ledger) == 0
    assert set(snapshot(out)) == set(REPORTS) and snapshot(out) != old
    assert ledger_rows(ledger) == {"runs": 1, "batches": 1, "run_ends": 1}
    with open_ledger(ledger, "000000927722-001", create=False) as book:  # type: ignore[union-attr]
        assert book.batch_files() == {str(p.resolve()) for p in (out / "payload").glob("*.xml")}
        assert book.unfinished_runs() == []


def test_killed_after_reports_before_the_ledger_leaves_complete_reports_unclaimed(
    tmp_path: Path,
) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    assert run_child("journal", out, ledger) == 9
    assert set(snapshot(out)) == set(REPORTS)  # complete new outputs
    assert ledger_rows(ledger)["runs"] == 0  # the ledger claims nothing
    assert run_child("none", out, ledger) == 0  # the same run again, into the same folder
    assert ledger_rows(ledger) == {"runs": 1, "batches": 1, "run_ends": 1}


def test_a_failing_report_writer_leaves_no_payload_and_no_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "write_html_report", broken)
    with pytest.raises(OSError):
        pipeline.run([CSV], config_path=CONFIG, mapping_path=MAPPING, out_dir=out,
                     ledger_path=ledger)  # fmt: skip
    assert snapshot(out) == {} and not list(out.rglob("*.xml")) and not list(out.glob(".*.tmp"))
    assert ledger_rows(ledger)["runs"] == 0


def test_a_failing_ledger_commit_takes_the_run_s_reports_and_payload_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"

    def locked(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(pipeline, "journal", locked)
    with pytest.raises(sqlite3.OperationalError):
        pipeline.run([CSV], config_path=CONFIG, mapping_path=MAPPING, out_dir=out,
                     ledger_path=ledger)  # fmt: skip
    assert snapshot(out) == {} and not list(out.rglob("*.xml"))
    assert ledger_rows(ledger)["runs"] == 0


def test_with_submission_batches_are_rendered_before_sending_and_the_run_finishes_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    seen: dict[str, object] = {}

    def send(book, files, progress):  # type: ignore[no-untyped-def]
        seen["states"] = [b.state for b in book.batches()]
        seen["unfinished"] = [run for run, _ in book.unfinished_runs()]
        return Submission(target="fake", batches=book.batches())

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    settings = load_settings(CONFIG, {})
    monkeypatch.setattr(writer, "write_html_report", broken)
    with pytest.raises(OSError):
        pipeline.run([CSV], settings, mapping_path=MAPPING, out_dir=out, ledger_path=ledger,
                     submitter=send)  # fmt: skip
    assert seen["states"] == ["RENDERED"] and len(seen["unfinished"]) == 1  # type: ignore[arg-type]
    # the batch may be at CeR: it stays journaled (exactly once), the run is marked unfinished
    assert ledger_rows(ledger) == {"runs": 1, "batches": 1, "run_ends": 0}
    assert list((out / "payload").glob("*.xml")) and snapshot(out) == {}
    said = CliRunner().invoke(cli, ["status", "--ledger", str(ledger), "--lang", "en"]).output
    assert "stopped before its reports were written" in said
    monkeypatch.undo()
    done = pipeline.run([CSV], settings, mapping_path=MAPPING, out_dir=tmp_path / "out2",
                        ledger_path=ledger, submitter=send)  # fmt: skip
    assert done.summary["balance_holds"] and set(snapshot(tmp_path / "out2")) == set(REPORTS)
    assert ledger_rows(ledger) == {"runs": 2, "batches": 2, "run_ends": 1}  # the new run finished


def test_a_ledger_from_before_run_ends_counts_its_runs_as_finished(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    pipeline.run([CSV], config_path=CONFIG, mapping_path=MAPPING, out_dir=tmp_path / "out",
                 ledger_path=ledger)  # fmt: skip
    conn = sqlite3.connect(ledger)
    conn.execute("DROP TABLE run_ends")
    conn.execute("DELETE FROM meta WHERE key = 'run_ends'")
    conn.commit()
    conn.close()
    with open_ledger(ledger, "000000927722-001") as book:  # type: ignore[union-attr]
        assert book.unfinished_runs() == []
