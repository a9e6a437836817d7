"""``cer-loader submit OUT_DIR`` after a run without ``--submit``: CeR's refusals reach every
report of OUT_DIR (the steward workbook and report.html too), equal to what ``run --submit``
writes, and the steward loop loads them once the workbook comes back; when an input changed,
only summary.json and rejected.csv gain them, and the command says why."""

from __future__ import annotations

import csv
import json
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from cer_loader import emulator
from cer_loader.cli import cli
from cer_loader.ingest.steward import COL_FILE, COL_ID, COL_MESSAGE, COL_ROW, COL_RULES, FIX_SHEET
from cer_loader.ledger import open_ledger
from cer_loader.report.writer import REPORTS

from conftest import SAMPLE

MUS = "000000927722-001"
CSV = SAMPLE / "wizyty_poradnia.csv"


@contextmanager
def cer(tmp_path: Path, store: Path, name: str, faults: str = "") -> Iterator[Path]:
    """An emulator on loopback (its own thread, real TLS) and a cer-loader.toml naming it as
    the ``emulator`` target; yields the config file."""
    with emulator.start_in_process(
        store, faults=faults, certs_dir=tmp_path / "certs", seed=3
    ) as emu:
        t = emu.target
        bundles = ", ".join(f'"{p}"' for p in t.ca_bundle)
        config = tmp_path / f"{name}.toml"
        config.write_text(
            (SAMPLE / "cer-loader.toml").read_text(encoding="utf-8")
            + f'\n[targets.emulator]\nurl = "{t.url}"\nca_bundle = [{bundles}]\n'
            f'tls_p12 = "{t.tls_p12}"\nwss_p12 = "{t.wss_p12}"\n'
            f'tls_password_env = "{t.tls_password_env}"\nwss_password_env = "{t.wss_password_env}"\n',
            encoding="utf-8",
        )
        yield config


def cli_run(*args: object) -> tuple[int, str]:
    r = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return r.exit_code, r.output


def fix_sheet(book: Path) -> list[dict[str, str]]:
    ws = openpyxl.load_workbook(book)[FIX_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    return [{str(h): "" if v is None else str(v) for h, v in zip(rows[0], r, strict=True)}
            for r in rows[1:]]  # fmt: skip


def summary_of(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_submit_out_dir_puts_refusals_in_the_workbook_and_the_steward_loop_loads_them(
    tmp_path: Path,
) -> None:
    out, twin = tmp_path / "out", tmp_path / "twin"
    mapping = ["--mapping", SAMPLE / "mapping.toml"]
    with cer(tmp_path, tmp_path / "cer.sqlite", "faulty", "refuse:0.3") as config:
        code, text = cli_run("run", CSV, *mapping, "--config", config, "--out", out, "--quiet")
        assert code == 1 and len(fix_sheet(out / "report.xlsx")) == 12
        code, text = cli_run("submit", out, "--config", config, "--quiet")
    s = summary_of(out)
    refused = s["submission"]["refused_by_cer"]
    assert code == 1 and refused > 0 and "Raporty odtworzone" in text, text
    assert s["submission"]["submitted"] == 27 == s["submission"]["accepted_by_cer"] + refused
    assert s["accepted"] == 27 - refused and s["rejected"] == 12 + refused
    assert s["balance_holds"] and s["balance"]["holds"] and s["exit_code"] == 1
    # the workbook: every refused record, with CeR's code and message, at its source row
    ledger = open_ledger(Path(s["state_file"]), MUS, create=False)
    assert ledger is not None
    with ledger:
        at_cer = {
            r.appointment_id: r for b in ledger.batches() for r in ledger.records(b)
            if r.state == "REFUSED"
        }  # fmt: skip
    assert len(at_cer) == refused
    rows = {r[COL_ID]: r for r in fix_sheet(out / "report.xlsx") if "cer-refused:" in r[COL_RULES]}
    assert set(rows) == set(at_cer)
    for appointment, row in rows.items():
        assert row[COL_RULES] == f"cer-refused:{at_cer[appointment].code}"
        assert (
            "CeR odrzucił" in row[COL_MESSAGE] and at_cer[appointment].message in row[COL_MESSAGE]
        )
        assert row[COL_FILE] == CSV.name or Path(row[COL_FILE]).name == CSV.name
        assert row[COL_ROW] == at_cer[appointment].source_row and row["Nr wizyty"] == appointment
    html = (out / "report.html").read_text(encoding="utf-8")
    assert all(f"cer-refused:{r.code}" in html for r in at_cer.values())
    for name in REPORTS:
        if (out / name).exists():
            assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    with cer(tmp_path, tmp_path / "cer.sqlite", "again", "refuse:0.3") as config:
        code, text = cli_run("submit", out, "--config", config, "--quiet")  # nothing to send
    assert "wysłane 0" in text and "raporty w" in text and "bez zmian" in text, text
    assert summary_of(out)["submission"] == s["submission"]  # OUT_DIR's answers are kept
    # the same as run --submit writes (a twin CeR refusing the same keys, a ledger of its own)
    with cer(tmp_path, tmp_path / "twin.sqlite", "twin", "refuse:0.3") as config:
        code, _ = cli_run("run", CSV, *mapping, "--config", config, "--out", twin, "--submit",
                          "--ledger", tmp_path / "twin-ledger.sqlite", "--quiet")  # fmt: skip
    t = summary_of(twin)
    for key in ("accepted", "rejected", "rejections_by_rule", "balance", "exit_code"):
        assert s[key] == t[key], key
    assert {k: v for k, v in s["submission"].items() if k not in ("ledger", "batches")} == {
        k: v for k, v in t["submission"].items() if k not in ("ledger", "batches")
    }
    with (
        (out / "rejected.csv").open(encoding="utf-8-sig") as a,
        (twin / "rejected.csv").open(encoding="utf-8-sig") as b,
    ):
        assert list(csv.reader(a)) == list(csv.reader(b))
    assert fix_sheet(out / "report.xlsx") == fix_sheet(twin / "report.xlsx")
    # the steward fixes the refused rows and hands the workbook back: CeR (healthy now) loads them
    book = tmp_path / "poprawiony.xlsx"
    wb = openpyxl.load_workbook(out / "report.xlsx")
    ws = wb[FIX_SHEET]
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[head.index("Nr wizyty")].value in at_cer:
            row[head.index("Uwagi")].value = "poprawione po odmowie CeR"
    wb.save(book)
    with cer(tmp_path, tmp_path / "cer.sqlite", "healthy") as config:
        code, text = cli_run("run", book, "--config", config, "--out", tmp_path / "second",
                             "--submit", "--quiet")  # fmt: skip
    second = summary_of(tmp_path / "second")
    assert second["submission"]["accepted_by_cer"] == refused == second["accepted_new"], text
    assert second["already_loaded"] == 0 and second["rejected"] == 12
    payload = "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "second" / "payload").glob("*.xml")
    )
    assert payload.count("poprawione po odmowie CeR") == refused
    held = [a for _, _, a in emulator.list_records(tmp_path / "cer.sqlite")]
    assert len(held) == len(set(held)) == 27


def test_a_changed_input_leaves_the_workbook_and_says_so(tmp_path: Path) -> None:
    export = tmp_path / "wizyty.csv"
    export.write_bytes(CSV.read_bytes())
    out = tmp_path / "out"
    with cer(tmp_path, tmp_path / "cer.sqlite", "faulty", "refuse:0.3") as config:
        cli_run("run", export, "--mapping", SAMPLE / "mapping.toml", "--config", config,
                "--out", out, "--quiet")  # fmt: skip
        before = (out / "report.xlsx").read_bytes()
        export.write_bytes(CSV.read_bytes() + b"\r\n")  # the export changed since the run
        code, text = cli_run("submit", out, "--config", config, "--quiet", "--lang", "en")
    s = summary_of(out)
    refused = s["submission"]["refused_by_cer"]
    assert code == 1 and refused > 0
    assert "report.xlsx and report.html do NOT hold CeR's answers" in text, text
    assert f"the input file {export.resolve()} changed since the run" in text
    assert (out / "report.xlsx").read_bytes() == before
    with (out / "rejected.csv").open(encoding="utf-8-sig") as fh:
        lines = [r for r in csv.DictReader(fh) if r["rule"].startswith("cer-refused:")]
    assert len(lines) == refused and s["balance_holds"]


def test_a_workbook_the_steward_edited_in_place_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with cer(tmp_path, tmp_path / "cer.sqlite", "faulty", "refuse:0.3") as config:
        cli_run("run", CSV, "--mapping", SAMPLE / "mapping.toml", "--config", config,
                "--out", out, "--quiet")  # fmt: skip
        wb = openpyxl.load_workbook(out / "report.xlsx")  # the steward fixes a cell in place
        ws = wb[FIX_SHEET]
        head = [c.value for c in ws[1]]
        ws.cell(row=2, column=head.index("Uwagi") + 1, value="poprawione")
        wb.save(out / "report.xlsx")
        edited = (out / "report.xlsx").read_bytes()
        code, text = cli_run("submit", out, "--config", config, "--quiet")
    assert code == 1 and "NIE zawierają odpowiedzi CeR" in text, text
    assert "nie nadpisuję go" in text and f"cer-loader run {out / 'report.xlsx'}" in text
    assert (out / "report.xlsx").read_bytes() == edited
    s = summary_of(out)
    assert s["submission"]["refused_by_cer"] > 0 and s["balance_holds"]
