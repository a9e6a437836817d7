"""Certificate checks before go-live (``cer_loader.submit.certcheck``, ``cer-loader doctor``):
validity dates, key against certificate, chain to the target's CA bundle; a password that is
not in the environment skips the certificate, saying so, and is never asked without a terminal
and a flag."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from cer_loader.cli import cli
from cer_loader.submit import certcheck
from cer_loader.submit.certcheck import check_target
from cer_loader.submit.devcerts import (
    DEV_PASSWORD,
    DEV_PASSWORD_ENV,
    DevCerts,
    issue,
    p12_bytes,
    pem,
)
from cer_loader.submit.targets import Target

from conftest import SAMPLE

NOW = dt.datetime.now(dt.UTC)


def target(certs: DevCerts, **kw: object) -> Target:
    values: dict[str, object] = dict(
        name="integration", url="https://127.0.0.1:1/p1", ca_bundle=(certs.ca_bundle,),
        tls_p12=certs.client_tls_p12, wss_p12=certs.client_wss_p12,
        tls_password_env=DEV_PASSWORD_ENV, wss_password_env=DEV_PASSWORD_ENV,
    )  # fmt: skip
    values.update(kw)
    return Target(**values)  # type: ignore[arg-type]


def p12_from_sub_ca(folder: Path, name: str, **validity: object) -> tuple[Path, Path]:
    """A client .p12 issued by a fresh root → sub-CA, with the given validity; its bundle."""
    root = issue("Inny CCP1RootCA", ca=True, days=3650)
    sub = issue("Inny SubCATLS", root, ca=True, days=3650)
    leaf = issue("klient", sub, client=True, **validity)  # type: ignore[arg-type]
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(p12_bytes(leaf, (sub.cert,), DEV_PASSWORD))
    (folder / "bundle.pem").write_bytes(pem(root.cert))
    return folder / name, folder / "bundle.pem"


def statuses(findings: list[certcheck.Finding]) -> list[str]:
    return [f.status for f in findings]


def test_dev_certificates_are_valid_matched_and_chained(certs: DevCerts) -> None:
    found = check_target(target(certs))
    assert statuses(found) == ["ok"] * 6, [f.en for f in found]
    tls, wss = found[:3], found[3:]
    assert "valid until" in tls[0].en and "certyfikat TLS" in tls[0].pl
    assert "matches" in tls[1].en and "pasuje" in tls[1].pl
    assert "'Test CCP1SubCATLS'" in tls[2].en  # the TLS sub-CA is in the bundle itself
    assert "'Test CCP1RootCA'" in wss[2].en and "certificate WSS" not in wss[2].en
    assert "WSS certificate" in wss[2].en


def test_an_expired_certificate_is_named_with_its_date(tmp_path: Path) -> None:
    start = NOW - dt.timedelta(days=400)
    p12, bundle = p12_from_sub_ca(tmp_path, "stary.p12", not_before=start, days=365)
    found = check_target(target_of(p12, bundle))
    assert found[0].status == "bad"
    assert f"wygasł {start + dt.timedelta(days=365):%Y-%m-%d}" in found[0].pl
    assert "expired" in found[0].en


def test_not_yet_valid_and_expiring_soon(tmp_path: Path) -> None:
    early, bundle = p12_from_sub_ca(tmp_path, "wczesny.p12", not_before=NOW + dt.timedelta(days=3))
    found = check_target(target_of(early, bundle))
    assert found[0].status == "bad" and "ważny dopiero od" in found[0].pl
    soon, bundle = p12_from_sub_ca(tmp_path / "b", "krotki.p12", days=12)
    found = check_target(target_of(soon, bundle))
    assert found[0].status == "warn" and "(za 11 dni)" in found[0].pl
    assert "in 11 days" in found[0].en


def test_a_chain_to_another_ca_is_refused(certs: DevCerts, tmp_path: Path) -> None:
    other = tmp_path / "inny.pem"
    other.write_bytes(pem(issue("Obcy root", ca=True).cert))
    found = check_target(target(certs, ca_bundle=(other,)))
    chain = [f for f in found if "chain" in f.en]
    assert [f.status for f in chain] == ["bad", "bad"]
    assert "reaches no certificate of the CA bundle" in chain[0].en and str(other) in chain[0].en
    assert "brak wystawcy" in chain[1].pl  # the WSS chain stops at a root the bundle lacks


def test_a_forged_link_is_a_bad_signature(tmp_path: Path) -> None:
    """A bundle certificate bearing the sub-CA's name but another key signed nothing of ours."""
    sub = issue("Inny SubCATLS", issue("Inny CCP1RootCA", ca=True), ca=True)
    leaf = issue("klient", sub, client=True)
    (tmp_path / "bez-lancucha.p12").write_bytes(p12_bytes(leaf, (), DEV_PASSWORD))
    (tmp_path / "podrobiony.pem").write_bytes(pem(issue("Inny SubCATLS", ca=True).cert))
    t = target_of(tmp_path / "bez-lancucha.p12", tmp_path / "podrobiony.pem")
    found = check_target(Target(**{**t.__dict__, "wss_p12": None}))
    assert found[2].status == "bad" and "is not by 'Inny SubCATLS'" in found[2].en
    assert found[-1].status == "bad" and "wss_p12" in found[-1].en  # no WSS .p12 configured


def test_a_key_that_is_not_the_certificate_s(
    certs: DevCerts, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = issue("ktoś inny")
    real = certcheck.open_p12

    def swapped(path: Path, password: str, *, what: str = "p12"):  # type: ignore[no-untyped-def]
        _key, cert, chain = real(path, password, what=what)
        return other.key, cert, chain

    monkeypatch.setattr(certcheck, "open_p12", swapped)
    found = check_target(target(certs))
    assert found[1].status == "bad" and "NIE pasuje" in found[1].pl


def test_unset_password_is_skipped_and_a_wrong_one_named(
    certs: DevCerts, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = check_target(target(certs), environ={})
    assert statuses(found) == ["skip", "skip"]
    assert f"{DEV_PASSWORD_ENV} nie jest ustawiona" in found[0].pl
    asked: list[str] = []
    found = check_target(target(certs), environ={}, ask=lambda env: asked.append(env) or "zle")
    assert asked == [DEV_PASSWORD_ENV] * 2 and statuses(found) == ["bad", "bad"]
    assert "wrong password" in found[0].en and "zle" not in found[0].en


def target_of(p12: Path, bundle: Path) -> Target:
    return Target(name="integration", url="https://127.0.0.1:1/p1", ca_bundle=(bundle,),
                  tls_p12=p12, wss_p12=p12, tls_password_env=DEV_PASSWORD_ENV,
                  wss_password_env=DEV_PASSWORD_ENV)  # fmt: skip


def config_with(tmp_path: Path, p12: Path, bundle: Path) -> Path:
    text = (SAMPLE / "cer-loader.toml").read_text(encoding="utf-8")
    cfg = tmp_path / "cer-loader.toml"
    cfg.write_text(
        text + f'\n[targets.integration]\nurl = "https://127.0.0.1:1/p1"\nca_bundle = "{bundle}"\n'
        f'tls_p12 = "{p12}"\nwss_p12 = "{p12}"\n'
        f'tls_password_env = "{DEV_PASSWORD_ENV}"\nwss_password_env = "{DEV_PASSWORD_ENV}"\n',
        encoding="utf-8",
    )
    return cfg


def test_doctor_reports_certificates_and_exits_1_on_an_expired_one(
    certs: DevCerts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    good = config_with(tmp_path / "a", certs.client_tls_p12, certs.ca_bundle)
    done = CliRunner().invoke(cli, ["doctor", "--config", str(good), "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "[OK] cel integration, certyfikat TLS" in done.output
    assert "łańcuch zweryfikowany" in done.output and "Wszystko gotowe." in done.output
    p12, bundle = p12_from_sub_ca(
        tmp_path / "b", "stary.p12", not_before=NOW - dt.timedelta(days=40), days=30
    )
    bad = config_with(tmp_path / "b", p12, bundle)
    done = CliRunner().invoke(cli, ["doctor", "--config", str(bad), "--out", str(tmp_path),
                                    "--lang", "en"])  # fmt: skip
    assert done.exit_code == 1
    assert "[FAIL] target integration, TLS certificate" in done.output and "expired" in done.output
    assert "To fix: 2." in done.output  # TLS and WSS (the same expired file)


def test_doctor_never_prompts_without_a_terminal(
    certs: DevCerts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(DEV_PASSWORD_ENV)
    cfg = config_with(tmp_path, certs.client_tls_p12, certs.ca_bundle)
    done = CliRunner().invoke(
        cli,
        ["doctor", "--config", str(cfg), "--out", str(tmp_path), "--ask-passwords"],
        input="x\n",
    )  # CliRunner's stdin is no terminal: no prompt, the certificates are skipped
    assert done.exit_code == 0, done.output
    assert "[POMINIĘTO]" in done.output and "Hasło" not in done.output
    assert "Pominięte sprawdzenia: 2." in done.output
