"""HL7 v2 dump reader: framing, charsets, escapes, nulls, the event fold, the field map.

Dumps are generated here (``siu``/``dump``) so each test shows the bytes it is about; the
fixtures in tests/fixtures/hl7/ show how real senders place fields (their README). The public
samples beside the repository are run by ``tests/shared_samples_check.py``, not here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cer_loader.errors import ConfigError, InputError
from cer_loader.fields import FIELD_NAMES
from cer_loader.ingest.hl7v2 import HL7_SOURCES, read_hl7
from cer_loader.ingest.hl7v2.charset import decode
from cer_loader.ingest.hl7v2.framing import deframe, split_dump
from cer_loader.ingest.hl7v2.tokens import Delims, Message, unescape
from cer_loader.ingest.table import PROVENANCE, SourceTable

from conftest import FIXTURES

HL7_FIXTURES = FIXTURES / "hl7"
PESEL = "44051401359"  # valid checksum
POLISH_LAST, POLISH_FIRST = "Łaźniewska-Ślązak", "Źdźisława Ąńżelika"


def siu(
    trigger: str = "S12",
    ctrl: str = "C1",
    appt: str = "A1",
    *,
    mtype: str = "SIU",
    when: str = "20250101120000",
    charset: str = "",
    start: str = "202501151030",
    tq1: bool = True,
    placer: str = "",
    pid: str | None = None,
    last: str = "Kowalski",
    first: str = "Jan",
    phone: str = "600100200^PRN^CP",
    extra: tuple[str, ...] = (),
    resources: bool = True,
) -> list[str]:
    """One SIU (or any MSH-9 type) message as a list of segments, default delimiters."""
    msh = ["MSH", "^~\\&", "APP", "FAC", "CER", "FAC", when, "", f"{mtype}^{trigger}", ctrl, "P"]
    msh += ["2.5", "", "", "", "", "", charset]
    segs = ["|".join(msh)]
    if mtype == "SIU":
        segs.append(f"SCH|{placer}|{appt}|||||PILNY^Pilny|NORMAL|20|MIN|^^^{start}")
        if tq1:
            segs.append(f"TQ1|||||||{start}|")
        pid = (
            pid
            if pid is not None
            else f"PID|1||{PESEL}^^^^NI~MR7^^^^MR||{last}^{first}||19800101|M|||||{phone}"
        )
        segs.append(pid)
        if resources:
            segs += [
                "RGS|1",
                "AIS|1||SCOPE1^Porada",
                "AIL|1||KOM1^Gabinet 1",
                "AIP|1||1234567^Lekarz^Anna",
            ]
    elif mtype == "SRM":
        segs.append(f"ARQ|{placer}|{appt}||||||||||{start}")
        segs.append(pid or f"PID|1||{PESEL}^^^^NI||{last}^{first}")
    return segs + list(extra)


def dump(
    *messages: list[str], sep: str = "\r", frame: str = "bare", encoding: str = "utf-8"
) -> bytes:
    texts = [sep.join(m) + sep for m in messages]
    if frame == "mllp":
        return b"".join(b"\x0b" + t.encode(encoding) + b"\x1c\r" for t in texts)
    return "".join(texts).encode(encoding)


def read(tmp_path: Path, data: bytes, **kw: object) -> SourceTable:
    path = tmp_path / "dump.hl7"
    path.write_bytes(data)
    table = read_hl7(path, **kw)  # type: ignore[arg-type]
    check_accounting(table)
    return table


def check_accounting(table: SourceTable) -> None:
    t = table
    assert t.kind == "hl7" and t.canonical
    assert t.total_records == t.header_records + t.blank_rows + t.skipped_rows + len(t.frame)
    assert t.total_records == t.details["messages"] == t.details["msh_segments"]
    assert t.not_loaded is not None
    assert list(t.not_loaded.columns) == [
        "appointment_id",
        "reason",
        "message_index",
        "control_id",
        "event",
    ]
    assert len(t.not_loaded) <= t.skipped_rows
    assert sum(t.details["not_loaded"].values()) == len(t.not_loaded)
    for col in [*FIELD_NAMES, HL7_SOURCES, *PROVENANCE]:
        assert col in t.frame.columns
    for col in [*FIELD_NAMES, HL7_SOURCES]:
        assert all(isinstance(v, str) for v in t.frame[col])


def one(table: SourceTable) -> dict[str, object]:
    assert len(table.frame) == 1, table.not_loaded
    return table.frame.iloc[0].to_dict()


def sources(row: dict[str, object]) -> dict[str, str]:
    return dict(part.split("=", 1) for part in str(row[HL7_SOURCES]).split(";") if part)


# --- fixtures: how real senders place fields and frame dumps (tests/fixtures/hl7/README.md) ---

# file -> (loaded appointment ids, not-loaded reasons)
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "batch_fhs_bhs_crlf.hl7": (["W-1", "W-2"], []),
    "mllp_book_then_cancel.hl7": ([], ["cancelled"]),
    "s12_undeclared_cp1250.hl7": (["W-253"], []),
    "s12_v23_cp1250_pesel_in_pid2.hl7": (["W-231"], []),
    "s12_v23_start_in_sch11_1.hl7": (["PL-7001"], []),
    "s12_v251_utf8_sch2_only.hl7": (["R-45"], []),
    "s12_v25_8859_2.hl7": (["W-252"], []),
    "s12_v28_tq1_offset_three_groups.hl7": (["W-36"], []),
    "s13_v25_reschedule_only.hl7": ([], ["update-without-booking"]),
    "s14_v23_trailing_space_lf.hl7": ([], ["update-without-booking"]),
    "s15_v251_utf8_cancel_only.hl7": ([], ["update-without-booking"]),
    "s17_v25_delete_only.hl7": ([], ["update-without-booking"]),
    "s26_v25_noshow_crlf.hl7": ([], ["update-without-booking"]),
    "srm_s01_v23_lf.hl7": ([], ["request-only"]),
}


def test_every_fixture_is_listed() -> None:
    assert {p.name for p in HL7_FIXTURES.glob("*.hl7")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_reads(name: str) -> None:
    table = read_hl7(HL7_FIXTURES / name)
    check_accounting(table)
    loaded, reasons = EXPECTED[name]
    assert list(table.frame["appointment_id"]) == loaded
    assert list(table.not_loaded["reason"]) == reasons  # type: ignore[index]
    assert all(table.frame["start"] != "")


def test_fixtures_as_one_dump_fold_together(tmp_path: Path) -> None:
    names = [
        "s12_v25_8859_2.hl7",
        "s12_v23_cp1250_pesel_in_pid2.hl7",
        "s14_v23_trailing_space_lf.hl7",
    ]
    data = b"".join(b"\x0b" + (HL7_FIXTURES / n).read_bytes() + b"\x1c\r" for n in names)
    table = read(tmp_path, data)
    assert list(table.frame["patient_last_name"]) == ["Śliwińska-Ąbecka", "Łaźniewski-Ślązak"]
    assert table.details["charsets"] == {"iso8859-2": 1, "cp1250": 1, "utf-8": 1}
    assert list(table.not_loaded["message_index"]) == [3]  # type: ignore[index]


def test_fixture_field_map() -> None:
    row = one(read_hl7(HL7_FIXTURES / "s12_v28_tq1_offset_three_groups.hl7"))
    assert row["appointment_id"] == "W-36" and row["start"] == "2027-03-15 09:30:00+02:15"
    assert row["duration_minutes"] == "50" and row["scope_code"] == "89.00"
    assert row["schedule_id"] == "055" and row["practitioner_npwz"] == "5425740"
    assert row["patient_last_name"] == "Zielińska" and row["patient_birth_date"] == "1988-08-18"
    assert row["patient_pesel"] == "02211307589" and row["patient_email"] == "ewa.z@example.pl"
    src = sources(row)
    assert src["start"] == "TQ1-7 (≠SCH-11.4)" and src["patient_last_name"] == "PID-5[2]"
    assert src["scope_code"] == "AIS-3.1 (1/3)" and src["duration_minutes"] == "TQ1-8"
    v23 = one(read_hl7(HL7_FIXTURES / "s12_v23_start_in_sch11_1.hl7"))
    assert v23["start"] == "2027-03-15 14:00" and sources(v23)["start"] == "SCH-11.1"
    kamsoft = one(read_hl7(HL7_FIXTURES / "s12_v23_cp1250_pesel_in_pid2.hl7"))
    assert sources(kamsoft)["patient_pesel"] == "PID-2"
    assert kamsoft["patient_first_name"] == "Źdźisław"
    undeclared = read_hl7(HL7_FIXTURES / "s12_undeclared_cp1250.hl7")
    assert one(undeclared)["patient_last_name"] == "Śliwińska" and len(undeclared.warnings) == 1


# --- framing and separators -----------------------------------------------------------------


@pytest.mark.parametrize("sep", ["\r", "\n", "\r\n"])
@pytest.mark.parametrize("frame", ["bare", "mllp"])
def test_framing_and_separators(tmp_path: Path, sep: str, frame: str) -> None:
    data = dump(siu(ctrl="C1", appt="A1"), siu(ctrl="C2", appt="A2"), sep=sep, frame=frame)
    table = read(tmp_path, b"\xef\xbb\xbf" + data)
    assert list(table.frame["appointment_id"]) == ["A1", "A2"]
    assert list(table.frame["_source_row"]) == [1, 2]
    assert table.frame["patient_phone"].iloc[1] == "600100200"
    assert not table.warnings


def batch(messages: list[list[str]], count: int | None = None, batches: int = 1) -> bytes:
    body = [
        ["FHS|^~\\&|APP"],
        ["BHS|^~\\&|APP"],
        *messages,
        [f"BTS|{len(messages) if count is None else count}"],
    ]
    return dump(*body, ["FTS|" + str(batches)])


def test_batch_counts_right(tmp_path: Path) -> None:
    table = read(tmp_path, batch([siu(ctrl="C1", appt="A1"), siu(ctrl="C2", appt="A2")]))
    assert len(table.frame) == 2 and table.details["batches"] == 1 and not table.warnings


def test_batch_counts_wrong_is_a_warning(tmp_path: Path) -> None:
    table = read(tmp_path, batch([siu(ctrl="C1"), siu(ctrl="C2", appt="A2")], count=3, batches=2))
    assert len(table.frame) == 2
    assert any("BTS-1" in w.text() and "3" in w.text() for w in table.warnings)
    assert any("FTS-1" in w.text() for w in table.warnings)


def test_junk_between_messages_and_custom_delimiters(tmp_path: Path) -> None:
    custom = "\r".join(siu(ctrl="C2", appt="A2")).translate(str.maketrans("|^~\\&", "#$*!%"))
    data = b"garbage line\r" + dump(siu()) + custom.encode() + b"\r"
    table = read(tmp_path, data)
    assert list(table.frame["appointment_id"]) == ["A1", "A2"]
    assert table.frame["scope_code"].iloc[1] == "SCOPE1"
    assert any("bajtu 0" in w.text() for w in table.warnings)


def test_not_hl7_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read(tmp_path, b"id;pesel\n1;44051401359\n")
    with pytest.raises(InputError):
        read(tmp_path, b"")
    with pytest.raises(InputError):
        read_hl7(tmp_path / "nope.hl7")


segment_text = st.text(st.sampled_from("abcXYZ019 .,-łóŚź"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    notes=st.lists(st.lists(segment_text, min_size=0, max_size=3), min_size=1, max_size=8),
    sep=st.sampled_from(["\r", "\n", "\r\n"]),
    frame=st.sampled_from(["bare", "mllp", "batch"]),
)
def test_split_and_rejoin_keeps_every_message(notes: list[list[str]], sep: str, frame: str) -> None:
    messages = [
        siu(ctrl=f"C{i}", appt=f"A{i}", extra=tuple(f"NTE|{k}||{t}" for k, t in enumerate(ns)))
        for i, ns in enumerate(notes)
    ]
    if frame == "batch":
        data = dump(["BHS|^~\\&"], *messages, [f"BTS|{len(messages)}"], sep=sep)
    else:
        data = dump(*messages, sep=sep, frame=frame)
    got = split_dump(deframe(data))
    assert not got.warnings
    assert [Message(m.decode()).segments for m in got.messages] == messages
    rejoined = dump(*[Message(m.decode()).segments for m in got.messages], sep=sep)
    assert (
        split_dump(deframe(rejoined)).messages
        == split_dump(deframe(dump(*messages, sep=sep))).messages
    )


# --- character sets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [
        ("UNICODE UTF-8", "utf-8"),
        ("UTF-8", "utf-8"),
        ("8859/2", "iso8859-2"),
        ("CP1250", "cp1250"),
        ("WINDOWS-1250", "cp1250"),
    ],
)
def test_declared_charsets(tmp_path: Path, declared: str, encoding: str) -> None:
    data = dump(siu(charset=declared, last=POLISH_LAST, first=POLISH_FIRST), encoding=encoding)
    table = read(tmp_path, data)
    row = one(table)
    assert (row["patient_last_name"], row["patient_first_name"]) == (POLISH_LAST, POLISH_FIRST)
    assert not table.warnings


@pytest.mark.parametrize(
    ("declared", "encoding", "used"),
    [
        ("8859/2", "cp1250", "cp1250"),
        ("CP1250", "iso8859-2", "iso8859-2"),
        ("", "cp1250", "cp1250"),
        ("8859/1", "cp1250", "cp1250"),
        ("8859/2", "utf-8", "utf-8"),
    ],
)
def test_mislabelled_charset_is_fixed_with_a_warning(
    tmp_path: Path, declared: str, encoding: str, used: str
) -> None:
    data = dump(siu(charset=declared, last=POLISH_LAST, first=POLISH_FIRST), encoding=encoding)
    table = read(tmp_path, data)
    assert one(table)["patient_last_name"] == POLISH_LAST
    assert table.details["charsets"] == {used: 1}
    assert len(table.warnings) == 1 and used in table.warnings[0].text()


def test_charset_argument_overrides_and_messages_decode_separately(tmp_path: Path) -> None:
    data = dump(siu(charset="UTF-8", last=POLISH_LAST), encoding="cp1250")
    assert one(read(tmp_path, data, charset="cp1250"))["patient_last_name"] == POLISH_LAST
    mixed = dump(siu(charset="CP1250", last=POLISH_LAST), encoding="cp1250") + dump(
        siu(ctrl="C2", appt="A2", charset="8859/2", last=POLISH_LAST), encoding="iso8859-2"
    )
    table = read(tmp_path, mixed)
    assert list(table.frame["patient_last_name"]) == [POLISH_LAST, POLISH_LAST]
    assert table.details["charsets"] == {"cp1250": 1, "iso8859-2": 1}
    with pytest.raises(ConfigError):
        read(tmp_path, mixed, charset="no-such-charset")


def test_decode_prefers_declared_when_text_is_ascii() -> None:
    assert decode(b"MSH|^~\\&|A", "8859/2", None) == ("MSH|^~\\&|A", "iso8859-2", "")


# --- escapes and nulls ---------------------------------------------------------------------------


def test_unescape() -> None:
    d = Delims()
    assert unescape(r"a\F\b\S\c\T\d\R\e\E\f", d) == "a|b^c&d~e\\f"
    assert unescape(r"\XC582\ódź", d) == "łódź"
    assert unescape("\\XB3\\", d, "cp1250") == "ł"
    assert (
        unescape(r"line\.br\next\H\bold\N\ \E\R\ \unknown\ tail\\", d)
        == "line\nnextbold \\R\\ \\unknown\\ tail\\\\"
    )
    assert unescape("open \\X41", d) == "open \\X41"


def test_escapes_in_a_message(tmp_path: Path) -> None:
    nte = r"NTE|1||Gabinet \T\ Sala\F\2\.br\\XC582\azienka"
    segs = siu(last=r"O\S\Brien\E\x")
    segs.insert(3, nte)
    row = one(read(tmp_path, dump(segs)))
    assert row["notes"] == "Gabinet & Sala|2\nłazienka"
    assert row["patient_last_name"] == "O^Brien\\x"
    cp = dump(siu(charset="CP1250", last=r"\XA3\\XB9\ka"), encoding="cp1250")
    assert one(read(tmp_path, cp))["patient_last_name"] == "Łąka"


def test_explicit_null_clears_and_empty_keeps(tmp_path: Path) -> None:
    pid = f"PID|1||{PESEL}^^^^NI||Nowak^Ewa||19800101|F|||||{{}}"
    data = dump(
        siu(pid=pid.format("600100200^PRN^CP")),
        siu("S14", "C2", pid=pid.format("")),
        siu("S14", "C3", appt="A1", pid=None, phone="600100200^PRN^CP"),
    )
    row = one(read(tmp_path, data))
    assert row["patient_phone"] == "600100200" and sources(row)["patient_phone"] == "PID-13[1]"
    data = dump(siu(pid=pid.format("600100200^PRN^CP")), siu("S14", "C2", pid=pid.format('""')))
    row = one(read(tmp_path, data))
    assert row["patient_phone"] == "" and sources(row)["patient_phone"] == "PID-13:null"
    data = dump(siu(pid=pid.format("600100200^PRN^CP")), siu("S14", "C2", pid=pid.format("")))
    row = one(read(tmp_path, data))
    assert row["patient_phone"] == "600100200" and sources(row)["patient_phone"] == "PID-13[1]@1"


# --- event fold --------------------------------------------------------------------------------


def test_reschedule_moves_the_start(tmp_path: Path) -> None:
    table = read(tmp_path, dump(siu(), siu("S13", "C2", start="202501161100")))
    row = one(table)
    assert row["start"] == "2025-01-16 11:00" and row["_source_row"] == 2
    assert row["_source_ref"] == "MSH-10 C2 / SCH-2 A1"
    assert table.skipped_rows == 1 and table.not_loaded.empty  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("trigger", "reason"),
    [("S15", "cancelled"), ("S16", "discontinued"), ("S17", "deleted"), ("S26", "no-show")],
)
def test_final_state_decides(tmp_path: Path, trigger: str, reason: str) -> None:
    table = read(tmp_path, dump(siu(), siu("S14", "C2"), siu(trigger, "C3")))
    assert table.frame.empty and table.skipped_rows == 3
    assert table.not_loaded.to_dict("records") == [  # type: ignore[union-attr]
        {
            "appointment_id": "A1",
            "reason": reason,
            "message_index": 3,
            "control_id": "C3",
            "event": f"SIU^{trigger}",
        }
    ]


def test_cancel_then_rebook_starts_clean(tmp_path: Path) -> None:
    data = dump(siu(), siu("S15", "C2"), siu("S12", "C3", phone="", start="202502011000"))
    row = one(read(tmp_path, data))
    assert (
        row["start"] == "2025-02-01 10:00"
        and row["patient_phone"] == ""
        and row["_source_row"] == 3
    )


def test_fields_merge_across_cancel_reactivation_and_interleaving(tmp_path: Path) -> None:
    # field maps are extracted after the fold, only for loaded appointments: the merge must
    # still follow file order, per appointment, with provenance pointing at the right message
    no_name = f"PID|1||{PESEL}^^^^NI||||19800101|M"
    data = dump(
        siu(),
        siu(ctrl="C2", appt="A2", last="Nowak"),
        siu("S14", "C3", pid=f'PID|1||{PESEL}^^^^NI||Kowalski^Jan||19800101|M|||||""'),
        siu("S15", "C4", pid=no_name),
        siu("S13", "C5", start="202501201200", pid=no_name),
        siu("S04", "R6", start="202503030900", mtype="SRM"),
    )
    table = read(tmp_path, data)
    assert list(table.frame["appointment_id"]) == ["A1", "A2"] and table.skipped_rows == 4
    a1, a2 = (table.frame.iloc[k].to_dict() for k in (0, 1))
    assert a1["_source_row"] == 5 and a1["start"] == "2025-01-20 12:00"
    assert a1["patient_phone"] == "" and sources(a1)["patient_phone"] == "PID-13:null@3"
    assert a1["patient_last_name"] == "Kowalski" and sources(a1)["patient_last_name"] == "PID-5@3"
    assert sources(a1)["start"] == "TQ1-7" and sources(a1)["patient_birth_date"] == "PID-7.1"
    assert a2["_source_row"] == 2 and a2["patient_last_name"] == "Nowak"


def test_duplicate_delivery_counts_once(tmp_path: Path) -> None:
    table = read(tmp_path, dump(siu(), siu(), siu("S15", "C2"), siu("S15", "C2")))
    assert table.details["duplicates"] == 2 and table.details["appointments"] == 1
    assert list(table.not_loaded["reason"]) == ["cancelled"]  # type: ignore[index]
    assert not table.warnings
    # the same MSH-10 with other content is a different message (counters reset): processed
    changed = read(tmp_path, dump(siu(), siu(start="202503030900")))
    assert one(changed)["start"] == "2025-03-03 09:00" and changed.details["duplicates"] == 0
    assert changed.details["reused_control_ids"] == 1
    assert [w.code for w in changed.warnings] == ["hl7-control-id-reused"]
    assert "MSH-10" in changed.warnings[0].text() and "MSH-10" in changed.warnings[0].text("en")


def test_reused_control_id_of_another_appointment_is_loaded_not_only_warned(
    tmp_path: Path,
) -> None:
    data = dump(siu(ctrl="1", appt="A1"), siu(ctrl="1", appt="A2"), siu(ctrl="1", appt="A2"))
    table = read(tmp_path, data)
    assert list(table.frame["appointment_id"]) == ["A1", "A2"]
    assert table.details["duplicates"] == 1 and table.details["reused_control_ids"] == 1
    assert table.skipped_rows == 1 and table.not_loaded.empty  # type: ignore[union-attr]


def test_updates_for_never_booked_ids(tmp_path: Path) -> None:
    table = read(
        tmp_path, dump(siu("S14", "C1", "X1"), siu("S15", "C2", "X2"), siu(ctrl="C3", appt="A3"))
    )
    assert list(table.frame["appointment_id"]) == ["A3"]
    got = table.not_loaded[["appointment_id", "reason"]].values.tolist()  # type: ignore[index]
    assert got == [["X1", "update-without-booking"], ["X2", "update-without-booking"]]


def test_file_order_decides_and_msh7_regressions_are_counted(tmp_path: Path) -> None:
    data = dump(siu("S15", "C1", when="20250102120000"), siu("S12", "C2", when="20250101120000"))
    table = read(tmp_path, data)
    assert one(table)["_source_row"] == 2 and table.details["out_of_order"] == 1
    assert any("MSH-7" in w.text() for w in table.warnings)


def test_srm_is_a_request(tmp_path: Path) -> None:
    only = read(tmp_path, dump(siu("S01", "R1", "A1", mtype="SRM")))
    assert only.frame.empty and list(only.not_loaded["reason"]) == ["request-only"]  # type: ignore[index]
    booked = read(
        tmp_path, dump(siu("S01", "R1", mtype="SRM"), siu(), siu("S04", "R2", mtype="SRM"))
    )
    row = one(booked)
    assert row["_source_row"] == 2 and row["scope_code"] == "SCOPE1" and booked.skipped_rows == 2


def test_placer_id_links_only_while_no_filler_id(tmp_path: Path) -> None:
    table = read(tmp_path, dump(siu(appt="", placer="P1"), siu("S15", "C2", appt="", placer="P1")))
    assert table.frame.empty and list(table.not_loaded["reason"]) == ["cancelled"]  # type: ignore[index]
    reused = read(tmp_path, dump(siu(appt="F1", placer="1"), siu(ctrl="C2", appt="F2", placer="1")))
    assert list(reused.frame["appointment_id"]) == ["F1", "F2"]


def test_other_and_unparseable_messages(tmp_path: Path) -> None:
    adt = siu("A04", "C2", mtype="ADT")
    broken = ["MSH|^~\\&|APP|FAC||||||C3"]
    table = read(tmp_path, dump(siu(), adt, ["MSH|^~\\&|ACK"], broken, siu("S99", "C5")))
    assert len(table.frame) == 1 and table.skipped_rows == 4
    got = table.not_loaded[["reason", "message_index", "event"]].values.tolist()  # type: ignore[index]
    assert got == [
        ["not-scheduling", 2, "ADT^A04"],
        ["unparseable", 3, ""],
        ["unparseable", 4, ""],
        ["not-scheduling", 5, "SIU^S99"],
    ]


# --- field map -----------------------------------------------------------------------------------


def test_start_fallbacks_and_offsets(tmp_path: Path) -> None:
    row = one(read(tmp_path, dump(siu(tq1=False, start="20250115103045"))))
    assert row["start"] == "2025-01-15 10:30:45" and sources(row)["start"] == "SCH-11.4"
    row = one(read(tmp_path, dump(siu(start="202501151030+0100"))))
    assert row["start"] == "2025-01-15 10:30+01:00" and sources(row)["start"] == "TQ1-7"
    segs = siu(tq1=False, start="")
    segs[segs.index("AIS|1||SCOPE1^Porada")] = "AIS|1||SCOPE1^Porada|202501170800|||45|min"
    row = one(read(tmp_path, dump(segs)))
    assert (row["start"], sources(row)["start"]) == ("2025-01-17 08:00", "AIS-4")
    assert (row["duration_minutes"], sources(row)["duration_minutes"]) == ("20", "SCH-9+SCH-10")
    segs = siu(start="202501151030")
    segs[segs.index("AIS|1||SCOPE1^Porada")] = "AIS|1||SCOPE1^Porada|202501170800"
    assert sources(one(read(tmp_path, dump(segs))))["start"] == "TQ1-7 (≠AIS-4)"


def test_duration_sources(tmp_path: Path) -> None:
    segs = siu()
    segs[2] = "TQ1|||||||202501151030|202501151115"
    row = one(read(tmp_path, dump(segs)))
    assert (row["duration_minutes"], sources(row)["duration_minutes"]) == ("45", "TQ1-8")
    segs = siu()
    segs[1] = "SCH||A1||||||||min|^^M30^202501151030"
    assert one(read(tmp_path, dump(segs)))["duration_minutes"] == "30"


@pytest.mark.parametrize(
    ("pid", "pesel", "source"),
    [
        (f"PID|1||MR7^^^^MR~{PESEL}^^^^NI", PESEL, "PID-3[2]"),
        (f"PID|1||{PESEL}^^^^NNPOL", PESEL, "PID-3[1]"),
        (f"PID|1||{PESEL}^^^&2.16.840.1.113883.3.4424.1.1.616&ISO", PESEL, "PID-3[1]"),
        (f"PID|1|{PESEL}^^^^PESEL|17741", PESEL, "PID-2"),
        (f"PID|1|{PESEL}|2121", PESEL, "PID-2"),
        ("PID|1|123456789|2121" + "|" * 16 + PESEL, PESEL, "PID-19"),
        ("PID|1|123456789|MR7^^^^MR", "", ""),
        (f"PID|1||MR7^^^^MR~{PESEL}", PESEL, "PID-3[2] (checksum)"),
    ],
)
def test_pesel_sources(tmp_path: Path, pid: str, pesel: str, source: str) -> None:
    row = one(read(tmp_path, dump(siu(pid=pid))))
    assert row["patient_pesel"] == pesel
    assert sources(row).get("patient_pesel", "") == source


def test_patient_fields(tmp_path: Path) -> None:
    pid = (
        "PID|1||MR7^^^^MR~X123^^^DEU^PPN||Alias^Ali^^^^^A~Nowak&&&&Kowalska^Ewa^^^^^L||198808181126+0215|f"
        "|||||111^PRN^PH~222^PRN^CP~^NET^Internet^ewa@example.pl"
    )
    row = one(read(tmp_path, dump(siu(pid=pid))))
    assert (row["patient_last_name"], row["patient_first_name"]) == ("Nowak", "Ewa")
    assert row["patient_birth_date"] == "1988-08-18" and row["patient_sex"] == "F"
    assert (row["patient_phone"], row["patient_email"]) == ("222", "ewa@example.pl")
    assert (row["patient_document_type"], row["patient_document_number"]) == ("passport", "X123")
    assert row["patient_document_country"] == "DEU"
    src = sources(row)
    assert src["patient_last_name"] == "PID-5[2]" and src["patient_phone"] == "PID-13[2]"
    pid40 = "PID|1||MR7^^^^MR||Nowak^Ewa||19800101|K" + "|" * 32 + "^PRN^CP^^48^600^100200"
    row = one(read(tmp_path, dump(siu(pid=pid40))))
    assert (row["patient_sex"], row["patient_phone"]) == ("K", "+48 600 100200")
    assert sources(row)["patient_phone"] == "PID-40[1]"


def test_resource_fields_and_custom_paths(tmp_path: Path) -> None:
    extra = ("ZSK|1003189418826438454336384160240232430223810|X",)
    data = dump(siu(extra=extra))
    row = one(read(tmp_path, data))
    # AIP-3 holds an untyped staff id: no NPWZ (tests/test_hl7_fields.py)
    assert (row["scope_code"], row["schedule_id"], row["practitioner_npwz"]) == (
        "SCOPE1",
        "KOM1",
        "",
    )
    assert row["medical_category"] == "" and row["referral_key"] == ""
    paths = {"medical_category": "SCH-7.1", "referral_key": "ZSK-1", "schedule_id": "AIL-3.2"}
    row = one(read(tmp_path, data, field_paths=paths))
    assert row["medical_category"] == "PILNY" and row["referral_key"].startswith("10031894")
    assert row["schedule_id"] == "Gabinet 1"
    src = sources(row)
    assert src["referral_key"] == "ZSK-1" and src["medical_category"] == "SCH-7.1"
    with pytest.raises(ConfigError):
        read(tmp_path, data, field_paths={"referral_key": "ZSK"})
    with pytest.raises(ConfigError):
        read(tmp_path, data, field_paths={"no_such_field": "ZSK-1"})
