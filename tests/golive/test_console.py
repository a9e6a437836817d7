"""Go-live console texts: the noun after a count takes the form the number asks for."""

from __future__ import annotations

import pytest

from cer_loader.golive.console import counted, format_provider


@pytest.mark.parametrize(
    ("n", "pl", "en"),
    [(1, "termin", "slot"), (4, "terminy", "slots"), (5, "terminów", "slots"),
     (12, "terminów", "slots"), (22, "terminy", "slots"), (0, "terminów", "slots")],
)  # fmt: skip
def test_slot_counts_are_declined(n: int, pl: str, en: str) -> None:
    assert counted("slots", n, "pl") == pl
    assert counted("slots", n, "en") == en


def test_provider_problems_are_counted_in_words() -> None:
    summary = {"mus_id": "000000927722-001", "provider_file": "placowka.toml"}
    three = [("plik", "missing", "brak")] * 3
    assert "ma 3 problemy -" in format_provider(summary, three, "pl")
    assert "has 1 problem -" in format_provider(summary, three[:1], "en")
    assert "ma 6 problemów -" in format_provider(summary, three * 2, "pl")
