"""The emulator's HTTPS server: stdlib ``http.server`` on loopback, TLS requiring a client
certificate from the TLS CA, each connection's handshake done in its own thread.

``POST <service_path>``: the operation (``service.Service``). ``GET <service_path>?wsdl``: the
WSDL with this server's address; ``GET /services/<name>.xsd``: the schemas it imports.
Resets are real (RST via SO_LINGER 0); a hang holds the answer until the client gives up.
"""

from __future__ import annotations

import logging
import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from cer_loader.emulator.service import Service
from cer_loader.xmlsafe import parser

log = logging.getLogger(__name__)
MAX_REQUEST = 256 * 1024 * 1024


def server_context(cert: Path, key: Path, password: str, client_ca: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key), password=password)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=str(client_ca))
    return ctx


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], ctx: ssl.SSLContext, service: Service,
                 wsdl: bytes, xsds: dict[str, bytes], latency_ms: int, hang_s: float) -> None:  # fmt: skip
        super().__init__(addr, Handler)
        self.ctx = ctx
        self.service = service
        self.wsdl = wsdl
        self.xsds = xsds
        self.latency_ms = latency_ms
        self.retry_after_s = 1  # the Retry-After of a busy answer (the fault plan's)
        self.hang_s = hang_s
        self.stopping = threading.Event()

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("emulator_connection_error peer=%s", client_address[0])


def wsdl_for(path: Path, url: str) -> bytes:
    """The WSDL with every soap/soap12 address set to ``url``."""
    doc = etree.parse(str(path), parser())
    for el in doc.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname == "address":
            el.set("location", url)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    server_version = "cer-loader-emulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("emulator_http " + format, *args)

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            log.info(
                "emulator_tls_refused peer=%s reason=%s", self.client_address[0], type(exc).__name__
            )
            self.close_connection = True
            raise

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if status == 503 and self.server.retry_after_s:
            self.send_header("Retry-After", str(self.server.retry_after_s))
        self.end_headers()
        self.wfile.write(body)

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        name = parts.path.rsplit("/", 1)[-1]
        if parts.query.lower() == "wsdl":
            self._send(200, self.server.wsdl, "text/xml; charset=utf-8")
        elif name in self.server.xsds:
            self._send(200, self.server.xsds[name], "text/xml; charset=utf-8")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_REQUEST:
            self._send(411 if length <= 0 else 413, b"", "text/plain")
            return
        body = self.rfile.read(length)
        if self.server.latency_ms:
            self.server.stopping.wait(self.server.latency_ms / 1000)
        reply = self.server.service.handle(body)
        if reply.after in ("reset-before", "reset-after"):
            self._reset()
            return
        if reply.after == "timeout-after":
            self.server.stopping.wait(self.server.hang_s)
            self._reset()
            return
        self._send(reply.status, reply.body, reply.content_type)
