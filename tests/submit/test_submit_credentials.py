"""PKCS#12 loading (modern, 3DES, RC2-40 legacy), password errors that reveal nothing, the mutual
TLS context leaving no key file behind, dev certificates created once."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from cer_loader.submit.credentials import load_p12, tls_context
from cer_loader.submit.devcerts import DEV_PASSWORD, DevCerts, ensure_dev_certs, issue
from cer_loader.submit.errors import PermanentFault

SECRET = "Tajne-Haslo-123"


@pytest.fixture(scope="module")
def leaf():  # type: ignore[no-untyped-def]
    ca = issue("Test CA", ca=True)
    return issue("Test leaf", ca, client=True), ca


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    p.chmod(0o600)
    return p


def test_modern_p12(tmp_path: Path, leaf) -> None:  # type: ignore[no-untyped-def]
    cert, ca = leaf
    data = pkcs12.serialize_key_and_certificates(
        b"x", cert.key, cert.cert, [ca.cert], serialization.BestAvailableEncryption(SECRET.encode())
    )
    cred = load_p12(_write(tmp_path, "m.p12", data), SECRET)
    assert cred.cert == cert.cert and cred.chain == (ca.cert,)


def test_3des_p12(tmp_path: Path, leaf) -> None:  # type: ignore[no-untyped-def]
    cert, ca = leaf
    enc = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(SECRET.encode())
    )
    data = pkcs12.serialize_key_and_certificates(b"x", cert.key, cert.cert, [ca.cert], enc)
    assert load_p12(_write(tmp_path, "3des.p12", data), SECRET).cert == cert.cert


def test_rc2_legacy_p12_as_csioz_issues_them(tmp_path: Path, leaf) -> None:  # type: ignore[no-untyped-def]
    exe = shutil.which("openssl")
    assert exe, "the openssl command is needed to make an RC2-40 file"
    cert, ca = leaf
    key = tmp_path / "k.pem"
    key.write_bytes(cert.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(b"tmp-pass")))  # fmt: skip
    (tmp_path / "c.pem").write_bytes(cert.cert.public_bytes(serialization.Encoding.PEM))
    out = tmp_path / "legacy.p12"
    done = subprocess.run(
        [exe, "pkcs12", "-export", "-legacy", "-inkey", str(key), "-in", str(tmp_path / "c.pem"),
         "-passin", "pass:tmp-pass", "-passout", "env:P12PW", "-out", str(out),
         "-certpbe", "PBE-SHA1-RC2-40", "-keypbe", "PBE-SHA1-3DES"],
        capture_output=True, text=True, env={**os.environ, "P12PW": SECRET},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    dump = subprocess.run(
        [exe, "pkcs12", "-legacy", "-info", "-noout", "-in", str(out), "-passin", "env:P12PW"],
        capture_output=True, text=True, env={**os.environ, "P12PW": SECRET},
    )  # fmt: skip
    assert "RC2" in dump.stderr + dump.stdout
    out.chmod(0o600)
    assert load_p12(out, SECRET).cert == cert.cert


def test_wrong_password_says_so_without_the_password(certs: DevCerts) -> None:
    with pytest.raises(PermanentFault) as err:
        load_p12(certs.client_wss_p12, SECRET)
    assert err.value.layer == "certificate" and err.value.exit_code == 2
    assert SECRET not in err.value.text("pl") + err.value.text("en")
    assert str(certs.client_wss_p12) in err.value.text("en")


def test_a_p12_readable_by_others_is_warned_about(tmp_path: Path, certs: DevCerts, caplog) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "open.p12"
    shutil.copy(certs.client_wss_p12, p)
    p.chmod(0o644)
    load_p12(p, DEV_PASSWORD)
    assert "p12_readable_by_others" in caplog.text


def test_expired_certificate_is_refused(tmp_path: Path) -> None:
    import datetime as dt

    old = issue("old", not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), days=30)
    data = pkcs12.serialize_key_and_certificates(
        b"x", old.key, old.cert, None, serialization.BestAvailableEncryption(SECRET.encode())
    )
    with pytest.raises(PermanentFault) as err:
        load_p12(_write(tmp_path, "old.p12", data), SECRET)
    assert err.value.code == "local:certificate-expired"


def test_tls_context_leaves_no_key_file(tmp_path: Path, certs: DevCerts, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen: list[str] = []
    real = os.open

    def spy(path, flags, mode=0o777, *a, **kw):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(scratch)) and flags & os.O_CREAT:
            seen.append(str(path))
            assert mode == 0o600 and flags & os.O_EXCL
        return real(path, flags, mode, *a, **kw)

    monkeypatch.setattr(os, "open", spy)
    ctx = tls_context([certs.ca_bundle], load_p12(certs.client_tls_p12, DEV_PASSWORD))
    monkeypatch.setattr(os, "open", real)
    assert ctx.verify_mode.name == "CERT_REQUIRED" and ctx.check_hostname
    assert any(p.endswith("key.pem") for p in seen)
    assert list(scratch.iterdir()) == []


def test_the_key_file_is_encrypted_while_it_exists(certs: DevCerts, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ssl

    captured: list[bytes] = []
    real = ssl.SSLContext.load_cert_chain

    def spy(self, certfile, keyfile=None, password=None):  # type: ignore[no-untyped-def]
        captured.append(Path(keyfile).read_bytes())
        return real(self, certfile, keyfile, password)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
    tls_context([certs.ca_bundle], load_p12(certs.client_tls_p12, DEV_PASSWORD))
    assert captured and b"ENCRYPTED PRIVATE KEY" in captured[0]


def test_dev_certs_are_made_once_privately(tmp_path: Path) -> None:
    first = ensure_dev_certs(tmp_path / "c")
    stamp = first.client_wss_p12.stat().st_mtime_ns
    again = ensure_dev_certs(tmp_path / "c")
    assert again == first and again.client_wss_p12.stat().st_mtime_ns == stamp
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (tmp_path / "c").iterdir())
    assert load_p12(first.client_tls_p12, DEV_PASSWORD).chain
    assert b"ENCRYPTED" in first.server_key.read_bytes()
