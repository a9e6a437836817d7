"""Sync monitoring: a current export of the provider's system against what CeR holds.

Three findings, each a stable code:

- ``missing-in-cer``: an active future appointment of the export that CeR does not hold;
- ``cancelled-or-moved-locally``: CeR holds a future appointment that the export no longer has
  as active (cancelled, deleted, or moved to another id);
- ``different``: both hold it, but the start, the scope, the patient or the medical category
  differ (``fields`` names which).

What CeR holds comes from the ledger (records CeR accepted) and, where the service offers a
listing (the emulator does), from CeR itself. Patients are compared by a salted digest: no
PESEL is stored or printed. Vectorized: a daily 100k-row export compares in well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

MISSING, GONE, DIFFERENT = "missing-in-cer", "cancelled-or-moved-locally", "different"
COMPARED = ("start", "scope_code", "patient_digest", "category")
COLUMNS = ["finding", "appointment_id", "fields", "source_file", "source_row", "export_start",
           "cer_start"]  # fmt: skip


def compare(export: pd.DataFrame, held: pd.DataFrame, as_of_utc: pd.Timestamp) -> pd.DataFrame:
    """``export``: appointment_id, start (UTC), scope_code, patient_digest, category, active,
    source_file, source_row. ``held``: appointment_id, start, scope_code, patient_digest,
    category. Only appointments from ``as_of_utc`` on are compared (the past is history)."""
    export = export.assign(start=pd.to_datetime(export["start"], utc=True),
                           active=export["active"].astype(bool))  # fmt: skip
    held = held.assign(start=pd.to_datetime(held["start"], utc=True))
    ex = export[export["active"] & (export["start"].isna() | (export["start"] >= as_of_utc))]
    ex = ex.drop_duplicates("appointment_id", keep="last")
    cer = held[held["start"].isna() | (held["start"] >= as_of_utc)].drop_duplicates(
        "appointment_id"
    )
    both = ex.merge(cer, on="appointment_id", how="outer", suffixes=("_x", "_c"), indicator=True)
    out = []
    miss = both[both["_merge"] == "left_only"]
    out.append(pd.DataFrame({"finding": MISSING, "appointment_id": miss["appointment_id"], "fields": "",
                             "source_file": miss["source_file"], "source_row": miss["source_row"],
                             "export_start": miss["start_x"], "cer_start": pd.NaT}))  # fmt: skip
    gone = both[both["_merge"] == "right_only"]
    out.append(pd.DataFrame({"finding": GONE, "appointment_id": gone["appointment_id"], "fields": "",
                             "source_file": "", "source_row": "", "export_start": pd.NaT,
                             "cer_start": gone["start_c"]}))  # fmt: skip
    pair = both[both["_merge"] == "both"]
    diffs = pd.DataFrame(
        {f: ~_same(pair[f"{f}_x"], pair[f"{f}_c"]) for f in COMPARED}, index=pair.index
    )
    changed = diffs.any(axis=1)
    names = (
        diffs[changed].apply(lambda r: ",".join(f for f in COMPARED if r[f]), axis=1)
        if changed.any()
        else []
    )
    d = pair[changed]
    out.append(pd.DataFrame({"finding": DIFFERENT, "appointment_id": d["appointment_id"], "fields": names,
                             "source_file": d["source_file"], "source_row": d["source_row"],
                             "export_start": d["start_x"], "cer_start": d["start_c"]}))  # fmt: skip
    frames = [f for f in out if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    result = pd.concat(frames, ignore_index=True)[COLUMNS]
    order = {MISSING: 0, DIFFERENT: 1, GONE: 2}
    return result.sort_values(["finding", "appointment_id"], key=lambda s: s.map(order) if s.name == "finding" else s,
                              kind="stable", ignore_index=True)  # fmt: skip


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    both_na = a.isna() & b.isna()
    eq = a.astype("object").where(a.notna(), None) == b.astype("object").where(b.notna(), None)
    return both_na | eq.fillna(False).astype(bool)


def export_frame(inputs: list[Path], mapping_path: Path | None, identifiers: Path, salt: str,
                 options: Any = None) -> pd.DataFrame:  # fmt: skip
    """Read a current export with the appointment readers and mapping, and give the columns
    ``compare`` needs. Appointments an HL7 dump lists as not loaded (cancelled, deleted, ...)
    are inactive; patients become salted digests at once."""
    from cer_loader.catalogues.identifiers import load_identifiers
    from cer_loader.ingest import read_source
    from cer_loader.mapping import apply_mapping, load_mapping
    from cer_loader.normalize import normalize
    from cer_loader.validate.identity import patient_key

    mapping = load_mapping(mapping_path)
    ids = load_identifiers(identifiers)
    frames = []
    for path in inputs:
        table = read_source(path, options or mapping.reader_options())
        f = normalize(apply_mapping(table, mapping), ids)
        frames.append(pd.DataFrame({
            "appointment_id": f["appointment_id"], "start": f["n_start"], "scope_code": f["scope_code"],
            "patient_digest": digests(patient_key(f), salt), "category": f["n_category"].str.upper(),
            "active": True, "source_file": f["_source_file"], "source_row": f["_source_row"].astype(str),
        }))  # fmt: skip
        if (
            table.not_loaded is not None
            and len(table.not_loaded)
            and "appointment_id" in table.not_loaded
        ):
            nl = table.not_loaded
            frames.append(pd.DataFrame({
                "appointment_id": nl["appointment_id"].astype(str), "start": pd.NaT, "scope_code": "",
                "patient_digest": "", "category": "", "active": False, "source_file": str(path),
                "source_row": nl.get("source_row", pd.Series("", index=nl.index)).astype(str),
            }))  # fmt: skip
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[
        "appointment_id", "start", "scope_code", "patient_digest", "category", "active", "source_file",
        "source_row"])  # fmt: skip


def digests(keys: pd.Series, salt: str) -> pd.Series:
    """The ledger's patient digest (HMAC with its salt): compared, never stored in clear."""
    from cer_loader.ledger.facts import patient_digests

    return patient_digests(keys, salt)


CER_ONLY = "held-by-cer-not-in-ledger"


def run_reconcile(
    inputs: list[Path],
    *,
    mus_id: str,
    as_of: Any,
    ledger_path: Path,
    mapping_path: Path | None,
    identifiers: Path,
    out_dir: Path | None,
    cer_listing: list[tuple[str, str, str]] | None = None,
    lang: str = "pl",
) -> dict[str, Any]:
    """Compare the export with what the ledger says CeR accepted (and, with ``cer_listing``,
    what CeR itself lists: key, MUŚ, appointment id). Returns the summary; with ``out_dir``
    writes ``reconcile.csv``, ``summary.json`` and ``report.html``."""
    import datetime as dt

    from cer_loader.errors import UsageError
    from cer_loader.ledger import open_ledger
    from cer_loader.ledger.facts import accepted_facts

    ledger = open_ledger(ledger_path, mus_id, create=False)
    if ledger is None:
        raise UsageError(
            "brak rejestru wysyłek tego MUŚ: najpierw zasilenie inicjalne (cer-loader run ... --submit)",
            "no submission ledger for this MUŚ: do the initial load first (cer-loader run ... --submit)",
            path=ledger_path,
        )
    try:
        held = accepted_facts(ledger, "zasilInicjalnie").rename(
            columns={"local_id": "appointment_id"}
        )
        salt = ledger.salt
    finally:
        ledger.close()
    export = export_frame(inputs, mapping_path, identifiers, salt)
    floor = pd.Timestamp(as_of, tz="Europe/Warsaw").tz_convert("UTC")
    findings = compare(export, held, floor)
    extra = pd.DataFrame(columns=COLUMNS)
    if cer_listing is not None:
        mine = set(held["key"])
        only = [(k, a) for k, m, a in cer_listing if m == mus_id and k not in mine]
        extra = pd.DataFrame({"finding": CER_ONLY, "appointment_id": [a for _, a in only], "fields": "",
                              "source_file": "", "source_row": "", "export_start": pd.NaT, "cer_start": pd.NaT})  # fmt: skip
    if len(extra):
        findings = pd.concat([findings, extra], ignore_index=True)
    counts = {
        k: int((findings["finding"] == k).sum()) for k in (MISSING, DIFFERENT, GONE, CER_ONLY)
    }
    summary: dict[str, Any] = {
        "operation": "reconcile", "mus_id": mus_id, "as_of": str(as_of),
        "export_rows": int(len(export)), "export_active_future": int((export["active"] & (
            export["start"].isna() | (pd.to_datetime(export["start"], utc=True) >= floor))).sum()),
        "held_by_cer": int(len(held)), "cer_listing": len(cer_listing) if cer_listing is not None else None,
        "findings": counts, "in_sync": not len(findings),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "exit_code": 0 if not len(findings) else 1,
    }  # fmt: skip
    if out_dir is not None:
        _write(out_dir, findings, summary, lang)
    return summary


def _write(out_dir: Path, findings: pd.DataFrame, summary: dict[str, Any], lang: str) -> None:
    import jinja2

    from cer_loader.files import write_private
    from cer_loader.golive.reports import write_csv, write_json
    from cer_loader.resources import data_dir

    out_dir.mkdir(parents=True, exist_ok=True)

    def when(v: Any) -> str:
        return (
            ""
            if pd.isna(v)
            else pd.Timestamp(v).tz_convert("Europe/Warsaw").strftime("%Y-%m-%d %H:%M")
        )

    rows = [[r.finding, r.appointment_id, r.fields, r.source_file, r.source_row, when(r.export_start),
             when(r.cer_start)] for r in findings.itertuples()]  # fmt: skip
    write_csv(out_dir / "reconcile.csv", COLUMNS, rows)
    write_json(out_dir / "summary.json", summary)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_dir("templates"))), autoescape=True,
                             undefined=jinja2.StrictUndefined)  # fmt: skip
    html = env.get_template("reconcile.html.j2").render(s=summary, rows=rows[:500], more=max(0, len(rows) - 500),
                                                        lang="en" if lang == "en" else "pl")  # fmt: skip
    write_private(out_dir / "report.html", html.encode("utf-8"))


def format_reconcile(s: dict[str, Any], lang: str) -> str:
    pl = lang != "en"
    f = s["findings"]
    head = ("Zgodność z CeR - MUŚ {m}, stan na {d}" if pl else "Sync with CeR - MUŚ {m}, as of {d}").format(
        m=s["mus_id"], d=s["as_of"])  # fmt: skip
    lines = [head, (f"Eksport: {s['export_rows']} wierszy (aktywne przyszłe: {s['export_active_future']}); "
                    f"CeR ma według rejestru: {s['held_by_cer']}") if pl else
             (f"Export: {s['export_rows']} rows (active future: {s['export_active_future']}); "
              f"CeR holds per the ledger: {s['held_by_cer']}")]  # fmt: skip
    names = ({MISSING: "brak w CeR", DIFFERENT: "różnią się", GONE: "w CeR, a lokalnie odwołane lub przeniesione",
              CER_ONLY: "w CeR, a nieznane rejestrowi"} if pl else
             {MISSING: "missing in CeR", DIFFERENT: "different", GONE: "in CeR but cancelled or moved locally",
              CER_ONLY: "in CeR but unknown to the ledger"})  # fmt: skip
    for code, label in names.items():
        lines.append(f"  {label}: {f[code]}")
    lines.append(("Zgodne." if pl else "In sync.") if s["in_sync"] else
                 ("NIEZGODNE - szczegóły w reconcile.csv" if pl else "OUT OF SYNC - details in reconcile.csv"))  # fmt: skip
    return "\n".join(lines)
