"""Fuzzing the TOML loaders: ``cer-loader.toml`` (``load_settings`` + ``checked`` + the
submission targets) and the mapping file (``load_mapping``), from the sample files with other
types, unknown keys and sections, secret-like keys (nested too), broken syntax and other
encodings. Each either loads or is a ConfigError of exit 2; a file holding a secret is never
accepted, and no message shows the secret's value. Runs only on request (see ``fuzzkit``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cer_loader.mapping import load_mapping
from cer_loader.settings import load_config, load_settings
from cer_loader.submit.targets import load_targets

from conftest import SAMPLE
from fuzzkit import (  # noqa: F401  (fixtures)
    SECRET,
    LogCapture,
    assert_no_crash,
    attempt,
    check_logs,
    crash,
    fuzz_settings,
    logs_fixture,
    record,
    report_fixture,
    timed_fixture,
)
from mutants import mutate_toml

pytestmark = pytest.mark.fuzz
CONFIG = tomllib.loads((SAMPLE / "cer-loader.toml").read_text(encoding="utf-8"))
CONFIG["targets"] = {"test": {"url": "https://127.0.0.1:1/p1", "ca_bundle": "ca.pem",
                              "tls_p12": "tls.p12", "password_env": "CER_P12_PASSWORD"}}  # fmt: skip
MAPPING = tomllib.loads((SAMPLE / "mapping.toml").read_text(encoding="utf-8"))


def check_loader(target: str, path: Path, raw: bytes, load: Any, logs: LogCapture) -> None:
    path.write_bytes(raw)
    if attempt(target, lambda: load(path) or True, raw, ".toml") is not None:
        record(target, "loaded")
        if SECRET.encode() in raw:
            crash(target, "SECRET ACCEPTED", raw, ".toml")
    check_logs(target, logs, raw, ".toml")


def _config(path: Path) -> object:
    settings = load_settings(path, {}).checked()
    load_targets(load_config(path), path.parent)
    return settings


def test_fuzz_config_loader(tmp_path: Path, logs: LogCapture, timed: None) -> None:
    @fuzz_settings()
    @given(st.data())
    def one(data: st.DataObject) -> None:
        raw = mutate_toml(CONFIG, data)
        check_loader("config_loader", tmp_path / "cer-loader.toml", raw, _config, logs)

    one()
    assert_no_crash("config_loader")


def test_fuzz_mapping_loader(tmp_path: Path, logs: LogCapture, timed: None) -> None:
    @fuzz_settings()
    @given(st.data())
    def one(data: st.DataObject) -> None:
        raw = mutate_toml(MAPPING, data)
        check_loader("mapping_loader", tmp_path / "mapping.toml", raw, load_mapping, logs)

    one()
    assert_no_crash("mapping_loader")
