"""A local CeR for rehearsals and tests: a real HTTPS server on loopback speaking the operation's
contract (WS-Security verified, payload validated, records stored once in SQLite), with faults on
demand. Nothing but the CLI imports this package (the library never depends on it).

``start_in_process`` runs it in a thread (the embedded default of ``--submit`` and the tests);
``list_records`` says what it holds.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from cryptography import x509

from cer_loader.emulator.dispatch import Dispatcher, golive_contracts
from cer_loader.emulator.faults import parse_faults
from cer_loader.emulator.server import Server, server_context, wsdl_for
from cer_loader.emulator.service import Service
from cer_loader.emulator.store import Store
from cer_loader.resources import data_dir
from cer_loader.submit.contract import OperationContract, load_contract
from cer_loader.submit.devcerts import DevCerts, ensure_dev_certs
from cer_loader.submit.targets import Target

log = logging.getLogger(__name__)
HOST = "127.0.0.1"


@dataclass
class EmulatorHandle:
    url: str
    target: Target
    certs: DevCerts
    server: Server
    service: Service
    store: Store
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.store.close()

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _certs(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


def start_in_process(
    store: Path,
    *,
    faults: str = "",
    certs_dir: Path | None = None,
    port: int = 0,
    seed: int = 0,
    hang_s: float = 5.0,
    soap_version: str = "1.1",
    contract: OperationContract | None = None,
    payload_xsd: Path | None = None,
) -> EmulatorHandle:
    """Start on ``127.0.0.1:port`` (0: a free port) in a daemon thread; ``.stop()`` ends it.

    Sets the dev-certificate password variable when absent (a published throwaway value).
    """
    certs = ensure_dev_certs(certs_dir)
    os.environ.setdefault(certs.password_env, certs.password)
    contract = contract or load_contract()
    plan = parse_faults(faults, seed)
    db = Store(store)
    anchors = _certs(certs.wss_ca.read_bytes())
    service = Service(
        contract, db, payload_xsd or data_dir("schemas") / "zasilInicjalnie.xsd", anchors, plan
    )
    # the go-live operations share the store, faults and anchors (dispatched by the Body)
    others = [Service(c, db, Path(x), anchors, plan) for c, x in golive_contracts()]
    front = Dispatcher([service, *others])
    ctx = server_context(certs.server_cert, certs.server_key, certs.password, certs.client_ca)
    xsds = {p.name: p.read_bytes() for p in contract.wsdl.parent.glob("*.xsd")}
    server = Server((HOST, port), ctx, front, b"", xsds, plan.latency_ms, hang_s)  # type: ignore[arg-type]
    server.retry_after_s = plan.retry_after_s
    url = f"https://{HOST}:{server.server_address[1]}{contract.service_path}"
    server.wsdl = wsdl_for(contract.wsdl, url)
    thread = threading.Thread(target=server.serve_forever, name="cer-emulator", daemon=True)
    thread.start()
    target = Target(
        name="emulator",
        url=url,
        ca_bundle=(certs.ca_bundle,),
        tls_p12=certs.client_tls_p12,
        wss_p12=certs.client_wss_p12,
        soap_version="1.2" if soap_version == "1.2" else "1.1",
        tls_password_env=certs.password_env,
        wss_password_env=certs.password_env,
    )
    log.info("emulator_started url=%s store=%s", url, store)
    return EmulatorHandle(url, target, certs, server, service, db, thread)


def list_records(store: Path) -> list[tuple[str, str, str]]:
    """(idempotency key, MUŚ, appointment id) of every record the store holds."""
    db = Store(store)
    try:
        return db.records()
    finally:
        db.close()
