"""The one-screen summary printed after a run, in Polish or English, and the words it shares
with ``report.html``.

Counts are named for what they count, the same way here, in ``summary.json`` and in
``report.html``: the balance's ``skipped`` term counts *records* of the files that became no
data row of their own (HL7: messages folded into an appointment, repeated, cancelled, of
another type); ``hl7.appointments_not_loaded`` counts *appointments* (``not_loaded.csv``).
Everything printed passes :func:`cer_loader.sanitize.console` (no terminal escapes).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cer_loader.sanitize import console

TOP_RULES = 12

TEXT = {
    "pl": {
        "head": "Zasilenie inicjalne CeR - MUŚ {mus}, stan na {as_of}",
        "file": "  {path}: wiersze danych: {rows}, puste: {blank} ({kind}, {extra})",
        "counts": "Przyjęte: {acc}   Odrzucone: {rej}   Ostrzeżenia: {warn} (wiersze z ostrzeżeniem: {wrows})",
        "balance_ok": "Bilans się zgadza: rekordy w plikach {phys} = nagłówek {hdr} + puste {blank} + przyjęte {acc} + odrzucone {rej} + pominięte {nl}",
        "balance_bad": "BILANS SIĘ NIE ZGADZA: rekordy w plikach {phys} ≠ nagłówek {hdr} + puste {blank} + przyjęte {acc} + odrzucone {rej} + pominięte {nl}",
        "hl7": "HL7: {msgs} ({dups}), {appts}; wizyty niezaładowane: {nl} ({reasons}) - lista w not_loaded.csv",
        "hl7_skipped": "  rekordy pominięte w bilansie to komunikaty bez własnej wizyty (powtórzone, zmiany i odwołania złożone w wizytę, inne typy): {n}",
        "sms": "Pacjenci bez numeru komórkowego (CeR nie wyśle im SMS): {n}",
        "top": "Przyczyny odrzucenia (wiersze):",
        "more": "  ... i {n} innych (pełna lista: summary.json)",
        "payload": "Paczki XML: {n} (rekordy: {rec}) w {dir}",
        "no_payload": "Paczki: nie utworzono (brak przyjętych wierszy lub tryb walidacji)",
        "no_new": "Paczki: nie utworzono - każdy przyjęty wiersz jest już w CeR albo w paczce "
        "wcześniejszego przebiegu (rejestr wysyłek)",
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
        "balance_ok": "Balance holds: records in the files {phys} = header {hdr} + blank {blank} + accepted {acc} + rejected {rej} + skipped {nl}",
        "balance_bad": "BALANCE DOES NOT HOLD: records in the files {phys} ≠ header {hdr} + blank {blank} + accepted {acc} + rejected {rej} + skipped {nl}",
        "hl7": "HL7: {msgs} ({dups}), {appts}; appointments not loaded: {nl} ({reasons}) - listed in not_loaded.csv",
        "hl7_skipped": "  skipped records in the balance are messages without an appointment of their own (repeated, updates and cancellations folded into one, other types): {n}",
        "sms": "Patients without a mobile number (CeR cannot text them): {n}",
        "top": "Rejection reasons (rows):",
        "more": "  ... and {n} more (full list: summary.json)",
        "payload": "Payload: {n} file(s), {rec} records in {dir}",
        "no_payload": "Payload: none written (no accepted rows, or validate mode)",
        "no_new": "Payload: none written - every accepted row is already at CeR or in a payload "
        "of an earlier run (submission ledger)",
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
}  # fmt: skip

# noun forms: Polish (one, few, many), English (one, many)
NOUNS = {
    "message": (("komunikat", "komunikaty", "komunikatów"), ("message", "messages")),
    "repeated": (("powtórzony", "powtórzone", "powtórzonych"), ("repeated", "repeated")),
    "appointment": (("wizyta", "wizyty", "wizyt"), ("appointment", "appointments")),
    "rule": (("reguła", "reguły", "reguł"), ("rule", "rules")),
    "row": (("wiersz", "wiersze", "wierszy"), ("row", "rows")),
    "patient": (("pacjent", "pacjentów", "pacjentów"), ("patient", "patients")),
    "wiadomość": (("wiadomość", "wiadomości", "wiadomości"), ("message", "messages")),
}


def plural_form(n: int, forms: tuple[str, ...], lang: str = "pl") -> str:
    """The form of a noun after the number ``n``: Polish 1 wiadomość, 2–4 (not 12–14)
    wiadomości, 5+ wiadomości; ``forms`` is (one, few, many) — or (one, many) for English."""
    n = abs(int(n))
    if lang == "en" or len(forms) == 2:
        return forms[0] if n == 1 else forms[-1]
    if n == 1:
        return forms[0]
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]


def count(n: int, noun: str, lang: str) -> str:
    """``5 komunikatów``, ``1 wizyta``, ``2 messages``: the number and its noun's right form."""
    pl, en = NOUNS[noun]
    return f"{n} {plural_form(n, en if lang == 'en' else pl, lang)}"


def _warning_text(warning: Any, lang: str) -> str:
    """A reader warning of ``summary.json``: ``{"code", "text"}`` (or an earlier plain string)."""
    if isinstance(warning, Mapping):
        return str(warning.get("text", ""))
    return reader_warning(str(warning), lang)


def reader_warning(text: str, lang: str) -> str:
    """Readers write "Polish text (EN: English text)"; pick the run's language."""
    pl, sep, en = text.partition(" (EN: ")
    if not sep:
        return text
    return en[:-1] if lang == "en" and en.endswith(")") else pl


def format_summary(
    summary: Mapping[str, Any], rule_titles: Mapping[str, str], lang: str, out_dir: Path | None
) -> str:
    lang = "en" if lang == "en" else "pl"
    t = TEXT[lang]
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
        lines += [f"    ! {_warning_text(w, lang)}" for w in notes[:5]]
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
        lines += _hl7_lines(summary, t, lang)
    if summary.get("patients_without_sms") is not None:
        lines.append(t["sms"].format(n=summary["patients_without_sms"]))
    b = summary["balance"]
    key = "balance_ok" if summary["balance_holds"] else "balance_bad"
    lines.append(
        t[key].format(
            phys=b["physical_records"], hdr=b["header"], blank=b["blank"], acc=b["accepted"],
            rej=b["rejected"], nl=b.get("skipped", b.get("not_loaded", 0)),
        )
    )  # fmt: skip
    lines += format_submission(summary, t, out_dir)
    if summary["rejections_by_rule"]:
        lines.append(t["top"])
        reasons = list(summary["rejections_by_rule"].items())
        for code, n in reasons[:TOP_RULES]:
            lines.append(f"  {n:>6}  {code:<28} {rule_titles.get(code, '')}")
        if len(reasons) > TOP_RULES:
            lines.append(t["more"].format(n=len(reasons) - TOP_RULES))
    if summary["payload"]:
        rec = sum(p["records"] for p in summary["payload"])
        where = str(out_dir / "payload") if out_dir else "-"
        lines.append(t["payload"].format(n=len(summary["payload"]), rec=rec, dir=where))
    elif summary["accepted"] and summary.get("accepted_new") == 0:
        lines.append(t["no_new"])
    else:
        lines.append(t["no_payload"])
    if out_dir is not None:
        names = ["rejected.csv", "warnings.csv", "summary.json"]
        lines.append(t["reports"].format(files=", ".join(str(out_dir / n) for n in names)))
        lines.append(
            t["steward"].format(xlsx=out_dir / "report.xlsx", html=out_dir / "report.html")
        )
    return "\n".join(console(line) for line in lines)


def _hl7_lines(summary: Mapping[str, Any], t: Mapping[str, str], lang: str) -> list[str]:
    h = summary["hl7"]
    by_reason = h.get("appointments_not_loaded_by_reason", h.get("not_loaded_by_reason", {}))
    reasons = ", ".join(f"{k} {v}" for k, v in by_reason.items()) or "-"
    line = t["hl7"].format(
        msgs=count(h["messages"], "message", lang),
        dups=count(h["duplicate_messages"], "repeated", lang),
        appts=count(h["appointments"], "appointment", lang),
        nl=h.get("appointments_not_loaded", h.get("not_loaded", 0)),
        reasons=reasons,
    )
    lines = [line]
    skipped = h.get("skipped_messages")
    if skipped:
        lines.append(t["hl7_skipped"].format(n=skipped))
    return lines


def format_submission(
    summary: Mapping[str, Any], t: Mapping[str, str], out_dir: Path | None
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


def format_loop(summary: Mapping[str, Any], t: Mapping[str, str]) -> list[str]:
    """Printed lines for the fix-and-resubmit loop (only when it did something)."""
    lines = []
    if summary.get("already_loaded"):
        lines.append(
            t["loop"].format(already=summary["already_loaded"], new=summary["accepted_new"])
        )
    if summary.get("steward_fixed"):
        lines.append(t["fixed"].format(fixed=summary["steward_fixed"]))
    return lines
