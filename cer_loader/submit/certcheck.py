"""Before go-live: are a target's certificates usable? (``cer-loader doctor``)

For the TLS and WSS ``.p12`` of each configured ``[targets.NAME]``, with the password from the
environment variable the target names (never asked here; the CLI may prompt on a terminal when
told to): the validity dates (expired, not yet valid, expiring within 30 days), whether the
private key belongs to the certificate, and whether the chain — the leaf, the intermediates the
``.p12`` carries and the target's CA bundle — reaches a certificate of the bundle, each link's
signature verified. Opening the file is :func:`cer_loader.submit.credentials.open_p12`, what
submission uses. Every finding is a line in Polish and English; nothing here exits or prints.

UNCONFIRMED: that P1's client certificates (TLS and WSS) chain to a root of the same CA bundle
that verifies P1's servers (CCP1 roots); a site whose WSS certificate chains elsewhere sees a
chain finding for it and can add that root to ``ca_bundle``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from cer_loader.submit.credentials import EXPIRY_WARNING, key_matches, open_p12
from cer_loader.submit.errors import PermanentFault
from cer_loader.submit.targets import Target

OK, BAD, WARN, SKIP = "ok", "bad", "warn", "skip"
TEXT = {
    "pl": {
        "which": "cel {target}, certyfikat {kind} {path}",
        "none": "brak pliku .p12 w konfiguracji ({option}): wysyłka nie zadziała",
        "missing": "nie ma takiego pliku",
        "no_password": "zmienna {env} nie jest ustawiona: certyfikatu nie sprawdzono (ustaw ją "
        "albo uruchom doctor na terminalu z --ask-passwords)",
        "unopened": "nie można otworzyć: {detail}",
        "valid": "ważny do {until} (jeszcze {days} dni)",
        "soon": "wygasa {until} (za {days} dni): zamów nowy certyfikat przed uruchomieniem",
        "expired": "wygasł {until}: zamów nowy certyfikat",
        "early": "ważny dopiero od {since}: sprawdź zegar komputera albo poczekaj",
        "key_ok": "klucz prywatny pasuje do certyfikatu",
        "key_bad": "klucz prywatny NIE pasuje do certyfikatu: plik .p12 jest źle złożony",
        "chain_ok": "łańcuch zweryfikowany do „{anchor}” z pakietu CA",
        "chain_bad": "łańcuch nie prowadzi do żadnego certyfikatu z pakietu CA ({bundle}): {why}",
        "no_issuer": "brak wystawcy „{issuer}”",
        "bad_signature": "podpis „{subject}” nie jest podpisem „{issuer}”",
        "link_expired": "certyfikat pośredni „{subject}” jest ważny {since} – {until}",
        "bundle": "pakiet CA {path} nie daje się odczytać: {detail}",
    },
    "en": {
        "which": "target {target}, {kind} certificate {path}",
        "none": "no .p12 file configured ({option}): submission will not work",
        "missing": "no such file",
        "no_password": "variable {env} is not set: certificate not checked (set it or run "
        "doctor on a terminal with --ask-passwords)",
        "unopened": "cannot be opened: {detail}",
        "valid": "valid until {until} ({days} days left)",
        "soon": "expires {until} (in {days} days): order a new certificate before go-live",
        "expired": "expired {until}: order a new certificate",
        "early": "not valid before {since}: check the computer's clock or wait",
        "key_ok": "the private key matches the certificate",
        "key_bad": "the private key does NOT match the certificate: the .p12 is assembled wrong",
        "chain_ok": "chain verified up to '{anchor}' of the CA bundle",
        "chain_bad": "the chain reaches no certificate of the CA bundle ({bundle}): {why}",
        "no_issuer": "issuer '{issuer}' not found",
        "bad_signature": "the signature on '{subject}' is not by '{issuer}'",
        "link_expired": "intermediate certificate '{subject}' is valid {since} - {until}",
        "bundle": "CA bundle {path} cannot be read: {detail}",
    },
}


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report: ``status`` ok / bad / warn (to fix) / skip."""

    status: str
    pl: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.pl


@dataclass(frozen=True)
class _Both:
    """A value that reads differently per language (a reason inside a sentence)."""

    pl: str
    en: str


def _say(status: str, head: dict[str, str], what: str, **values: object) -> Finding:
    def text(lang: str) -> str:
        own = {k: getattr(v, lang) if isinstance(v, _Both) else v for k, v in values.items()}
        return TEXT[lang]["which"].format(**head) + ": " + TEXT[lang][what].format(**own)

    return Finding(status, text("pl"), text("en"))


def _both(key: str, **values: object) -> tuple[str, str]:
    return TEXT["pl"][key].format(**values), TEXT["en"][key].format(**values)


def _cn(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def read_anchors(bundle: tuple[Path, ...]) -> list[x509.Certificate]:
    """Every certificate of the target's CA bundle files (ValueError/OSError when unreadable)."""
    anchors: list[x509.Certificate] = []
    for path in bundle:
        anchors += x509.load_pem_x509_certificates(path.read_bytes())
    return anchors


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def walk_chain(
    leaf: x509.Certificate, carried: tuple[x509.Certificate, ...],
    anchors: list[x509.Certificate], now: dt.datetime,
) -> tuple[x509.Certificate | None, tuple[str, str] | None]:  # fmt: skip
    """From ``leaf`` up through ``carried`` (the .p12's intermediates) and ``anchors``, each
    link's signature verified and each intermediate valid now: (the bundle certificate reached,
    None), or (None, why not in Polish and English)."""
    trusted = {_der(a) for a in anchors}
    pool = [*carried, *anchors]
    cert = leaf
    for _ in range(8):  # P1's chains are three deep; a loop in the names ends here
        if _der(cert) in trusted:
            return cert, None
        issuer = None
        candidates = [c for c in pool if c.subject == cert.issuer and _der(c) != _der(cert)]
        for candidate in candidates:
            try:
                cert.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, InvalidSignature):
                continue
            issuer = candidate
            break
        if issuer is None:
            if candidates:
                return None, _both("bad_signature", subject=_cn(cert), issuer=_cn(candidates[0]))
            return None, _both("no_issuer", issuer=cert.issuer.rfc4514_string())
        if not issuer.not_valid_before_utc <= now <= issuer.not_valid_after_utc:
            return None, _both(
                "link_expired", subject=_cn(issuer),
                since=f"{issuer.not_valid_before_utc:%Y-%m-%d}",
                until=f"{issuer.not_valid_after_utc:%Y-%m-%d}",
            )  # fmt: skip
        cert = issuer
    return None, _both("no_issuer", issuer=cert.issuer.rfc4514_string())


def check_certificate(
    target: Target, kind: str, path: Path | None, env: str, password: str | None,
    now: dt.datetime, anchors: list[x509.Certificate] | None,
) -> Iterator[Finding]:  # fmt: skip
    """The findings for one ``.p12`` of ``target`` (``kind`` TLS or WSS)."""
    head = {"target": target.name, "kind": kind, "path": str(path or "-")}
    if path is None:
        yield _say(BAD, head, "none", option=f"{kind.lower()}_p12")
        return
    if not path.is_file():
        yield _say(BAD, head, "missing")
        return
    if not password:
        yield _say(SKIP, head, "no_password", env=env)
        return
    try:
        key, cert, carried = open_p12(path, password, what=kind.lower())
    except PermanentFault as exc:
        yield _say(BAD, head, "unopened", detail=exc.detail.split(": ", 1)[-1])
        return
    since, until = cert.not_valid_before_utc, cert.not_valid_after_utc
    days = (until - now).days
    if until < now:
        yield _say(BAD, head, "expired", until=f"{until:%Y-%m-%d}")
    elif since > now:
        yield _say(BAD, head, "early", since=f"{since:%Y-%m-%d}")
    elif until - now < EXPIRY_WARNING:
        yield _say(WARN, head, "soon", until=f"{until:%Y-%m-%d}", days=days)
    else:
        yield _say(OK, head, "valid", until=f"{until:%Y-%m-%d}", days=days)
    yield _say(OK, head, "key_ok") if key_matches(key, cert) else _say(BAD, head, "key_bad")
    if anchors is None:
        return
    anchor, why = walk_chain(cert, carried, anchors, now)
    if why is None:
        yield _say(OK, head, "chain_ok", anchor=_cn(anchor) if anchor else "?")
    else:
        bundle = ", ".join(str(p) for p in target.ca_bundle)
        yield _say(BAD, head, "chain_bad", bundle=bundle, why=_Both(*why))


def check_target(
    target: Target,
    environ: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
    ask: Callable[[str], str | None] | None = None,
) -> list[Finding]:
    """Every finding for ``target``'s TLS and WSS certificates. Passwords from ``environ``
    (default ``os.environ``); ``ask(env)`` is called for an unset one when given (a prompt)."""
    env_values = os.environ if environ is None else environ
    moment = now or dt.datetime.now(dt.UTC)
    findings: list[Finding] = []
    anchors: list[x509.Certificate] | None
    try:
        anchors = read_anchors(target.ca_bundle)
    except (OSError, ValueError) as exc:
        anchors = None
        detail = getattr(exc, "strerror", None) or str(exc)
        paths = ", ".join(str(p) for p in target.ca_bundle)
        findings.append(Finding(BAD, *_both("bundle", path=paths, detail=detail)))
    pairs = (("TLS", target.tls_p12, target.tls_password_env),
             ("WSS", target.wss_p12, target.wss_password_env))  # fmt: skip
    for kind, path, env in pairs:
        password = env_values.get(env) or None
        if password is None and ask is not None and path is not None and path.is_file():
            password = ask(env)
        findings += check_certificate(target, kind, path, env, password, moment, anchors)
    return findings
