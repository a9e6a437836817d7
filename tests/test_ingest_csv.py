"""CSV reader: encodings, delimiters, quoting, row numbers, and stray quotes that must not eat rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cer_loader.errors import InputError
from cer_loader.ingest.csv.encoding import decode, detect_encoding
from cer_loader.ingest.csv.reader import EXTRA_FIELDS, UNCLOSED_QUOTE, read_csv, split_lines
from cer_loader.ingest.table import PROVENANCE, READER_FIELD, READER_ISSUE, READER_VALUE, SOURCE_ROW

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "csv"
POLISH = "Świętość źdźbła ąę"


def write(tmp_path: Path, content: str | bytes, name: str = "in.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return p


def data(table) -> list[list[str]]:
    return table.frame[table.headers].values.tolist()


def rows(table) -> list[int]:
    return table.frame[SOURCE_ROW].tolist()


def issues(table) -> list[tuple[int, str, str, str]]:
    f = table.frame[table.frame[READER_ISSUE] != ""]
    return list(zip(f[SOURCE_ROW], f[READER_ISSUE], f[READER_FIELD], f[READER_VALUE], strict=True))


# --- encoding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (POLISH.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + POLISH.encode("utf-8"), "utf-8-sig"),
        (POLISH.encode("cp1250"), "cp1250"),
        (POLISH.encode("iso-8859-2"), "iso-8859-2"),
        ("ąśź ĄŚŹ".encode("iso-8859-2"), "iso-8859-2"),  # no C1 bytes: decided by letter count
        ("zażółć gęślą jaźń".encode("cp1250"), "cp1250"),
    ],
)
def test_detects_encoding_and_decodes_to_the_same_text(raw: bytes, expected: str) -> None:
    assert detect_encoding(raw) == expected
    text = decode(raw, expected)
    assert text in (POLISH, "ąśź ĄŚŹ", "zażółć gęślą jaźń")


def test_pure_ascii_is_utf8() -> None:
    assert detect_encoding(b"id;name\n1;Jan\n") == "utf-8"


def test_tie_goes_to_cp1250() -> None:
    # "ęłó" sit on the same bytes in both code pages
    assert detect_encoding("ęłó".encode("cp1250")) == "cp1250"


def test_undecodable_byte_is_an_input_error_not_mojibake() -> None:
    with pytest.raises(InputError) as err:
        detect_encoding(b"id;name\n1;Jan\n2;\x81x\n")  # 0x81: undefined in cp1250
    assert err.value.line == 3 and "0x81" in err.value.message_en


def test_decode_names_the_line() -> None:
    with pytest.raises(InputError) as err:
        decode(b"a\nb\n\xff\n", "utf-8", path="x.csv")
    assert err.value.line == 3 and err.value.path == "x.csv"
    assert "x.csv:3" in err.value.text("en")


def test_utf16_is_refused() -> None:
    with pytest.raises(InputError):
        detect_encoding("id;name".encode("utf-16"))


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "cp1250", "iso-8859-2"])
def test_reader_decodes_polish_files(tmp_path: Path, enc: str) -> None:
    p = write(tmp_path, f"Imię;Uwagi\nJan;{POLISH}\n".encode(enc))
    t = read_csv(p)
    assert t.details["encoding"] == enc
    assert t.headers == ["Imię", "Uwagi"]
    assert data(t) == [["Jan", POLISH]]


def test_fixture_files_in_both_code_pages_read_the_same() -> None:
    a = read_csv(FIXTURES / "polish_cp1250.csv")
    b = read_csv(FIXTURES / "polish_iso8859_2.csv")
    assert (a.details["encoding"], b.details["encoding"]) == ("cp1250", "iso-8859-2")
    assert data(a) == data(b) and POLISH in data(a)[0]


# --- delimiters, quoting, row numbers ----------------------------------------------------


@pytest.mark.parametrize("d", [";", ",", "\t", "|"])
def test_sniffs_each_delimiter(tmp_path: Path, d: str) -> None:
    body = d.join(["id", "pesel", "note"]) + "\n" + d.join(["1", "02211307589", "x"]) + "\n"
    body += d.join(["2", "00000000000", f'"a{d}b"']) + "\n"
    t = read_csv(write(tmp_path, body))
    assert t.details["delimiter"] == d
    assert data(t) == [["1", "02211307589", "x"], ["2", "00000000000", f"a{d}b"]]


def test_semicolon_wins_over_decimal_commas(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, "id;kwota;uwagi\n1;12,50;a, b, c\n2;3,10;x\n"))
    assert t.details["delimiter"] == ";"
    assert data(t) == [["1", "12,50", "a, b, c"], ["2", "3,10", "x"]]


def test_one_column_needs_an_explicit_delimiter(tmp_path: Path) -> None:
    p = write(tmp_path, "id\n1\n2\n")
    with pytest.raises(InputError):
        read_csv(p)
    assert data(read_csv(p, delimiter=";")) == [["1"], ["2"]]


def test_quoted_delimiters_doubled_quotes_and_newlines(tmp_path: Path) -> None:
    body = (
        'id;name;note\n1;"Kowalski; Jan";"He said ""hi"""\n'
        '2;Nowak;"line one\nline two\n\nline four"\n3;"Wiśniewska";plain\n'
    )
    t = read_csv(write(tmp_path, body))
    assert data(t) == [
        ["1", "Kowalski; Jan", 'He said "hi"'],
        ["2", "Nowak", "line one\nline two\n\nline four"],
        ["3", "Wiśniewska", "plain"],
    ]
    assert rows(t) == [2, 3, 4]  # row 4 although the file line is 7
    assert t.details["physical_lines"] == 7 and t.details["quoted_newlines"] == 3
    assert t.total_records == 4 and issues(t) == []


def test_multiline_field_in_the_first_column_and_two_in_a_row(tmp_path: Path) -> None:
    body = 'name;note;x\n"Jan\nKowalski";x;y\n"a\nb";"c\nd";e\nz;"e\n";"f\ng"\n'
    t = read_csv(write(tmp_path, body))
    assert data(t) == [["Jan\nKowalski", "x", "y"], ["a\nb", "c\nd", "e"], ["z", "e\n", "f\ng"]]
    assert rows(t) == [2, 3, 4] and issues(t) == []


def test_a_multiline_record_wider_than_the_header_is_a_stray_quote(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, 'name;note\nz;"e\n";"f\ng"\n'))
    assert [r[:2] for r in issues(t)] == [(2, UNCLOSED_QUOTE), (3, UNCLOSED_QUOTE)]
    assert t.total_records == 4


def test_blank_records_are_counted_not_loaded(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, 'a;b;c\n1;2;3\n\n;;\n  ; \t;\n"";""\n4;5;6\n'))
    assert data(t) == [["1", "2", "3"], ["4", "5", "6"]]
    assert rows(t) == [2, 7]
    assert (t.blank_rows, t.total_records, t.header_records) == (4, 7, 1)
    assert t.total_records == t.header_records + t.blank_rows + t.data_rows


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("trailing", [True, False])
def test_line_ends(tmp_path: Path, eol: str, trailing: bool) -> None:
    body = eol.join(["id;note", '1;"a', 'b"', "2;c"]) + (eol if trailing else "")
    t = read_csv(write(tmp_path, body))
    assert data(t) == [["1", "a\nb"], ["2", "c"]]
    assert rows(t) == [2, 3] and t.total_records == 3 and t.details["physical_lines"] == 4


def test_values_stay_text(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, "pesel;nr;data;flag\n02211307589;007;2027-01-12;TRUE\n;NA;;\n"))
    assert data(t) == [["02211307589", "007", "2027-01-12", "TRUE"], ["", "NA", "", ""]]
    assert all(isinstance(v, str) for v in t.frame["nr"])


def test_short_and_long_records(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, "a;b;c\n1;2\n3;4;5;6;7\n8;9;10\n"))
    assert data(t) == [["1", "2", ""], ["3", "4", "5"], ["8", "9", "10"]]
    assert issues(t) == [(3, EXTRA_FIELDS, "", "6;7")]


def test_header_names_made_unique(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, "Name; ;Name;_source_row;  Data   wizyty \n1;2;3;4;5\n"))
    assert t.headers == ["Name", "Kolumna 2", "Name (2)", "_source_row (2)", "Data wizyty"]
    assert [w.code for w in t.warnings] == ["header-missing"] + ["header-duplicate"] * 2
    assert list(t.frame.columns) == t.headers + PROVENANCE


def test_multiline_header_name(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, 'id;"Data\nwizyty"\n1;2027-01-12\n'))
    assert t.headers == ["id", "Data wizyty"] and rows(t) == [2]


def test_details_hash_and_size(tmp_path: Path) -> None:
    raw = b"a;b\n1;2\n"
    t = read_csv(write(tmp_path, raw))
    assert t.size == len(raw) and len(t.sha256) == 64 and t.kind == "csv"
    assert {"encoding", "delimiter", "physical_lines", "quoted_newlines"} <= set(t.details)
    assert t.frame["_source_file"].iloc[0] == str(tmp_path / "in.csv")


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_csv(write(tmp_path, b""))
    t = read_csv(write(tmp_path, "a;b\n"))
    assert t.data_rows == 0 and t.headers == ["a", "b"] and t.total_records == 1


def test_matches_pandas_on_a_clean_file(tmp_path: Path) -> None:
    body = 'id;name;note\n1;"A;B";"x\ny"\n2;"""q""";\n3;c;d\n'
    p = write(tmp_path, body)
    ours = read_csv(p).frame[["id", "name", "note"]]
    theirs = pd.read_csv(p, sep=";", dtype=str, keep_default_na=False)
    assert ours.values.tolist() == theirs.values.tolist()


# --- stray quotes -----------------------------------------------------------------------

STRAY_BODY = (
    "id;nazwisko;uwagi\n"
    "1;Kowalski;ok\n"
    '2;"Nowak;pilne\n'  # stray opening quote at the start of a field
    "3;Wiśniewska;ok\n"
    '4;O"Neil;ok\n'  # quote in the middle of a field: literal
    '5;Dąbrowski";ok\n'  # quote at the end of a field: literal
    '6;Lewandowski;"notatka\n'  # stray at the start of the last field
    "7;Zieliński;ok\n"
    '8;Szymański;"ok"\n'
    '9;Woźniak;"koniec'  # stray quote at the end of the file
)


def test_stray_quotes_never_swallow_rows(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, STRAY_BODY))
    assert t.frame["id"].tolist() == [str(i) for i in range(1, 10)]
    assert rows(t) == list(range(2, 11))
    assert issues(t) == [
        (3, UNCLOSED_QUOTE, "nazwisko", '"Nowak;pilne'),
        (7, UNCLOSED_QUOTE, "uwagi", '"notatka'),
        (10, UNCLOSED_QUOTE, "uwagi", '"koniec'),
    ]
    by_id = dict(zip(t.frame["id"], data(t), strict=True))
    assert by_id["2"] == ["2", '"Nowak', "pilne"]
    assert by_id["4"][1] == 'O"Neil' and by_id["5"][1] == 'Dąbrowski"'
    assert by_id["8"][2] == "ok"
    assert t.details["unclosed_quote_lines"] == [3, 7, 10]
    assert t.total_records == 10 and t.warnings


def test_pandas_would_have_lost_rows_here(tmp_path: Path) -> None:
    """The trap we guard against (PEERS.md): the C parser merges the rows after a stray quote."""
    p = write(tmp_path, STRAY_BODY.rsplit("\n", 1)[0] + "\n")
    theirs = pd.read_csv(p, sep=";", dtype=str, keep_default_na=False)
    assert len(theirs) < 8 == read_csv(p).data_rows


def test_start_and_end_strays_on_consecutive_lines_stay_two_records(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, 'id;n;x\n1;"Kowalski;a\n2;Nowak";b\n3;c;d\n'))
    assert rows(t) == [2, 3, 4]
    assert issues(t) == [(2, UNCLOSED_QUOTE, "n", '"Kowalski;a')]
    assert data(t)[1] == ["2", 'Nowak"', "b"]


def test_stray_before_short_lines_is_stopped_by_a_full_record(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, 'id;n;x\n1;"Kow\n2\n3;c\n4;d;e\n5;"f";g\n'))
    assert t.frame["id"].tolist() == ["1", "2", "3", "4", "5"]
    assert [r[0] for r in issues(t)] == [2]


def test_stray_quote_closed_by_a_quoted_field_later_is_still_stray(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, 'id;n;x\n1;"Kow;a\n2;"Nowak";b\n'))
    assert rows(t) == [2, 3] and data(t)[1] == ["2", "Nowak", "b"]


def test_unclosed_quote_in_header(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_csv(write(tmp_path, 'id;"name;note\n1;a;b\n2;c;d\n'))
    assert err.value.line == 1 and err.value.path == str(tmp_path / "in.csv")
    assert err.value.exit_code == 2


def test_legit_multiline_note_still_works_next_to_strays(tmp_path: Path) -> None:
    body = 'id;n;x\n1;a;"note\ncontinues; here\nand ends"\n2;"b;c\n3;d;e\n'
    t = read_csv(write(tmp_path, body))
    assert data(t)[0] == ["1", "a", "note\ncontinues; here\nand ends"]
    assert rows(t) == [2, 3, 4] and [r[0] for r in issues(t)] == [3]


def test_a_line_that_looks_like_a_record_ends_a_quoted_field(tmp_path: Path) -> None:
    """The documented price of the heuristic: a note line shaped like a whole record splits it."""
    t = read_csv(write(tmp_path, 'id;n;x\n1;a;"note\n7;b;c\nend"\n'))
    assert [r[0] for r in issues(t)] == [2] and t.total_records == 4


def test_split_lines() -> None:
    assert split_lines("a\r\nb\rc\nd\n") == ["a", "b", "c", "d"]
    assert split_lines("a\n\n") == ["a", ""]
    assert split_lines("") == []


def test_a_stray_quote_paired_with_a_later_quote_on_the_same_line(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, 'id;n;x;note\n1;"Nowak;x;"pilne"\n2;a;b;"ok"\n'))
    assert issues(t) == [(2, UNCLOSED_QUOTE, "n", '"Nowak;x;"pilne"')]
    assert data(t)[0] == ["1", '"Nowak', "x", '"pilne"'] and rows(t) == [2, 3]


def test_if_pyarrow_ever_disagrees_the_csv_module_takes_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cer_loader.ingest.csv import columns

    real = columns._parse

    def lossy(feed, g, ncols, quoting):  # a pyarrow that merges two records when quoting
        table, skipped = real(feed, g, ncols, quoting)
        return (table.slice(0, table.num_rows - 1), skipped) if quoting else (table, skipped)

    monkeypatch.setattr(columns, "_parse", lossy)
    t = read_csv(write(tmp_path, 'a;b\n1;"x\ny"\n"2";"z"\n3;w\n'))
    assert data(t) == [["1", "x\ny"], ["2", "z"], ["3", "w"]] and rows(t) == [2, 3, 4]


def test_trailing_empty_fields_are_not_extra(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, "a;b\n1;2;;\n"))
    assert data(t) == [["1", "2"]] and issues(t) == []


def test_a_data_row_taken_for_the_header_is_not_quoted_in_warnings(tmp_path: Path) -> None:
    # no header line (or a lost line break): the "headers" are a patient's data, repeated
    line = "ZW1;44051401359;Zażółćkowska;Zażółćkowska;600700800;2027-01-12\n"
    t = read_csv(write(tmp_path, line + "ZW2;44051401359;Nowak;Nowak;600700801;2027-01-13\n"))
    said = " ".join(w.text(lang) for w in t.warnings for lang in ("pl", "en"))
    assert [w.code for w in t.warnings] == ["header-duplicate"]
    assert "Zażółćkowska" not in said and "Z***********" in said and "column 4" in said


def test_a_real_header_is_still_quoted_when_it_repeats(tmp_path: Path) -> None:
    t = read_csv(write(tmp_path, "Uwagi;Uwagi\n1;2\n"))
    assert "'Uwagi'" in t.warnings[0].text("en") and "'Uwagi (2)'" in t.warnings[0].text("en")
