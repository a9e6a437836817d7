"""WS-Security X.509 signature (SUBMIT.md §2, §6): RSA-SHA256, SHA-256 digests, exclusive c14n,
over Body, Timestamp and ``kontekstWywolania``; the key named by a SecurityTokenReference to the
BinarySecurityToken. Signing uses signxml in detached mode; ``verify`` is the server side
(emulator) check, which also refuses signature wrapping (references must be exactly the three
expected elements, every ``wsu:Id`` unique).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.algorithms import SignatureConstructionMethod

from cer_loader.submit.credentials import Credential
from cer_loader.submit.soap import DS, WSSE, WSU, WSU_ID, Unsigned, random_id

X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64 = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)


def _quiet(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


# signxml logs every canonicalised element at DEBUG: that is the payload, personal data included.
# A filter on a logger does not see its children's records: put it on every signxml logger.
for _name in [
    "signxml",
    *(n for n in logging.Logger.manager.loggerDict if n.startswith("signxml.")),
]:
    logging.getLogger(_name).addFilter(_quiet)


class SignatureInvalid(Exception):
    """The message's signature does not hold (server side)."""


def sign(msg: Unsigned, cred: Credential, new_id: Callable[[str], str] = random_id) -> None:
    """Add the BST and the Signature to ``msg.security`` (in that order: token precedes use)."""
    bst_id = new_id("X509")
    bst = etree.SubElement(msg.security, f"{{{WSSE}}}BinarySecurityToken")
    bst.set("EncodingType", BASE64)
    bst.set("ValueType", X509V3)
    bst.set(WSU_ID, bst_id)
    bst.text = base64.b64encode(cred.cert.public_bytes(serialization.Encoding.DER)).decode()
    key_info = etree.Element(f"{{{DS}}}KeyInfo", nsmap={"ds": DS})
    str_ = etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference", nsmap={"wsse": WSSE})
    etree.SubElement(str_, f"{{{WSSE}}}Reference", URI=f"#{bst_id}", ValueType=X509V3)
    signer = XMLSigner(
        method=SignatureConstructionMethod.detached,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer.namespaces = {"ds": DS}
    refs = [f"#{msg.ids[k]}" for k in ("body", "context", "timestamp")]
    signature = signer.sign(
        msg.root, key=cred.key, reference_uri=refs, key_info=key_info, always_add_key_value=False
    )
    msg.security.append(signature)


def _one(root: etree._Element, path: str, ns: dict[str, str]) -> etree._Element:
    found = root.xpath(path, namespaces=ns)
    if not isinstance(found, list) or len(found) != 1 or not isinstance(found[0], etree._Element):
        raise SignatureInvalid(f"expected exactly one {path}")
    return found[0]


def verify(root: etree._Element, soap_ns: str, context_ns: str) -> x509.Certificate:
    """Check the signature of a received envelope; return the signer's certificate (from the BST).

    Raises SignatureInvalid on any problem: missing parts, references that are not exactly
    Body + context + Timestamp, duplicated ids (wrapping), digests or signature value wrong.
    """
    ns = {"s": soap_ns, "wsse": WSSE, "wsu": WSU, "ds": DS, "k": context_ns}
    sec = _one(root, "/s:Envelope/s:Header/wsse:Security", ns)
    body = _one(root, "/s:Envelope/s:Body", ns)
    ctx = _one(root, "/s:Envelope/s:Header/k:kontekstWywolania", ns)
    ts = _one(sec, "wsu:Timestamp", ns)
    bst = _one(sec, "wsse:BinarySecurityToken", ns)
    sig = _one(sec, "ds:Signature", ns)
    all_ids = [v for v in root.xpath("//@*[local-name()='Id']")]  # type: ignore[union-attr]
    if len(all_ids) != len(set(map(str, all_ids))):
        raise SignatureInvalid("duplicate Id attributes")
    expected = {f"#{e.get(WSU_ID)}" for e in (body, ctx, ts)}
    uris = [str(u) for u in sig.xpath("ds:SignedInfo/ds:Reference/@URI", namespaces=ns)]  # type: ignore[union-attr]
    if None in expected or len(uris) != 3 or set(uris) != expected:
        raise SignatureInvalid("the signature does not cover exactly Body, context and Timestamp")
    ref = _one(sig, "ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", ns)
    if ref.get("URI") != f"#{bst.get(WSU_ID)}":
        raise SignatureInvalid("KeyInfo does not name the BinarySecurityToken")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(bst.text or ""))
    except ValueError:
        raise SignatureInvalid("BinarySecurityToken is not a certificate") from None
    config = SignatureConfiguration(
        require_x509=False,
        expect_references=3,
        signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    try:
        XMLVerifier().verify(root, x509_cert=pem, expect_config=config)
    except Exception as exc:  # signxml raises several types (InvalidSignature, InvalidDigest...)
        raise SignatureInvalid(f"{type(exc).__name__}") from None
    return cert
