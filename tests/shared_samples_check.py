"""The public HL7 samples beside the repository (``../shared/hl7_samples``), read as they are.

Not part of the default test run (the suite stands on its own: tests/fixtures/hl7/ covers the
same ground). Run it on request, e.g. in CI where the samples are laid beside the clone::

    python -m pytest tests/shared_samples_check.py

``CER_HL7_SAMPLES`` names another folder. A missing folder fails: asked to check the samples,
the check must not pass without them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_hl7 import check_accounting, one, read, sources

from cer_loader.cli import cli
from cer_loader.ingest.hl7v2 import read_hl7

from conftest import ROOT

SAMPLES = Path(os.environ.get("CER_HL7_SAMPLES") or ROOT.parent / "shared" / "hl7_samples")
NAMES = sorted(p.name for p in SAMPLES.glob("*.hl7"))

EXPECTED = {
    "awsblog_mirth_siu_s12_v23.hl7": "",
    "fhirconv_SIU-S12-01.hl7": "",
    "fhirconv_SIU-S12-02.hl7": "",
    "fhirconv_SIU-S13-01.hl7": "update-without-booking",
    "fhirconv_SIU-S14-01.hl7": "update-without-booking",
    "fhirconv_SIU-S15-01.hl7": "update-without-booking",
    "fhirconv_SIU-S17-02.hl7": "update-without-booking",
    "fhirconv_SIU-S26-01.hl7": "update-without-booking",
    "machete_epic_srm_s01_v23_LF.hl7": "request-only",
    "nodehl7complete_corepoint_siu_s14_v23.hl7": "update-without-booking",
    "rimiti_siu_S12_v251_fr_utf8.hl7": "",
    "rimiti_siu_S15_v251_fr_utf8.hl7": "update-without-booking",
}


def test_samples_are_there() -> None:
    assert SAMPLES.is_dir(), f"no HL7 samples in {SAMPLES} (set CER_HL7_SAMPLES)"
    assert set(NAMES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_reads(name: str) -> None:
    table = read_hl7(SAMPLES / name)
    check_accounting(table)
    assert table.total_records == 1
    if EXPECTED[name]:
        assert list(table.not_loaded["reason"]) == [EXPECTED[name]]  # type: ignore[index]
    else:
        assert len(table.frame) == 1 and table.frame["start"].iloc[0] != ""


def test_samples_as_one_dump_fold_together(tmp_path: Path) -> None:
    names = ["fhirconv_SIU-S12-01.hl7", "fhirconv_SIU-S14-01.hl7", "fhirconv_SIU-S15-01.hl7"]
    data = b"".join(b"\x0b" + (SAMPLES / n).read_bytes() + b"\x1c\r" for n in names)
    table = read(tmp_path, data)
    assert table.frame.empty
    assert table.not_loaded.to_dict("records") == [  # type: ignore[union-attr]
        {
            "appointment_id": "36996",
            "reason": "cancelled",
            "message_index": 3,
            "control_id": "MSG00015",
            "event": "SIU^S15",
        }
    ]


def test_sample_field_map() -> None:
    row = one(read_hl7(SAMPLES / "fhirconv_SIU-S12-01.hl7"))
    assert row["appointment_id"] == "36996" and row["start"] == "2021-09-24 09:30:00+02:15"
    assert row["duration_minutes"] == "50" and row["scope_code"] == "76164006"
    assert row["schedule_id"] == "055"
    assert row["patient_last_name"] == "Josh" and row["patient_birth_date"] == "1988-08-18"
    src = sources(row)
    assert src["start"] == "TQ1-7 (≠SCH-11.4)" and src["patient_last_name"] == "PID-5[2]"
    aws = one(read_hl7(SAMPLES / "awsblog_mirth_siu_s12_v23.hl7"))
    assert aws["start"] == "2016-11-11 14:00" and sources(aws)["start"] == "SCH-11.1"


@pytest.mark.parametrize("sample", NAMES)
def test_sample_runs_without_crash(sample: str, tmp_path: Path) -> None:
    """Not Polish: their appointments are rejected for identity, or listed as not loaded."""
    result = CliRunner().invoke(cli, ["validate", str(SAMPLES / sample), "--mus", "000000927722-001",
                                      "--as-of", "2000-01-01", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["input_rows"] == s["accepted"] + s["rejected"]
    h = s["hl7"]
    assert h["messages"] == 1  # each sample is one message: loaded or listed, never lost
    assert h["loaded_appointments"] + h["not_loaded"] == 1
    if s["input_rows"]:
        assert s["accepted"] == 0
        assert (
            "missing-patient-identity" in s["rejections_by_rule"]
            or "pesel-checksum" in s["rejections_by_rule"]
        )
