"""read_workbook: every fixture is a tiny workbook written with openpyxl into tmp_path."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cer_loader.errors import InputError
from cer_loader.ingest.table import (
    READER_FIELD,
    READER_ISSUE,
    READER_VALUE,
    SOURCE_ROW,
    SourceTable,
)
from cer_loader.ingest.workbook.cells import cell_text, column_text, floats_text, number_text
from cer_loader.ingest.workbook.reader import read_workbook

HEADER = ["Nazwisko", "PESEL", "Data wizyty", "Godzina"]


def book(path: Path, rows: list[list[object]], *, title: str = "Wizyty") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def conserved(t: SourceTable) -> None:
    assert t.total_records == t.header_records + t.blank_rows + t.skipped_rows + len(t.frame)
    assert t.total_records == t.details["used_rows"]


def column(t: SourceTable, name: str) -> list[str]:
    return t.frame[name].tolist()


def set_cached_value(path: Path, ref: str, value: str, kind: str = "n") -> None:
    """Store a formula's cached value the way Excel does (openpyxl writes ``<v></v>``)."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml, n = re.subn(
        rf'<c r="{ref}"[^>]*>(<f>[^<]*</f>)<v\s*/?>(?:</v>)?'.encode(),
        f'<c r="{ref}" t="{kind}">'.encode() + rb"\1<v>" + value.encode() + b"</v>",
        parts[sheet],
    )
    assert n == 1
    parts[sheet] = xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


# --- sheet and header -------------------------------------------------------------------


def test_title_rows_and_merged_banner_above_header_are_counted_as_header_records(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "Przychodnia Zdrowie sp. z o.o."
    ws.merge_cells("A1:D1")
    ws["A2"] = "Wizyty zaplanowane — maj 2024"
    ws.merge_cells("A2:D2")
    for row, values in ((4, HEADER), (5, ["Nowak", "44051401359", "2024-05-06", "09:00"])):
        for col, value in enumerate(values, start=1):  # row 3 stays blank
            ws.cell(row=row, column=col, value=value)
    path = tmp_path / "tytul.xlsx"
    wb.save(path)
    t = read_workbook(path)
    assert t.headers == HEADER
    assert (t.header_row, t.header_records, t.details["title_rows"]) == (4, 4, 3)
    assert t.frame[SOURCE_ROW].tolist() == [5]
    conserved(t)


def test_hidden_first_sheet_is_ignored_and_reported(tmp_path):
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "Słowniki"
    hidden.append(["kod", "opis", "uwagi"])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("Wizyty")
    ws.append(HEADER)
    ws.append(["Nowak", "44051401359", "2024-05-06", "09:00"])
    path = tmp_path / "ukryty.xlsx"
    wb.save(path)
    t = read_workbook(path)
    assert t.details["sheet"] == "Wizyty"
    assert t.details["hidden_sheets"] == ["Słowniki"]
    assert t.kind == "xlsx" and t.details["reader"] == "calamine"


def test_sheet_chosen_by_name_and_unknown_name_lists_visible_sheets(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Maj"
    wb.active.append(HEADER)
    june = wb.create_sheet("Czerwiec")
    june.append(HEADER)
    june.append(["Kowalska", "", "2024-06-03", "10:15"])
    secret = wb.create_sheet("Tajne")
    secret.append(HEADER)
    secret.sheet_state = "hidden"
    path = tmp_path / "miesiace.xlsx"
    wb.save(path)
    assert read_workbook(path, sheet="Czerwiec").frame["Nazwisko"].tolist() == ["Kowalska"]
    assert read_workbook(path, sheet=" czerwiec ").details["sheet"] == "Czerwiec"
    with pytest.raises(InputError) as err:
        read_workbook(path, sheet="Lipiec")
    assert "„Maj”, „Czerwiec”" in err.value.message and "Tajne" not in err.value.message
    assert "Visible sheets: Maj, Czerwiec" in err.value.message_en
    named_hidden = read_workbook(path, sheet="Tajne", header_row=1)
    assert named_hidden.details["sheet"] == "Tajne" and "ukryty" in named_hidden.warnings[0].text()


def test_header_row_given_is_used_as_the_sheet_numbers_it(tmp_path):
    rows = [["Raport", "z", "systemu"], ["wygenerowano", "2024-05-01", "admin"], HEADER]
    path = book(tmp_path / "naglowek.xlsx", rows + [["Nowak", "", "2024-05-06", "09:00"]])
    assert read_workbook(path).header_row == 1  # fallback: first row with 3 text cells
    t = read_workbook(path, header_row=3)
    assert t.headers == HEADER and t.header_records == 3
    assert t.frame[SOURCE_ROW].tolist() == [4]
    conserved(t)
    with pytest.raises(InputError):
        read_workbook(path, header_row=99)


def test_known_headers_match_ignoring_case_and_diacritics(tmp_path):
    rows = [["Raport", "z", "systemu"], ["NAZWISKO", "Pesel:", "Data wizyty", "Godzina"]]
    path = book(tmp_path / "znane.xlsx", rows + [["Nowak", "", "2024-05-06", "09:00"]])
    t = read_workbook(path, known_headers=["nazwisko", "PESEL", "data_wizyty", "godzina"])
    assert t.header_row == 2 and t.details["title_rows"] == 1


def test_unnamed_and_duplicate_headers_get_distinct_names_and_warnings(tmp_path):
    rows = [["Nazwisko", "Data", "Data", None, None], ["Nowak", "1", "2", "uwaga", None]]
    t = read_workbook(book(tmp_path / "kolumny.xlsx", rows))
    assert t.headers == ["Nazwisko", "Data", "Data (2)", "kolumna D"]
    assert [w.code for w in t.warnings] == ["header-duplicate", "header-missing"]
    assert t.warnings[1].text("en") == "Column D has no header; named 'kolumna D'"


# --- cells ------------------------------------------------------------------------------


def test_numeric_pesel_gets_its_lost_leading_zero_back_only_in_a_pesel_column(tmp_path):
    rows = [
        ["Nazwisko", "PESEL pacjenta", "Telefon", "PESEL opiekuna"],
        ["Nowak", 2211307589, 600123456, "2211307589"],  # born 2002: leading zero lost
        ["Kowalska", 44051401359.0, 600123456.0, None],
        ["Wiśniewski", 210507895, None, None],  # born 2000: two zeros lost
    ]
    t = read_workbook(book(tmp_path / "pesel.xlsx", rows))
    assert column(t, "PESEL pacjenta") == ["02211307589", "44051401359", "00210507895"]
    assert column(t, "Telefon") == ["600123456", "600123456", ""]
    assert column(t, "PESEL opiekuna") == ["2211307589", "", ""]  # typed as text: untouched
    assert t.details["pesel_zeros_restored"] == 2


def test_excel_dates_times_datetimes_and_text_dates(tmp_path):
    rows = [
        ["Data", "Godzina", "Termin", "Data tekstem"],
        [dt.date(2024, 5, 6), dt.time(9, 30), dt.datetime(2024, 5, 6, 9, 30), "06.05.2024"],
        [dt.date(1999, 12, 31), dt.time(14, 5, 7), dt.datetime(2024, 5, 6, 9, 30, 15), "6 maja"],
    ]
    t = read_workbook(book(tmp_path / "daty.xlsx", rows))
    assert column(t, "Data") == ["2024-05-06", "1999-12-31"]
    assert column(t, "Godzina") == ["09:30", "14:05:07"]
    assert column(t, "Termin") == ["2024-05-06 09:30", "2024-05-06 09:30:15"]
    assert column(t, "Data tekstem") == ["06.05.2024", "6 maja"]


def test_integral_floats_large_ids_and_a_44_digit_key_keep_their_digits(tmp_path):
    key = "12345678901234567890123456789012345678901234"
    rows = [["Nr", "NIP", "Klucz", "Kwota", "Pilny"], [5425740.0, 44051401359.0, key, 12.5, True]]
    t = read_workbook(book(tmp_path / "liczby.xlsx", rows))
    assert t.frame.loc[0, ["Nr", "NIP", "Klucz", "Kwota", "Pilny"]].tolist() == [
        "5425740",
        "44051401359",
        key,
        "12.5",
        "TAK",
    ]


def test_formula_reads_its_cached_value(tmp_path):
    path = book(tmp_path / "formula.xlsx", [["Nr", "Kwota", "Razy dwa"], [1, 21, "=B2*2"]])
    set_cached_value(path, "C2", "42")
    t = read_workbook(path)
    assert column(t, "Razy dwa") == ["42"] and t.warnings == []


def test_formula_without_cached_value_is_empty_with_a_warning_naming_the_cell(tmp_path):
    path = book(tmp_path / "bez_wartosci.xlsx", [["Nr", "Kwota", "Razy dwa"], [1, 21, "=B2*2"]])
    t = read_workbook(path)
    assert column(t, "Razy dwa") == [""]
    assert [w.code for w in t.warnings] == ["cell-formula-no-value"] and "C2" in t.warnings[
        0
    ].text()


def test_cached_error_value_reads_as_empty_with_a_warning_showing_the_error(tmp_path):
    path = book(tmp_path / "blad.xlsx", [["Nr", "Kwota", "Iloraz"], [1, 21, "=B2/0"]])
    set_cached_value(path, "C2", "#DIV/0!", kind="e")
    t = read_workbook(path)
    assert column(t, "Iloraz") == [""]
    assert [(w.code, w.text(), w.text("en")) for w in t.warnings] == [
        (
            "cell-error",
            "Komórka C2: błąd #DIV/0! — odczytana jako pusta",
            "Cell C2 shows the error #DIV/0!; read as empty",
        )
    ]


def test_many_formulas_without_values_give_twenty_named_warnings_and_a_count(tmp_path):
    rows = [["Nr", "Kwota", "Razy dwa"]] + [[i, i, f"=B{i + 1}*2"] for i in range(1, 26)]
    t = read_workbook(book(tmp_path / "formuly.xlsx", rows))
    assert len(t.warnings) == 21 and "C2" in t.warnings[0].text()
    assert t.warnings[-1].code == "cells-more" and " 5 " in t.warnings[-1].text()


def test_vertical_merge_below_header_is_filled_down_its_first_column(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["Data", "Nazwisko", "Godzina"], [dt.date(2024, 5, 6), "Nowak", "09:00"]]:
        ws.append(row)
    ws.append([None, "Kowalska", "09:30"])
    ws.merge_cells("A2:A3")
    path = tmp_path / "scalone.xlsx"
    wb.save(path)
    t = read_workbook(path)
    assert column(t, "Data") == ["2024-05-06", "2024-05-06"]
    assert t.details["merged_cells_filled"] == 1


# --- rows -------------------------------------------------------------------------------


def test_blank_rows_are_counted_and_row_numbers_are_the_sheets_own(tmp_path):
    rows = [
        HEADER,
        ["Nowak", "", "2024-05-06", "09:00"],
        [],
        [None, "   ", None, None],
        ["Kowalska", "", "2024-05-06", "09:30"],
        [],
        ["Razem: 2"],
    ]
    t = read_workbook(book(tmp_path / "puste.xlsx", rows))
    assert t.blank_rows == 3
    assert t.frame[SOURCE_ROW].tolist() == [2, 5, 7]
    assert t.frame[READER_ISSUE].tolist() == ["", "", "total-row"]
    assert t.frame.loc[2, [READER_FIELD, READER_VALUE]].tolist() == ["Nazwisko", "Razem: 2"]
    assert t.details["total_rows"] == 1
    conserved(t)


def test_summary_row_with_a_sum_is_flagged_but_a_patient_named_suma_is_not(tmp_path):
    rows = [
        HEADER,
        ["Suma", "44051401359", "2024-05-06", "09:00"],
        ["Sumała", "", "", ""],
        ["", "Łącznie", "", 40],
    ]
    t = read_workbook(book(tmp_path / "suma.xlsx", rows))
    assert t.frame[READER_ISSUE].tolist() == ["", "", "total-row"]
    assert t.frame.loc[2, READER_FIELD] == "PESEL"


def test_trailing_formatted_empty_cells_do_not_break_the_census(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["Nowak", "", "2024-05-06", "09:00"])
    ws["F9"].fill = openpyxl.styles.PatternFill("solid", fgColor="FFFF00")
    path = tmp_path / "styl.xlsx"
    wb.save(path)
    t = read_workbook(path)
    assert len(t.frame) == 1 and t.headers == HEADER
    conserved(t)


# --- unreadable input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "polish"),
    [
        ("uszkodzony.xlsx", b"PK\x03\x04" + b"\x00" * 200, "skoroszytem"),
        ("tekst.xlsx", b"PESEL;Data\n44051401359;2024-05-06\n", "tekstowy"),
        ("pusty.xlsx", b"", "tekstowy"),
        # an encrypted OOXML file is an OLE container with an EncryptedPackage stream
        (
            "haslo.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\0" * 504
            + "EncryptedPackage".encode("utf-16-le"),
            "hasłem",
        ),
    ],
)
def test_unreadable_files_raise_input_error_in_polish(tmp_path, name, content, polish):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_workbook(path)
    assert polish in err.value.message and err.value.message_en != err.value.message
    assert err.value.path == str(path)


def test_truncated_workbook_and_missing_file_raise_input_error(tmp_path):
    good = book(tmp_path / "dobry.xlsx", [HEADER, ["Nowak", "", "2024-05-06", "09:00"]])
    cut = tmp_path / "uciety.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    for path in (cut, tmp_path / "nie_ma.xlsx"):
        with pytest.raises(InputError):
            read_workbook(path)


def test_header_only_sheet_gives_an_empty_frame_of_text_columns(tmp_path):
    t = read_workbook(book(tmp_path / "tylko_naglowek.xlsx", [HEADER]))
    assert len(t.frame) == 0 and t.headers == HEADER
    assert all(t.frame[c].dtype == "str" for c in HEADER)
    conserved(t)


def test_empty_sheet_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="pusty"):
        read_workbook(book(tmp_path / "pusty_arkusz.xlsx", []))


def test_provenance_hash_and_size_describe_the_file(tmp_path):
    import hashlib

    path = book(tmp_path / "hash.xlsx", [HEADER, ["Nowak", "", "2024-05-06", "09:00"]])
    t = read_workbook(path)
    assert t.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert t.size == path.stat().st_size
    assert t.frame["_source_file"].tolist() == [str(path)]


def test_ods_file_is_read_like_xlsx(tmp_path):
    source = book(tmp_path / "wizyty.xlsx", [HEADER, ["Nowak", 2211307589, "2024-05-06", "09:00"]])
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:  # CI installs it (.ci/run); no ODS fixture is faked by hand
        pytest.fail("LibreOffice is not installed: apt-get install libreoffice-calc")
    subprocess.run(
        [office, "--headless", "--convert-to", "ods", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    t = read_workbook(tmp_path / "wizyty.ods")
    assert column(t, "PESEL") == ["02211307589"]
    conserved(t)


# --- conversion helpers (property-based) ------------------------------------------------


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_integral_floats_print_as_their_integer(n):
    assert number_text(float(n)) == str(n)


@given(st.floats(min_value=-1e307, max_value=1e307))  # Excel stops at 9.99E+307
def test_numbers_never_use_scientific_notation_and_keep_15_significant_digits(x):
    text = number_text(x)
    assert re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text), text
    assert float(text) == pytest.approx(x, rel=1e-14, abs=1e-300)
    assert floats_text(np.array([x])) == [text]


@given(st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 30)))
def test_datetimes_print_as_iso_minutes_rounded_to_the_second(d):
    text = cell_text(d)
    rounded = (d + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    fmt = "%Y-%m-%d %H:%M:%S" if rounded.second else "%Y-%m-%d %H:%M"
    assert dt.datetime.strptime(text, fmt) == rounded
    assert cell_text(d.date()) == d.date().isoformat()


@given(st.times())
def test_times_print_as_hh_mm_with_seconds_only_when_not_zero(t):
    text = cell_text(t)
    assert re.fullmatch(r"[0-2][0-9]:[0-5][0-9](:[0-5][1-9]|:[1-5]0)?", text), text
    seconds = t.hour * 3600 + t.minute * 60 + t.second + (t.microsecond >= 500_000)
    h, m, *s = (int(p) for p in text.split(":"))
    assert h * 3600 + m * 60 + (s[0] if s else 0) == min(seconds, 86_399)


@given(
    st.lists(
        st.one_of(
            st.text(),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
            st.dates(),
            st.integers(-(10**18), 10**18),
        )
    )
)
def test_column_text_equals_cell_by_cell_conversion(values):
    assert column_text(values) == [cell_text(v) for v in values]


def test_a_data_row_taken_for_the_header_is_not_quoted_in_warnings(tmp_path):
    rows = [["Zażółćkowska", "Zażółćkowska", "44051401359"], ["Nowak", "Nowak", "1"]]
    t = read_workbook(book(tmp_path / "bez_naglowka.xlsx", rows))
    said = " ".join(w.text(lang) for w in t.warnings for lang in ("pl", "en"))
    assert [w.code for w in t.warnings] == ["header-duplicate"]
    assert "Zażółćkowska" not in said and "Z***********" in said
