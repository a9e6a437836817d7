"""Handing freed memory back to the system between the stages of a large run.

A million-row run frees most of what reading and normalizing allocated before rendering and
journaling start, but the allocators keep the freed pages: glibc's ``malloc`` holds them in
its heap for the next allocation, and so the process's RSS (what the 1.5 GB target of
issue 10 counts, with the render workers beside it) stays at its high-water mark. Measured on
a 1M-row run: about 230 MB handed back before rendering. :func:`release` asks Arrow's memory pool
and glibc (``malloc_trim``, where the C library has it) to
return what is free; it changes no data and takes under a millisecond (no garbage collection:
the frames a stage lets go are freed by reference counting; a full ``gc.collect`` would cost
about 40 ms a call for nothing found).

:func:`lean_pool` makes jemalloc Arrow's memory pool where this pyarrow has it (the wheels for
Linux do) and ``ARROW_DEFAULT_MEMORY_POOL`` does not name one: on the 1M-row run its peak RSS
was ~120 MB lower than with mimalloc (pyarrow's default there), in the same time.
``ingest.read_source`` calls it first (a run reads before anything else makes Arrow buffers);
buffers made before stay in the pool that made them.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

import pyarrow as pa


def _malloc_trim() -> Any:
    """glibc's ``malloc_trim`` (None on a C library without it: musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def can_trim() -> bool:
    """True where freed heap memory can be handed back (glibc)."""
    return _TRIM is not None


def release() -> None:
    """Release the Arrow pool's unused memory and trim the C heap."""
    pa.default_memory_pool().release_unused()
    if _TRIM is not None:
        _TRIM(0)


def lean_pool() -> str:
    """Make jemalloc Arrow's default memory pool unless ``ARROW_DEFAULT_MEMORY_POOL`` chose
    one or this pyarrow has no jemalloc; the pool's name."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pool = pa.jemalloc_memory_pool()
        except (NotImplementedError, pa.ArrowNotImplementedError):
            pool = None
        if pool is not None and pa.default_memory_pool().backend_name != pool.backend_name:
            pa.set_memory_pool(pool)
    return str(pa.default_memory_pool().backend_name)
