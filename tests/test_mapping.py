"""The mapping stage: the mapping file's schema (types, unknown keys, value targets), the
known Polish and English headers, and a file with no recognised column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cer_loader.cli import cli
from cer_loader.errors import ConfigError, UsageError
from cer_loader.ingest.table import SourceTable, add_provenance
from cer_loader.mapping import Mapping, apply_mapping, load_mapping, propose_columns


def mapping_error(tmp_path: Path, text: str) -> ConfigError:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_mapping(path)
    assert info.value.exit_code == 2 and info.value.path == str(path)
    return info.value


@pytest.mark.parametrize(
    "text,key,expected",
    [
        ("[source]\ndelimiter = 5\n", "source.delimiter", "jeden znak"),
        ('[source]\ndelimiter = ";;"\n', "source.delimiter", "jeden znak"),
        ('[source]\nheader_row = "3"\n', "source.header_row", "liczba całkowita"),
        ("[source]\nheader_row = 0\n", "source.header_row", "1-1048576"),
        ('[source]\nencoding = "rot13"\n', "source.encoding", "kodowania"),
        ('[source]\nencoding = "nope-8"\n', "source.encoding", "kodowania"),
        ('[source]\nhl7_updates_book = "tak"\n', "source.hl7_updates_book", "true albo false"),
        ("columns = 5\n", "columns", "tabela"),
        ("[columns]\npatient_pesel = 5\n", "columns.patient_pesel", "nagłówek"),
        ('[values]\nvisit_kind = "x"\n', "values.visit_kind", "tabela"),
        ('[values.visit_kind]\npierwsza = "firts"\n', "values.visit_kind.pierwsza", '"first"'),
        ('[values.patient_sex]\nk = "K"\n', "values.patient_sex.k", '"F", "M"'),
        ("[hl7]\nmedical_category = 7\n", "hl7.medical_category", "ścieżka HL7"),
    ],
)
def test_wrong_types_name_the_key_and_what_was_expected(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    err = mapping_error(tmp_path, text)
    assert key in err.message and expected in err.message, err.message


def test_unknown_keys_say_did_you_mean(tmp_path: Path) -> None:
    err = mapping_error(tmp_path, '[columns]\npatient_pesell = "PESEL"\n')
    assert "nieznane pole CeR" in err.message and "patient_pesel" in err.message
    err = mapping_error(tmp_path, '[source]\ndelimeter = ";"\n')
    assert "czy chodziło o delimiter" in err.message
    err = mapping_error(tmp_path, '[sourcex]\nencoding = "cp1250"\n')
    assert "[sourcex]" in err.message and "source" in err.message


def test_a_config_section_in_the_mapping_says_where_it_belongs(tmp_path: Path) -> None:
    err = mapping_error(tmp_path, '[provider]\nmus_id = "000000927722-001"\n')
    assert "cer-loader.toml" in err.message


def test_a_good_mapping_loads_with_value_targets_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(
        '[source]\nencoding = "cp1250"\ndelimiter = ";"\nheader_row = 2\n'
        '[columns]\npatient_pesel = "PESEL"\n[values.patient_sex]\nkobieta = "f"\n',
        encoding="utf-8",
    )
    m = load_mapping(path)
    assert m.columns == {"patient_pesel": "PESEL"} and m.value_map("patient_sex")["kobieta"] == "f"


def test_english_export_headers_are_recognised() -> None:
    headers = ["PatientId", "AppointmentID", "Gender", "ScheduledDay", "AppointmentDay",
               "StartTime", "Age", "Phone", "Email"]  # fmt: skip
    got = propose_columns(headers)
    assert got == {
        "appointment_id": "AppointmentID", "start_date": "AppointmentDay",
        "start_time": "StartTime", "request_date": "ScheduledDay", "patient_sex": "Gender",
        "patient_phone": "Phone", "patient_email": "Email",
    }  # fmt: skip
    assert "PatientId" not in got.values()  # a local patient number is not a PESEL


def _table(headers: list[str]) -> SourceTable:
    frame = pd.DataFrame([["x"] * len(headers)], columns=headers)
    frame = add_provenance(frame, Path("obce.csv"), [2])
    return SourceTable(path=Path("obce.csv"), kind="csv", frame=frame, headers=headers)


def test_no_recognised_column_stops_with_the_headers_and_inspect() -> None:
    with pytest.raises(UsageError) as info:
        apply_mapping(_table(["Kol A", "Kol B"]), Mapping())
    assert info.value.exit_code == 2
    assert "Kol A, Kol B" in info.value.message and "cer-loader inspect" in info.value.message


def test_no_recognised_column_of_a_file_without_header_line_prints_no_patient_data() -> None:
    # the "headers" are the first appointment's cells: a PESEL and a surname
    with pytest.raises(UsageError) as info:
        apply_mapping(_table(["44051401359", "Zażółćkowska", "2027-01-12"]), Mapping())
    said = info.value.message + info.value.message_en
    assert "44051401359" not in said and "Zażółćkowska" not in said
    assert "Z***********" in said and "cer-loader inspect" in said


def test_no_recognised_column_is_exit_2_on_the_command_line(tmp_path: Path) -> None:
    src = tmp_path / "obce.csv"
    src.write_text("Kol A;Kol B\n1;2\n3;4\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["validate", str(src), "--mus", "000000927722-001", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "Kol A, Kol B" in result.output and "cer-loader inspect" in result.output


def test_mapped_column_missing_from_a_file_without_header_line_prints_no_patient_data() -> None:
    """A mapping naming a header the file lacks lists the file's headers: masked when they are
    a data row (a PESEL, a surname), as the no-recognised-column error does."""
    table = _table(["44051401359", "Zażółćkowska", "2027-01-12"])
    with pytest.raises(ConfigError) as info:
        apply_mapping(table, Mapping(columns={"patient_pesel": "PESEL"}))
    said = info.value.message + info.value.message_en
    assert "kolumny 'PESEL' nie ma w pliku" in said
    assert "44051401359" not in said and "Zażółćkowska" not in said and "Z***********" in said
