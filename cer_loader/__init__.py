"""cer-loader: the initial load (zasilenie inicjalne) of booked appointments into CeR (P1).

Library first; the command line (``cer_loader.cli``) is a thin layer over this API::

    import cer_loader

    done = cer_loader.run(["wizyty.csv"], config="cer-loader.toml", options={"mus_id": ...},
                          mapping_path="mapping.toml", out_dir="out")
    done.exit_code, done.summary["accepted"], done.result.rejected

- :func:`run` (``cer_loader.pipeline.run``): one whole run, returning a :class:`Run`
  (its frozen :class:`RunResult` and the summary); :func:`build_settings` decides the settings.
- :class:`Settings`: provider context, as-of date, catalogues, batch size.
- The error tree (:mod:`cer_loader.errors`): :class:`CerLoaderError` and its subclasses, each
  with a Polish and English message and the exit code the CLI gives it.

The pipeline names are imported on first use, so ``import cer_loader`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cer_loader.errors import (
    CensusMismatchError,
    CerLoaderError,
    ConfigError,
    InputError,
    RenderError,
    ReportError,
    UsageError,
)

if TYPE_CHECKING:
    from cer_loader.pipeline import build_settings, run
    from cer_loader.result import Run, RunResult
    from cer_loader.settings import Settings

__version__ = "0.1.0"
__all__ = [
    "CensusMismatchError",
    "CerLoaderError",
    "ConfigError",
    "InputError",
    "RenderError",
    "ReportError",
    "Run",
    "RunResult",
    "Settings",
    "UsageError",
    "build_settings",
    "run",
]
_LAZY = {
    "run": "cer_loader.pipeline",
    "build_settings": "cer_loader.pipeline",
    "Run": "cer_loader.result",
    "RunResult": "cer_loader.result",
    "Settings": "cer_loader.settings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cer_loader' has no attribute {name!r}")
