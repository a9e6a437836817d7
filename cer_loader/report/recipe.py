"""What ``summary.json`` records so the run's reports can be written again, and the check that
they still can.

``cer-loader submit OUT_DIR`` sends OUT_DIR's payload after the run that wrote it; CeR's answers
then belong in every report (the steward workbook and ``report.html`` too). It rebuilds them
from the run's own inputs: ``summary.json["rebuild"]`` holds each input file, the mapping file
and the rule, scope and identifier catalogues (absolute paths, SHA-256), the run's effective
settings (MUŚ, as-of date, batch size, language, paths, limits) and the tool version.
:func:`plan` gives what the rebuild needs, or the :class:`~cer_loader.outcomes.Notice` saying
why it cannot (an input gone or changed, an older summary, another version, a workbook a
steward edited in place since the run wrote it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cer_loader import __version__
from cer_loader.ingest.table import SourceTable
from cer_loader.outcomes import (
    REBUILD_CHANGED,
    REBUILD_EDITED,
    REBUILD_MISSING,
    REBUILD_NO_RECIPE,
    REBUILD_VERSION,
    Notice,
)
from cer_loader.render import PayloadFile
from cer_loader.settings import Settings

KEY = "rebuild"
CATALOGUES = ("rules", "scopes", "identifiers")
_PATHS = ("template_dir", "xsd", "scopes", "rules", "identifiers")
_WHAT = {  # kind of file: (pl, en)
    "input": ("wejściowego", "input file"), "mapping": ("mapowania", "mapping file"),
    "rules": ("katalogu reguł", "rule catalogue"), "scopes": ("katalogu zakresów", "scope catalogue"),
    "identifiers": ("katalogu identyfikatorów", "identifier catalogue"),
}  # fmt: skip


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file(path: Path) -> dict[str, str]:
    return {"path": str(path.resolve()), "sha256": sha256_of(path)}


def recipe(
    settings: Settings, tables: Sequence[SourceTable], mapping_path: Path | None
) -> dict[str, Any]:
    """The ``rebuild`` block of a run's ``summary.json``."""
    kept = {
        "mus_id": settings.mus_id, "regon": settings.regon, "nip": settings.nip,
        "nfz_branch": settings.nfz_branch, "as_of": settings.as_of.isoformat(),
        "batch_size": settings.batch_size, "lang": settings.lang,
        "limits": dict(settings.limits),
        **{k: str(Path(getattr(settings, k)).resolve()) for k in _PATHS},
    }  # fmt: skip
    return {
        "version": __version__,
        "inputs": [
            {"path": str(Path(t.path).resolve()), "given": str(t.path), "sha256": t.sha256}
            for t in tables
        ],
        "mapping": _file(mapping_path) if mapping_path is not None else None,
        "catalogues": {k: _file(Path(getattr(settings, k))) for k in CATALOGUES},
        "settings": kept,
    }


@dataclass(frozen=True)
class Plan:
    """Everything a rebuild of the run's reports needs."""

    inputs: list[Path]
    settings: Settings
    mapping: Path | None
    run_id: str
    payload: tuple[PayloadFile, ...]


def _stale(kind: str, entry: Mapping[str, Any]) -> Notice | None:
    path = Path(str(entry.get("path", "")))
    pl, en = _WHAT[kind]
    values = {"what_pl": pl, "what_en": en, "path": path}
    if not path.is_file():
        return Notice(REBUILD_MISSING, values)
    if sha256_of(path) != entry.get("sha256"):
        return Notice(REBUILD_CHANGED, values)
    return None


def _as_given(entry: Mapping[str, Any]) -> Path:
    """The input as the run named it (reports show that name) when it still names the same
    file from here, else its absolute path."""
    path, given = Path(str(entry["path"])), Path(str(entry.get("given") or entry["path"]))
    return given if given.resolve() == path else path


def _settings(kept: Mapping[str, Any]) -> Settings:
    values = dict(kept)
    values["as_of"] = dt.date.fromisoformat(str(values["as_of"]))
    for k in _PATHS:
        values[k] = Path(str(values[k]))
    names = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in names})


def plan(summary: Mapping[str, Any], out_dir: Path) -> Plan | Notice:
    """What a rebuild of ``out_dir``'s reports needs, or why it cannot be done."""
    block = summary.get(KEY)
    if not isinstance(block, Mapping) or not summary.get("run_id"):
        return Notice(REBUILD_NO_RECIPE)
    if block.get("version") != __version__:
        return Notice(REBUILD_VERSION, {"then": block.get("version"), "now": __version__})
    checks = [("input", e) for e in block.get("inputs", [])]
    if block.get("mapping"):
        checks.append(("mapping", block["mapping"]))
    checks += [(k, e) for k, e in block.get("catalogues", {}).items() if k in _WHAT]
    for kind, entry in checks:
        notice = _stale(kind, entry)
        if notice is not None:
            return notice
    book = out_dir / "report.xlsx"  # a steward may fix it in place: never overwrite that
    wrote = (summary.get("reports") or {}).get("report.xlsx") or {}
    if book.is_file() and wrote.get("sha256") and sha256_of(book) != wrote["sha256"]:
        return Notice(REBUILD_EDITED, {"path": book})
    mapping = block.get("mapping")
    payload = tuple(
        PayloadFile(out_dir / str(p["file"]), int(p["records"]), str(p["sha256"]), [])
        for p in summary.get("payload", [])
    )
    return Plan(
        inputs=[_as_given(e) for e in block.get("inputs", [])],
        settings=_settings(block["settings"]),
        mapping=Path(str(mapping["path"])) if mapping else None,
        run_id=str(summary["run_id"]),
        payload=payload,
    )
