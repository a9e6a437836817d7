"""The independent record census: agreement with the reader, and loud failure when they part."""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cer_loader.errors import CensusMismatchError, InputError
from cer_loader.ingest.csv.census import balance, census_csv, check_balance
from cer_loader.ingest.csv.reader import UNCLOSED_QUOTE, read_csv
from cer_loader.ingest.table import READER_ISSUE, SOURCE_ROW, SourceTable, add_provenance


def write(tmp_path: Path, body: str, name: str = "in.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(body.encode("utf-8"))
    return p


def read_and_count(p: Path) -> tuple[SourceTable, object]:
    t = read_csv(p)
    return t, census_csv(p, t.details["encoding"], t.details["delimiter"])


def test_census_counts_records_not_lines(tmp_path: Path) -> None:
    p = write(tmp_path, 'a;b\n1;"x\ny\nz"\n\n2;"q"\n3;O"Neil\n')
    t, c = read_and_count(p)
    assert (c.physical_lines, c.records, c.blank_records) == (7, 5, 1)
    assert c.multiline_spans == [(2, 4)] and c.unclosed_quote_lines == []
    check_balance(t, c)
    assert balance(t, c) == {
        "physical_records": 5,
        "header": 1,
        "blank": 1,
        "data_rows": 3,
        "sha256": t.sha256,
        "size": t.size,
    }


def test_census_finds_the_same_stray_quotes(tmp_path: Path) -> None:
    p = write(tmp_path, 'id;n;x\n1;"Kow;a\n2;b;c\n3;d;"e\n4;f;"g\nh"\n5;i;"j')
    t, c = read_and_count(p)
    assert c.unclosed_quote_lines == t.details["unclosed_quote_lines"] == [2, 4, 7]
    assert c.multiline_spans == [(5, 6)]
    check_balance(t, c)


def test_census_in_cp1250_with_crlf(tmp_path: Path) -> None:
    p = tmp_path / "w.csv"
    p.write_bytes('Imię;Uwagi\r\nŚ;"a\r\nb"\r\nź;c\r\n'.encode("cp1250"))
    t, c = read_and_count(p)
    assert (c.records, t.total_records) == (3, 3)
    check_balance(t, c)


def test_a_reader_that_merges_rows_is_caught(tmp_path: Path) -> None:
    """Feed the census a table from pandas, which swallows the rows after a stray quote."""
    p = write(tmp_path, 'id;n;x\n1;a;b\n2;"Nowak;c\n3;d;e\n4;f;"g"\n5;h;i\n')
    theirs = pd.read_csv(p, sep=";", dtype=str, keep_default_na=False)
    ours, c = read_and_count(p)
    fake = replace(
        ours,
        frame=add_provenance(theirs, p, range(2, 2 + len(theirs))),
        total_records=1 + len(theirs),
        details={**ours.details, "multiline_spans": [[3, 5]], "unclosed_quote_lines": []},
    )
    with pytest.raises(CensusMismatchError) as err:
        check_balance(fake, c)
    e = err.value
    assert e.exit_code == 2 and e.line == 3 and e.path == str(p)
    assert "niezależne liczenie" in e.message and "independent count" in e.message_en
    assert f"{p}:3: " in e.text("en")


def test_broken_conservation_and_changed_file_are_caught(tmp_path: Path) -> None:
    p = write(tmp_path, "a;b\n1;2\n")
    t, c = read_and_count(p)
    with pytest.raises(CensusMismatchError, match="Bilans"):
        check_balance(replace(t, blank_rows=1), c)
    with pytest.raises(CensusMismatchError, match="zmienił"):
        check_balance(replace(t, sha256="0" * 64), c)


def test_first_divergence_without_spans(tmp_path: Path) -> None:
    p = write(tmp_path, "a;b\n1;2\n3;4\n")
    t, c = read_and_count(p)
    assert c.first_divergence(t) is None
    assert c.first_divergence(replace(t, details={**t.details, "physical_lines": 2})) == 3


def test_census_rejects_a_wrong_encoding(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes("a;ś\n".encode("cp1250"))
    with pytest.raises(InputError):
        census_csv(p, "utf-8", ";")


# --- properties ------------------------------------------------------------------------

DELIMS = [";", ",", "\t", "|"]
CELL = st.text(alphabet=list('ab ;,|\t"\n\rżŚ0'), max_size=7)
FLAT_CELL = st.text(alphabet=list('ab ;,|\t"żŚ0'), max_size=6)


def norm(cell: str) -> str:
    return cell.replace("\r\n", "\n").replace("\r", "\n")


def ambiguous(body: list[list[str]], d: str, ncols: int) -> bool:
    """A multi-line cell holding the delimiter may have lines shaped like records (the
    documented price of the stray-quote heuristic)."""
    return ncols >= 2 and any("\n" in norm(c) and d in c for r in body for c in r)


@st.composite
def tables(draw: st.DrawFn, cell: st.SearchStrategy[str]) -> tuple[list[str], list[list[str]]]:
    ncols = draw(st.integers(1, 4))
    header = [f"k{i}" for i in range(ncols)]
    body = draw(st.lists(st.lists(cell, min_size=ncols, max_size=ncols), max_size=10))
    return header, body


def check(text: str, d: str) -> tuple[SourceTable, object]:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "p.csv"
        p.write_bytes(text.encode("utf-8"))
        t = read_csv(p, delimiter=d)
        c = census_csv(p, "utf-8", d)
    return t, c


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables(CELL),
    st.sampled_from(DELIMS),
    st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    st.sampled_from(["\n", "\r\n"]),
    st.lists(st.integers(0, 12), max_size=3),
    st.booleans(),
)
def test_clean_tables_round_trip(tbl, d, quoting, eol, blanks, trailing) -> None:
    header, body = tbl
    ncols = len(header)
    text = _line(header, d, quoting, eol)
    kept: list[tuple[int, list[str]]] = []
    row = 1
    for i, r in enumerate(body):
        text += eol * blanks.count(i)
        row += blanks.count(i) + 1
        text += _line(r, d, quoting, eol)
        if any(norm(c).strip() for c in r):
            kept.append((row, [norm(c) for c in r]))
    if not trailing:
        text = text[: -len(eol)]
    t, c = check(text, d)
    if ambiguous(body, d, ncols):
        try:
            check_balance(t, c)
        except CensusMismatchError:
            return  # the split note's remains may be read differently: loud, which is fine
    check_balance(t, c)  # never a mismatch on unambiguous clean data
    expected = 1 + len(body) + sum(b < len(body) for b in blanks)
    assert t.total_records == c.records >= expected  # a split note is flagged, never merged
    if not ambiguous(body, d, ncols):
        assert t.total_records == expected
        assert (t.frame[READER_ISSUE] == "").all()
        got = list(zip(t.frame[SOURCE_ROW], t.frame[header].values.tolist(), strict=True))
        assert got == kept


def _line(r: list[str], d: str, quoting: int, eol: str) -> str:
    """One record; ``\r`` and ``\n`` in a cell always get quotes (the writer only quotes eol)."""
    out = io.StringIO()
    csv.writer(out, delimiter=d, quoting=quoting, lineterminator="\r\n").writerow(r)
    return out.getvalue()[:-2] + eol


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables(FLAT_CELL),
    st.sampled_from(DELIMS),
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 3), st.sampled_from("sme")), max_size=3),
    st.lists(st.integers(0, 10), max_size=2),
)
def test_stray_quotes_never_lose_a_row(tbl, d, strays, blanks) -> None:
    header, body = tbl
    ncols = len(header)
    assume(ncols >= 2 and body)
    lines = [_line(header, d, csv.QUOTE_MINIMAL, "")]
    hit: set[int] = set()
    for i, r in enumerate(body):
        fields = [_line([c], d, csv.QUOTE_MINIMAL, "") for c in r]
        for row, col, where in strays:
            if row == i and not fields[col % ncols].startswith('"'):
                f = fields[col % ncols]
                pos = {"s": 0, "m": len(f) // 2, "e": len(f)}[where]
                fields[col % ncols] = f[:pos] + '"' + f[pos:]
                hit.add(i)
        lines.append(d.join(fields))
        lines.extend([""] * blanks.count(i))
    text = "\n".join(lines) + "\n"
    try:
        t, c = check(text, d)
        check_balance(t, c)
    except CensusMismatchError:
        return  # loud is fine; silent is not
    assert t.total_records == 1 + len(body) + sum(b < len(body) for b in blanks)
    frame_rows = dict(zip(t.frame[SOURCE_ROW], t.frame[header].values.tolist(), strict=True))
    flagged = set(t.frame.loc[t.frame[READER_ISSUE] == UNCLOSED_QUOTE, SOURCE_ROW])
    row = 1
    for i, r in enumerate(body):
        row += 1
        if i not in hit and any(c.strip() for c in r):
            assert frame_rows[row] == r, (row, text)
            assert row not in flagged
        row += blanks.count(i)


RAW = st.text(alphabet=list('ab ;,|\t"\n\r\u00a0żŚ0'), max_size=60)


@given(RAW, st.sampled_from(DELIMS), st.sampled_from(["utf-8", "utf-8-sig", "cp1250"]))
def test_byte_census_equals_the_text_census(text: str, d: str, enc: str) -> None:
    """The numpy byte view (lines, quotes, blank lines) counts exactly what splitting the
    decoded text does, for every encoding it is used for."""
    from unittest import mock

    from cer_loader.ingest.csv import census as census_module

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "p.csv"
        p.write_bytes(text.encode(enc))
        fast = census_csv(p, enc, d)
        with mock.patch.object(census_module, "byte_safe", return_value=False):
            slow = census_csv(p, enc, d)
    assert fast == slow
