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
