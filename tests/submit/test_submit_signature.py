"""The WS-Security envelope: its shape by XPath (injected clock and ids), and its signature checked
independently by Debian's ``xmlsec1 --verify`` (a missing xmlsec1 fails, it does not skip) and by
the emulator's verifier; tampering and wrapping are detected."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from cer_loader.submit import soap, wssec
from cer_loader.submit.contract import load_contract
from cer_loader.submit.credentials import Credential, load_p12
from cer_loader.submit.devcerts import DEV_PASSWORD, DevCerts, pem

from .conftest import CONTEXT, payload

CONTRACT = load_contract()
NS = {"s11": soap.SOAP11, "s12": soap.SOAP12, "wsse": soap.WSSE, "wsu": soap.WSU, "ds": soap.DS,
      "kon": CONTRACT.context_namespace}  # fmt: skip
T0 = dt.datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def wss(certs: DevCerts) -> Credential:
    return load_p12(certs.client_wss_p12, DEV_PASSWORD)


def signed(wss: Credential, version: str = "1.1", when: dt.datetime | None = None) -> bytes:
    counter = itertools.count(1)

    def new_id(prefix: str) -> str:
        return f"{prefix}-{next(counter)}"

    op = soap.batch_operation(CONTRACT, "B-1", etree.fromstring(payload(2)))
    msg = soap.build_request(
        CONTRACT, version, CONTRACT.context_values(CONTEXT), op, when or T0, new_id
    )
    wssec.sign(msg, wss, new_id)
    return soap.serialise(msg.root)


def xmlsec1(
    data: bytes, cert_pem: bytes, tmp: Path, version: str = "1.1"
) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("xmlsec1")
    assert exe, "xmlsec1 is required (Debian package xmlsec1; .ci/run installs it)"
    (tmp / "signed.xml").write_bytes(data)
    (tmp / "wss.pem").write_bytes(cert_pem)
    ver = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    major_minor = tuple(int(x) for x in re.findall(r"(\d+)\.(\d+)", ver)[0])
    body_ns = soap.SOAP12 if version == "1.2" else soap.SOAP11
    cmd = [exe, "--verify", "--enabled-reference-uris", "same-doc",
           "--pubkey-cert-pem", str(tmp / "wss.pem"),
           "--id-attr:Id", f"{body_ns}:Body", "--id-attr:Id", f"{soap.WSU}:Timestamp",
           "--id-attr:Id", f"{CONTRACT.context_namespace}:kontekstWywolania"]  # fmt: skip
    if major_minor >= (1, 3):
        cmd.append("--lax-key-search")
    return subprocess.run([*cmd, str(tmp / "signed.xml")], capture_output=True, text=True)


def bst_pem(data: bytes) -> bytes:
    root = etree.fromstring(data)
    der = base64.b64decode(root.findtext(".//wsse:BinarySecurityToken", namespaces=NS) or "")
    from cryptography import x509

    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_envelope_shape(wss: Credential, version: str) -> None:
    root = etree.fromstring(signed(wss, version))
    s = "s12" if version == "1.2" else "s11"
    sec = root.find(f"{s}:Header/wsse:Security", NS)
    assert sec is not None
    assert sec.get(f"{{{NS[s]}}}mustUnderstand") == ("1" if version == "1.1" else "true")
    assert [etree.QName(c).localname for c in sec] == [
        "Timestamp",
        "BinarySecurityToken",
        "Signature",
    ]
    assert root.findtext(".//wsu:Created", namespaces=NS) == "2026-12-01T09:30:15.123Z"
    assert root.findtext(".//wsu:Expires", namespaces=NS) == "2026-12-01T09:35:15.123Z"
    bst = sec.find("wsse:BinarySecurityToken", NS)
    assert bst is not None and bst.get("ValueType", "").endswith("#X509v3")
    assert bst.get("EncodingType", "").endswith("#Base64Binary")
    assert base64.b64decode(bst.text or "") == wss.cert.public_bytes(serialization.Encoding.DER)
    si = "wsse:Security/ds:Signature/ds:SignedInfo"
    header = root.find(f"{s}:Header", NS)
    assert header is not None
    assert (
        header.xpath(f"string({si}/ds:CanonicalizationMethod/@Algorithm)", namespaces=NS)
        == "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    assert (
        header.xpath(f"string({si}/ds:SignatureMethod/@Algorithm)", namespaces=NS)
        == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    )
    assert set(header.xpath(f"{si}/ds:Reference/ds:DigestMethod/@Algorithm", namespaces=NS)) == {
        "http://www.w3.org/2001/04/xmlenc#sha256"
    }  # type: ignore[arg-type]
    assert set(
        header.xpath(f"{si}/ds:Reference/ds:Transforms/ds:Transform/@Algorithm", namespaces=NS)
    ) == {"http://www.w3.org/2001/10/xml-exc-c14n#"}  # type: ignore[arg-type]
    uris = header.xpath(f"{si}/ds:Reference/@URI", namespaces=NS)
    body = root.find(f"{s}:Body", NS)
    ctx = header.find("kon:kontekstWywolania", NS)
    ts = sec.find("wsu:Timestamp", NS)
    assert body is not None and ctx is not None and ts is not None
    assert sorted(uris) == sorted(f"#{e.get(soap.WSU_ID)}" for e in (body, ctx, ts))  # type: ignore[arg-type]
    ref = sec.find("ds:Signature/ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", NS)
    assert ref is not None and ref.get("URI") == f"#{bst.get(soap.WSU_ID)}"
    ids = root.xpath("//@*[local-name()='Id']")
    assert len(ids) == len(set(ids)) == 4  # type: ignore[arg-type]
    attrs = {a.get("nazwa"): a.findtext("kon:wartosc", namespaces=NS) for a in ctx}
    assert attrs["urn:csioz:p1:kontekst:idMiejscaPracyOidExt"] == "000000927722-001"
    assert attrs["urn:csioz:p1:kontekst:idPodmiotuOidExt"] == "000000927722"
    assert attrs["urn:csioz:p1:kontekst:rolaBiznesowa"] == "SYSTEM_ZEWNETRZNY_PODMIOTU_LECZNICZEGO"
    op = body[0]
    assert etree.QName(op).localname == "zasilInicjalnie"
    assert op.findtext(f"{{{CONTRACT.namespace}}}identyfikatorPaczki") == "B-1"


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_xmlsec1_verifies_the_signature(wss: Credential, tmp_path: Path, version: str) -> None:
    data = signed(wss, version)
    done = xmlsec1(data, bst_pem(data), tmp_path, version)
    assert done.returncode == 0, done.stderr
    assert "SignedInfo References (ok/all): 3/3" in done.stderr + done.stdout


def _tamper(data: bytes, what: str) -> bytes:
    if what == "body":
        return data.replace(b"W0000001", b"W0000009", 1)
    if what == "context":
        return data.replace(
            b"SYSTEM_ZEWNETRZNY_PODMIOTU_LECZNICZEGO", b"LEKARZ_LEK_DENTYSTA_FELCZER"
        )
    if what == "expires":
        return data.replace(b"09:35:15.123Z", b"10:35:15.123Z")
    raise AssertionError(what)


@pytest.mark.parametrize("what", ["body", "context", "expires"])
def test_tampering_is_detected(wss: Credential, tmp_path: Path, what: str) -> None:
    data = signed(wss)
    bad = _tamper(data, what)
    assert bad != data
    assert xmlsec1(bad, bst_pem(data), tmp_path).returncode != 0
    with pytest.raises(wssec.SignatureInvalid):
        wssec.verify(etree.fromstring(bad), soap.SOAP11, CONTRACT.context_namespace)
    wssec.verify(etree.fromstring(data), soap.SOAP11, CONTRACT.context_namespace)


def test_a_swapped_certificate_is_detected(
    wss: Credential, tmp_path: Path, certs: DevCerts
) -> None:
    data = signed(wss)
    other = load_p12(certs.client_tls_p12, DEV_PASSWORD).cert
    root = etree.fromstring(data)
    bst = root.find(".//wsse:BinarySecurityToken", NS)
    assert bst is not None
    bst.text = base64.b64encode(other.public_bytes(serialization.Encoding.DER)).decode()
    with pytest.raises(wssec.SignatureInvalid):
        wssec.verify(root, soap.SOAP11, CONTRACT.context_namespace)
    assert xmlsec1(data, pem(other), tmp_path).returncode != 0


def test_wrapping_a_second_body_is_detected(wss: Credential) -> None:
    root = etree.fromstring(signed(wss))
    body = root.find("s11:Body", NS)
    assert body is not None
    fake = etree.fromstring(etree.tostring(body))
    header = root.find("s11:Header", NS)
    assert header is not None
    header.append(fake)  # the signed Body moved aside, a forged one in its place
    body[0].find(f"{{{CONTRACT.namespace}}}identyfikatorPaczki").text = "FORGED"  # type: ignore[union-attr]
    with pytest.raises(wssec.SignatureInvalid):
        wssec.verify(root, soap.SOAP11, CONTRACT.context_namespace)


def test_emulator_refuses_an_expired_timestamp(emulator, wss: Credential) -> None:  # type: ignore[no-untyped-def]
    from .conftest import client

    old = signed(wss, when=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    with client(emulator) as c:
        status, data = c.transport.post(
            emulator.url, old, soap.content_type("1.1", "urn:zasilInicjalnie")
        )
    assert status == 500 and b"bladZnacznikaCzasu" in data


def test_what_the_client_sent_verifies_with_xmlsec1(emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from .conftest import client

    sent: list[bytes] = []
    with client(emulator) as c:
        inner = c.transport

        class Spy:
            def post(self, url, body, headers):  # type: ignore[no-untyped-def]
                sent.append(body)
                return inner.post(url, body, headers)

            def close(self) -> None:
                inner.close()

        c.transport = Spy()
        assert c.send_batch("B-1", payload(2), CONTEXT).status == "ACCEPTED"
    done = xmlsec1(sent[0], bst_pem(sent[0]), tmp_path)
    assert done.returncode == 0, done.stderr
