"""The provider file: every problem found with its place, the three payloads rendered from
templates and valid against their XSDs, and a site's own contract files used instead."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from cer_loader.errors import ConfigError, RenderError
from cer_loader.golive.catalogue import load_golive
from cer_loader.golive.operations import OPERATIONS, record_key, render_operation
from cer_loader.golive.provider import check_provider, load_provider
from cer_loader.golive.run import GoLivePaths, run_provider
from cer_loader.resources import data_dir
from cer_loader.settings import Settings
from cer_loader.xmlsafe import parse_bytes

from conftest import SAMPLE

AS_OF = dt.date(2026, 12, 1)
MUS = "000000927722-001"
SCOPES = {"02.1100.001.02", "01.0034.102.01"}
GOOD = (SAMPLE / "placowka.toml").read_text(encoding="utf-8")


def problems(tmp_path: Path, text: str, **kw: object) -> list[tuple[str, str, str]]:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    golive = kw.pop("golive", load_golive())
    found = check_provider(load_provider(path), scope_codes=SCOPES, golive=golive,  # type: ignore[arg-type]
                           as_of=AS_OF, mus_id=MUS)  # fmt: skip
    return [(p.code, p.where, p.value) for p in found]


def test_the_sample_provider_file_is_clean(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'regon = "192598184"',
            'regon = "192598185"',
            ("provider-regon", "mus.regon", "192598185"),
        ),
        ('nip = "8567346215"', 'nip = "8567346216"', ("provider-nip", "mus.nip", "8567346216")),
        ('nfz_branch = "07"', 'nfz_branch = "17"', ("provider-nfz-branch", "mus.nfz_branch", "17")),
        (
            'postal_code = "00-950"',
            'postal_code = "00950"',
            ("provider-postal-code", "mus.address.postal_code", "00950"),
        ),
        (
            'id = "000000927722-001"',
            'id = "000000927722-002"',
            ("provider-mus-mismatch", "mus.id", "000000927722-002"),
        ),
        ('id = "000000927722-001"', 'id = "927722-1"', ("provider-mus-id", "mus.id", "927722-1")),
        (
            "to = 2027-01-22",
            "to = 2027-01-02",
            ("provider-period", "mobile_point[1]", "2027-01-11 – 2027-01-02"),
        ),
        (
            'practitioner_npwz = "8159083"',
            'practitioner_npwz = "8159084"',
            ("provider-npwz", "schedule[1].practitioner_npwz", "8159084"),
        ),
        (
            'mobile_point = "MB-01"',
            'mobile_point = "MB-09"',
            ("provider-mobile-point-unknown", "schedule[3].mobile_point", "MB-09"),
        ),
        ('id = "GAB-2"', 'id = "GAB-1"', ("provider-duplicate-id", "schedule[2].id", "GAB-1")),
        (
            'city = "Warszawa"',
            'miasto = "Warszawa"',
            ("provider-unknown-key", "mus.address.miasto", "miasto"),
        ),
    ],
)
def test_each_problem_names_its_place_and_value(tmp_path: Path, old: str, new: str,
                                                expected: tuple[str, str, str]) -> None:  # fmt: skip
    assert GOOD.count(old) >= 1
    found = problems(tmp_path, GOOD.replace(old, new, 1))
    assert expected in found


def test_a_scope_without_a_schedule_and_missing_mobile_points_are_found(tmp_path: Path) -> None:
    text = (
        GOOD[: GOOD.index("[[mobile_point]]")]
        + GOOD[GOOD.index("[[schedule]]") : GOOD.index('[[schedule]]\nid = "HPV')]
    )
    golive = load_golive()
    golive = type(golive)(3, 7, golive.slot_types, frozenset({"01.0034.102.01"}), golive.path)
    found = problems(tmp_path, text, golive=golive)
    assert ("provider-schedules-missing", "schedule", "01.0034.102.01") in found
    assert ("provider-mobile-points-missing", "mobile_point", "01.0034.102.01") in found


def test_clean_file_renders_three_xsd_valid_payloads(tmp_path: Path) -> None:
    done = run_provider(
        SAMPLE / "placowka.toml", Settings(mus_id=MUS, as_of=AS_OF), out_dir=tmp_path
    )
    assert done.exit_code == 0
    assert {p.operation: p.records for p in done.payload} == {
        "zapiszDaneMus": 1, "importujMobilnePunktyObslugi": 1, "zapiszHarmonogram": 3}  # fmt: skip
    ns = {"h": "urn:cer-loader:zapiszHarmonogram:draft-1"}
    doc = parse_bytes((tmp_path / "payload" / "zapiszHarmonogram_0001.xml").read_bytes())
    keys = [h.get("kluczIdempotencji") for h in doc.findall(".//h:harmonogram", ns)]
    assert keys == [
        record_key("zapiszHarmonogram", MUS, i) for i in ("GAB-1", "GAB-2", "HPV-MB-01")
    ]
    assert doc.findtext(".//h:harmonogram[3]/h:punktMobilny", namespaces=ns) == "MB-01"


def test_a_file_with_problems_renders_nothing_and_exits_one(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(GOOD.replace('regon = "192598184"', 'regon = "1"'), encoding="utf-8")
    done = run_provider(path, Settings(mus_id=MUS, as_of=AS_OF), out_dir=tmp_path / "out")
    assert done.exit_code == 1 and not done.payload and not (tmp_path / "out" / "payload").exists()
    assert "provider-regon" in (tmp_path / "out" / "rejected.csv").read_text(encoding="utf-8-sig")


def test_bad_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[mus\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        run_provider(path, Settings(mus_id=MUS, as_of=AS_OF))


def test_a_site_replaces_template_and_xsd_without_code(tmp_path: Path) -> None:
    tdir, sdir = tmp_path / "t", tmp_path / "s"
    shutil.copytree(data_dir("templates"), tdir)
    shutil.copytree(data_dir("schemas"), sdir)
    t = tdir / "zapiszHarmonogram.xml"
    t.write_text(t.read_text(encoding="utf-8").replace("<nazwa>{{ r.name }}</nazwa>",
                 "<nazwa>{{ r.name }}</nazwa><opis>x</opis>"), encoding="utf-8")  # fmt: skip
    paths = GoLivePaths(template_dir=tdir, schema_dir=sdir)
    with pytest.raises(RenderError, match="XSD"):
        run_provider(SAMPLE / "placowka.toml", Settings(mus_id=MUS, as_of=AS_OF), out_dir=tmp_path / "o",
                     paths=paths)  # fmt: skip
    x = sdir / "zapiszHarmonogram.xsd"
    x.write_text(x.read_text(encoding="utf-8").replace(
        '<xs:element name="nazwa" type="Text"/>\n                  <xs:element name="kodZakresu"',
        '<xs:element name="nazwa" type="Text"/>\n                  <xs:element name="opis" type="Text"/>\n'
        '                  <xs:element name="kodZakresu"'), encoding="utf-8")  # fmt: skip
    done = run_provider(SAMPLE / "placowka.toml", Settings(mus_id=MUS, as_of=AS_OF), out_dir=tmp_path / "o",
                        paths=paths)  # fmt: skip
    assert (
        b"<opis>x</opis>"
        in (tmp_path / "o" / "payload" / "zapiszHarmonogram_0001.xml").read_bytes()
    )
    assert done.exit_code == 0


def test_every_operation_has_a_template_and_a_schema_and_escapes_values() -> None:
    ctx = {
        "mus_id": MUS,
        "mus_oid": "2.16.840.1.113883.3.4424.2.3.3",
        "npwz_oid": "2.16.840.1.113883.3.4424.1.6.2",
    }
    for op in OPERATIONS:
        assert (data_dir("templates") / f"{op}.xml").is_file() and (
            data_dir("schemas") / f"{op}.xsd"
        ).is_file()
    rec = {"key": record_key("aktywujMus", MUS, MUS), "date": "2027-03-01", "override": "<&> test"}
    data = render_operation("aktywujMus", template_dir=data_dir("templates"), schema_dir=data_dir("schemas"),
                            ctx=ctx, records=[rec], batch={"id": "b1"})  # fmt: skip
    assert b"&lt;&amp;&gt; test" in data
