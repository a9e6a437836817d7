"""The values the call-context header (``kontekstWywolania``) is built from, taken from Settings.

The contract (``schemas/operations/*.toml``) says which P1 attributes carry which of these values.
"""

from __future__ import annotations

from cer_loader.settings import Settings


def call_context(settings: Settings) -> dict[str, str]:
    """``mus_id`` (``000000927722-001``), ``mus_book`` (the RPWDL book number, first 12 digits),
    ``mus_unit`` (the part VII code), ``regon``, ``nip``, ``nfz_branch``."""
    book, _, unit = settings.mus_id.partition("-")
    return {
        "mus_id": settings.mus_id,
        "mus_book": book,
        "mus_unit": unit,
        "regon": settings.regon,
        "nip": settings.nip,
        "nfz_branch": settings.nfz_branch,
    }
