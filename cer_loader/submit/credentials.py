"""Certificates from PKCS#12 files and the mutual-TLS context, keys kept off disk in clear.

``load_p12`` reads modern and legacy (RC2-40 / 3DES, as CSIOZ issues them) files with
cryptography. The password comes from a callback (environment or prompt), never a file or an
argument. ``tls_context`` builds a verifying client context (several trust anchors, TLS >= 1.2,
host name checked) and loads the client chain through a one-time-encrypted temporary key file
in a private directory, removed before returning: the private key never touches disk in clear.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import shutil
import ssl
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from cer_loader.submit.errors import PermanentFault

log = logging.getLogger(__name__)
EXPIRY_WARNING = dt.timedelta(days=30)
PrivateKey = PrivateKeyTypes
Opened = tuple[PrivateKey, x509.Certificate, tuple[x509.Certificate, ...]]


@dataclass(frozen=True)
class Credential:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def chain_pem(self) -> bytes:
        """Leaf then intermediates, PEM: what the server gets in the handshake."""
        return b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in (self.cert, *self.chain)
        )


def open_p12(path: Path, password: str, *, what: str = "p12") -> Opened:
    """Key, leaf and chain of a PKCS#12 file as it holds them, unchecked (``cer-loader doctor``
    reports on them); errors name the file, never the password."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PermanentFault(
            "certificate", "local:p12-unreadable", f"{path}: {exc.strerror}"
        ) from None
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("p12_readable_by_others what=%s path=%s", what, path)
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    except ValueError:
        raise PermanentFault(
            "certificate",
            "local:p12-password",
            f"{path}: wrong password or damaged PKCS#12 file ({what})",
        ) from None
    if key is None or cert is None:
        raise PermanentFault(
            "certificate", "local:p12-incomplete", f"{path}: no private key or certificate"
        )
    return key, cert, tuple(chain)


def key_matches(key: PrivateKey, cert: x509.Certificate) -> bool:
    """The private key is the one the certificate's public key belongs to."""
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_key().public_bytes(der, spki) == cert.public_key().public_bytes(der, spki)


def load_p12(path: Path, password: str, *, what: str = "p12") -> Credential:
    """Key, leaf and chain of a PKCS#12 file, checked for use (RSA key matching the
    certificate, valid now); errors name the file, never the password."""
    key, cert, chain = open_p12(path, password, what=what)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PermanentFault("certificate", "local:p12-key-type", f"{path}: not an RSA key")
    if not key_matches(key, cert):
        raise PermanentFault(
            "certificate", "local:p12-mismatch", f"{path}: key does not match the certificate"
        )
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc < now or cert.not_valid_before_utc > now:
        raise PermanentFault(
            "certificate",
            "local:certificate-expired",
            f"{path}: certificate valid {cert.not_valid_before_utc:%Y-%m-%d} - "
            f"{cert.not_valid_after_utc:%Y-%m-%d}",
        )
    if cert.not_valid_after_utc - now < EXPIRY_WARNING:
        log.warning(
            "certificate_expires_soon what=%s not_after=%s",
            what,
            cert.not_valid_after_utc.isoformat(),
        )
    return Credential(key, cert, tuple(chain))


def read_bundle(paths: Sequence[Path]) -> str:
    """All trust anchors of the bundle files, concatenated (PEM text)."""
    parts = []
    for p in paths:
        try:
            parts.append(p.read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError) as exc:
            raise PermanentFault(
                "certificate", "local:ca-bundle-unreadable", f"{p}: {exc}"
            ) from None
    return "\n".join(parts)


def load_cert_chain_private(ctx: ssl.SSLContext, cred: Credential) -> None:
    """``ctx.load_cert_chain`` needs paths: hand it the key encrypted with a one-time passphrase
    in a 0700 directory, and remove everything before returning."""
    one_time = secrets.token_urlsafe(32).encode("ascii")
    folder = tempfile.mkdtemp(prefix="cer-loader-tls-")
    try:
        os.chmod(folder, 0o700)
        cert_path = os.path.join(folder, "chain.pem")
        key_path = os.path.join(folder, "key.pem")
        for p, data in (
            (cert_path, cred.chain_pem()),
            (
                key_path,
                cred.key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(one_time),
                ),
            ),
        ):
            fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        ctx.load_cert_chain(cert_path, key_path, password=one_time)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def tls_context(ca_bundle: Sequence[Path], client: Credential | None) -> ssl.SSLContext:
    """A client context verifying the server against ``ca_bundle`` only (no system store)."""
    try:
        ctx = ssl.create_default_context(cadata=read_bundle(ca_bundle))
    except ssl.SSLError as exc:
        raise PermanentFault("certificate", "local:ca-bundle-invalid", str(exc)) from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    if client is not None:
        load_cert_chain_private(ctx, client)
    return ctx
