"""Issue 10 rewrote the reader (bytes instead of lines), the mapping, normalize and the checks
for speed. What they make of a messy cp1250 export (quotes, multi-line cells, stray quotes,
short and long rows, blank rows, CR/CRLF/LF line ends, NBSP, case in mapped values) and of the
sample export must stay what the line-based version made of them: reader frame, every typed
column, every issue. ``fixtures/stages_before.json`` was recorded with that version
(``tests/stage_digest.py``, run with the older checkout on PYTHONPATH)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stage_digest import CASES, stages

BEFORE = json.loads((Path(__file__).parent / "fixtures/stages_before.json").read_text("utf-8"))


@pytest.mark.parametrize(("name", "path", "mapping"), CASES, ids=[c[0] for c in CASES])
def test_the_stages_make_what_they_made_before(name: str, path: Path, mapping: Path | None) -> None:
    now, before = stages(path, mapping), BEFORE[name]
    assert now["table"] == before["table"]
    assert now["issues"] == before["issues"]
    changed = {c for c in before["frame"] if now["frame"].get(c) != before["frame"][c]}
    assert not changed, f"normalized columns changed: {sorted(changed)}"
