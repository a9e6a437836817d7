"""Every fault kind of the emulator ends in the right error class; replay and TLS refusals."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cer_loader import emulator as emu
from cer_loader.submit import soap
from cer_loader.submit.devcerts import DevCerts, make_dev_certs
from cer_loader.submit.errors import AmbiguousError, PermanentFault, TransientError

from .conftest import CONTEXT, client, payload


def faulty(tmp_path: Path, certs: DevCerts, faults: str, **kw: object) -> emu.EmulatorHandle:
    return emu.start_in_process(tmp_path / "cer.sqlite", faults=faults, certs_dir=certs.dir, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fault", "error", "layer"),
    [
        ("busy:1", TransientError, None),
        ("fault-signature:1", PermanentFault, "signature"),
        ("fault-auth:1", PermanentFault, "authentication"),
        ("fault-validation:1", PermanentFault, "validation"),
    ],
)
def test_faults_before_processing(
    tmp_path: Path, certs: DevCerts, fault: str, error: type[Exception], layer: str | None
) -> None:
    with faulty(tmp_path, certs, fault) as h, client(h) as c:
        with pytest.raises(error) as err:
            c.send_batch("B-1", payload(2), CONTEXT)
        assert emu.list_records(h.store.path) == []
    if layer:
        assert err.value.layer == layer  # type: ignore[attr-defined]


def test_reset_before_is_ambiguous_and_the_status_says_never_seen(
    tmp_path: Path, certs: DevCerts
) -> None:
    with faulty(tmp_path, certs, "reset-before:1") as h:
        with client(h) as c, pytest.raises(AmbiguousError):
            c.send_batch("B-1", payload(2), CONTEXT)
        assert emu.list_records(h.store.path) == []
        h.service.faults.rates.clear()
        with client(h) as c:
            assert c.query_status("B-1") is None


@pytest.mark.parametrize("fault", ["reset-after:1", "timeout-after:1"])
def test_lost_answers_are_ambiguous_and_the_status_settles_them(
    tmp_path: Path, certs: DevCerts, fault: str
) -> None:
    with faulty(tmp_path, certs, fault, hang_s=3.0) as h:
        with client(h, timeout=1.0) as c, pytest.raises(AmbiguousError):
            c.send_batch("B-1", payload(2), CONTEXT)
        assert len(emu.list_records(h.store.path)) == 2
        assert h.service.received == 1  # no blind resend
        h.service.faults.rates.clear()
        with client(h) as c:
            status = c.query_status("B-1")
    assert status is not None and status.status == "ACCEPTED" and len(status.records) == 2


def test_refuse_share_of_records_with_a_business_code(tmp_path: Path, certs: DevCerts) -> None:
    with faulty(tmp_path, certs, "refuse:0.5", seed=7) as h, client(h) as c:
        answer = c.send_batch("B-1", payload(40), CONTEXT)
        held = {k for k, _, _ in emu.list_records(h.store.path)}
    refused = [r for r in answer.records if not r.accepted]
    assert answer.status == "PARTIAL"
    assert 5 < len(refused) < 35
    assert all(r.code.endswith("terminNiedostepny") and r.message for r in refused)
    assert held == {r.key for r in answer.records if r.accepted}


def test_refuse_all_gives_refused_batch(tmp_path: Path, certs: DevCerts) -> None:
    with faulty(tmp_path, certs, "refuse:1") as h, client(h) as c:
        assert c.send_batch("B-1", payload(3), CONTEXT).status == "REFUSED"


def test_faults_are_repeatable_with_a_seed(tmp_path: Path, certs: DevCerts) -> None:
    outcomes = []
    for run in range(2):
        seq = []
        with faulty(tmp_path / str(run), certs, "busy:0.5", seed=3) as h, client(h) as c:
            for i in range(8):
                try:
                    c.send_batch(f"B-{i}", payload(1, start=i), CONTEXT)
                    seq.append("ok")
                except TransientError:
                    seq.append("busy")
        outcomes.append(seq)
    assert outcomes[0] == outcomes[1] and {"ok", "busy"} == set(outcomes[0])


def test_latency(tmp_path: Path, certs: DevCerts) -> None:
    with faulty(tmp_path, certs, "latency:300") as h, client(h) as c:
        answer = c.send_batch("B-1", payload(1), CONTEXT)
    assert answer.duration_s >= 0.3


def test_a_replayed_message_is_refused(emulator: emu.EmulatorHandle) -> None:
    sent: list[bytes] = []
    with client(emulator) as c:
        inner = c.transport

        class Spy:
            def post(self, url, body, headers):  # type: ignore[no-untyped-def]
                sent.append(body)
                return inner.post(url, body, headers)

            def close(self) -> None:
                pass

        c.transport = Spy()
        c.send_batch("B-1", payload(1), CONTEXT)
        status, data = inner.post(
            emulator.url, sent[0], soap.content_type("1.1", "urn:zasilInicjalnie")
        )
        inner.close()
    assert status == 500
    assert b"powtorzonyKomunikat" in data and b"bladPodpisuKomunikatuWSS" in data
    assert len(emu.list_records(emulator.store.path)) == 1


def test_every_attempt_is_signed_afresh(emulator: emu.EmulatorHandle) -> None:
    sent: list[bytes] = []
    with client(emulator) as c:
        inner = c.transport

        class Spy:
            def post(self, url, body, headers):  # type: ignore[no-untyped-def]
                sent.append(body)
                return inner.post(url, body, headers)

            def close(self) -> None:
                inner.close()

        c.transport = Spy()
        a = c.send_batch("B-1", payload(1), CONTEXT)
        b = c.send_batch("B-1", payload(1), CONTEXT)
    assert sent[0] != sent[1] and a.request_sha256 != b.request_sha256
    assert b.records[0].accepted  # a duplicate of its own first attempt counts as held


# -- TLS refusals ----------------------------------------------------------------------------


def test_no_client_certificate_is_refused(emulator: emu.EmulatorHandle) -> None:
    target = dataclasses.replace(emulator.target, tls_p12=None)
    with client_for(target) as c, pytest.raises(PermanentFault) as err:
        c.send_batch("B-1", payload(1), CONTEXT)
    assert err.value.layer == "certificate" and err.value.exit_code == 2
    assert emulator.service.received == 0


def test_client_certificate_from_a_foreign_ca_is_refused(
    emulator: emu.EmulatorHandle, tmp_path: Path
) -> None:
    foreign = make_dev_certs(tmp_path / "foreign")
    target = dataclasses.replace(emulator.target, tls_p12=foreign.client_tls_p12)
    with client_for(target) as c, pytest.raises(PermanentFault) as err:
        c.send_batch("B-1", payload(1), CONTEXT)
    assert err.value.layer == "certificate"
    assert emulator.service.received == 0


def test_a_server_of_an_unknown_ca_is_refused(emulator: emu.EmulatorHandle, tmp_path: Path) -> None:
    foreign = make_dev_certs(tmp_path / "foreign")
    target = dataclasses.replace(emulator.target, ca_bundle=(foreign.ca_bundle,))
    with client_for(target) as c, pytest.raises(PermanentFault) as err:
        c.send_batch("B-1", payload(1), CONTEXT)
    assert err.value.layer == "certificate" and "CERTIFICATE_VERIFY_FAILED" in err.value.text()
    assert emulator.service.received == 0


def test_a_wrong_host_name_is_refused(tmp_path: Path, certs: DevCerts) -> None:
    wrong = make_dev_certs(tmp_path / "wrong", server_hosts=("cer.example.invalid",))
    with emu.start_in_process(tmp_path / "cer.sqlite", certs_dir=wrong.dir) as h:
        with client_for(h.target) as c, pytest.raises(PermanentFault) as err:
            c.send_batch("B-1", payload(1), CONTEXT)
        assert h.service.received == 0
    assert err.value.layer == "certificate"
    assert "hostname" in err.value.text("en").lower() or "IP address" in err.value.text("en")


def test_several_trust_anchors_at_once(emulator: emu.EmulatorHandle, tmp_path: Path) -> None:
    old = make_dev_certs(tmp_path / "old-root")
    target = dataclasses.replace(
        emulator.target, ca_bundle=(old.ca_bundle, emulator.target.ca_bundle[0])
    )
    with client_for(target) as c:
        assert c.send_batch("B-1", payload(1), CONTEXT).status == "ACCEPTED"


def client_for(target):  # type: ignore[no-untyped-def]
    from cer_loader.submit.client import P1Client

    from .conftest import password

    return P1Client(target, password=password, context=CONTEXT)
