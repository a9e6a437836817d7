"""The emulator's answers: SOAP envelopes (1.1 or 1.2, as the request was) with ``WynikMT`` and
per-record results, or a SOAP Fault carrying ``BladMT``; names from the operation contract."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from cer_loader.submit import soap
from cer_loader.submit.contract import OperationContract

SUCCESS = "urn:csioz:p1:kod:major:Sukces"
ERROR = "urn:csioz:p1:kod:major:Blad"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str
    after: str = ""  # "", "reset-before", "reset-after", "timeout-after"


def _ctype(version: str) -> str:
    return "application/soap+xml; charset=utf-8" if version == "1.2" else "text/xml; charset=utf-8"


class Answers:
    def __init__(self, contract: OperationContract) -> None:
        self.c = contract

    def _envelope(self, version: str) -> tuple[etree._Element, etree._Element]:
        ns = soap.soap_ns(version)
        env = etree.Element(f"{{{ns}}}Envelope", nsmap={"soapenv": ns})
        body = etree.SubElement(env, f"{{{ns}}}Body")
        return env, body

    def _reply(self, status: int, env: etree._Element, version: str) -> Reply:
        return Reply(status, soap.serialise(env), _ctype(version))

    def _answer(
        self,
        version: str,
        name: str,
        batch_id: str,
        major: str,
        minor: str,
        rows: list[tuple[str, str, str, str, str]] | None,
    ) -> Reply:
        c, n = self.c, self.c.answer_names
        env, body = self._envelope(version)
        ans = etree.SubElement(body, f"{{{c.namespace}}}{name}", nsmap={"cer": c.namespace})
        etree.SubElement(ans, f"{{{c.namespace}}}{c.batch_id_element}").text = batch_id
        result = etree.SubElement(ans, f"{{{c.namespace}}}{n['result']}")
        etree.SubElement(result, f"{{{c.namespace}}}{n['major']}").text = major
        if minor:
            etree.SubElement(result, f"{{{c.namespace}}}{n['minor']}").text = minor
        if rows is not None:
            records = etree.SubElement(ans, f"{{{c.namespace}}}{n['records']}")
            for key, aid, status, code, message in rows:
                el = etree.SubElement(records, f"{{{c.namespace}}}{n['record']}")
                el.set(n["key"], key)
                el.set(n["appointment_id"], aid)
                el.set(n["status"], status)
                if code:
                    el.set(n["code"], code)
                if message:
                    el.set(n["message"], message)
        return self._reply(200, env, version)

    def batch(
        self, version: str, batch_id: str, rows: list[tuple[str, str, str, str, str]]
    ) -> Reply:
        return self._answer(version, self.c.answer, batch_id, SUCCESS, "", rows)

    def status(
        self, version: str, batch_id: str, rows: list[tuple[str, str, str, str, str]] | None
    ) -> Reply:
        if rows is None:
            return self._answer(
                version, self.c.status_answer, batch_id, ERROR, self.c.unknown_batch_code, None
            )
        return self._answer(version, self.c.status_answer, batch_id, SUCCESS, "", rows)

    def fault(self, version: str, major: str, minor: str, text: str, status: int = 500) -> Reply:
        ns = soap.soap_ns(version)
        names = self.c.fault_names
        env, body = self._envelope(version)
        fault = etree.SubElement(body, f"{{{ns}}}Fault")
        if version == "1.2":
            code = etree.SubElement(fault, f"{{{ns}}}Code")
            etree.SubElement(code, f"{{{ns}}}Value").text = "soapenv:Receiver"
            reason = etree.SubElement(fault, f"{{{ns}}}Reason")
            el = etree.SubElement(reason, f"{{{ns}}}Text")
            el.set("{http://www.w3.org/XML/1998/namespace}lang", "pl")
            el.text = major
            detail = etree.SubElement(fault, f"{{{ns}}}Detail")
        else:
            etree.SubElement(fault, "faultcode").text = "soapenv:Server"
            etree.SubElement(fault, "faultstring").text = major
            detail = etree.SubElement(fault, "detail")
        cns = self.c.namespace
        blad = etree.SubElement(
            detail, f"{{{cns}}}{names.get('fault_element', 'BladMT')}", nsmap={"cer": cns}
        )
        etree.SubElement(
            blad, f"{{{cns}}}{names.get('major_element', 'kodBleduMajor')}"
        ).text = major
        if minor:
            etree.SubElement(
                blad, f"{{{cns}}}{names.get('minor_element', 'kodBleduMinor')}"
            ).text = minor
        if text:
            etree.SubElement(blad, f"{{{cns}}}{names.get('text_element', 'komunikat')}").text = text
        return self._reply(status, env, version)
