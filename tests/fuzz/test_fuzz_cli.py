"""Fuzzing the whole run in-process (CliRunner): any CSV bytes or HL7 text give exit 0, 1 or 2,
a balanced summary when one is written, no PESEL or name of the input on the console, every
output 0600. Runs only on request: ``pytest -m fuzz tests/fuzz -s`` (FUZZ_EXAMPLES=N per
target, default 200); it prints the exit-code histogram.
"""

from __future__ import annotations

import collections
import json
import os
import stat
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cer_loader.cli import cli

pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
PESEL, NAME = "44051401359", "Zażółćkowska"
HEADER = "Nr wizyty;Data wizyty;Godz.;Kod świadczenia;Rodzaj wizyty;PESEL;Nazwisko;Imię"
ROW = f"A1;12.01.2027;10:00;02.1100.001.02;kontynuacja;{PESEL};{NAME};Anna"
HISTOGRAM: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)

pieces = st.sampled_from(['"', ";", "\n", "\r\n", "\x00", "=", "\x1b[31m", "ą", "\ufeff", "",
                          "31.02.2027", "99:99", PESEL, "Razem: 3", "\t", ",", "'"])  # fmt: skip


def mutate(text: str, data: st.DataObject) -> bytes:
    chars = list(text)
    for _ in range(data.draw(st.integers(0, 8))):
        pos = data.draw(st.integers(0, len(chars)))
        chars[pos:pos] = data.draw(pieces)
    raw = "".join(chars).encode(data.draw(st.sampled_from(["utf-8", "cp1250", "iso-8859-2"])),
                                errors="replace")  # fmt: skip
    return raw + data.draw(st.binary(max_size=16))


def check_run(target: str, src: Path, out: Path, extra: list[str]) -> None:
    args = ["run", str(src), "--mus", "000000927722-001", "--as-of", "2026-12-01",
            "--out", str(out), "--quiet", *extra]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    HISTOGRAM[target][result.exit_code] += 1
    assert result.exit_code in (0, 1, 2), result.output
    assert PESEL not in result.output and NAME not in result.output
    summary = out / "summary.json"
    if summary.exists():
        s = json.loads(summary.read_text())
        assert s["balance_holds"], s
        for f in out.rglob("*"):
            if f.is_file():
                assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(st.data())
def test_fuzz_csv_run(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.csv"
        src.write_bytes(mutate(HEADER + "\n" + ROW + "\n" + ROW.replace("A1", "A2") + "\n", data))
        check_run("csv", src, Path(tmp) / "out", [])


HL7 = (
    "MSH|^~\\&|A|B|C|D|20261201120000||SIU^S12|M1|P|2.5.1|||||||UNICODE UTF-8\r"
    "SCH|X1|X1|||||||30|min|^^^20270112100000\r"
    f"PID|1||{PESEL}^^^^NNPOL||{NAME}^Anna||19440514|F\r"
    "AIS|1||02.1100.001.02\r"
)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(st.data())
def test_fuzz_hl7_run(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.hl7"
        src.write_bytes(mutate(HL7 + HL7.replace("M1", "M2").replace("X1", "X2"), data))
        check_run("hl7", src, Path(tmp) / "out", [])


def teardown_module() -> None:
    for target, counts in sorted(HISTOGRAM.items()):
        print(
            f"\nfuzz {target}: {sum(counts.values())} runs, exit codes {dict(sorted(counts.items()))}"
        )
