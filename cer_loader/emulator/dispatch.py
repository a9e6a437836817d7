"""One emulated CeR for every operation whose contract file exists: each POST goes to the service
of the operation its SOAP Body names (``zasilInicjalnie`` and the go-live operations
``zapiszDaneMus``, ``importujMobilnePunktyObslugi``, ``zapiszHarmonogram``, ``zapiszSloty``,
``aktywujMus``), all sharing one store, one fault plan and one set of trust anchors."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from cer_loader.emulator.answer import Reply
from cer_loader.emulator.service import Service
from cer_loader.resources import data_dir
from cer_loader.submit.contract import OperationContract, load_contract
from cer_loader.xmlsafe import parse_bytes

GOLIVE = (
    "zapiszDaneMus",
    "importujMobilnePunktyObslugi",
    "zapiszHarmonogram",
    "zapiszSloty",
    "aktywujMus",
)


def golive_contracts() -> list[tuple[OperationContract, str]]:
    """(contract, payload XSD path) of each go-live operation shipped in schemas/operations/."""
    out = []
    for op in GOLIVE:
        path = data_dir("schemas") / "operations" / f"{op}.toml"
        if path.is_file():
            out.append((load_contract(path), str(data_dir("schemas") / f"{op}.xsd")))
    return out


class Dispatcher:
    """Routes a request to the service of its operation; the first service answers the rest."""

    def __init__(self, services: Sequence[Service]) -> None:
        self.services = list(services)
        self.by_name = {}
        for s in self.services:
            for name in (s.contract.name, s.contract.status_name):
                self.by_name[(s.contract.namespace, name)] = s

    @property
    def received(self) -> int:
        return sum(s.received for s in self.services)

    def handle(self, body: bytes) -> Reply:
        try:
            root = parse_bytes(body)
            env_ns = etree.QName(root).namespace or ""
            ops = root.xpath("/s:Envelope/s:Body/*", namespaces={"s": env_ns})
            if isinstance(ops, list) and len(ops) == 1 and isinstance(ops[0], etree._Element):
                q = etree.QName(ops[0])
                service = self.by_name.get((q.namespace or "", q.localname))
                if service is not None:
                    return service.handle(body)
        except etree.XMLSyntaxError:
            pass
        return self.services[0].handle(body)
