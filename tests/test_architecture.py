"""Architecture: the stage folders and the one direction imports may go, with no circles.

A module may import its own room or a room of a lower rank, never a higher one; imports under
``if TYPE_CHECKING:`` and imports inside functions count like any other. Only the CLI imports
click; nothing imports the emulator but the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PKG = ROOT / "cer_loader"

# rank of each room (a top-level module or folder of cer_loader): data flows from low to high
RANK = {
    "errors": 0,
    "resources": 1, "tomlcheck": 1, "fields": 1, "xmlsafe": 1, "outcomes": 1, "sanitize": 1, "files": 1,
    "uuid5": 1, "memory": 1, "xmlstream": 1,
    "settings": 2, "catalogues": 2, "preflight": 2,
    "ingest": 3,
    "mapping": 4,
    "normalize": 5,
    "validate": 6,
    "render": 7,
    "ledger": 8,
    "submit": 9,
    "result": 10,
    "report": 11,
    "pipeline": 12, "emulator": 12, "samples": 12, "golive": 12,
    "rebuild": 13,
    "cli": 14, "__init__": 14,
    "__main__": 15,
}  # fmt: skip


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """cer_loader modules a file imports (``from X import y`` counts y when it is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            base = node.module or ""
            names.add(base)
            for a in node.names:
                if (PKG.parent / f"{base}.{a.name}".replace(".", "/")).with_suffix(
                    ".py"
                ).exists() or (
                    PKG.parent / f"{base}.{a.name}".replace(".", "/") / "__init__.py"
                ).exists():
                    names.add(f"{base}.{a.name}")
    return {n for n in names if n == "cer_loader" or n.startswith("cer_loader.") or n == "click"
            or n.startswith("click.")}  # fmt: skip


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in PKG.rglob("*.py")}


def test_every_room_has_a_rank() -> None:
    rooms = {room(m) for m in graph()}
    assert rooms <= set(RANK), f"rooms without a rank: {sorted(rooms - set(RANK))}"


def test_imports_go_one_way() -> None:
    wrong = []
    for mod, names in graph().items():
        src = room(mod)
        for name in names:
            if name.startswith("click") or name == "cer_loader":
                continue
            dst = room(name)
            if dst != src and RANK[dst] >= RANK[src]:
                wrong.append(f"{mod} -> {name}")
    assert not wrong, "imports against the direction:\n" + "\n".join(sorted(wrong))


def test_no_import_circles() -> None:
    g = {m: {n for n in ns if n.startswith("cer_loader.") and n != m} for m, ns in graph().items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(g.get(m, ())):
            if n not in g:
                continue
            if state.get(n) == 1:
                raise AssertionError("import circle: " + " -> ".join([*stack[stack.index(n) :], n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)


def test_only_cli_imports_click() -> None:
    users = {m for m, ns in graph().items() if any(n.startswith("click") for n in ns)}
    assert users and all(room(m) == "cli" for m in users), users


def test_nothing_but_the_cli_imports_the_emulator() -> None:
    users = {m for m, ns in graph().items() if any(room(n) == "emulator" for n in ns)}
    assert all(room(m) in ("cli", "emulator") for m in users), users
