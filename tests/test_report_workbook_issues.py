"""What an issue sheet says per row (report.workbook_issues.sheet_rows, over whole columns) is
what the per-issue loop the workbook used before gives (the oracle here, kept as it was)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cer_loader.mapping import Mapping, load_mapping
from cer_loader.pipeline import run
from cer_loader.report.origins import Origins, origins_of
from cer_loader.report.view import ReportView, report_view
from cer_loader.report.workbook_issues import DECIDING, HINTS, fault_headers, sheet_rows
from cer_loader.samples.writers import write_sample
from cer_loader.settings import Settings, load_settings

from conftest import SAMPLE
from rowkit import BASE, CERVIX, make_pesel


def _filled(value: object) -> bool:
    return bool(pd.notna(value)) and str(value) != ""


def oracle(
    issues: pd.DataFrame, view: ReportView, origins: Origins, headers: list[str], lang: str,
    max_comments: int,
) -> tuple[list[Any], list[str], list[str], set[tuple[int, int]], list[tuple[int, int, str]]]:  # fmt: skip
    """The per-issue loop of report.workbook before (``_rows_for`` and the comment loop)."""
    msgs = view.shown(issues)[1]
    rules: dict[Any, list[str]] = {}
    texts: dict[Any, list[str]] = {}
    faults: dict[Any, dict[str, list[str]]] = {}
    present = set(headers)
    hints = {code: f". {pair[lang == 'en']}" for code, pair in HINTS.items()}
    frame = view.frame
    pesel = frame["patient_pesel"] if "patient_pesel" in frame.columns else None
    for row, code, field, text in zip(
        issues["row"].tolist(), issues["rule"].astype(str).tolist(),
        issues["field"].astype(str).tolist(), msgs.astype(str).tolist(), strict=True,
    ):  # fmt: skip
        text += hints.get(code, "")
        known = rules.setdefault(row, [])
        if code not in known:
            known.append(code)
        texts.setdefault(row, []).append(text)
        has_pesel = code in DECIDING and pesel is not None and _filled(pesel.at[row])
        columns = origins.items[int(origins.index[row])]["columns"]
        for h in fault_headers(code, field, columns, present, has_pesel):
            faults.setdefault(row, {}).setdefault(h, []).append(text)
    index = frame.index
    labels = index[index.isin(list(rules))].tolist()
    pos = {h: j for j, h in enumerate(headers)}
    marks: set[tuple[int, int]] = set()
    notes: list[tuple[int, int, str]] = []
    for i, label in enumerate(labels):
        for h, m in faults.get(label, {}).items():
            marks.add((i, pos[h]))
            if len(notes) < max_comments:
                notes.append((i, pos[h], "\n".join(dict.fromkeys(m))))
    codes = ["; ".join(rules[label]) for label in labels]
    messages = ["\n".join(dict.fromkeys(texts[label])) for label in labels]
    return labels, codes, messages, marks, notes


def _several(tmp: Path, settings: Settings) -> Any:
    """Rows with several defects each, programme rules with and without a PESEL, a repeat."""
    male = make_pesel(dt.date(1950, 3, 1), female=False)
    rows = [
        {"patient_pesel": "70051412340", "patient_phone": "12", "start_date": "32.13.2027"},
        {"scope_code": CERVIX, "patient_pesel": male, "patient_phone": "12"},
        {"scope_code": CERVIX, "patient_pesel": "", "patient_sex": "M",
         "patient_birth_date": "01.03.1950"},
        {"appointment_id": "A1", "practitioner_npwz": "1", "referral_key": "x"},
        {"appointment_id": "A1", "practitioner_npwz": "1", "referral_key": "x"},
    ]  # fmt: skip
    cols = [*BASE, "patient_sex", "patient_birth_date"]
    src = tmp / "kilka.csv"
    with src.open("w", encoding="utf-8") as fh:
        fh.write(";".join(cols) + "\n")
        for i, change in enumerate(rows):
            row = {**BASE, "appointment_id": f"K{i}", "patient_sex": "", "patient_birth_date": "",
                   **change}  # fmt: skip
            fh.write(";".join(row[c] for c in cols) + "\n")
    return run([src], settings, render=False)


def _runs(tmp: Path) -> list[tuple[Any, Mapping]]:
    settings = Settings(mus_id="000000927722-001", as_of=dt.date(2026, 12, 1))
    mapping = SAMPLE / "mapping.toml"
    clinic = run([SAMPLE / "wizyty_poradnia.csv"], settings, mapping_path=mapping)
    several = _several(tmp, settings)
    w = write_sample(tmp / "wadliwe.csv", "csv", 800, 1.0, seed=3)
    sample = run([w.data], load_settings(w.config, {}), mapping_path=w.mapping, render=False,
                 ledger_path=tmp / "ledger.sqlite", config_path=w.config)  # fmt: skip
    return [
        (clinic, load_mapping(mapping)),
        (sample, load_mapping(w.mapping)),
        (several, Mapping()),
    ]


@pytest.mark.parametrize("max_comments", [0, 7, 5_000])
def test_sheet_rows_are_what_the_per_issue_loop_gives(tmp_path: Path, max_comments: int) -> None:
    for done, mapping in _runs(tmp_path):
        result = done.result
        view = report_view(result)
        origins = origins_of(result, mapping, view.frame)
        for issues in (result.errors, result.warnings):
            for lang in ("pl", "en"):
                got = sheet_rows(issues, view, origins, origins.headers, lang, max_comments)
                want = oracle(issues, view, origins, origins.headers, lang, max_comments)
                marks = set(zip(got.mark_rows.tolist(), got.mark_headers.tolist(), strict=True))
                assert (got.labels, got.codes, got.messages) == want[:3]
                assert marks == want[3] and len(marks) == len(got.mark_rows)
                assert got.notes == want[4]


def test_rows_with_several_issues_and_programme_rules_are_covered(tmp_path: Path) -> None:
    """The runs above hold what the column-wise path treats apart: rows with several issues
    and several marked cells, programme rules with and without a PESEL."""
    runs = _runs(tmp_path)
    errors = pd.concat([done.result.errors for done, _ in runs])
    several = runs[2][0].result
    assert several.errors.groupby("row")["rule"].nunique().max() >= 3
    programme = several.errors[several.errors["rule"].isin(list(DECIDING))]
    pesel = several.frame.loc[programme["row"], "patient_pesel"].astype(str)
    assert (pesel != "").any() and (pesel == "").any()
    assert set(errors["rule"].astype(str)) & set(DECIDING)
    view = report_view(several)
    origins = origins_of(several, Mapping(), view.frame)
    rows = sheet_rows(several.errors, view, origins, origins.headers, "pl")
    assert any(n > 1 for n in pd.Series(rows.mark_rows).value_counts())
