"""A plain (non-editable) install finds schemas/ and templates/; the version is consistent."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


def test_wheel_ships_data_and_a_plain_install_uses_it(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(wheels)],
        check=True, capture_output=True,
    )  # fmt: skip
    wheel = next(wheels.glob("cer_loader-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "cer_loader/_data/schemas/zasilInicjalnie.xsd",
        "cer_loader/_data/schemas/scopes.toml",
        "cer_loader/_data/schemas/rules.toml",
        "cer_loader/_data/schemas/identifiers.toml",
        "cer_loader/_data/templates/zasilInicjalnie.xml",
    ):
        assert needed in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    probe = (
        "import cer_loader.resources as r; from cer_loader.settings import Settings;"
        "s = Settings(); print(r.data_dir('schemas')); print(s.xsd.is_file(), s.template_dir.is_dir())"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert out[0].startswith(str(target))
    assert out[1] == "True True"
