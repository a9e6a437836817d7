"""Payload rendering: XML as trees, escaping, XSD validity, batches, determinism, swapping."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.errors import ConfigError, RenderError
from cer_loader.mapping import Mapping, apply_mapping
from cer_loader.normalize import normalize
from cer_loader.render import environment, idempotency_keys, render_batches
from cer_loader.resources import data_dir
from cer_loader.xmlsafe import load_xsd, parse_bytes

from rowkit import BASE, MUS, settings, table_of

NS = {"c": "urn:cer-loader:zasilInicjalnie:draft-1"}
IDS = load_identifiers(data_dir("schemas") / "identifiers.toml")


def frame_of(rows: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    table = table_of([{**BASE, **r} for r in rows])
    return normalize(apply_mapping(table, Mapping()), IDS)


def render(rows: list[dict[str, str]], out: Path, **kw: object) -> list:  # type: ignore[type-arg]
    return render_batches(frame_of(rows), settings(**kw), IDS, out)


def test_record_tree(tmp_path: Path) -> None:
    files = render([{"notes": 'Prosi o <rano> & "cicho"'}], tmp_path)
    root = etree.parse(str(files[0].path)).getroot()
    rec = root.find("c:rezerwacje/c:rezerwacja", NS)
    assert rec is not None
    get = lambda p: rec.findtext(p, namespaces=NS)  # noqa: E731
    assert get("c:identyfikatorWizyty") == "A1"
    assert rec.find("c:termin", NS).get("poczatek") == "2027-01-12T09:30:00+01:00"
    assert rec.find("c:termin", NS).get("czasTrwaniaMin") == "20"
    assert get("c:rodzajWizyty") == "PIERWSZORAZOWA"
    assert get("c:kategoriaMedyczna") == "STABILNY"
    assert get("c:dataZgloszenia") == "2026-11-15"
    assert get("c:skierowanie/c:kluczSkierowania") == BASE["referral_key"]
    ident = rec.find("c:pacjent/c:identyfikator", NS)
    assert ident.get("root") == "2.16.840.1.113883.3.4424.1.1.616"
    assert ident.get("extension") == BASE["patient_pesel"]
    assert get("c:pacjent/c:plec") == "F" and get("c:pacjent/c:dataUrodzenia") == "1970-05-14"
    assert get("c:pacjent/c:telefon") == "+48601234567"
    assert get("c:uwagi") == 'Prosi o <rano> & "cicho"'  # escaped in the file, intact as a tree
    assert rec.get("kluczIdempotencji") == idempotency_keys(MUS, pd.Series(["A1"]))[0]
    mus = root.find("c:kontekst/c:miejsceUdzielaniaSwiadczen", NS)
    assert (mus.get("root"), mus.get("extension")) == ("2.16.840.1.113883.3.4424.2.3.3", MUS)


def test_escaping_in_raw_text(tmp_path: Path) -> None:
    files = render([{"notes": "a<b&c"}], tmp_path)
    raw = files[0].path.read_bytes()
    assert b"a&lt;b&amp;c" in raw


def test_summer_offset_and_passport(tmp_path: Path) -> None:
    passport = {
        "patient_pesel": "", "patient_document_type": "paszport", "patient_document_number": "C01X",
        "patient_document_country": "DEU", "patient_birth_date": "1980-07-14", "patient_sex": "K",
        "start_date": "12.07.2027",
    }  # fmt: skip
    files = render([passport], tmp_path)
    rec = etree.parse(str(files[0].path)).getroot().find("c:rezerwacje/c:rezerwacja", NS)
    assert rec.find("c:termin", NS).get("poczatek") == "2027-07-12T09:30:00+02:00"
    ident = rec.find("c:pacjent/c:identyfikator", NS)
    assert ident.get("root") == "2.16.840.1.113883.4.330.276"
    assert ident.get("extension") == "C01X"


def test_batches_deterministic_and_private(tmp_path: Path) -> None:
    rows = [
        {"appointment_id": f"A{i}", "start_time": f"{8 + i // 6}:{(i % 6) * 10:02d}"}
        for i in range(7)
    ]
    a = render(rows, tmp_path / "a", batch_size=3)
    b = render(rows, tmp_path / "b", batch_size=3)
    assert [p.records for p in a] == [3, 3, 1]
    assert [p.sha256 for p in a] == [p.sha256 for p in b]
    assert [p.path.read_bytes() for p in a] == [p.path.read_bytes() for p in b]
    assert all(stat.S_IMODE(p.path.stat().st_mode) == 0o600 for p in a)
    root = etree.parse(str(a[1].path)).getroot()
    assert (root.get("numerPaczki"), root.get("liczbaPaczek"), root.get("liczbaRekordow")) == (
        "2",
        "3",
        "3",
    )


def test_every_file_valid_against_xsd(tmp_path: Path) -> None:
    files = render(
        [{"appointment_id": f"A{i}", "start_time": f"1{i}:00"} for i in range(3)], tmp_path
    )
    schema = load_xsd(data_dir("schemas") / "zasilInicjalnie.xsd")
    assert schema.validate(etree.parse(str(files[0].path)))


def test_warned_values_are_left_out(tmp_path: Path) -> None:
    files = render(
        [{"patient_phone": "12-34", "patient_email": "x@", "practitioner_npwz": "7391208"}],
        tmp_path,
    )
    rec = etree.parse(str(files[0].path)).getroot().find("c:rezerwacje/c:rezerwacja", NS)
    assert rec.find("c:pacjent/c:telefon", NS) is None
    assert rec.find("c:pacjent/c:email", NS) is None
    assert rec.find("c:lekarz", NS) is None


def _copy_templates(tmp_path: Path) -> Path:
    target = tmp_path / "tpl"
    shutil.copytree(data_dir("templates"), target)
    return target


def test_xsd_failure_is_a_render_error_and_nothing_is_written(tmp_path: Path) -> None:
    tpl = _copy_templates(tmp_path)
    text = (tpl / "zasilInicjalnie.xml").read_text()
    (tpl / "zasilInicjalnie.xml").write_text(text.replace("<kodZakresu>", "<kodZakresuX>").replace(
        "</kodZakresu>", "</kodZakresuX>"))  # fmt: skip
    with pytest.raises(RenderError) as err:
        render([{}], tmp_path / "out", template_dir=tpl)
    assert "XSD" in str(err.value)
    assert not list((tmp_path / "out").glob("*.xml"))


def test_undefined_variable_is_an_error(tmp_path: Path) -> None:
    tpl = _copy_templates(tmp_path)
    text = (tpl / "zasilInicjalnie.xml").read_text()
    (tpl / "zasilInicjalnie.xml").write_text(text.replace("{{ r.scope_code }}", "{{ r.no_such }}"))
    with pytest.raises(RenderError):
        render([{}], tmp_path / "out", template_dir=tpl)


def test_missing_template_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        render([{}], tmp_path / "out", template_dir=tmp_path)


def test_autoescape_even_for_j2_names(tmp_path: Path) -> None:
    (tmp_path / "x.xml.j2").write_text("<a>{{ v }}</a>")
    (tmp_path / "y.txt").write_text("<a>{{ v }}</a>")
    env = environment(tmp_path)
    assert env.get_template("x.xml.j2").render(v="<&>") == "<a>&lt;&amp;&gt;</a>"
    assert env.get_template("y.txt").render(v="<&>") == "<a>&lt;&amp;&gt;</a>"


def test_hardened_parser_refuses_entities() -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'
    with pytest.raises(etree.XMLSyntaxError):
        parse_bytes(evil)


def test_no_duration_column_leaves_the_attribute_out(tmp_path: Path) -> None:
    files = render([{"duration_minutes": ""}], tmp_path)
    rec = etree.parse(str(files[0].path)).getroot().find("c:rezerwacje/c:rezerwacja", NS)
    assert rec.find("c:termin", NS).get("czasTrwaniaMin") is None


def test_parallel_workers_give_the_same_bytes(tmp_path: Path) -> None:
    rows = [
        {"appointment_id": f"A{i}", "start_time": f"{8 + i // 6}:{(i % 6) * 10:02d}"}
        for i in range(9)
    ]
    frame = frame_of(rows)
    serial = render_batches(frame, settings(batch_size=2), IDS, tmp_path / "s", workers=1)
    parallel = render_batches(frame, settings(batch_size=2), IDS, tmp_path / "p", workers=2)
    assert [p.path.name for p in serial] == [p.path.name for p in parallel]
    assert [p.path.read_bytes() for p in serial] == [p.path.read_bytes() for p in parallel]


def test_a_later_failing_batch_leaves_no_file_at_all(tmp_path: Path) -> None:
    tpl = _copy_templates(tmp_path)
    text = (tpl / "zasilInicjalnie.xml").read_text()
    text = text.replace("<kodZakresu>{{ r.scope_code }}</kodZakresu>",
                        '<kodZakresu>{{ "bad" if r.appointment_id == "A5" else r.scope_code }}</kodZakresu>')  # fmt: skip
    (tpl / "zasilInicjalnie.xml").write_text(text)
    rows = [{"appointment_id": f"A{i}", "start_time": f"1{i}:00"} for i in range(6)]
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        with pytest.raises(RenderError) as err:
            render_batches(
                frame_of(rows), settings(batch_size=2, template_dir=tpl), IDS, out, workers=workers
            )
        assert "paczka 3" in str(err.value)
        assert list(out.iterdir()) == []  # neither finals nor pending temporaries
