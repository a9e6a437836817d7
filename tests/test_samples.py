"""Generated sample exports: reproducible with a seed, valid where they should be, and a run
over each format balances with the rejected share close to the defect share asked for."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from stdnum.pl import pesel as std_pesel

from cer_loader.cli import cli
from cer_loader.pipeline import run
from cer_loader.samples import DEFECTS, generate
from cer_loader.samples.writers import write_sample
from cer_loader.settings import load_settings


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = write_sample(tmp_path / "a.csv", "csv", 500, 0.05, seed=7)
    b = write_sample(tmp_path / "b.csv", "csv", 500, 0.05, seed=7)
    c = write_sample(tmp_path / "c.csv", "csv", 500, 0.05, seed=8)
    assert digest(a.data) == digest(b.data) != digest(c.data)
    assert a.mapping == tmp_path / "a.mapping.toml" and a.config.is_file()


def test_clean_rows_hold_valid_pesels_and_each_defect_occurs() -> None:
    cols = pa.table(generate(3000, seed=2, defects=0.2)).to_pydict()
    clean = [p for p, d in zip(cols["patient_pesel"], cols["defect"], strict=True) if not d]
    assert all(std_pesel.is_valid(p) for p in clean)
    assert set(cols["defect"]) == {"", *DEFECTS}
    assert "ł" in "".join(cols["patient_last_name"] + cols["patient_first_name"]).lower()


def test_csv_is_cp1250_with_the_vendor_headers(tmp_path: Path) -> None:
    w = write_sample(tmp_path / "w.csv", "csv", 50, 0.0)
    head = w.data.read_bytes().split(b"\r\n")[0]
    assert head.decode("cp1250").startswith("Nr wizyty;Data wizyty;Godz.;")
    assert "Kod świadczenia".encode("cp1250") in head


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "hl7"])
def test_a_run_over_a_sample_balances_and_rejects_the_defect_share(
    fmt: str, tmp_path: Path
) -> None:
    rows, share = 1500, 0.04
    w = write_sample(tmp_path / f"w.{fmt}", fmt, rows, share, seed=5)
    result = run([w.data], load_settings(w.config, {}), mapping_path=w.mapping,
                 out_dir=tmp_path / "out")  # fmt: skip
    s = result.summary
    assert s["input_rows"] == rows and s["balance_holds"]
    assert s["rejected"] == w.defective  # each defective row is rejected, and only those
    assert abs(w.defective / rows - share) < 0.015
    assert s["accepted"] == rows - w.defective


def test_cli_sample_writes_the_file_and_says_how_to_run_it(tmp_path: Path) -> None:
    out = tmp_path / "x.hl7"
    res = CliRunner().invoke(cli, ["sample", "--rows", "20", "--format", "hl7", "--out", str(out),
                                   "--lang", "en"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert out.read_bytes().startswith(b"MSH|^~\\&|") and "cer-loader run" in res.output
    bad = CliRunner().invoke(cli, ["sample", "--rows", "0", "--out", str(out)])
    assert bad.exit_code == 2


def test_hl7_sample_sends_practitioners_as_typed_npwz_and_dtm_request_dates(
    tmp_path: Path,
) -> None:
    """AIP-3 carries an NPWZ typed and OID'd as one (a bare local id gives no practitioner),
    ZSK-4 a DTM date: the HL7 sample reads to the same practitioners and request dates as the
    CSV sample of the same seed."""
    from cer_loader.ingest import read_source
    from cer_loader.mapping import load_mapping

    h = write_sample(tmp_path / "h" / "w.hl7", "hl7", 300, 0.05, seed=3)
    c = write_sample(tmp_path / "c" / "w.csv", "csv", 300, 0.05, seed=3)
    assert b"^^^^NPWZ" in h.data.read_bytes() and b"|2026-" not in h.data.read_bytes()
    hl7 = read_source(h.data, load_mapping(h.mapping).reader_options()).frame
    csv = read_source(c.data, load_mapping(c.mapping).reader_options()).frame
    assert hl7["practitioner_npwz"].tolist() == csv["NPWZ lekarza"].tolist()
    assert all(hl7["practitioner_npwz"])  # every generated row names its practitioner
    iso = [f"{d[6:]}-{d[3:5]}-{d[:2]}" if d else "" for d in csv["Data zgłoszenia"]]
    assert hl7["request_date"].tolist() == iso
    assert all(s.count("AIP-3 (#1, NPWZ)") == 1 for s in hl7["_hl7_sources"])


def test_one_name_in_two_formats_keeps_the_first_mapping(tmp_path: Path) -> None:
    """``wizyty.csv`` then ``wizyty.hl7``: the second would replace the CSV's mapping under it;
    it is refused before anything is written, and the same format again just regenerates."""
    first = write_sample(tmp_path / "wizyty.csv", "csv", 20)
    kept = first.mapping.read_bytes()
    res = CliRunner().invoke(
        cli, ["sample", "--rows", "20", "--format", "hl7", "--out", str(tmp_path / "wizyty.hl7")]
    )
    assert res.exit_code == 2
    assert "wizyty.mapping.toml już istnieje i różni się" in res.output
    assert first.mapping.read_bytes() == kept and not (tmp_path / "wizyty.hl7").exists()
    assert write_sample(tmp_path / "wizyty.csv", "csv", 30).mapping.read_bytes() == kept
