"""The printed summary: counts named for what they count, Polish plurals, nothing a terminal obeys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cer_loader.report.console import count, format_summary, plural_form

FORMS = ("wiadomość", "wiadomości", "wiadomości")


@pytest.mark.parametrize(
    ("n", "form"),
    [(1, "wiadomość"), (2, "wiadomości"), (4, "wiadomości"), (5, "wiadomości"),
     (12, "wiadomości"), (22, "wiadomości"), (0, "wiadomości")],
)  # fmt: skip
def test_polish_plural_forms_of_wiadomosc(n: int, form: str) -> None:
    assert plural_form(n, FORMS) == form


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "1 komunikat"), (2, "2 komunikaty"), (4, "4 komunikaty"), (5, "5 komunikatów"),
     (12, "12 komunikatów"), (14, "14 komunikatów"), (22, "22 komunikaty"), (25, "25 komunikatów"),
     (112, "112 komunikatów"), (0, "0 komunikatów")],
)  # fmt: skip
def test_count_picks_one_few_or_many(n: int, text: str) -> None:
    assert count(n, "message", "pl") == text


def test_english_has_two_forms() -> None:
    assert (count(1, "appointment", "en"), count(3, "appointment", "en")) == (
        "1 appointment",
        "3 appointments",
    )


def summary(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "mus_id": "000000927722-001", "as_of": "2026-12-01", "accepted": 2, "rejected": 1,
        "warnings": 0, "rows_with_warnings": 0, "rejections_by_rule": {}, "payload": [],
        "balance_holds": True,
        "balance": {"physical_records": 8, "header": 0, "blank": 0, "accepted": 2,
                    "rejected": 1, "skipped": 5, "not_loaded": 5},
        "files": [{"path": "d\x1b[2J.hl7", "input_rows": 3, "kind": "hl7",
                   "details": {"messages": 8}, "balance": {"blank_rows": 0},
                   "reader_warnings": [{"code": "x", "text": "uwaga\x1b]0;t\x07"}]}],
        "hl7": {"messages": 8, "duplicate_messages": 1, "skipped_messages": 5, "appointments": 5,
                "loaded_appointments": 3, "appointments_not_loaded": 2,
                "appointments_not_loaded_by_reason": {"cancelled": 1, "no-show": 1}},
    }  # fmt: skip
    base.update(extra)
    return base


def test_hl7_counts_are_named_for_what_they_count() -> None:
    text = format_summary(summary(), {}, "pl", None)
    assert "HL7: 8 komunikatów (1 powtórzony), 5 wizyt; wizyty niezaładowane: 2" in text
    assert "+ pominięte 5" in text and "niezaładowane 5" not in text
    assert "komunikaty bez własnej wizyty" in text and ": 5" in text
    en = format_summary(summary(), {}, "en", None)
    assert "8 messages (1 repeated), 5 appointments; appointments not loaded: 2" in en
    assert "+ skipped 5" in en


def test_nothing_printed_moves_the_cursor_or_names_the_window() -> None:
    text = format_summary(summary(), {}, "pl", Path("out"))
    assert "\x1b" not in text and "\x07" not in text
    assert "d\ufffd[2J.hl7" in text and "uwaga" in text


def test_patients_without_a_mobile_number_shown_when_counted() -> None:
    assert "bez numeru komórkowego" not in format_summary(summary(), {}, "pl", None)
    text = format_summary(summary(patients_without_sms=4), {}, "pl", None)
    assert "Pacjenci bez numeru komórkowego (CeR nie wyśle im SMS): 4" in text


def test_more_rules_than_shown_are_counted() -> None:
    rules = {f"rule-{i}": 20 - i for i in range(15)}
    text = format_summary(summary(rejections_by_rule=rules), {}, "pl", None)
    assert "rule-11" in text and "rule-12" not in text and "i 3 innych" in text


def test_no_payload_because_everything_accepted_was_loaded_before_says_so() -> None:
    """Rows accepted but all held by CeR already (a rerun of the export): not 'no accepted
    rows'."""
    text = format_summary(summary(accepted_new=0, already_loaded=2), {}, "pl", None)
    assert "każdy przyjęty wiersz jest już w CeR" in text and "brak przyjętych" not in text
    en = format_summary(summary(accepted_new=0, already_loaded=2), {}, "en", None)
    assert "every accepted row is already at CeR" in en
    nothing = format_summary(summary(accepted=0, accepted_new=0), {}, "pl", None)
    assert "brak przyjętych wierszy" in nothing
