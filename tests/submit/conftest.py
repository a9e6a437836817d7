"""Fixtures of the submit and emulator tests: one throwaway PKI per session, a fresh emulator
per test, payloads rendered with the real template."""

from __future__ import annotations

import datetime as dt
import os
from collections import namedtuple
from collections.abc import Iterator
from pathlib import Path

import pytest

from cer_loader import emulator as emu
from cer_loader.render import TEMPLATE_NAME, environment, idempotency_keys
from cer_loader.resources import data_dir
from cer_loader.submit.client import P1Client
from cer_loader.submit.devcerts import DEV_PASSWORD, DEV_PASSWORD_ENV, DevCerts, ensure_dev_certs

MUS = "000000927722-001"
PESEL = "44051401359"  # a checksum-valid PESEL: must never show up in a log line
CONTEXT = {"mus_id": MUS, "mus_book": MUS[:12], "mus_unit": MUS[13:], "regon": "", "nip": "",
           "nfz_branch": ""}  # fmt: skip
FIELDS = (
    "key appointment_id schedule_id start duration scope_code visit_kind category request_date "
    "referral_key referral_number npwz id_root id_ext first_name last_name birth_date sex phone "
    "email notes"
).split()
Record = namedtuple("Record", FIELDS)  # type: ignore[misc]  # noqa: PYI024


def payload(n: int = 3, *, start: int = 0, batch: str = "B-1", mus: str = MUS) -> bytes:
    """A batch of ``n`` records rendered by the shipped template (XSD-valid)."""
    import pandas as pd

    ids = [f"W{start + i:07d}" for i in range(n)]
    keys = idempotency_keys(mus, pd.Series(ids))
    records = [
        Record(
            key=k, appointment_id=a, schedule_id="", start="2027-01-12T09:30:00+01:00",
            duration="20", scope_code="02.1100.001.02", visit_kind="PIERWSZORAZOWA",
            category="STABILNY", request_date="2026-11-02", referral_key="", referral_number="",
            npwz="", id_root="2.16.840.1.113883.3.4424.1.1.616", id_ext=PESEL,
            first_name="Anna", last_name="Nowak", birth_date="1944-05-14", sex="F",
            phone="+48601234567", email="", notes="",
        )
        for k, a in zip(keys, ids, strict=True)
    ]  # fmt: skip
    ctx = {"mus_id": mus, "mus_oid": "2.16.840.1.113883.3.4424.2.3.3", "npwz_oid": "x",
           "regon": "", "nip": "", "nfz_branch": "", "as_of": "2026-12-01"}  # fmt: skip
    template = environment(data_dir("templates")).get_template(TEMPLATE_NAME)
    text = template.render(ctx=ctx, batch={"id": batch, "number": 1, "count": 1}, records=records)
    return text.encode("utf-8")


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCerts:
    return ensure_dev_certs(tmp_path_factory.mktemp("pki") / "dev")


@pytest.fixture(autouse=True)
def _dev_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEV_PASSWORD_ENV, DEV_PASSWORD)


def password(env: str) -> str:
    return os.environ[env]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture
def emulator(tmp_path: Path, certs: DevCerts) -> Iterator[emu.EmulatorHandle]:
    with emu.start_in_process(tmp_path / "cer.sqlite", certs_dir=certs.dir) as handle:
        yield handle


def client(handle: emu.EmulatorHandle, **kw: object) -> P1Client:
    return P1Client(handle.target, password=password, context=CONTEXT, **kw)  # type: ignore[arg-type]
