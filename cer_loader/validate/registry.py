"""The check registry, built explicitly: each check module's ``checks()`` in the order below.

This order is the order of the rules in every report (rejected.csv, warnings.csv): reader
findings, then the appointment, then the patient. A new check module is added here, and its
codes need entries in ``schemas/rules.toml`` (``catalogues.rules.check_catalogue``).
"""

from __future__ import annotations

from cer_loader.validate.appointment import checks as appointment_checks
from cer_loader.validate.context import CheckSpec
from cer_loader.validate.patient import checks as patient_checks

# each check module's list, in report order
LISTS = (appointment_checks, patient_checks)


def build_checks() -> dict[str, CheckSpec]:
    """Code → check, in report order; a code listed twice is a programming error."""
    out: dict[str, CheckSpec] = {}
    for listed in LISTS:
        for spec in listed():
            if spec.code in out:
                raise RuntimeError(f"check {spec.code} is listed twice")
            out[spec.code] = spec
    return out


CHECKS: dict[str, CheckSpec] = build_checks()
