"""What the go-live commands print: short, in Polish (English with --lang en), no personal data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cer_loader.outcomes import plural_pl

WORDS = {  # the noun after a count: Polish one / few (2-4) / many, English one / other
    "slots": {"pl": ("termin", "terminy", "terminów"), "en": ("slot", "slots")},
    "problems": {"pl": ("problem", "problemy", "problemów"), "en": ("problem", "problems")},
}


def counted(word: str, n: int, lang: str) -> str:
    """The form of ``word`` ("slots", "problems") that follows the number ``n``."""
    if lang == "en":
        return WORDS[word]["en"][0 if n == 1 else 1]
    return WORDS[word]["pl"][plural_pl(n)]


TEXT = {
    "pl": {
        "slots_head": "Wolne terminy CeR (zapiszSloty) - MUŚ {mus}, stan na {as_of}",
        "counts": "Terminy: {n}   Przyjęte: {ok}   Odrzucone: {bad}   Ostrzeżenia: {warn}",
        "balance": "Bilans się zgadza: każdy wiersz plików jest przyjęty, odrzucony albo pusty",
        "balance_bad": "BILANS SIĘ NIE ZGADZA - sprawdź summary.json",
        "cov_head": "Pokrycie {months} mies. naprzód (do {horizon}, przerwa > {gap} dni to luka):",
        "cov_ok": "  {s}: {n} {slots}, do {last} - wystarcza",
        "cov_short": "  {s}: {n} {slots}, do {last} - ZA KRÓTKO (potrzeba do {horizon})",
        "cov_none": "  {s}: brak przyjętych terminów (potrzeba do {horizon})",
        "gap": "      luka {a} - {b}",
        "rules": "Przyczyny odrzucenia:",
        "payload": "Paczki XML: {files} (rekordy: {records}) w {dir}",
        "reports": "Raporty: {files}",
        "cov_fail": "Terminy nie pokrywają trzech miesięcy we wszystkich harmonogramach: uzupełnij eksport i uruchom ponownie.",
        "prov_head": "Dane placówki CeR - MUŚ {mus}: plik {file}",
        "prov_ok": "Plik placówki jest poprawny: MUŚ 1, punkty mobilne {points}, harmonogramy {schedules}",
        "prov_bad": "Plik placówki ma {n} {problems} - nic nie zostało przygotowane do wysłania:",
    },
    "en": {
        "slots_head": "CeR free slots (zapiszSloty) - MUŚ {mus}, as of {as_of}",
        "counts": "Slots: {n}   Accepted: {ok}   Rejected: {bad}   Warnings: {warn}",
        "balance": "The balance holds: every row of the files is accepted, rejected or blank",
        "balance_bad": "THE BALANCE DOES NOT HOLD - see summary.json",
        "cov_head": "Coverage {months} months ahead (to {horizon}, more than {gap} days without a slot is a gap):",
        "cov_ok": "  {s}: {n} {slots}, up to {last} - enough",
        "cov_short": "  {s}: {n} {slots}, up to {last} - TOO SHORT (needed up to {horizon})",
        "cov_none": "  {s}: no accepted slots (needed up to {horizon})",
        "gap": "      gap {a} - {b}",
        "rules": "Reasons for rejection:",
        "payload": "XML batches: {files} (records: {records}) in {dir}",
        "reports": "Reports: {files}",
        "cov_fail": "The slots do not cover three months in every schedule: complete the export and run again.",
        "prov_head": "CeR provider data - MUŚ {mus}: file {file}",
        "prov_ok": "The provider file is valid: MUŚ 1, mobile points {points}, schedules {schedules}",
        "prov_bad": "The provider file has {n} {problems} - nothing was prepared for sending:",
    },
}


def format_slots(s: Mapping[str, Any], lang: str, out_dir: str | None) -> str:
    t = TEXT["en" if lang == "en" else "pl"]
    cov = s["coverage"]
    lines = [
        t["slots_head"].format(mus=s["mus_id"], as_of=s["as_of"]),
        t["counts"].format(
            n=s["input_rows"], ok=s["accepted"], bad=s["rejected"], warn=s["warnings"]
        ),
        t["balance"] if s["balance_holds"] else t["balance_bad"],
        t["cov_head"].format(months=cov["months"], horizon=cov["horizon"], gap=cov["max_gap_days"]),
    ]
    for c in cov["schedules"]:
        if not c["slots"]:
            lines.append(t["cov_none"].format(s=c["schedule_id"], horizon=c["horizon"]))
        else:
            key = "cov_ok" if c["reaches_horizon"] else "cov_short"
            lines.append(t[key].format(s=c["schedule_id"], n=c["slots"], last=c["last_day"],
                                       horizon=c["horizon"],
                                       slots=counted("slots", c["slots"], lang)))  # fmt: skip
        lines += [t["gap"].format(a=a, b=b) for a, b in c["gaps"]]
    if s["rejections_by_rule"]:
        lines.append(t["rules"])
        lines += [f"  {n:6d}  {code}" for code, n in s["rejections_by_rule"].items()]
    if out_dir:
        if s["payload"]:
            lines.append(t["payload"].format(files=len(s["payload"]),
                         records=sum(p["records"] for p in s["payload"]), dir=f"{out_dir}/payload"))  # fmt: skip
        names = ["rejected.csv", "warnings.csv", "coverage.csv", "summary.json", "report.xlsx"]
        lines.append(t["reports"].format(files=", ".join(f"{out_dir}/{n}" for n in names)))
    if not cov["holds"]:
        lines.append(t["cov_fail"])
    return "\n".join(lines)


def format_provider(s: Mapping[str, Any], problems: list[tuple[str, str, str]], lang: str) -> str:
    t = TEXT["en" if lang == "en" else "pl"]
    lines = [t["prov_head"].format(mus=s["mus_id"], file=s["provider_file"])]
    if not problems:
        r = s["records"]
        lines.append(t["prov_ok"].format(points=r.get("importujMobilnePunktyObslugi", 0),
                                         schedules=r.get("zapiszHarmonogram", 0)))  # fmt: skip
        for p in s["payload"]:
            lines.append(f"  {p['operation']}: {p['file']} ({p['records']})")
    else:
        n = len(problems)
        lines.append(t["prov_bad"].format(n=n, problems=counted("problems", n, lang)))
        lines += [f"  {where}: {message} [{code}]" for where, code, message in problems]
    return "\n".join(lines)
