"""summary.json: the balance with its terms named, HL7 counts apart, errors and warnings split once."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cer_loader.cli import cli

from conftest import SAMPLE


def test_hl7_summary_names_records_and_appointments_apart(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["run", str(SAMPLE / "siu_dump.hl7"), "--mapping",
                                 str(SAMPLE / "mapping_hl7.toml"), "--config",
                                 str(SAMPLE / "cer-loader.toml"), "--out", str(tmp_path)])  # fmt: skip
    assert r.exit_code == 1, r.output
    s = json.loads((tmp_path / "summary.json").read_text())
    b, h = s["balance"], s["hl7"]
    assert b["skipped"] == b["not_loaded"] == h["skipped_messages"]
    assert (
        b["physical_records"]
        == b["header"] + b["blank"] + b["accepted"] + b["rejected"] + b["skipped"]
    )
    assert h["appointments_not_loaded"] == sum(h["appointments_not_loaded_by_reason"].values())
    assert h["appointments_not_loaded"] != b["skipped"]  # two different things, two names
    assert s["files"][0]["balance"]["equation"].endswith("+ skipped")
    assert s["rejected"] + s["accepted"] == s["input_rows"]
    assert sum(s["rejections_by_rule"].values()) >= 1 and "warnings_by_rule" in s
