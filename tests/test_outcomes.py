"""Outcome texts about a number of things take the Polish form that number calls for (1
wiadomość, 2–4 wiadomości mają, 5 wiadomości ma) and the English singular for one."""

from __future__ import annotations

import re
import string

import pytest

from cer_loader import outcomes
from cer_loader.outcomes import HL7_CONTROL_ID_REUSED, Outcome, plural_pl

COUNTED = [
    o for o in (*outcomes.TABULAR_OUTCOMES, *outcomes.HL7_OUTCOMES)
    if isinstance(o, Outcome) and "{count}" in o.pl
]  # fmt: skip


def values(o: Outcome, n: int) -> dict[str, object]:
    names = {f for _, f, _, _ in string.Formatter().parse(o.pl + o.en) if f}
    return {name: "x" for name in names} | {"count": n}


@pytest.mark.parametrize(
    "n,form", [(1, 0), (2, 1), (4, 1), (5, 2), (11, 2), (12, 2), (14, 2), (21, 2), (22, 1),
               (104, 1), (112, 2), (0, 2)],
)  # fmt: skip
def test_polish_plural_form(n: int, form: int) -> None:
    assert plural_pl(n) == form


def test_reused_control_ids_in_each_form() -> None:
    t = HL7_CONTROL_ID_REUSED.text
    assert t("pl", count=1, examples="2").startswith("1 wiadomość powtarza ")
    assert "wczytano ją" in t("pl", count=1, examples="2")
    assert t("pl", count=3, examples="2").startswith("3 wiadomości powtarzają ")
    assert t("pl", count=5, examples="2").startswith("5 wiadomości powtarza ")
    assert t("pl", count=13, examples="2").startswith("13 wiadomości powtarza ")
    assert t("en", count=1, examples="2").startswith("1 message repeats ")
    assert t("en", count=2, examples="2").startswith("2 messages repeat ")


@pytest.mark.parametrize("o", COUNTED, ids=lambda o: o.code)
def test_no_counted_text_says_one_in_a_plural(o: Outcome) -> None:
    assert o.pl_one and o.en_one, f"{o.code}: no singular form"
    one_pl, one_en = o.text("pl", **values(o, 1)), o.text("en", **values(o, 1))
    assert not re.search(r"\b1 (wiadomości|wierszy|wiersze|linii|komórek)\b", one_pl), one_pl
    assert "(y)" not in one_pl and "(s)" not in one_en
    assert not re.search(r"\b1 (messages|rows|lines|cells)\b", one_en), one_en
    assert o.text("pl", **values(o, 7)) != one_pl
