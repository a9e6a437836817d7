"""The steward workbook's Arrow text columns (report.workbook_text) are, text by text, what the
per-value routines give: ``clean`` cut to a cell, and xlsxwriter's inline-string escaping."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from test_report_workbook_rows import NASTY

from cer_loader.report.workbook_meta import cell_text
from cer_loader.report.workbook_text import (
    MAX_CELL,
    OPEN,
    OPEN_SPACE,
    inline_texts,
    text_column,
    text_xml,
    utf8_bytes,
)
from cer_loader.sanitize import has_formula_prefix

# what the escaping looks at: edges, whitespace of every kind, control escapes, C0/C1 controls
EDGY = st.sampled_from(
    ["_x0041_", "_x00", "_X004a_", "\r", "\n", "\t", " ", "\u3000", "\u2028", "\x85", "\xa0",
     "&", "<", ">", "=", "+", "-", "@", "\x00", "\x1f", "\x7f", "\x9f", "ą", "😀", "a"]
)  # fmt: skip
TEXTS = st.lists(EDGY, max_size=8).map("".join) | st.text(max_size=40) | st.sampled_from(NASTY)


def _xml(texts: list[str]) -> list[str]:
    parts = inline_texts(text_column(texts))
    body = parts.body.to_pylist()
    return [
        f"{OPEN_SPACE if p else OPEN}{b}</t>" for b, p in zip(body, parts.preserve, strict=True)
    ]


@given(st.lists(TEXTS | st.sampled_from(["a\x00b", "\ud800x", "x\udfff"]), max_size=20))
def test_a_text_column_is_each_value_cleaned_and_cut(texts: list[str]) -> None:
    assert text_column(texts).to_pylist() == [cell_text(t) for t in texts]


def test_a_text_column_takes_series_with_gaps_and_non_texts() -> None:
    series = pd.Series(["a", None, "b\x01"], dtype="str")
    assert text_column(series).to_pylist() == ["a", "", "b\ufffd"]
    assert text_column([1, None, "x"]).to_pylist() == ["1", "", "x"]
    assert text_column(["y" * (MAX_CELL + 5)]).to_pylist() == ["y" * MAX_CELL]


@given(st.lists(TEXTS, max_size=20))
def test_inline_texts_are_xlsxwriters_escaping_of_each_text(texts: list[str]) -> None:
    cells = [cell_text(t) for t in texts]
    parts = inline_texts(text_column(texts))
    assert _xml(texts) == [text_xml(c) for c in cells]
    assert parts.quoted.tolist() == [has_formula_prefix(c) for c in cells]
    assert parts.empty.tolist() == [c == "" for c in cells]


def test_long_texts_are_cut_to_excels_utf16_limit() -> None:
    astral = "😀" * 20_000  # 40,000 UTF-16 units
    mixed = "a" * 16_000 + "😀" * 10_000  # 36,000 units: cut at the last whole character
    plain = "b" * 20_000  # under 32,767 units: whole
    texts = [astral, mixed, plain, "short"]
    assert _xml(texts) == [text_xml(cell_text(t)) for t in texts]
    assert len(_xml([astral])[0]) == len("<t></t>") + 16_383


def test_the_bytes_of_a_column_are_its_texts_one_after_the_other() -> None:
    arr = text_column(["ą", "", "b&c", "😀"]).slice(1)
    assert bytes(utf8_bytes(arr)) == "b&c😀".encode()
    assert bytes(utf8_bytes(text_column([]))) == b""
