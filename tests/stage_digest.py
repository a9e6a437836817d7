"""What the read → map → normalize → validate stages make of one input, as plain data, for the
before/after test of issue 10's rewrite (``tests/test_stages_unchanged.py``).

Run as a script with an older checkout first on ``PYTHONPATH`` to record that checkout's
answer: ``python tests/stage_digest.py > tests/fixtures/stages_before.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# (name, input, mapping file or None): the mapping forces cp1250 and ";", None detects them
CASES = [
    ("messy-forced", HERE / "fixtures/csv/messy_export.csv",
     HERE / "fixtures/csv/messy_export.mapping.toml"),
    ("messy-detected", HERE / "fixtures/csv/messy_export.csv", None),
    ("sample", ROOT / "sample_data/wizyty_poradnia.csv", ROOT / "sample_data/mapping.toml"),
]  # fmt: skip


def _digest(values: list[Any]) -> str:
    return hashlib.sha256("\x1f".join(map(str, values)).encode()).hexdigest()[:16]


def stages(path: Path, mapping_path: Path | None) -> dict[str, Any]:
    from cer_loader import pipeline
    from cer_loader.catalogues.identifiers import load_identifiers
    from cer_loader.catalogues.rules import load_rules
    from cer_loader.catalogues.scopes import load_scopes
    from cer_loader.mapping import Mapping, load_mapping
    from cer_loader.normalize import normalize
    from cer_loader.resources import data_dir
    from cer_loader.validate import validate
    from cer_loader.validate.context import Context

    mapping = load_mapping(mapping_path) if mapping_path else Mapping()
    if mapping_path is None:  # the sample's columns, but encoding and delimiter detected
        mapping.columns = load_mapping(CASES[0][2]).columns
        mapping.values = load_mapping(CASES[0][2]).values
    schemas = data_dir("schemas")
    ids = load_identifiers(schemas / "identifiers.toml")
    tables = pipeline.read_inputs([path], mapping, oids=ids.oid)
    t = tables[0]
    canon = pipeline.combine(tables, mapping)
    frame = normalize(canon, ids)
    ctx = Context(load_scopes(schemas / "scopes.toml"), dt.date(2026, 12, 1), "000000927722-001")
    issues = validate(frame, ctx, load_rules(schemas / "rules.toml"))
    keep = ("encoding", "delimiter", "physical_lines", "quoted_newlines", "multiline_spans",
            "unclosed_quote_lines", "census")  # fmt: skip
    details = {k: t.details[k] for k in keep if k in t.details}
    return {
        "table": {
            "headers": t.headers, "blank_rows": t.blank_rows, "total_records": t.total_records,
            "data_rows": t.data_rows, "details": json.loads(json.dumps(details, default=str)),
            "warnings": [[w.outcome.code, sorted(map(list, w.values.items()))] for w in t.warnings],
            "columns": {c: _digest(t.frame[c].tolist()) for c in t.frame.columns
                        if c != "_source_file"},
        },
        "frame": {c: _digest(frame[c].tolist()) for c in frame.columns if c != "_source_file"},
        "issues": [[str(v) for v in row] for row in issues.itertuples(index=False)],
    }  # fmt: skip


def all_stages() -> dict[str, Any]:
    return {name: stages(path, mapping) for name, path, mapping in CASES}


if __name__ == "__main__":
    json.dump(all_stages(), sys.stdout, indent=1, ensure_ascii=False)
    print()
