"""zeep loads the emulator's WSDL; no PESEL in any log line at DEBUG; the two CLI commands."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from cer_loader import emulator as emu
from cer_loader.cli import cli
from cer_loader.submit.credentials import load_p12, tls_context
from cer_loader.submit.devcerts import DEV_PASSWORD
from cer_loader.submit.errors import AmbiguousError, PermanentFault

from .conftest import CONTEXT, PESEL, client, payload


def test_zeep_loads_the_served_wsdl(emulator: emu.EmulatorHandle) -> None:
    import zeep
    import zeep.transports

    ctx = tls_context(emulator.target.ca_bundle, load_p12(emulator.target.tls_p12, DEV_PASSWORD))  # type: ignore[arg-type]
    http = httpx.Client(verify=ctx, trust_env=False)

    class MtlsTransport(zeep.transports.Transport):
        def _load_remote_data(self, url: str) -> bytes:
            resp = http.get(url)
            resp.raise_for_status()
            return resp.content

    z = zeep.Client(emulator.url + "?wsdl", transport=MtlsTransport())
    http.close()
    service = z.wsdl.services["CeRZasilenieWS"]
    ports = {name: p for name, p in service.ports.items()}
    assert len(ports) == 2
    for port in ports.values():
        assert port.binding_options["address"] == emulator.url
        assert set(port.binding._operations) == {"zasilInicjalnie", "statusZasilenia"}
    op = ports["CeRZasilenieWSHttpsSoap11Endpoint"].binding._operations["zasilInicjalnie"]
    assert op.soapaction == "urn:zasilInicjalnie"
    status = z.get_element("{urn:cer-loader:p1:cer:zasilenie:draft-1}statusZasilenia")
    assert status(identyfikatorPaczki="B-1").identyfikatorPaczki == "B-1"


def test_no_pesel_in_any_log_line(tmp_path: Path, certs, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    for name in ("signxml", "httpx", "httpcore", "cer_loader"):
        caplog.set_level(logging.DEBUG, logger=name)
    with emu.start_in_process(tmp_path / "s.sqlite", faults="refuse:0.5", certs_dir=certs.dir) as h:
        with client(h) as c:
            c.send_batch("B-1", payload(4), CONTEXT)
            c.send_batch("B-1", payload(4), CONTEXT)
            c.query_status("B-1")
            with pytest.raises(PermanentFault):
                c.send_batch("B-2", payload(1).replace(b"PIERWSZORAZOWA", PESEL.encode()), CONTEXT)
        h.service.faults.rates["reset-after"] = 1.0
        with client(h) as c, pytest.raises(AmbiguousError):
            c.send_batch("B-3", payload(2, start=10), CONTEXT)
    lines = [r.getMessage() for r in caplog.records]
    assert any("batch_answer" in line for line in lines)
    assert len(lines) > 10
    for line in lines:
        assert PESEL not in line
        # an 11-digit run outside hashes (a SHA-256 in hex may hold one by chance)
        assert not re.search(r"(?<!\d)\d{11}(?!\d)", re.sub(r"\b[0-9a-f]{64}\b", "", line)), line
        assert "PRIVATE KEY" not in line and DEV_PASSWORD not in line


def test_cli_dev_certs_and_listing(tmp_path: Path, certs) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    done = runner.invoke(cli, ["dev-certs", str(tmp_path / "dc"), "--lang", "en"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "dc" / "client-wss.p12").is_file()
    assert "[targets.emulator]" in done.output and "CER_LOADER_DEV_P12_PASSWORD" in done.output
    with emu.start_in_process(tmp_path / "s.sqlite", certs_dir=certs.dir) as h, client(h) as c:
        sent = c.send_batch("B-1", payload(2), CONTEXT)
    listed = runner.invoke(cli, ["emulator", "--store", str(tmp_path / "s.sqlite"), "--list"])
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        f"{r.key},000000927722-001,{r.appointment_id}" for r in sent.records
    ]
    missing = runner.invoke(cli, ["emulator", "--store", str(tmp_path / "none.sqlite"), "--list"])
    assert missing.exit_code == 2


def test_cli_emulator_refuses_a_bad_fault_spec(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        cli,
        ["emulator", "--store", str(tmp_path / "s.sqlite"), "--faults", "explode:1", "--port", "0"],
    )
    assert done.exit_code == 2 and "explode" in done.output
