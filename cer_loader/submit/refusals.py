"""CeR's answers as report data: refused records become issues of their source rows.

A record CeR refused is an issue with rule ``cer-refused:<code>`` (severity error, CeR's
scrubbed message as its value), so ``rejected.csv``, the steward workbook and ``report.html``
show it pointing back at the source row like any validation rejection. ``summary(...)`` is the
``submission`` block of ``summary.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cer_loader.catalogues.rules import Rule
from cer_loader.ledger.store import Ledger
from cer_loader.submit.orchestrate import Submission

PREFIX = "cer-refused:"


def refusal_rule(code: str) -> Rule:
    return Rule(
        code=PREFIX + code, field="", severity="error", confidence="CeR", source="CeR",
        pl=f"CeR odrzucił rekord (kod {code}): {{value}}",
        en=f"CeR refused the record (code {code}): {{value}}",
    )  # fmt: skip


def refusals(ledger: Ledger, submission: Submission) -> pd.DataFrame:
    """``appointment_id, code, message`` of every record CeR refused in this submission
    (and not accepted in another batch)."""
    accepted = ledger.accepted_ids()
    rows = [
        (r.appointment_id, r.code or "refused", r.message)
        for b in submission.batches
        if b.state in ("PARTIAL", "REFUSED")
        for r in ledger.records(b)
        if r.state == "REFUSED" and r.appointment_id not in accepted
    ]
    return pd.DataFrame(rows, columns=["appointment_id", "code", "message"]).drop_duplicates(
        "appointment_id", keep="last"
    )


def refusal_issues(
    frame: pd.DataFrame, candidates: pd.Index, refused: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Rule]]:
    """Issues (validate's columns) for the rows among ``candidates`` CeR refused."""
    cols = ["row", "rule", "severity", "field", "value", "other_row"]
    if refused.empty or not len(candidates):
        return pd.DataFrame(columns=cols), {}
    ids = frame.loc[candidates, "appointment_id"]
    by_id = refused.set_index("appointment_id")
    hit = ids[ids.isin(by_id.index)]
    codes = by_id.loc[hit.to_numpy(), "code"].to_numpy()
    issues = pd.DataFrame(
        {
            "row": hit.index,
            "rule": [PREFIX + c for c in codes],
            "severity": "error",
            "field": "",
            "value": by_id.loc[hit.to_numpy(), "message"].to_numpy(),
            "other_row": None,
        }
    )
    return issues[cols], {PREFIX + c: refusal_rule(c) for c in set(codes)}


def summary(ledger: Ledger, submission: Submission) -> dict[str, Any]:
    """``submitted``: records in batches that reached a settled or unknown state now;
    ``accepted_by_cer``, ``refused_by_cer``, ``unknown`` (in UNKNOWN batches),
    ``not_sent`` (left RENDERED: breaker open or a fault stopped the run)."""
    counts = {"submitted": 0, "accepted_by_cer": 0, "refused_by_cer": 0, "unknown": 0}
    not_sent = 0
    for b in submission.batches:
        if b.state == "RENDERED":
            not_sent += b.records
            continue
        if b.state == "UNKNOWN":
            counts["unknown"] += b.records
            counts["submitted"] += b.records
            continue
        for r in ledger.records(b):
            counts["submitted"] += 1
            counts["accepted_by_cer" if r.state == "ACCEPTED" else "refused_by_cer"] += 1
    fault: Mapping[str, str] | None = None
    if submission.fault is not None:
        f = submission.fault
        fault = {
            "layer": f.layer, "code": f.code, "message": f.message, "message_en": f.message_en,
            "exit_code": str(f.exit_code),
        }  # fmt: skip
    return {
        **counts,
        "not_sent": not_sent,
        "target": submission.target,
        "breaker_open": submission.breaker_open,
        "fault": fault,
        "resolved_unknown": submission.resolved,
        "batches": [
            {"batch_id": b.batch_id, "file": b.file, "records": b.records, "state": b.state}
            for b in submission.batches
        ],
        "ledger": str(ledger.path),
    }
