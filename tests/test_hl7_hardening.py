"""HL7 dumps with hostile content: one bad message is listed, never sinks the dump (issue 11).

Each case is a dump of one bad message between two good ones: the good ones load, the bad one
is listed in ``not_loaded`` with a stable reason code and said in a reader warning; numbers
that cannot be (a 400-digit duration, a ±24 h offset, a 5000-digit BTS count) are bounded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hl7 import check_accounting, dump, read, siu

from cer_loader.cli import cli
from cer_loader.errors import CensusMismatchError, ConfigError
from cer_loader.ingest.hl7v2 import read_hl7
from cer_loader.ingest.options import Limits
from cer_loader.outcomes import HL7_NOT_LOADED


def sandwich(bad: list[str] | bytes) -> bytes:
    middle = bad if isinstance(bad, bytes) else dump(bad)
    return dump(siu(ctrl="G1", appt="A1")) + middle + dump(siu(ctrl="G3", appt="A3"))


@pytest.mark.parametrize(
    "label", ["ROT13", "HEX", "ZLIB", "BASE64", "UU", "QUOPRI", "BZ2", "IDNA", "PUNYCODE",
              "UTF-16", "UNICODE UTF-32", "UNICODE_ESCAPE", "NO-SUCH-SET", "UTF\x00-8", "x" * 300],
)  # fmt: skip
def test_unusable_charset_refuses_only_that_message(tmp_path: Path, label: str) -> None:
    table = read(tmp_path, sandwich(siu(ctrl="B2", appt="A2", charset=label)))
    assert list(table.frame["appointment_id"]) == ["A1", "A3"]
    rows = table.not_loaded.to_dict("records")  # type: ignore[union-attr]
    assert rows == [
        {"appointment_id": "", "reason": "charset-unknown", "message_index": 2,
         "control_id": "B2", "event": "SIU^S12"}
    ]  # fmt: skip
    assert [w.code for w in table.warnings] == ["hl7-charset-refused"]
    assert "\x00" not in table.warnings[0].text() and len(table.warnings[0].text()) < 400


def test_unusable_charset_option_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "d.hl7"
    path.write_bytes(dump(siu()))
    for label in ("rot13", "hex", "idna", "utf-16"):
        with pytest.raises(ConfigError):
            read_hl7(path, charset=label)


@pytest.mark.parametrize("offset", ["+2400", "-2400", "+9999", "+0160"])
def test_impossible_time_offset_is_a_visible_value_not_a_crash(tmp_path: Path, offset: str) -> None:
    table = read(tmp_path, sandwich(siu(ctrl="B2", appt="A2", start="202501151030" + offset)))
    assert list(table.frame["appointment_id"]) == ["A1", "A2", "A3"]
    # the text goes on unparsed, so the normalizer rejects it visibly
    assert table.frame["start"].iloc[1] == "202501151030" + offset


def test_huge_numbers_are_bounded(tmp_path: Path) -> None:
    segs = siu(ctrl="B2", appt="A2", tq1=False)
    segs[1] = f"SCH||A2|||||||{'9' * 400}|MIN|^^M{'9' * 400}^202501151030"
    table = read(tmp_path, sandwich(segs))
    assert list(table.frame["appointment_id"]) == ["A1", "A2", "A3"]
    assert table.frame["duration_minutes"].iloc[1] == ""
    data = dump(["BHS|^~\\&"], siu(), siu(ctrl="C2", appt="A2"), ["BTS|" + "5" * 5000],
                ["BHS|^~\\&"], siu(ctrl="C3", appt="A3"), ["BTS|²"])  # fmt: skip
    table = read(tmp_path, data)
    assert len(table.frame) == 3
    assert [w.code for w in table.warnings] == ["hl7-count-unreadable"] * 2


def test_message_size_limit(tmp_path: Path) -> None:
    big = siu(ctrl="B2", appt="A2", extra=("NTE|1||" + "x" * 5000,))
    path = tmp_path / "d.hl7"
    path.write_bytes(sandwich(big))
    table = read_hl7(path, limits=Limits(max_message_bytes=4096))
    check_accounting(table)
    assert list(table.frame["appointment_id"]) == ["A1", "A3"]
    assert list(table.not_loaded["reason"]) == ["too-large"]  # type: ignore[index]
    assert [w.code for w in table.warnings] == ["hl7-too-large"]
    assert len(read_hl7(path).frame) == 3  # the default limit takes it


def test_all_unreadable_dump_loads_nothing_and_lists_every_message(tmp_path: Path) -> None:
    data = dump(*(siu(ctrl=f"B{i}", appt=f"A{i}", charset="ROT13") for i in range(3)))
    table = read(tmp_path, data)
    assert table.frame.empty and table.total_records == 3 and table.skipped_rows == 3
    assert list(table.not_loaded["reason"]) == ["charset-unknown"] * 3  # type: ignore[index]
    path = tmp_path / "d.hl7"
    path.write_bytes(data)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["validate", str(path), "--mus", "000000927722-001",
                                      "--as-of", "2026-12-01", "--out", str(out)])  # fmt: skip
    assert result.exit_code in (0, 1, 2), result.output  # the exit code is the run's decision
    s = json.loads((out / "summary.json").read_text())
    # the counts that tell a run which loaded nothing from one that had nothing to load
    assert (s["input_rows"], s["hl7"]["messages"], s["hl7"]["not_loaded"]) == (0, 3, 3)
    assert s["hl7"]["not_loaded_by_reason"] == {"charset-unknown": 3} and s["balance_holds"]
    lines = (out / "not_loaded.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 4 and all("charset-unknown" in line for line in lines[1:])


def test_every_not_loaded_reason_has_both_texts() -> None:
    for code, outcome in HL7_NOT_LOADED.items():
        assert outcome.code == code and outcome.pl and outcome.en and outcome.pl != outcome.en


@settings(max_examples=150, deadline=None)
@given(
    junk=st.binary(max_size=60),
    where=st.sampled_from([1, 2, 3, 5, 9, 10, 18]),
    segment=st.sampled_from(["MSH", "SCH", "TQ1", "PID", "AIS"]),
)
def test_random_bytes_in_any_field_never_sink_the_dump(
    tmp_path_factory: pytest.TempPathFactory, junk: bytes, where: int, segment: str
) -> None:
    segs = [s.encode() for s in siu(ctrl="B2", appt="A2", charset="UNICODE UTF-8")]
    k = next(i for i, s in enumerate(segs) if s.startswith(segment.encode()))
    fields = segs[k].split(b"|")
    fields += [b""] * (where + 1 - len(fields))
    fields[where] = junk.replace(b"\r", b"").replace(b"\n", b"")
    segs[k] = b"|".join(fields)
    bad = b"\r".join(segs) + b"\r"
    path = tmp_path_factory.mktemp("fuzz") / "d.hl7"
    path.write_bytes(sandwich(bad))
    try:
        table = read_hl7(path)
    except CensusMismatchError:
        return  # junk that breaks the MSH line itself: the census says so (exit 2)
    check_accounting(table)
    assert {"A1", "A3"} <= set(table.frame["appointment_id"])
    assert table.total_records == len(table.frame) + table.skipped_rows
