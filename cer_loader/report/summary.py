"""``summary.json`` and the one-screen summary printed after a run.

The balance, per file and for the run, each term named::

    physical_records == header + blank + accepted + rejected + not_loaded

``physical_records`` is the independent census of the file (CSV: quote-aware record count;
workbook: the sheet's used rows; HL7: MSH segments), ``header`` counts title rows too,
``not_loaded`` is what a reader accounted for but does not load (HL7 cancellations, folded
updates, duplicate deliveries). Also ``input_rows == accepted + rejected``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cer_loader import __version__
from cer_loader.outcomes import Notice
from cer_loader.report.not_loaded import counts as hl7_counts
from cer_loader.validate.identity import patients_without_sms

if TYPE_CHECKING:
    from cer_loader.result import RunResult


def _rule_counts(issues: pd.DataFrame) -> dict[str, int]:
    counts = issues.groupby("rule")["row"].nunique().sort_values(ascending=False)
    return {str(k): int(v) for k, v in counts.items()}


def _physical(table: Any) -> int:
    """The independent count when the reader recorded one, else the reader's own total."""
    census = table.details.get("census")
    if isinstance(census, dict) and "physical_records" in census:
        return int(census["physical_records"])
    if "used_rows" in table.details:
        return int(table.details["used_rows"])
    if "msh_segments" in table.details:
        return int(table.details["msh_segments"])
    return int(table.total_records)


def file_balance(table: Any, accepted: int, rejected: int) -> dict[str, Any]:
    terms = {
        "physical_records": _physical(table),
        "header": table.header_records,
        "blank": table.blank_rows,
        "accepted": accepted,
        "rejected": rejected,
        "not_loaded": table.skipped_rows,
    }
    parts = sum(v for k, v in terms.items() if k != "physical_records")
    return {
        **terms,
        "equation": "physical_records = header + blank + accepted + rejected + not_loaded",
        "holds": terms["physical_records"] == parts == table.total_records,
        "sha256": table.sha256,
        # kept for readers of earlier summaries
        "total_records": table.total_records,
        "header_records": table.header_records,
        "blank_rows": table.blank_rows,
        "skipped_rows": table.skipped_rows,
        "data_rows": table.data_rows,
    }


def run_balance(files: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("physical_records", "header", "blank", "accepted", "rejected", "not_loaded")
    total = {k: sum(f["balance"][k] for f in files) for k in keys}
    total["holds"] = all(f["balance"]["holds"] for f in files)
    return total


def build_summary(result: RunResult, out_dir: Path | None) -> dict[str, Any]:
    frame, issues = result.frame, result.issues
    errors = issues[issues["severity"] == "error"]
    warns = issues[issues["severity"] == "warning"]
    files = []
    for t, table in enumerate(result.tables):
        rows = frame.index[frame["_table"] == t]
        n_rej = int(rows.isin(result.rejected).sum())
        file_issues = issues[issues["row"].isin(rows)]
        balance = file_balance(table, table.data_rows - n_rej, n_rej)
        files.append(
            {
                "path": str(table.path),
                "kind": table.kind,
                "sha256": table.sha256,
                "size": table.size,
                "details": {k: v for k, v in table.details.items()},
                "balance": balance,
                "input_rows": table.data_rows,
                "accepted": table.data_rows - n_rej,
                "rejected": n_rej,
                "rules": _rule_counts(file_issues),
                "reader_warnings": [
                    reader_warning_entry(w, result.settings.lang) for w in table.warnings
                ],
            }
        )
    input_rows = len(frame)
    summary: dict[str, Any] = {
        "tool": "cer-loader",
        "version": __version__,
        "mus_id": result.settings.mus_id,
        "as_of": result.settings.as_of.isoformat(),
        "input_rows": input_rows,
        "blank_rows": sum(t.blank_rows for t in result.tables),
        "accepted": len(result.accepted),
        "rejected": len(result.rejected),
        "rows_with_warnings": int(warns["row"].nunique()),
        "warnings": len(warns),
        "balance_holds": input_rows == len(result.accepted) + len(result.rejected)
        and all(f["balance"]["holds"] for f in files),
        "balance": run_balance(files),
        "rejections_by_rule": _rule_counts(errors),
        "warnings_by_rule": _rule_counts(warns),
        # distinct patients of the accepted rows with no mobile number: no SMS from CeR
        "patients_without_sms": patients_without_sms(frame, result.accepted),
        "files": files,
        "payload": [
            {
                "file": str(p.path.relative_to(out_dir)) if out_dir else str(p.path),
                "records": p.records,
                "sha256": p.sha256,
            }
            for p in result.payload
        ],
        "exit_code": result.exit_code,
    }
    summary.update(loop_summary(result))
    if result.submission is not None:
        summary["submission"] = dict(result.submission)
    hl7 = hl7_counts(result.tables)
    if hl7:
        summary["hl7"] = hl7
    return summary


def loop_summary(result: RunResult) -> dict[str, Any]:
    """The fix-and-resubmit loop: ``accepted == accepted_new + already_loaded``.

    ``already_loaded``: accepted rows whose appointment id an earlier run (per the state file)
    already put into a payload, so they were not rendered again. ``steward_fixed``: rows read
    from a steward workbook (``report.xlsx``) that are now accepted for the first time.
    """
    frame = result.frame
    already = result.already_loaded
    new = result.accepted[~result.accepted.isin(already)]
    steward = [t for t, table in enumerate(result.tables) if table.kind == "steward"]
    fixed = int(frame.loc[new, "_table"].isin(steward).sum()) if len(new) else 0
    return {
        "accepted_new": len(new),
        "already_loaded": len(already),
        "steward_fixed": fixed,
        "run_id": result.run_id,
        "state_file": str(result.state_path) if result.state_path else None,
    }


TEXT = {
    "pl": {
        "head": "Zasilenie inicjalne CeR - MUŚ {mus}, stan na {as_of}",
        "file": "  {path}: wiersze danych: {rows}, puste: {blank} ({kind}, {extra})",
        "counts": "Przyjęte: {acc}   Odrzucone: {rej}   Ostrzeżenia: {warn} (wiersze z ostrzeżeniem: {wrows})",
        "balance_ok": "Bilans się zgadza: rekordy w plikach {phys} = nagłówek {hdr} + puste {blank} + przyjęte {acc} + odrzucone {rej} + niezaładowane {nl}",
        "balance_bad": "BILANS SIĘ NIE ZGADZA: rekordy w plikach {phys} ≠ nagłówek {hdr} + puste {blank} + przyjęte {acc} + odrzucone {rej} + niezaładowane {nl}",
        "hl7": "HL7: komunikaty {msgs} (powtórzone {dups}), wizyty {appts}; wizyty niezaładowane: {nl} ({reasons}) - lista w not_loaded.csv",
        "top": "Przyczyny odrzucenia (wiersze):",
        "more": "  ... i {n} innych (pełna lista: summary.json)",
        "payload": "Paczki XML: {n} (rekordy: {rec}) w {dir}",
        "no_payload": "Paczki: nie utworzono (brak przyjętych wierszy lub tryb walidacji)",
        "reports": "Raporty: {files}",
        "loop": "W tym przyjęte wcześniej (już w paczkach, pominięte): {already}   nowe: {new}",
        "fixed": "Poprawione w arkuszu report.xlsx i teraz przyjęte: {fixed}",
        "cer": "CeR ({target}): wysłane {submitted}, przyjęte przez CeR {acc}, odrzucone przez CeR {ref}, bez odpowiedzi {unk}, niewysłane {ns}",
        "cer_batches": "Paczki w CeR: {states}",
        "cer_fault": "WYSYŁKA PRZERWANA: błąd warstwy '{layer}' ({code}) - popraw konfigurację i uruchom cer-loader submit",
        "cer_breaker": "Wysyłka wstrzymana po powtarzających się błędach połączenia; dokończ: cer-loader submit {out}",
        "balance_cer": "  (odrzucone obejmują {ref} odrzuconych przez CeR)",
        "steward": "Do poprawy: {xlsx} (popraw i uruchom: cer-loader run {xlsx} --out NOWY_KATALOG); dla kierownika: {html}",
    },
    "en": {
        "head": "CeR initial load - MUŚ {mus}, as of {as_of}",
        "file": "  {path}: {rows} data rows, {blank} blank ({kind}, {extra})",
        "counts": "Accepted: {acc}   Rejected: {rej}   Warnings: {warn} (in {wrows} rows)",
        "balance_ok": "Balance holds: records in the files {phys} = header {hdr} + blank {blank} + accepted {acc} + rejected {rej} + not loaded {nl}",
        "balance_bad": "BALANCE DOES NOT HOLD: records in the files {phys} ≠ header {hdr} + blank {blank} + accepted {acc} + rejected {rej} + not loaded {nl}",
        "hl7": "HL7: messages {msgs} (repeated {dups}), appointments {appts}; appointments not loaded: {nl} ({reasons}) - listed in not_loaded.csv",
        "top": "Rejection reasons (rows):",
        "more": "  ... and {n} more (full list: summary.json)",
        "payload": "Payload: {n} file(s), {rec} records in {dir}",
        "no_payload": "Payload: none written (no accepted rows, or validate mode)",
        "reports": "Reports: {files}",
        "loop": "Of these accepted earlier (already in a payload, skipped): {already}   new: {new}",
        "fixed": "Fixed in the report.xlsx workbook and now accepted: {fixed}",
        "cer": "CeR ({target}): submitted {submitted}, accepted by CeR {acc}, refused by CeR {ref}, no answer {unk}, not sent {ns}",
        "cer_batches": "Batches at CeR: {states}",
        "cer_fault": "SUBMISSION STOPPED: the '{layer}' layer failed ({code}) - fix the configuration and run cer-loader submit",
        "cer_breaker": "Submission paused after repeated connection failures; finish it: cer-loader submit {out}",
        "balance_cer": "  (rejected include {ref} refused by CeR)",
        "steward": "To fix: {xlsx} (fix, then run: cer-loader run {xlsx} --out NEW_FOLDER); for managers: {html}",
    },
}


def reader_warning_entry(notice: Notice, lang: str) -> dict[str, Any]:
    """A reader warning in ``summary.json``: its stable code and its text in the run's language."""
    return {"code": notice.code, "text": notice.text(lang)}


def format_submission(
    summary: dict[str, Any], t: dict[str, str], out_dir: Path | None
) -> list[str]:
    """What CeR answered (after ``--submit``): counts, every batch's state, why it stopped."""
    sub = summary.get("submission")
    if not sub:
        return []
    lines = [t["balance_cer"].format(ref=sub["refused_by_cer"])] if sub["refused_by_cer"] else []
    lines.append(
        t["cer"].format(
            target=sub["target"], submitted=sub["submitted"], acc=sub["accepted_by_cer"],
            ref=sub["refused_by_cer"], unk=sub["unknown"], ns=sub["not_sent"],
        )
    )  # fmt: skip
    states = ", ".join(f"{Path(b['file']).name} {b['state']}" for b in sub["batches"]) or "-"
    lines.append(t["cer_batches"].format(states=states))
    if sub.get("fault"):
        lines.append(t["cer_fault"].format(layer=sub["fault"]["layer"], code=sub["fault"]["code"]))
    elif sub.get("breaker_open"):
        lines.append(t["cer_breaker"].format(out=out_dir or "OUT"))
    return lines


def format_summary(
    summary: dict[str, Any], rule_titles: dict[str, str], lang: str, out_dir: Path | None
) -> str:
    t = TEXT["en" if lang == "en" else "pl"]
    lines = [t["head"].format(mus=summary["mus_id"], as_of=summary["as_of"])]
    for f in summary["files"]:
        d = f["details"]
        extra = ", ".join(
            f"{k}={d[k]!s}" for k in ("encoding", "delimiter", "sheet", "messages") if k in d
        ).replace("\t", "\\t")
        lines.append(
            t["file"].format(
                path=f["path"], rows=f["input_rows"], blank=f["balance"]["blank_rows"],
                kind=f["kind"], extra=extra,
            )
        )  # fmt: skip
        notes = f.get("reader_warnings", [])
        lines += [f"    ! {w['text']}" for w in notes[:5]]
        if len(notes) > 5:
            lines.append("    " + t["more"].strip().format(n=len(notes) - 5))
    lines.append(
        t["counts"].format(
            acc=summary["accepted"], rej=summary["rejected"], warn=summary["warnings"],
            wrows=summary["rows_with_warnings"],
        )
    )  # fmt: skip
    lines += format_loop(summary, t)
    if "hl7" in summary:
        h = summary["hl7"]
        reasons = ", ".join(f"{k} {v}" for k, v in h["not_loaded_by_reason"].items()) or "-"
        lines.append(
            t["hl7"].format(
                msgs=h["messages"], dups=h["duplicate_messages"], appts=h["appointments"],
                nl=h["not_loaded"], reasons=reasons,
            )
        )  # fmt: skip
    b = summary["balance"]
    key = "balance_ok" if summary["balance_holds"] else "balance_bad"
    lines.append(
        t[key].format(
            phys=b["physical_records"], hdr=b["header"], blank=b["blank"], acc=b["accepted"],
            rej=b["rejected"], nl=b["not_loaded"],
        )
    )  # fmt: skip
    lines += format_submission(summary, t, out_dir)
    if summary["rejections_by_rule"]:
        lines.append(t["top"])
        reasons = list(summary["rejections_by_rule"].items())
        for code, n in reasons[:12]:
            lines.append(f"  {n:>6}  {code:<28} {rule_titles.get(code, '')}")
        if len(reasons) > 12:
            lines.append(t["more"].format(n=len(reasons) - 12))
    if summary["payload"]:
        rec = sum(p["records"] for p in summary["payload"])
        where = str(out_dir / "payload") if out_dir else "-"
        lines.append(t["payload"].format(n=len(summary["payload"]), rec=rec, dir=where))
    else:
        lines.append(t["no_payload"])
    if out_dir is not None:
        names = ["rejected.csv", "warnings.csv", "summary.json"]
        lines.append(t["reports"].format(files=", ".join(str(out_dir / n) for n in names)))
        lines.append(
            t["steward"].format(xlsx=out_dir / "report.xlsx", html=out_dir / "report.html")
        )
    return "\n".join(lines)


def format_loop(summary: dict[str, Any], t: dict[str, str]) -> list[str]:
    """Printed lines for the fix-and-resubmit loop (only when it did something)."""
    lines = []
    if summary.get("already_loaded"):
        lines.append(
            t["loop"].format(already=summary["already_loaded"], new=summary["accepted_new"])
        )
    if summary.get("steward_fixed"):
        lines.append(t["fixed"].format(fixed=summary["steward_fixed"]))
    return lines
