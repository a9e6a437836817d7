"""Submission errors, classified by what the caller may do next (see SUBMIT_INTERFACE.md).

``TransientError``: nothing was processed, retrying is safe. ``AmbiguousError``: the request may
have been processed; resolve with ``P1Client.query_status``, never by resending blind.
``PermanentFault``: never retried; ``layer`` says which layer refused, ``code`` the P1 fault code
(or ``local:...`` for a problem found before sending), ``detail`` the service's masked text.
Configuration layers (certificate, authentication, authorisation) exit with 2, the others with 3.
"""

from __future__ import annotations

from cer_loader.errors import CerLoaderError

LAYERS = ("validation", "signature", "certificate", "authentication", "authorisation", "protocol")
CONFIG_LAYERS = ("certificate", "authentication", "authorisation")

_LAYER_PL = {
    "validation": "walidacja komunikatu",
    "signature": "podpis WS-Security",
    "certificate": "certyfikat",
    "authentication": "uwierzytelnienie",
    "authorisation": "autoryzacja",
    "protocol": "protokół",
}


class SubmitError(CerLoaderError):
    """Root of submission errors."""

    exit_code = 3


class TransientError(SubmitError):
    """Nothing was processed (connection refused, 503, server busy): safe to retry.
    ``retry_after`` (seconds) when the server said."""

    def __init__(
        self, message: str, message_en: str | None = None, *, retry_after: float = 0.0
    ) -> None:
        super().__init__(message, message_en)
        self.retry_after = retry_after


class AmbiguousError(SubmitError):
    """The request may have been processed but no answer came (reset after send, timeout):
    the batch becomes UNKNOWN."""


class PermanentFault(SubmitError):
    """Refused by a layer that will refuse again: never retried (repeating may lock the account).

    ``message`` / ``message_en`` are the full one-line texts for people; ``detail`` is the
    service's own (masked) text, when it gave one."""

    def __init__(self, layer: str, code: str, message: str = "", message_en: str | None = None):
        self.layer = layer
        self.code = code
        self.detail = message
        tail = code + (f": {message}" if message else "")
        tail_en = code + (f": {message_en or message}" if message_en or message else "")
        super().__init__(
            f"odmowa P1 ({_LAYER_PL.get(layer, layer)}): {tail}",
            f"P1 refused ({layer}): {tail_en}",
        )
        self.exit_code = 2 if layer in CONFIG_LAYERS else 3
