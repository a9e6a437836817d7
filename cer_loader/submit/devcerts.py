"""Throwaway certificates for rehearsals against the local emulator (never real credentials).

A "Test CCP1RootCA" with two sub-CAs like P1's (TLS and WSS); a server certificate for
``localhost`` / 127.0.0.1; client TLS and WSS certificates in .p12 files. The .p12 files and the
server key are encrypted with the published dev password (``DEV_PASSWORD``, environment variable
``DEV_PASSWORD_ENV``): they protect nothing and must never be used outside rehearsals.
``ensure_dev_certs`` creates the set once per folder (default: a 0700 per-user cache folder).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEV_PASSWORD_ENV = "CER_LOADER_DEV_P12_PASSWORD"
DEV_PASSWORD = "cer-loader-dev-only"
FILES = {
    "ca_bundle": "ca-bundle.pem",  # what a client trusts for the server: root + TLS sub-CA
    "client_ca": "client-ca.pem",  # what the server trusts for client TLS certs
    "wss_ca": "wss-ca.pem",  # root + WSS sub-CA: what the server trusts for signatures
    "server_cert": "server.pem",  # server leaf + TLS sub-CA
    "server_key": "server-key.pem",  # encrypted with the dev password
    "client_tls_p12": "client-tls.p12",
    "client_wss_p12": "client-wss.p12",
}


@dataclass(frozen=True)
class DevCerts:
    dir: Path
    ca_bundle: Path
    client_ca: Path
    wss_ca: Path
    server_cert: Path
    server_key: Path
    client_tls_p12: Path
    client_wss_p12: Path
    password_env: str = DEV_PASSWORD_ENV
    password: str = DEV_PASSWORD


@dataclass(frozen=True)
class Issued:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cer-loader test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def issue(
    cn: str,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    server: bool = False,
    client: bool = False,
    signing: bool = False,
    hosts: tuple[str, ...] = (),
    days: int = 825,
    not_before: dt.datetime | None = None,
) -> Issued:
    """One RSA-2048 certificate (self-signed when ``issuer`` is None)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.cert.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    b = b.add_extension(
        x509.KeyUsage(
            digital_signature=not ca, content_commitment=signing, key_encipherment=server or client,
            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
            encipher_only=False, decipher_only=False,
        ),
        critical=True,
    )  # fmt: skip
    usages = [ExtendedKeyUsageOID.SERVER_AUTH] * server + [ExtendedKeyUsageOID.CLIENT_AUTH] * client
    if usages:
        b = b.add_extension(x509.ExtendedKeyUsage(usages), False)
    if hosts:
        names: list[x509.GeneralName] = []
        for h in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                names.append(x509.DNSName(h))
        b = b.add_extension(x509.SubjectAlternativeName(names), False)
    cert = b.sign((issuer or Issued(key, None)).key, hashes.SHA256())  # type: ignore[arg-type]
    return Issued(key, cert)


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def p12_bytes(leaf: Issued, chain: tuple[x509.Certificate, ...], password: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"cer-loader-dev",
        leaf.key,
        leaf.cert,
        list(chain),
        serialization.BestAvailableEncryption(password.encode()),
    )


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def make_dev_certs(
    folder: Path,
    password: str = DEV_PASSWORD,
    server_hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
) -> DevCerts:
    """Write a fresh set into ``folder`` (created 0700; existing files are not overwritten)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    root = issue("Test CCP1RootCA", ca=True, days=3650)
    tls = issue("Test CCP1SubCATLS", root, ca=True, days=3650)
    wss = issue("Test CCP1SubCAWSS", root, ca=True, days=3650)
    server = issue(server_hosts[0], tls, server=True, hosts=server_hosts)
    client_tls = issue("Test podmiot leczniczy - TLS", tls, client=True)
    client_wss = issue("Test podmiot leczniczy - WSS", wss, signing=True)
    key = server.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )
    contents = {
        "ca_bundle": pem(root.cert, tls.cert),
        "client_ca": pem(root.cert, tls.cert),
        "wss_ca": pem(root.cert, wss.cert),
        "server_cert": pem(server.cert, tls.cert),
        "server_key": key,
        "client_tls_p12": p12_bytes(client_tls, (tls.cert,), password),
        "client_wss_p12": p12_bytes(client_wss, (wss.cert,), password),
    }
    for field, name in FILES.items():
        _write(folder / name, contents[field])
    return dev_certs_in(folder)


def dev_certs_in(folder: Path) -> DevCerts:
    return DevCerts(dir=folder, **{k: folder / v for k, v in FILES.items()})  # type: ignore[arg-type]


def default_dev_certs_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cer-loader" / "dev-certs"


def ensure_dev_certs(folder: Path | None = None) -> DevCerts:
    """The dev set in ``folder``, created once (built in a sibling temp folder, then renamed, so a
    half-written set is never used)."""
    folder = folder or default_dev_certs_dir()
    if all((folder / name).is_file() for name in FILES.values()):
        return dev_certs_in(folder)
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".dev-certs-", dir=folder.parent))
    try:
        make_dev_certs(tmp)
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()
        try:
            os.rename(tmp, folder)
        except OSError:  # another process won the race, or a partial folder is in the way
            if not all((folder / name).is_file() for name in FILES.values()):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    os.chmod(folder, 0o700)
    return dev_certs_in(folder)
