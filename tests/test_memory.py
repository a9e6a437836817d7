"""cer_loader.memory: freed heap memory is handed back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pyarrow as pa

from cer_loader.memory import can_trim, release


def test_trimming_is_available_on_linux() -> None:
    """CI runs on Linux with glibc: the trim must be there, or release() would do nothing."""
    assert can_trim() == sys.platform.startswith("linux")


def rss() -> int:
    """This process's resident memory (Linux: /proc, where the trim is tested)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def test_release_hands_freed_heap_memory_back() -> None:
    before = rss()
    # many small allocations from the C heap (below malloc's mmap threshold), one kept in
    # every thousand so the heap cannot simply shrink from its top
    blocks = [bytearray(3000) for _ in range(60_000)]  # about 180 MB
    kept = blocks[::1000]
    grown = rss() - before
    del blocks
    freed_only = rss() - before
    release()
    after = rss() - before
    assert grown > 150 * 2**20
    assert len(kept) == 60
    assert after < freed_only - 100 * 2**20, (grown, freed_only, after)


def test_release_keeps_data() -> None:
    arr = pa.array(range(100_000))
    allocated = pa.total_allocated_bytes()
    release()
    assert pa.total_allocated_bytes() == allocated
    assert arr.to_pylist()[-1] == 99_999
