"""The command line never overwrites an input, names the option that cannot be used, refuses
a file given twice, hides terminal escapes and never lets an exception escape as a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cer_loader.cli import cli

from conftest import SAMPLE
from rowkit import BASE

MUS = ["--mus", "000000927722-001", "--as-of", "2026-12-01"]


def good_csv(path: Path, rows: int = 2, prefix: str = "G") -> Path:
    cols = list(BASE)
    lines = [";".join(cols)]
    for i in range(rows):
        values = {**BASE, "appointment_id": f"{prefix}{i}", "start_time": f"1{i}:00"}
        lines.append(";".join(values[c] for c in cols))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_out_holding_the_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    src = good_csv(tmp_path / "d" / "rejected.csv")
    before = src.read_bytes()
    code, out = invoke("run", str(src), *MUS, "--out", str(tmp_path / "d"))
    assert code == 2 and "--out" in out and str(src) in out
    assert src.read_bytes() == before and not (tmp_path / "d" / "summary.json").exists()


def test_steward_workbook_is_never_overwritten(tmp_path: Path) -> None:
    first = tmp_path / "s1"
    args = ["--mapping", str(SAMPLE / "mapping.toml"), "--config", str(SAMPLE / "cer-loader.toml")]
    code, _ = invoke("run", str(SAMPLE / "wizyty_poradnia.csv"), *args, "--out", str(first))
    assert code == 1
    book = first / "report.xlsx"
    before = book.read_bytes()
    code, out = invoke("run", str(book), "--out", str(first))
    assert code == 2 and "report.xlsx" in out and "--out" in out
    assert book.read_bytes() == before


def test_ledger_that_is_an_input_is_refused(tmp_path: Path) -> None:
    src = good_csv(tmp_path / "in.csv")
    code, out = invoke("run", str(src), *MUS, "--out", str(tmp_path / "o"), "--ledger", str(src))
    assert code == 2 and "--ledger" in out


@pytest.mark.parametrize("where", ["file", "devnull", "proc"])
def test_unusable_out_is_exit_2_naming_the_option(tmp_path: Path, where: str) -> None:
    src = good_csv(tmp_path / "in.csv")
    target = {"file": tmp_path / "plik.txt", "devnull": Path("/dev/null"),
              "proc": Path("/proc/cer-loader-out")}[where]  # fmt: skip
    if where == "file":
        target.write_text("x")
    code, out = invoke("run", str(src), *MUS, "--out", str(target))
    assert code == 2, out
    assert out.startswith("błąd: --out") and len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("where", ["not-sqlite", "devnull", "folder", "proc"])
def test_unusable_ledger_is_exit_2_naming_the_option(tmp_path: Path, where: str) -> None:
    src = good_csv(tmp_path / "in.csv")
    state = {"not-sqlite": tmp_path / "s.sqlite", "devnull": Path("/dev/null"),
             "folder": tmp_path, "proc": Path("/proc/x/state.sqlite")}[where]  # fmt: skip
    if where == "not-sqlite":
        state.write_text("to nie jest baza")
    code, out = invoke("run", str(src), *MUS, "--out", str(tmp_path / "o"), "--ledger", str(state))
    assert code == 2, out
    assert out.startswith("błąd: --ledger") and len(out.strip().splitlines()) == 1


def test_same_file_twice_is_refused(tmp_path: Path) -> None:
    src = good_csv(tmp_path / "in.csv")
    code, out = invoke("run", str(src), str(src), *MUS, "--out", str(tmp_path / "o"))
    assert code == 2 and "podaj każdy plik raz" in out
    copy = tmp_path / "kopia.csv"
    shutil.copy(src, copy)
    code, out = invoke("run", str(src), str(copy), *MUS, "--out", str(tmp_path / "o"))
    assert code == 2 and "tę samą treść" in out and "kopia.csv" in out


def test_missing_input_comes_before_a_missing_mus(tmp_path: Path) -> None:
    code, out = invoke("run", str(tmp_path / "brak.csv"), "--out", str(tmp_path / "o"))
    assert code == 2 and "nie ma takiego pliku" in out and "MUŚ" not in out


def test_escape_sequences_in_file_names_are_not_printed_raw(tmp_path: Path) -> None:
    name = tmp_path / "zły\x1b[31mplik\x07.csv"
    code, out = invoke("run", str(name), *MUS, "--out", str(tmp_path / "o"))
    assert code == 2 and "\x1b" not in out and "\x07" not in out and "\\x1b[31m" in out
    src = good_csv(tmp_path / "ok\x1b]0;tytuł\x07.csv")
    code, out = invoke("run", str(src), *MUS, "--out", str(tmp_path / "o2"))
    assert code == 0, out
    assert "\x1b" not in out and "\x07" not in out


def test_nothing_loaded_is_exit_1(tmp_path: Path) -> None:
    src = tmp_path / "zle.csv"
    src.write_text("PESEL;Data wizyty\n123;31.02.2027\n", encoding="utf-8")
    code, out = invoke("run", str(src), *MUS, "--out", str(tmp_path / "o"))
    assert code == 1 and "Nic nie załadowano" in out
    hl7 = tmp_path / "only_updates.hl7"
    hl7.write_bytes(
        b"MSH|^~\\&|A|B|C|D|20261201120000||SIU^S14|M1|P|2.5.1\r"
        b"SCH|X1|X1|||||||30|min|^^^20270112100000\r"
    )
    code, out = invoke("run", str(hl7), *MUS, "--out", str(tmp_path / "h"))
    summary = json.loads((tmp_path / "h" / "summary.json").read_text())
    assert code == 1 and summary["accepted"] == 0 and summary["exit_code"] == 1, out


class FakePanic(BaseException):
    """Like pyo3_runtime.PanicException: a BaseException, not an Exception."""


def test_third_party_panic_is_exit_3_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cer_loader.pipeline as pipeline

    def panic(*args: object, **kwargs: object) -> None:
        raise FakePanic("rust panicked at 44051401359")

    monkeypatch.setattr(pipeline, "read_source", panic)
    code, out = invoke(
        "run", str(good_csv(tmp_path / "in.csv")), *MUS, "--out", str(tmp_path / "o")
    )
    assert code == 3 and "FakePanic" in out and "44051401359" not in out


def test_ctrl_c_is_130_with_a_short_line_and_no_orphan_payload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cer_loader.pipeline as pipeline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "journal", interrupted)
    out_dir = tmp_path / "o"
    code, out = invoke("run", str(good_csv(tmp_path / "in.csv")), *MUS, "--out", str(out_dir))
    assert code == 130 and out.strip().splitlines() == [out.strip()] and "Ctrl-C" in out
    assert not list((out_dir / "payload").glob("*.xml"))  # written, but the ledger never knew it
