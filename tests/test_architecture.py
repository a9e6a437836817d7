"""Layering: only cli.py imports click; readers and checks never import later stages."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PKG = ROOT / "cer_loader"
LATER = {"render", "report", "summary", "pipeline", "steward", "htmlreport", "state", "cli"}


def imports(path: Path) -> set[str]:
    """Absolute dotted names a module imports (relative imports resolved)."""
    package = ["cer_loader", *path.relative_to(PKG).parent.parts]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            parts = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*parts, *([node.module] if node.module else [])])
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}
    return names


def test_only_cli_imports_click() -> None:
    users = {p.relative_to(PKG).as_posix() for p in PKG.rglob("*.py")
             if any(n == "click" or n.startswith("click.") for n in imports(p))}  # fmt: skip
    assert users == {"cli.py"}


def test_early_stages_do_not_import_later_ones() -> None:
    early = [*PKG.glob("ingest/**/*.py"), *(PKG / n for n in (
        "checks.py", "checks_patient.py", "normalize.py", "validate.py", "mapping.py",
        "identifiers.py", "timeutil.py", "phones.py", "sources.py", "fields.py"))]  # fmt: skip
    for path in early:
        bad = {n for n in imports(path) for stage in LATER
               if n == f"cer_loader.{stage}" or n.startswith(f"cer_loader.{stage}.")}  # fmt: skip
        assert not bad, f"{path.relative_to(PKG)} imports {bad}"
