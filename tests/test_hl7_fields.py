"""The HL7 field map where senders differ: practitioners (NPWZ), dates from mapped paths, OIDs.

* AIP-3 / PV1-7 carry local staff ids (``PKHO``, ``4411``): an NPWZ is taken only from an
  identifier typed (XCN.13 ``NPWZ``), issued by such an authority (XCN.9) or under the NPWZ OID,
  or from a mapped path (issue 12).
* HL7 DTM in any mapped date field, Z-segments included, arrives as an ISO date (issue 12).
* The PESEL and NPWZ OIDs come from identifiers.toml, handed to the reader as options (issue 8).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_hl7 import PESEL, dump, one, read, siu, sources

from cer_loader.cli import cli
from cer_loader.ingest import read_source
from cer_loader.ingest.hl7v2.timing import dtm_date, dtm_time
from cer_loader.ingest.options import ReaderOptions

NPWZ_OID = "2.16.840.1.113883.3.4424.1.6.2"  # as schemas/identifiers.toml ships it


def with_aip(aip: str, pv1: str = "") -> list[str]:
    segs = siu()
    segs[segs.index("AIP|1||1234567^Lekarz^Anna")] = aip
    if pv1:
        segs.insert(3, pv1)
    return segs


@pytest.mark.parametrize(
    ("aip", "pv1", "npwz", "source"),
    [
        ("AIP|1||PKHO^KOWALSKA|50", "", "", ""),
        ("AIP|1||5425740^Nowak^Jan", "PV1|1|O|||||4411^LEKARZ^ADAM", "", ""),
        (f"AIP|1||5425740^Nowak^Jan^^^^^^&{NPWZ_OID}&ISO", "", "5425740", "AIP-3 (#1, NPWZ)"),
        ("AIP|1||5425740^Nowak^Jan^^^^^^^^^^NPWZ", "", "5425740", "AIP-3 (#1, NPWZ)"),
        ("AIP|1||5425740^Nowak^Jan^^^^^^NIL", "", "5425740", "AIP-3 (#1, NPWZ)"),
        ("AIP|1||PKHO^X~5425740^Nowak^^^^^^^^^^^PWZ", "", "5425740", "AIP-3 (#1, NPWZ)"),
        ("AIP|1||PKHO^X", "PV1|1|O|||||5425740^Nowak^^^^^^^^^^^NPWZ", "5425740", "PV1-7 (NPWZ)"),
        # the type written with an HL7 hex escape (\X4E50575A\ = "NPWZ"): found after unescaping
        ("AIP|1||5425740^Nowak^^^^^^^^^^^\\X4E50575A\\", "", "5425740", "AIP-3 (#1, NPWZ)"),
    ],
)
def test_npwz_only_from_an_identifier_typed_as_one(
    tmp_path: Path, aip: str, pv1: str, npwz: str, source: str
) -> None:
    row = one(read(tmp_path, dump(with_aip(aip, pv1))))
    assert row["practitioner_npwz"] == npwz
    assert sources(row).get("practitioner_npwz", "") == source


def test_mapped_path_takes_any_practitioner_id(tmp_path: Path) -> None:
    data = dump(with_aip("AIP|1||5425740^Nowak^Jan"))
    row = one(read(tmp_path, data, field_paths={"practitioner_npwz": "AIP-3.1"}))
    assert row["practitioner_npwz"] == "5425740"
    assert sources(row)["practitioner_npwz"] == "AIP-3.1"


def test_local_staff_ids_do_not_warn_npwz_checksum(tmp_path: Path) -> None:
    path = tmp_path / "d.hl7"
    path.write_bytes(dump(with_aip("AIP|1||PKHO^KOWALSKA"), siu(ctrl="C2", appt="A2")))
    out = tmp_path / "out"
    CliRunner().invoke(cli, ["validate", str(path), "--mus", "000000927722-001",
                             "--as-of", "2024-12-01", "--out", str(out)])  # fmt: skip
    s = json.loads((out / "summary.json").read_text())
    assert s["input_rows"] == 2 and not [r for r in s["warnings_by_rule"] if "npwz" in r]
    # the same staff ids, mapped on purpose, are checked as NPWZ numbers (and fail)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[hl7]\npractitioner_npwz = "AIP-3.1"\n')
    CliRunner().invoke(cli, ["validate", str(path), "--mapping", str(mapping), "--mus",
                             "000000927722-001", "--as-of", "2024-12-01", "--out", str(out)])  # fmt: skip
    s = json.loads((out / "summary.json").read_text())
    assert [r for r in {**s["warnings_by_rule"], **s["rejections_by_rule"]} if "npwz" in r]


@pytest.mark.parametrize(
    ("text", "date", "time"),
    [
        ("20261020", "2026-10-20", None),
        ("202610201030", "2026-10-20", "10:30"),
        ("20261020103045.123+0100", "2026-10-20", "10:30"),
        ("1030", None, "10:30"),
        ("103000-0500", None, "10:30"),
        ("2026-10-20", None, None),
        ("20261020xx", None, None),
        ("2026", None, "20:26"),  # a TM: four digits are an hour and minutes
        ("٢٠٢٦١٠٢٠", None, None),
    ],
)
def test_dtm_parts(text: str, date: str | None, time: str | None) -> None:
    assert dtm_date(text) == date
    assert dtm_time(text) == time


def test_dtm_in_mapped_date_fields_z_segments_included(tmp_path: Path) -> None:
    extra = ("ZSK|20261020|198001021130+0100|20270115|0930|2026-10-21",)
    paths = {"request_date": "ZSK-1", "patient_birth_date": "ZSK-2", "start_date": "ZSK-3",
             "start_time": "ZSK-4", "notes": "ZSK-5"}  # fmt: skip
    row = one(read(tmp_path, dump(siu(extra=extra)), field_paths=paths))
    assert row["request_date"] == "2026-10-20" and row["patient_birth_date"] == "1980-01-02"
    assert (row["start_date"], row["start_time"]) == ("2027-01-15", "09:30")
    assert row["notes"] == "2026-10-21"  # not a date field: as sent
    other = one(read(tmp_path, dump(siu(extra=("ZSK|20.10.2026",))), field_paths=paths))
    assert other["request_date"] == "20.10.2026"  # no DTM: as sent, the normalizer decides


def test_request_date_from_a_z_segment_is_read_by_the_run(tmp_path: Path) -> None:
    path = tmp_path / "d.hl7"
    path.write_bytes(dump(siu(extra=("ZSK|20261020",))))
    mapping = tmp_path / "m.toml"
    mapping.write_text('[hl7]\nrequest_date = "ZSK-1"\n')
    out = tmp_path / "out"
    CliRunner().invoke(cli, ["validate", str(path), "--mapping", str(mapping), "--mus",
                             "000000927722-001", "--as-of", "2024-12-01", "--out", str(out)])  # fmt: skip
    text = (out / "summary.json").read_text() + (out / "warnings.csv").read_text()
    text += (out / "rejected.csv").read_text() if (out / "rejected.csv").exists() else ""
    assert "request-date" not in text.replace("request_date", "")
    assert "nierozpoznana" not in text


def test_oids_come_from_the_options(tmp_path: Path) -> None:
    pid = f"PID|1||MR7^^^^MR~{PESEL}^^^&1.2.3.616&ISO||Nowak^Jan"
    aip = "AIP|1||5425740^Nowak^Jan^^^^^^&9.9.9&ISO"
    segs = with_aip(aip)
    segs[[k for k, s in enumerate(segs) if s.startswith("PID")][0]] = pid
    path = tmp_path / "d.hl7"
    path.write_bytes(dump(segs))
    shipped = one(read_source(path))
    assert sources(shipped)["patient_pesel"] == "PID-3[2] (checksum)"
    assert shipped["practitioner_npwz"] == ""
    site = ReaderOptions(identifier_oids={"pesel": "1.2.3.616", "npwz": "9.9.9"})
    row = one(read_source(path, site))
    assert sources(row)["patient_pesel"] == "PID-3[2]"
    assert (row["practitioner_npwz"], sources(row)["practitioner_npwz"]) == (
        "5425740",
        "AIP-3 (#1, NPWZ)",
    )
