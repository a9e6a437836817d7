"""``P1Client``: one batch per call, signed afresh on every call, sent over mutual TLS.

The public face the ledger's orchestration uses: ``send_batch``, ``query_status``, ``close``
(or ``with P1Client(...) as c:``). Errors are the classes of ``errors``; nothing here retries.
Logs carry batch ids, HTTP status, codes, counts, durations and hashes, never a payload.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from types import TracebackType

from lxml import etree

from cer_loader.errors import InputError
from cer_loader.submit import soap, wssec
from cer_loader.submit.answers import BatchAnswer, RecordAnswer, batch_status
from cer_loader.submit.contract import OperationContract, load_contract
from cer_loader.submit.credentials import load_p12, tls_context
from cer_loader.submit.errors import PermanentFault
from cer_loader.submit.response import parse
from cer_loader.submit.targets import Target
from cer_loader.submit.transport import HttpxTransport, Transport, retry_after_s
from cer_loader.xmlsafe import parse_bytes

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class P1Client:
    def __init__(
        self,
        target: Target,
        *,
        password: Callable[[str], str],
        contract: OperationContract | None = None,
        transport: Transport | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        timeout: float = 60.0,
        new_id: Callable[[str], str] = soap.random_id,
        context: Mapping[str, str] | None = None,
    ) -> None:
        self.target = target
        self._context: Mapping[str, str] | None = context
        self.contract = contract or load_contract()
        self.clock = clock or _utcnow
        self.new_id = new_id
        if target.wss_p12 is None:
            raise PermanentFault(
                "certificate", "local:no-wss-p12", f"[targets.{target.name}] wss_p12"
            )
        self._wss = load_p12(target.wss_p12, password(target.wss_password_env), what="wss")
        if transport is None:
            tls = None
            if target.tls_p12 is not None:
                tls = load_p12(target.tls_p12, password(target.tls_password_env), what="tls")
            transport = HttpxTransport(tls_context(target.ca_bundle, tls), timeout=timeout)
        self.transport = transport

    # -- building -------------------------------------------------------------------------
    def _envelope(self, operation: etree._Element, context: Mapping[str, str]) -> bytes:
        pairs = self.contract.context_values(context)
        msg = soap.build_request(
            self.contract, self.target.soap_version, pairs, operation, self.clock(), self.new_id
        )
        wssec.sign(msg, self._wss, self.new_id)
        return soap.serialise(msg.root)

    def _post(self, body: bytes, action: str) -> tuple[int, bytes, float, float]:
        """Status, body, duration and the seconds a ``Retry-After`` asked for (0: none)."""
        headers = soap.content_type(self.target.soap_version, action)
        start = time.perf_counter()
        reply = self.transport.post(self.target.url, body, headers)
        status, data = reply
        after = retry_after_s(getattr(reply, "headers", {}).get("retry-after"), self.clock())
        return status, data, time.perf_counter() - start, after

    def _payload_keys(self, payload: etree._Element) -> list[tuple[str, str]]:
        attr = self.contract.record_key_attribute
        out = []
        for el in payload.iter():
            key = el.get(attr) if isinstance(el.tag, str) else None
            if key is not None:
                ident = next(
                    (
                        c.text or ""
                        for c in el
                        if isinstance(c.tag, str)
                        and etree.QName(c).localname == self.contract.appointment_id_element
                    ),
                    "",
                )
                out.append((key, ident))
        return out

    # -- public ---------------------------------------------------------------------------
    def send_batch(
        self, batch_id: str, payload_xml: bytes, context: Mapping[str, str]
    ) -> BatchAnswer:
        """Sign and send one batch; the per-record answer, or one of the submit errors."""
        try:
            payload = parse_bytes(payload_xml)
        except etree.XMLSyntaxError as exc:
            raise InputError(
                f"paczka {batch_id} nie jest poprawnym XML: {exc.msg}",
                f"batch {batch_id} is not well-formed XML: {exc.msg}",
            ) from None
        keys = self._payload_keys(payload)
        body_payload: etree._Element | bytes = payload
        if self.contract.payload_encoding == "base64":
            body_payload = payload_xml
        op = soap.batch_operation(self.contract, batch_id, body_payload)
        self._context = self._context or context
        body = self._envelope(op, context)
        sha = hashlib.sha256(body).hexdigest()
        log.debug(
            "batch_send batch=%s records=%d bytes=%d sha256=%s", batch_id, len(keys), len(body), sha
        )
        status, data, duration, after = self._post(body, self.contract.soap_action)
        parsed = parse(self.contract, status, data, self.contract.answer, after)
        by_key = {r.key: r for r in parsed.records or ()}
        batch_code = parsed.minor or parsed.major
        failed = parsed.major != self.contract.answer_names["success_major"]
        records = []
        for key, ident in keys:
            answer = by_key.get(key)
            if answer is None:
                answer = RecordAnswer(key, ident, False, batch_code if failed else "local:no-answer",
                                      parsed.message if failed else "")  # fmt: skip
            records.append(answer)
        result = BatchAnswer(
            batch_id=batch_id,
            status=batch_status(tuple(records)),
            records=tuple(records),
            http_status=status,
            cer_codes=tuple(c for c in (parsed.major, parsed.minor) if c),
            duration_s=duration,
            request_sha256=sha,
        )
        log.info(
            "batch_answer batch=%s http=%d status=%s accepted=%d refused=%d codes=%s duration_s=%.3f",
            batch_id, status, result.status, sum(r.accepted for r in records),
            sum(not r.accepted for r in records), ",".join(result.cer_codes), duration,
        )  # fmt: skip
        return result

    def query_status(
        self, batch_id: str, context: Mapping[str, str] | None = None
    ) -> BatchAnswer | None:
        """What the service holds for ``batch_id``; None when it never saw the batch.

        The call context is ``context``, else the one given to the constructor, else the one of
        the last ``send_batch``."""
        context = context or self._context
        if context is None:
            raise ValueError("query_status needs a call context (P1Client(..., context=...))")
        op = soap.status_operation(self.contract, batch_id)
        body = self._envelope(op, context)
        status, data, duration, after = self._post(body, self.contract.status_soap_action)
        parsed = parse(self.contract, status, data, self.contract.status_answer, after)
        if parsed.minor == self.contract.unknown_batch_code:
            log.info("status_answer batch=%s unknown", batch_id)
            return None
        records = parsed.records or ()
        log.info("status_answer batch=%s records=%d", batch_id, len(records))
        return BatchAnswer(
            batch_id=batch_id,
            status=batch_status(records),
            records=records,
            http_status=status,
            cer_codes=tuple(c for c in (parsed.major, parsed.minor) if c),
            duration_s=duration,
            request_sha256=hashlib.sha256(body).hexdigest(),
        )

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> P1Client:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
