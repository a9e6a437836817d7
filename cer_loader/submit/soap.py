"""SOAP envelopes (1.1 or 1.2) for the P1 operation, built with the lxml element API.

``build_request`` lays out what SUBMIT.md §6 shows: Header with ``wsse:Security``
(mustUnderstand, Timestamp, then the BinarySecurityToken and Signature added by ``wssec``) and
``kontekstWywolania`` as a sibling header; Body with the operation element. Ids are random unless
an id factory is injected (golden tests).
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from cer_loader.submit.contract import OperationContract

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
WSU_ID = f"{{{WSU}}}Id"


def soap_ns(version: str) -> str:
    return SOAP12 if version == "1.2" else SOAP11


def content_type(version: str, action: str) -> dict[str, str]:
    """HTTP headers of a request: SOAP 1.1 uses SOAPAction, 1.2 the action parameter."""
    if version == "1.2":
        return {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action}


def random_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def xml_time(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Unsigned:
    root: etree._Element
    security: etree._Element
    ids: dict[str, str]  # "body", "context", "timestamp" -> wsu:Id


def build_request(
    contract: OperationContract,
    version: str,
    context: Sequence[tuple[str, str]],
    operation: etree._Element,
    now: dt.datetime,
    new_id: Callable[[str], str] = random_id,
) -> Unsigned:
    env_ns = soap_ns(version)
    ctx_ns = contract.context_namespace
    nsmap = {"soapenv": env_ns, "wsse": WSSE, "wsu": WSU, "kon": ctx_ns}
    root = etree.Element(f"{{{env_ns}}}Envelope", nsmap=nsmap)
    header = etree.SubElement(root, f"{{{env_ns}}}Header")
    security = etree.SubElement(header, f"{{{WSSE}}}Security")
    security.set(f"{{{env_ns}}}mustUnderstand", "1" if version == "1.1" else "true")
    ids = {k: new_id(p) for k, p in (("timestamp", "TS"), ("context", "id"), ("body", "id"))}
    if len(set(ids.values())) != len(ids):
        raise ValueError("ids are not unique")
    ts = etree.SubElement(security, f"{{{WSU}}}Timestamp")
    ts.set(WSU_ID, ids["timestamp"])
    etree.SubElement(ts, f"{{{WSU}}}Created").text = xml_time(now)
    expires = now + dt.timedelta(seconds=contract.timestamp_ttl_s)
    etree.SubElement(ts, f"{{{WSU}}}Expires").text = xml_time(expires)
    kon = etree.SubElement(header, f"{{{ctx_ns}}}kontekstWywolania")
    kon.set(WSU_ID, ids["context"])
    for name, value in context:
        attr = etree.SubElement(kon, f"{{{ctx_ns}}}atrybut", nazwa=name)
        etree.SubElement(attr, f"{{{ctx_ns}}}wartosc").text = value
    body = etree.SubElement(root, f"{{{env_ns}}}Body")
    body.set(WSU_ID, ids["body"])
    body.append(operation)
    return Unsigned(root, security, ids)


def batch_operation(
    contract: OperationContract, batch_id: str, payload: etree._Element | bytes
) -> etree._Element:
    """``<zasilInicjalnie><identyfikatorPaczki/>payload</zasilInicjalnie>`` (payload inline, or
    base64 in ``payload_element`` when the contract says so)."""
    ns = contract.namespace
    op = etree.Element(f"{{{ns}}}{contract.name}", nsmap={"cer": ns})
    etree.SubElement(op, f"{{{ns}}}{contract.batch_id_element}").text = batch_id
    if contract.payload_encoding == "base64":
        assert isinstance(payload, bytes)
        etree.SubElement(op, f"{{{ns}}}{contract.payload_element}").text = base64.b64encode(
            payload
        ).decode("ascii")
    else:
        assert not isinstance(payload, bytes)
        op.append(payload)
    return op


def status_operation(contract: OperationContract, batch_id: str) -> etree._Element:
    ns = contract.namespace
    op = etree.Element(f"{{{ns}}}{contract.status_name}", nsmap={"cer": ns})
    etree.SubElement(op, f"{{{ns}}}{contract.batch_id_element}").text = batch_id
    return op


def serialise(root: etree._Element) -> bytes:
    """Once, exactly the bytes sent (no pretty-printing after signing)."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
