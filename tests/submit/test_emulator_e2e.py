"""End to end: P1Client -> emulator over real mutual TLS; duplicates, status, SOAP 1.2, listing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cer_loader import emulator as emu
from cer_loader.submit.client import P1Client

from .conftest import CONTEXT, MUS, client, password, payload


def test_batch_is_accepted_stored_and_listed(emulator: emu.EmulatorHandle) -> None:
    with client(emulator) as c:
        answer = c.send_batch("B-1", payload(3), CONTEXT)
    assert answer.status == "ACCEPTED"
    assert answer.http_status == 200
    assert len(answer.records) == 3 and all(r.accepted and not r.code for r in answer.records)
    assert [r.appointment_id for r in answer.records] == ["W0000000", "W0000001", "W0000002"]
    assert len(answer.request_sha256) == 64
    held = emu.list_records(emulator.store.path)
    assert [(k, m, a) for k, m, a in held] == [
        (r.key, MUS, r.appointment_id) for r in answer.records
    ]


def test_a_key_already_held_is_a_duplicate_never_stored_twice(emulator: emu.EmulatorHandle) -> None:
    with client(emulator) as c:
        first = c.send_batch("B-1", payload(2), CONTEXT)
        again = c.send_batch("B-2", payload(3), CONTEXT)  # two old keys, one new
    assert first.status == "ACCEPTED"
    assert again.status == "ACCEPTED"
    codes = [r.code for r in again.records]
    assert codes[:2] == [c.contract.answer_names["duplicate_code"]] * 2 and codes[2] == ""
    keys = [k for k, _, _ in emu.list_records(emulator.store.path)]
    assert len(keys) == 3 == len(set(keys))


def test_status_query_answers_what_was_processed(emulator: emu.EmulatorHandle) -> None:
    with client(emulator) as c:
        sent = c.send_batch("B-7", payload(2), CONTEXT)
        status = c.query_status("B-7")
        unknown = c.query_status("B-never")
    assert unknown is None
    assert status is not None and status.status == "ACCEPTED"
    assert [(r.key, r.accepted) for r in status.records] == [(r.key, True) for r in sent.records]


def test_soap_12(emulator: emu.EmulatorHandle) -> None:
    target = dataclasses.replace(emulator.target, soap_version="1.2")
    seen: list[dict[str, str]] = []
    with P1Client(target, password=password, context=CONTEXT) as c:
        inner = c.transport

        class Spy:
            def post(self, url, body, headers):  # type: ignore[no-untyped-def]
                seen.append(dict(headers))
                assert b"http://www.w3.org/2003/05/soap-envelope" in body
                return inner.post(url, body, headers)

            def close(self) -> None:
                inner.close()

        c.transport = Spy()
        answer = c.send_batch("B-12", payload(1), CONTEXT)
    assert answer.status == "ACCEPTED"
    assert seen[0]["Content-Type"].startswith("application/soap+xml")
    assert 'action="urn:zasilInicjalnie"' in seen[0]["Content-Type"]


def test_payload_of_another_mus_is_refused_by_authorisation(emulator: emu.EmulatorHandle) -> None:
    from cer_loader.submit.errors import PermanentFault

    with client(emulator) as c, pytest.raises(PermanentFault) as err:
        c.send_batch("B-9", payload(1, mus="000000000001-001"), CONTEXT)
    assert err.value.layer == "authorisation"
    assert err.value.exit_code == 2
    assert emu.list_records(emulator.store.path) == []


def test_a_payload_failing_the_xsd_is_a_validation_fault(emulator: emu.EmulatorHandle) -> None:
    from cer_loader.submit.errors import PermanentFault

    bad = payload(1).replace(b"PIERWSZORAZOWA", b"NIEZNANA")
    with client(emulator) as c, pytest.raises(PermanentFault) as err:
        c.send_batch("B-10", bad, CONTEXT)
    assert err.value.layer == "validation" and err.value.exit_code == 3
    assert "NIEZNANA" not in err.value.text("en")  # values are masked in schema errors


def test_embedded_default_makes_dev_certificates_once_in_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import stat

    from cer_loader.submit.devcerts import DEV_PASSWORD, DEV_PASSWORD_ENV

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(DEV_PASSWORD_ENV)
    with emu.start_in_process(tmp_path / "a.sqlite") as h:
        assert os.environ[DEV_PASSWORD_ENV] == DEV_PASSWORD
        assert h.certs.dir == tmp_path / "cache" / "cer-loader" / "dev-certs"
        assert h.url.startswith("https://127.0.0.1:") and h.port > 0
        with client(h) as c:
            assert c.send_batch("B-1", payload(1), CONTEXT).status == "ACCEPTED"
        stamp = h.certs.client_tls_p12.stat().st_mtime_ns
    assert stat.S_IMODE(h.certs.dir.stat().st_mode) == 0o700
    with emu.start_in_process(tmp_path / "b.sqlite") as h2:
        assert h2.certs == h.certs and h2.certs.client_tls_p12.stat().st_mtime_ns == stamp
