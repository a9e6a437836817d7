"""What the emulated CeR does with one POSTed envelope: verify, validate, check, store, answer.

Layers in P1's order, each with its fault codes: WS-Security (signature, certificate chain to the
WSS CA, Timestamp window, replay), the call context, the XSDs, then CeR's business checks (the
payload's MUŚ is the caller's, record count, a key already held is a duplicate and never stored
twice). ``handle`` returns a ``Reply``; the HTTP layer carries out resets and hangs.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from lxml import etree

from cer_loader.emulator.answer import Answers, Reply
from cer_loader.emulator.faults import FaultPlan
from cer_loader.emulator.store import Store
from cer_loader.submit import soap, wssec
from cer_loader.submit.contract import OperationContract
from cer_loader.xmlsafe import load_xsd, masked_schema_error, parse_bytes

MAJOR = "urn:csioz:p1:kodBleduMajor:"
MINOR = "urn:csioz:p1:kodBleduMinor:"
SKEW = dt.timedelta(seconds=60)
DUPLICATE = "DUPLIKAT"
REFUSE_CODE = "urn:csioz:p1:cer:kod:minor:terminNiedostepny"  # emulator's business refusal


class Refusal(Exception):
    def __init__(self, major: str, minor: str, text: str) -> None:
        super().__init__(major)
        self.major, self.minor, self.text = major, minor, text


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Service:
    def __init__(
        self,
        contract: OperationContract,
        store: Store,
        payload_xsd: Path,
        wss_ca: list[x509.Certificate],
        faults: FaultPlan,
    ) -> None:
        self.contract = contract
        self.store = store
        self.payload_schema = load_xsd(payload_xsd)
        self.op_schema = load_xsd(contract.xsd)
        self.wss_ca = wss_ca
        self.faults = faults
        self.answers = Answers(contract)
        self._seen: dict[bytes, dt.datetime] = {}
        self._seen_lock = threading.Lock()
        self.received = 0

    # -- checks ---------------------------------------------------------------------------
    def _check_chain(self, cert: x509.Certificate, now: dt.datetime) -> None:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise Refusal(MAJOR + "bladUwierzytelnieniaWSS", MINOR + "certyfikatNiewazny", "")
        for ca in self.wss_ca:
            try:
                cert.verify_directly_issued_by(ca)
                return
            except (InvalidSignature, ValueError, TypeError):
                continue
        raise Refusal(MAJOR + "bladUwierzytelnieniaWSS", MINOR + "certyfikatNiewazny", "untrusted")

    def _check_security(self, root: etree._Element, env_ns: str, now: dt.datetime) -> None:
        try:
            cert = wssec.verify(root, env_ns, self.contract.context_namespace)
        except wssec.SignatureInvalid as exc:
            raise Refusal(MAJOR + "bladPodpisuKomunikatuWSS", "", str(exc)) from None
        self._check_chain(cert, now)
        ns = {"wsu": soap.WSU, "ds": soap.DS}
        created = root.xpath("string(//wsu:Timestamp/wsu:Created)", namespaces=ns)
        expires = root.xpath("string(//wsu:Timestamp/wsu:Expires)", namespaces=ns)
        try:
            c, e = _time(str(created)), _time(str(expires))
        except ValueError:
            raise Refusal(
                MAJOR + "bladPodpisuKomunikatuWSS", MINOR + "bladZnacznikaCzasu", ""
            ) from None
        if c > now + SKEW or e < now or e - c > dt.timedelta(seconds=3600):
            raise Refusal(
                MAJOR + "bladPodpisuKomunikatuWSS", MINOR + "bladZnacznikaCzasu", "timestamp window"
            )
        value = str(root.xpath("string(//ds:SignatureValue)", namespaces=ns)).strip()
        digest = hashlib.sha256(value.encode()).digest()
        with self._seen_lock:
            for k in [k for k, exp in self._seen.items() if exp < now - SKEW]:
                del self._seen[k]
            if digest in self._seen:
                raise Refusal(
                    MAJOR + "bladPodpisuKomunikatuWSS", MINOR + "powtorzonyKomunikat", "replay"
                )
            self._seen[digest] = e

    def _context(self, root: etree._Element) -> dict[str, str]:
        ns = {"k": self.contract.context_namespace}
        out = {}
        for attr in root.xpath("//k:kontekstWywolania/k:atrybut", namespaces=ns):  # type: ignore[union-attr]
            name = str(attr.get("nazwa", "")).removeprefix(self.contract.context_prefix)  # type: ignore[union-attr]
            out[name] = str(attr.xpath("string(k:wartosc)", namespaces=ns))  # type: ignore[union-attr]
        missing = [n for n, _ in self.contract.context_attributes if not out.get(n)]
        if missing:
            raise Refusal(
                MAJOR + "niepoprawnyKomunikat", MINOR + "bladKontekstu", ",".join(missing)
            )
        return out

    # -- the request ----------------------------------------------------------------------
    def handle(self, body: bytes) -> Reply:
        self.received += 1
        drawn = self.faults.draw()
        version = "1.1"
        try:
            try:
                root = parse_bytes(body)
            except etree.XMLSyntaxError:
                raise Refusal(MAJOR + "niepoprawnyKomunikat", "", "not XML") from None
            env_ns = etree.QName(root).namespace or ""
            version = "1.2" if env_ns == soap.SOAP12 else "1.1"
            if "busy" in drawn:
                return self.answers.fault(version, MAJOR + "serwerZajety", "", "", status=503)
            if "reset-before" in drawn:
                return Reply(0, b"", "", after="reset-before")
            for kind, major in (
                ("fault-signature", "bladPodpisuKomunikatuWSS"),
                ("fault-auth", "bladUwierzytelnieniaWSS"),
                ("fault-validation", "niepoprawnyKomunikat"),
            ):
                if kind in drawn:
                    raise Refusal(MAJOR + major, "", f"injected {kind}")
            if env_ns not in (soap.SOAP11, soap.SOAP12):
                raise Refusal(MAJOR + "niepoprawnyKomunikat", "", "not a SOAP envelope")
            now = dt.datetime.now(dt.UTC)
            self._check_security(root, env_ns, now)
            context = self._context(root)
            ops = root.xpath("/s:Envelope/s:Body/*", namespaces={"s": env_ns})
            if not isinstance(ops, list) or len(ops) != 1 or not isinstance(ops[0], etree._Element):
                raise Refusal(MAJOR + "niepoprawnyKomunikat", "", "Body must hold one operation")
            op = ops[0]
            if not self.op_schema.validate(op):
                raise Refusal(
                    MAJOR + "niepoprawnyKomunikat",
                    "",
                    masked_schema_error(self.op_schema.error_log),
                )
            name = etree.QName(op)
            batch_id = str(op.xpath("string(*[1])"))
            if (
                name.namespace == self.contract.namespace
                and name.localname == self.contract.status_name
            ):
                return self.answers.status(version, batch_id, self.store.batch(batch_id))
            if name.namespace != self.contract.namespace or name.localname != self.contract.name:
                raise Refusal(
                    MAJOR + "niepoprawnyKomunikat", "", f"unknown operation {name.localname}"
                )
            reply = self._load(version, batch_id, op, context)
        except Refusal as r:
            return self.answers.fault(version, r.major, r.minor, r.text)
        for kind in ("reset-after", "timeout-after"):
            if kind in drawn:
                return Reply(reply.status, reply.body, reply.content_type, after=kind)
        return reply

    def _load(
        self, version: str, batch_id: str, op: etree._Element, context: dict[str, str]
    ) -> Reply:
        payload = op.xpath("*[2]")[0]  # type: ignore[index]
        assert isinstance(payload, etree._Element)
        if etree.QName(payload).localname == self.contract.payload_element:
            payload = parse_bytes(base64.b64decode(payload.text or ""))
        if not self.payload_schema.validate(payload):
            raise Refusal(
                MAJOR + "niepoprawnyKomunikat",
                "",
                masked_schema_error(self.payload_schema.error_log),
            )
        mus = str(payload.xpath(self.contract.mus_xpath))
        caller = context.get("idMiejscaPracyOidExt", mus)
        if mus != caller:
            raise Refusal(
                MAJOR + "bladAutoryzacji",
                MINOR + "brakUprawnienPodmiotu",
                "MUŚ of the payload is not the caller's",
            )
        attr = self.contract.record_key_attribute
        records = [
            el for el in payload.iter() if isinstance(el.tag, str) and el.get(attr) is not None
        ]
        declared = payload.get("liczbaRekordow")
        if declared is not None and declared != str(len(records)):
            raise Refusal(
                MAJOR + "niepoprawnyKomunikat", "", "liczbaRekordow does not match the records"
            )
        aid_name = self.contract.appointment_id_element
        now = dt.datetime.now(dt.UTC).isoformat()
        results: list[tuple[str, str, str, str, str]] = []
        stored: list[tuple[str, str, str, str]] = []
        n = self.contract.answer_names
        with self.store.lock:
            held = self.store.held(el.get(attr, "") for el in records)
            for el in records:
                key = el.get(attr, "")
                aid = str(el.xpath(f"string(*[local-name()='{aid_name}'])"))
                if key in held:
                    results.append(
                        (key, aid, n["duplicate"], n["duplicate_code"], "rekord już istnieje")
                    )
                elif self.faults.refused(key):
                    results.append(
                        (key, aid, n["refused"], REFUSE_CODE, "termin niedostępny w harmonogramie")
                    )
                else:
                    digest = hashlib.sha256(
                        etree.tostring(el, method="c14n", exclusive=True)
                    ).hexdigest()
                    stored.append((key, mus, aid, digest))
                    held.add(key)
                    results.append((key, aid, n["accepted"], "", ""))
            self.store.commit_batch(batch_id, stored, results, now)
        return self.answers.batch(version, batch_id, results)
