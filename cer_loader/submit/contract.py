"""The operation's contract as data: ``schemas/operations/zasilInicjalnie.toml`` and the WSDL and
XSD files it names. Nothing about CeR's names, namespaces or answer shape is hard-coded elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cer_loader.errors import ConfigError
from cer_loader.resources import data_dir, load_toml

KINDS = ("transient", "ambiguous")
MUS_XPATH = (
    "string(*[local-name()='kontekst']/*[local-name()='miejsceUdzielaniaSwiadczen']/@extension)"
)


@dataclass(frozen=True)
class OperationContract:
    source: Path
    name: str
    namespace: str
    soap_action: str
    answer: str
    batch_id_element: str
    payload_encoding: str
    payload_element: str
    service_path: str
    wsdl: Path
    xsd: Path
    timestamp_ttl_s: int
    status_name: str
    status_soap_action: str
    status_answer: str
    unknown_batch_code: str
    context_namespace: str
    context_prefix: str
    context_attributes: tuple[tuple[str, str], ...]
    answer_names: dict[str, str]
    fault_names: dict[str, str]
    fault_major: dict[str, str]
    fault_minor: dict[str, str]
    record_key_attribute: str
    appointment_id_element: str
    # where the payload names its MUŚ (the emulator checks it is the caller's)
    mus_xpath: str = MUS_XPATH

    def context_values(self, values: dict[str, str] | Any) -> list[tuple[str, str]]:
        """(full attribute URN, value) pairs of ``kontekstWywolania`` for these context values."""
        out = []
        for name, template in self.context_attributes:
            try:
                value = template.format_map(dict(values))
            except KeyError as exc:
                raise ConfigError(
                    f"kontrakt: atrybut kontekstu {name} wymaga wartości {exc}",
                    f"contract: context attribute {name} needs the value {exc}",
                    path=self.source,
                ) from None
            if not value:
                raise ConfigError(
                    f"brak wartości atrybutu kontekstu {name} (ustawienia dostawcy)",
                    f"context attribute {name} has no value (provider settings)",
                    path=self.source,
                )
            out.append((self.context_prefix + name, value))
        return out

    def fault_kind(self, major: str, minor: str) -> str:
        """A layer name, "transient" or "ambiguous"; unknown codes are "protocol" (permanent)."""
        return self.fault_minor.get(minor) or self.fault_major.get(major) or "protocol"


def default_contract_path() -> Path:
    return data_dir("schemas") / "operations" / "zasilInicjalnie.toml"


def load_contract(path: Path | None = None) -> OperationContract:
    path = path or default_contract_path()
    doc = load_toml(path, "kontrakt operacji", "operation contract")
    base = path.parent
    try:
        op, st, ctx = doc["operation"], doc["status"], doc["context"]
        answer, faults = doc["answer"], doc["faults"]
        return OperationContract(
            source=path,
            name=op["name"],
            namespace=op["namespace"],
            soap_action=op["soap_action"],
            answer=op["answer"],
            batch_id_element=op["batch_id_element"],
            payload_encoding=op.get("payload_encoding", "inline"),
            payload_element=op.get("payload_element", "tresc"),
            service_path=op["service_path"],
            wsdl=(base / op["wsdl"]).resolve(),
            xsd=(base / op["xsd"]).resolve(),
            timestamp_ttl_s=int(op.get("timestamp_ttl_s", 300)),
            status_name=st["name"],
            status_soap_action=st["soap_action"],
            status_answer=st["answer"],
            unknown_batch_code=st["unknown_batch_code"],
            context_namespace=ctx["namespace"],
            context_prefix=ctx.get("attribute_prefix", ""),
            context_attributes=tuple((str(k), str(v)) for k, v in ctx["attributes"].items()),
            answer_names={str(k): str(v) for k, v in answer.items()},
            fault_names={str(k): str(v) for k, v in faults.items() if isinstance(v, str)},
            fault_major={str(k): str(v) for k, v in faults.get("major", {}).items()},
            fault_minor={str(k): str(v) for k, v in faults.get("minor", {}).items()},
            record_key_attribute=doc["payload"]["record_key_attribute"],
            appointment_id_element=doc["payload"]["appointment_id_element"],
            mus_xpath=doc["payload"].get("mus_xpath", MUS_XPATH),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"kontrakt operacji: brak lub błędna wartość {exc}",
            f"operation contract: missing or invalid value {exc}",
            path=path,
        ) from None
