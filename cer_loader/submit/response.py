"""Reading what the service answered: a SOAP Fault (``BladMT``) classified by layer, or an
answer (``WynikMT`` + per-record results) turned into a ``BatchAnswer``. Element names come from
the contract. Texts from the service are masked before they go anywhere (P1 may echo data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from cer_loader.submit.answers import RecordAnswer
from cer_loader.submit.contract import OperationContract
from cer_loader.submit.errors import AmbiguousError, PermanentFault, TransientError
from cer_loader.xmlsafe import parse_bytes

_DIGITS = re.compile(r"\d{11,}")


def mask(text: str) -> str:
    """Runs of 11+ digits (a PESEL, or anything that could be one) never leave this module."""
    return _DIGITS.sub(lambda m: "*" * len(m.group()), text or "")[:500]


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _find(root: etree._Element, name: str) -> etree._Element | None:
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el) == name:
            return el
    return None


def _text(root: etree._Element | None, name: str) -> str:
    if root is None:
        return ""
    el = _find(root, name)
    return (el.text or "").strip() if el is not None else ""


@dataclass(frozen=True)
class Parsed:
    major: str
    minor: str
    message: str
    records: tuple[RecordAnswer, ...] | None  # None: the answer had no per-record list


def _fault(contract: OperationContract, fault: etree._Element, retry_after: float) -> Exception:
    names = contract.fault_names
    detail = _find(fault, names.get("fault_element", "BladMT"))
    major = _text(detail, names.get("major_element", "kodBleduMajor"))
    minor = _text(detail, names.get("minor_element", "kodBleduMinor"))
    text = mask(
        _text(detail, names.get("text_element", "komunikat")) or _text(fault, "faultstring")
    )
    if not major:
        major = _text(fault, "faultcode") or _text(fault, "Value") or "soap:Fault"
    kind = contract.fault_kind(major, minor)
    code = minor or major
    if kind == "transient":
        return TransientError(
            f"serwer zajęty: {code}", f"server busy: {code}", retry_after=retry_after
        )
    if kind == "ambiguous":
        return AmbiguousError(
            f"błąd serwera, paczka mogła zostać przetworzona: {code}",
            f"server error, the batch may have been processed: {code}",
        )
    return PermanentFault(kind, code, text)


def parse(
    contract: OperationContract, http_status: int, data: bytes, answer_name: str,
    retry_after: float = 0.0,
) -> Parsed:  # fmt: skip
    """Raise the classified error, or return the answer's parts. ``retry_after``: seconds the
    server's ``Retry-After`` asked for, carried by a ``TransientError``."""
    if http_status in (429, 502, 503):
        raise TransientError(
            f"serwer niedostępny (HTTP {http_status})", f"server unavailable (HTTP {http_status})",
            retry_after=retry_after,
        )  # fmt: skip
    if http_status == 504:
        raise AmbiguousError("przekroczony czas bramy (HTTP 504)", "gateway timeout (HTTP 504)")
    try:
        root = parse_bytes(data) if data.strip() else None
    except etree.XMLSyntaxError:
        root = None
    if root is not None:
        fault = _find(root, "Fault")
        if fault is not None:
            raise _fault(contract, fault, retry_after)
    if http_status != 200 or root is None:
        if 400 <= http_status < 500:
            raise PermanentFault("protocol", f"http-{http_status}", "")
        raise AmbiguousError(
            f"nieczytelna odpowiedź serwera (HTTP {http_status})",
            f"unreadable answer from the server (HTTP {http_status})",
        )
    answer = _find(root, answer_name)
    if answer is None:
        raise AmbiguousError(
            f"odpowiedź bez elementu {answer_name}", f"the answer has no {answer_name} element"
        )
    n = contract.answer_names
    result = _find(answer, n["result"])
    records_el = _find(answer, n["records"])
    records = None
    if records_el is not None:
        out = []
        for el in records_el:
            if not isinstance(el.tag, str) or _local(el) != n["record"]:
                continue
            status = el.get(n["status"], "")
            duplicate = status == n["duplicate"]
            out.append(
                RecordAnswer(
                    key=el.get(n["key"], ""),
                    appointment_id=el.get(n["appointment_id"], ""),
                    accepted=status in (n["accepted"], n["duplicate"]),
                    code=el.get(n["code"], "") or (n["duplicate_code"] if duplicate else ""),
                    message=mask(el.get(n["message"], "")),
                )
            )
        records = tuple(out)
    return Parsed(
        major=_text(result, n["major"]),
        minor=_text(result, n["minor"]),
        message=mask(_text(result, n["text"])),
        records=records,
    )
