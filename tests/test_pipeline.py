"""End to end through the library: every input row is accounted for, whatever the defects."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cer_loader.pipeline import run

from rowkit import BASE
from rowkit import settings as run_settings

DEFECTS = {
    "patient_pesel": ["", "123", "44051401358", "02381307589"],
    "start_date": ["", "31.02.2027", "28.03.2027", "x", "30.11.2026"],
    "start_time": ["2:30", "", "99:99"],
    "scope_code": ["", "02.1500.001.02"],
    "visit_kind": ["", "druga", "kontynuacja"],
    "medical_category": ["", "??"],
    "referral_key": ["", "123"],
    "request_date": ["", "13.01.2027", "zzz"],
    "patient_phone": ["12", ""],
    "appointment_id": ["", "A1"],
    "notes": ['a "quoted" note; with delimiter', "line\nbreak", "=SUM(A1)"],
}

row_strategy = st.fixed_dictionaries(
    {}, optional={k: st.sampled_from(v) for k, v in DEFECTS.items()}
)


def write_csv(path: Path, rows: list[dict[str, str]], blank_after: set[int]) -> None:
    cols = list(BASE) + ["notes"]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(cols)
    for i, r in enumerate(rows):
        merged = {**BASE, "appointment_id": f"A{i}", **r}
        w.writerow([merged.get(c, "") for c in cols])
        if i in blank_after:
            buf.write("\r\n")
    path.write_bytes(buf.getvalue().encode("cp1250"))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(row_strategy, min_size=1, max_size=25), st.sets(st.integers(0, 24), max_size=3))
def test_every_row_is_accepted_or_rejected(
    tmp_path: Path, rows: list[dict[str, str]], blanks: set[int]
) -> None:
    src = tmp_path / "in.csv"
    write_csv(src, rows, blanks)
    result = run([src], run_settings(), out_dir=None, render=False)
    s = result.summary
    assert s["input_rows"] == len(rows)
    assert s["accepted"] + s["rejected"] == len(rows)
    assert s["blank_rows"] == len([b for b in blanks if b < len(rows)])
    assert s["balance_holds"]
    # every rejected row has at least one error, every accepted row none
    errors = result.result.issues[result.result.issues["severity"] == "error"]
    assert set(errors["row"]) == set(result.result.rejected)
    # row numbers are the spreadsheet's: data rows start at 2 and skip blank lines' numbers
    assert sorted(result.result.frame["_source_row"]) == sorted(
        set(result.result.frame["_source_row"])
    )


def test_two_files_keep_their_provenance(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(a, [{}, {"patient_pesel": "44051401358"}], set())
    write_csv(
        b,
        [
            {"appointment_id": "B0", "start_time": "12:00"},
            {"appointment_id": "B1", "scope_code": ""},
        ],
        set(),
    )
    result = run([a, b], run_settings(), out_dir=tmp_path / "out")
    assert result.summary["input_rows"] == 4 and result.summary["rejected"] == 2
    per_file = {
        Path(f["path"]).name: (f["accepted"], f["rejected"]) for f in result.summary["files"]
    }
    assert per_file == {"a.csv": (1, 1), "b.csv": (1, 1)}
    text = (tmp_path / "out" / "rejected.csv").read_text(encoding="utf-8-sig")
    assert f"{a},3," in text and f"{b},3," in text


def test_duplicate_in_another_file_names_that_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(a, [{}], set())
    write_csv(b, [{"appointment_id": "B0"}], set())  # same patient, scope and start as a.csv row 2
    result = run([a, b], run_settings(), out_dir=tmp_path / "out", render=False)
    dup = result.result.issues[result.result.issues["rule"] == "duplicate-visit"]
    assert dup["other_row"].tolist() == ["a.csv:2"]
    text = (tmp_path / "out" / "rejected.csv").read_text(encoding="utf-8-sig")
    assert "co w wierszu a.csv:2" in text


def test_public_api_runs_from_plain_strings(tmp_path: Path) -> None:
    import cer_loader

    from conftest import SAMPLE

    done = cer_loader.run(
        [str(SAMPLE / "wizyty_poradnia.csv")], config_path=str(SAMPLE / "cer-loader.toml"),
        mapping_path=str(SAMPLE / "mapping.toml"), out_dir=str(tmp_path / "o"),
    )  # fmt: skip
    assert isinstance(done, cer_loader.Run) and isinstance(done.result, cer_loader.RunResult)
    assert done.exit_code == 1 and done.summary["accepted"] == 27
    assert isinstance(done.result.settings, cer_loader.Settings)
    assert issubclass(cer_loader.InputError, cer_loader.CerLoaderError)
    assert cer_loader.InputError.exit_code == cer_loader.UsageError.exit_code == 2


def test_settings_come_from_a_steward_workbook_through_the_library(tmp_path: Path) -> None:
    import cer_loader

    from conftest import SAMPLE

    first = cer_loader.run(
        [SAMPLE / "wizyty_poradnia.csv"], config_path=SAMPLE / "cer-loader.toml",
        mapping_path=SAMPLE / "mapping.toml", out_dir=tmp_path / "a",
    )  # fmt: skip
    settings = cer_loader.build_settings([tmp_path / "a" / "report.xlsx"])
    assert settings.mus_id == first.result.settings.mus_id
    assert settings.as_of == first.result.settings.as_of
    # an option still wins over what the workbook recorded
    assert (
        cer_loader.build_settings(
            [tmp_path / "a" / "report.xlsx"], options={"batch_size": 7}
        ).batch_size
        == 7
    )


def test_a_missing_input_is_reported_before_settings(tmp_path: Path) -> None:
    import pytest

    from cer_loader.errors import InputError
    from cer_loader.settings import Settings

    with pytest.raises(InputError, match="nie ma takiego pliku"):
        run([tmp_path / "brak.csv"], Settings())  # no MUŚ either: the file comes first
