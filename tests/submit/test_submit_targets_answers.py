"""Targets from cer-loader.toml, and the classification of answers by layer."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cer_loader.errors import ConfigError
from cer_loader.submit.contract import load_contract
from cer_loader.submit.errors import AmbiguousError, PermanentFault, TransientError
from cer_loader.submit.response import mask, parse
from cer_loader.submit.targets import load_targets

C = load_contract()
S11 = "http://schemas.xmlsoap.org/soap/envelope/"
S12 = "http://www.w3.org/2003/05/soap-envelope"


def test_targets(tmp_path: Path) -> None:
    doc = tomllib.loads(
        """
        [targets.integration]
        url = "https://isus.example/services/CeRZasilenieWS"
        ca_bundle = ["p1-root-2025.pem", "p1-root-old.pem"]
        tls_p12 = "certs/tls.p12"
        wss_p12 = "certs/wss.p12"
        soap_version = "1.2"
        tls_password_env = "MY_TLS"
        [targets.production]
        url = "https://sus.example/services/CeRZasilenieWS"
        ca_bundle = "prod.pem"
        """
    )
    t = load_targets(doc, tmp_path)
    i, p = t["integration"], t["production"]
    assert i.ca_bundle == (tmp_path / "p1-root-2025.pem", tmp_path / "p1-root-old.pem")
    assert i.tls_p12 == tmp_path / "certs/tls.p12" and i.soap_version == "1.2"
    assert i.tls_password_env == "MY_TLS" and i.wss_password_env == "CER_LOADER_WSS_P12_PASSWORD"
    assert not i.production and p.production and p.soap_version == "1.1"
    assert load_targets({}, tmp_path) == {}


def test_one_password_env_names_both_and_the_specific_one_wins(tmp_path: Path) -> None:
    # the refusal of a password key and the README both say: password_env = "..."
    doc = tomllib.loads(
        """
        [targets.integration]
        url = "https://cer.example.test/ws"
        ca_bundle = "ca.pem"
        password_env = "SITE_P12"
        wss_password_env = "SITE_WSS"
        """
    )
    t = load_targets(doc, tmp_path)["integration"]
    assert (t.tls_password_env, t.wss_password_env) == ("SITE_P12", "SITE_WSS")


@pytest.mark.parametrize(
    "table",
    [
        {"url": "http://x/services/a", "ca_bundle": "a.pem"},
        {"url": "https://x/services/a"},
        {"url": "https://x/services/a", "ca_bundle": "a.pem", "verify": False},
        {"url": "https://x/services/a", "ca_bundle": "a.pem", "soap_version": "2"},
    ],
)
def test_bad_targets(tmp_path: Path, table: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        load_targets({"targets": {"integration": table}}, tmp_path)
    with pytest.raises(ConfigError):
        load_targets({"targets": {"staging": {"url": "https://x", "ca_bundle": "a"}}}, tmp_path)


def fault(major: str, minor: str = "", ns: str = S11, text: str = "") -> bytes:
    detail = "Detail" if ns == S12 else "detail"
    return (
        f'<s:Envelope xmlns:s="{ns}"><s:Body><s:Fault><{detail}><b:BladMT xmlns:b="urn:x">'
        f"<b:kodBleduMajor>{major}</b:kodBleduMajor><b:kodBleduMinor>{minor}</b:kodBleduMinor>"
        f"<b:komunikat>{text}</b:komunikat></b:BladMT></{detail}></s:Fault></s:Body></s:Envelope>"
    ).encode()


M = "urn:csioz:p1:kodBleduMajor:"


@pytest.mark.parametrize("ns", [S11, S12])
@pytest.mark.parametrize(
    ("major", "minor", "error", "layer"),
    [
        ("bladPodpisuKomunikatu", "", PermanentFault, "signature"),
        ("bladPodpisuKomunikatuWSS", "", PermanentFault, "signature"),
        ("bladUwierzytelnienia", "", PermanentFault, "authentication"),
        ("kontoZablokowane", "", PermanentFault, "authentication"),
        ("bladAutoryzacji", "", PermanentFault, "authorisation"),
        ("bladUwierzytelnieniaWSS", "urn:csioz:p1:kodBleduMinor:certyfikatNiewazny", PermanentFault, "certificate"),
        ("niepoprawnyKomunikat", "", PermanentFault, "validation"),
        ("niepoprawnyKomunikat", "urn:csioz:p1:kodBleduMinor:bladKontekstu", PermanentFault, "validation"),
        ("bladWewnetrzny", "", AmbiguousError, None),
        ("przekroczonyCzas", "", AmbiguousError, None),
        ("serwerZajety", "", TransientError, None),
        ("cosNowego", "", PermanentFault, "protocol"),
    ],
)  # fmt: skip
def test_faults_by_layer(ns: str, major: str, minor: str, error: type, layer: str | None) -> None:
    with pytest.raises(error) as err:
        parse(C, 500, fault(M + major, minor, ns), C.answer)
    if layer:
        assert err.value.layer == layer


def test_fault_texts_are_masked() -> None:
    with pytest.raises(PermanentFault) as err:
        parse(C, 500, fault(M + "niepoprawnyKomunikat", text="PESEL 44051401359 zly"), C.answer)
    assert "44051401359" not in err.value.text() and "zly" in err.value.text()
    assert mask("a 12345678901 b 123") == "a *********** b 123"


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (503, b"", TransientError),
        (502, b"<html>bad gateway</html>", TransientError),
        (429, b"", TransientError),
        (504, b"", AmbiguousError),
        (500, b"<html><body>Internal error</body></html>", AmbiguousError),
        (200, b"", AmbiguousError),
        (200, b"\xff\xfe not xml", AmbiguousError),
        (200, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>', AmbiguousError),
        (404, b"<html>not found</html>", PermanentFault),
        (415, b"", PermanentFault),
    ],
)
def test_http_outcomes(status: int, body: bytes, error: type) -> None:
    with pytest.raises(error):
        parse(C, status, body, C.answer)


def test_answer_records() -> None:
    ns = C.namespace
    body = (
        f'<s:Envelope xmlns:s="{S11}"><s:Body><a:zasilInicjalnieOdpowiedz xmlns:a="{ns}">'
        "<a:identyfikatorPaczki>B</a:identyfikatorPaczki><a:wynik><a:major>urn:csioz:p1:kod:major:Sukces"
        "</a:major></a:wynik><a:wynikiRekordow>"
        '<a:wynikRekordu kluczIdempotencji="k1" identyfikatorWizyty="a1" status="PRZYJETY"/>'
        '<a:wynikRekordu kluczIdempotencji="k2" identyfikatorWizyty="a2" status="DUPLIKAT"/>'
        '<a:wynikRekordu kluczIdempotencji="k3" identyfikatorWizyty="a3" status="ODRZUCONY" kod="X" komunikat="pacjent 44051401359"/>'
        "</a:wynikiRekordow></a:zasilInicjalnieOdpowiedz></s:Body></s:Envelope>"
    ).encode()
    p = parse(C, 200, body, C.answer)
    assert p.major.endswith("Sukces") and p.records is not None
    r1, r2, r3 = p.records
    assert (r1.accepted, r1.code) == (True, "")
    assert (r2.accepted, r2.code) == (True, C.answer_names["duplicate_code"])
    assert (r3.accepted, r3.code, r3.message) == (False, "X", "pacjent ***********")
