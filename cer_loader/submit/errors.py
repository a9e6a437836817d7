"""Errors of submission, classified by what the caller may do next (see SUBMIT_INTERFACE.md).

``TransientError``: nothing was processed, safe to retry. ``AmbiguousError``: maybe processed,
no answer; resolve by a status query, never by resending. ``PermanentFault``: never retried.
"""

from __future__ import annotations

from cer_loader.errors import CerLoaderError


class SubmitError(CerLoaderError):
    """Root of submission errors."""


class TransientError(SubmitError):
    """Nothing was processed (connection refused, 503, server busy): safe to retry."""


class AmbiguousError(SubmitError):
    """The request may have been processed but no answer came (reset after send, timeout)."""


class PermanentFault(SubmitError):
    """A fault that repeating cannot fix (validation, signature, certificate, auth...)."""

    def __init__(self, layer: str, code: str, message: str, message_en: str | None = None):
        super().__init__(message, message_en)
        self.layer = layer
        self.code = code
        self.exit_code = 2 if layer in ("certificate", "authentication", "authorisation") else 3
