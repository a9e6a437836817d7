"""Shared test set-up: no network beyond loopback; paths anchored on this file."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: a property test asserts what is computed, not how fast (speed lives
# in benchmarks/); on a loaded 2-core CI machine hypothesis' 200 ms default fails correct code.
settings.register_profile("cer-loader", deadline=None)
settings.load_profile("cer-loader")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host.startswith("127.") or host in ("localhost", "::1") or self.family == socket.AF_UNIX
    ):
        raise RuntimeError(f"network access in tests is not allowed: {host}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def _own_ledgers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every test has its own ledger folder: the default (beside cer-loader.toml) would be
    sample_data/.cer-loader, shared by every test and every developer run."""
    folder = tmp_path / "ledgers"
    monkeypatch.setenv("CER_LOADER_LEDGER_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def _dev_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch, _dev_cache: Path) -> None:
    """Dev certificates of the embedded emulator go to a per-session cache, not ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(_dev_cache))
