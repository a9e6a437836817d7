"""The five HL7 v2 delimiters of one message, read from its MSH segment (MSH-1, MSH-2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delims:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
