"""CeR's answers merged into the reports already in OUT_DIR, without the run's inputs.

The fallback of ``cer-loader submit OUT_DIR`` (:mod:`cer_loader.rebuild`) when the reports
cannot be rebuilt from the run's inputs (one is gone or changed): ``summary.json`` gains (or
replaces) its ``submission`` block and exit code; every record CeR refused joins
``rejected.csv`` as a line with its source file and row (from the ledger), rule
``cer-refused:<code>`` and CeR's scrubbed message. The steward workbook and report.html stay
as they were (their rows come from the inputs).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from cer_loader.files import write_private
from cer_loader.ingest.steward import is_risky
from cer_loader.ledger.store import Ledger
from cer_loader.submit.orchestrate import Submission
from cer_loader.submit.refusals import PREFIX, refusal_rule

FIXED = ["source_file", "source_row", "source_ref", "appointment_id", "rule", "field", "value",
         "message"]  # fmt: skip


def _cell(text: str) -> str:
    return "'" + text if is_risky(text) else text


def _merge_rejected(path: Path, ledger: Ledger, submission: Submission, lang: str) -> bool:
    refused = [
        r for b in submission.batches if b.state in ("PARTIAL", "REFUSED")
        for r in ledger.records(b) if r.state == "REFUSED"
    ]  # fmt: skip
    if not refused:
        return False
    text = path.read_text("utf-8-sig") if path.is_file() else ""
    rows = list(csv.reader(io.StringIO(text))) if text else [FIXED]
    header = rows[0]
    col = {name: i for i, name in enumerate(header)}
    have = {(r[col["appointment_id"]], r[col["rule"]]) for r in rows[1:] if len(r) == len(header)}
    for r in refused:
        rule = PREFIX + (r.code or "refused")
        if (r.appointment_id, rule) in have:
            continue
        line = [""] * len(header)
        message = refusal_rule(r.code or "refused").message(lang).replace("{value}", r.message)
        values = {
            "source_file": r.source_file, "source_row": r.source_row,
            "source_ref": f"{Path(r.source_file).name}:{r.source_row}",
            "appointment_id": r.appointment_id, "rule": rule, "value": r.message,
            "message": message,
        }  # fmt: skip
        for name, value in values.items():
            if name in col:
                line[col[name]] = _cell(value)
        rows.append(line)
        have.add((r.appointment_id, rule))
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    write_private(path, ("\ufeff" + out.getvalue()).encode("utf-8"))
    return True


def merge_into_reports(
    out_dir: Path, ledger: Ledger, submission: Submission, block: dict[str, Any], lang: str
) -> list[Path]:
    """Merge and return the files changed."""
    changed = []
    summary_file = out_dir / "summary.json"
    if summary_file.is_file():
        summary = json.loads(summary_file.read_text("utf-8"))
        summary["submission"] = block
        unsettled = block["refused_by_cer"] + block["unknown"] + block["not_sent"]
        if block.get("fault"):
            summary["exit_code"] = int(block["fault"]["exit_code"])
        elif unsettled:
            summary["exit_code"] = max(1, int(summary.get("exit_code", 0)))
        data = json.dumps(summary, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        write_private(summary_file, data + b"\n")
        changed.append(summary_file)
    if _merge_rejected(out_dir / "rejected.csv", ledger, submission, lang):
        changed.append(out_dir / "rejected.csv")
    return changed
