"""cer_loader.memory: freed heap memory is handed back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import os
import subprocess
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


def _pool_after_a_read(tmp_path: Path, **env: str) -> str:
    """The Arrow pool of a fresh process before and after it reads a CSV (``read_source``
    picks it), with the environment less ``ARROW_DEFAULT_MEMORY_POOL``, plus ``env``."""
    csv = tmp_path / "wizyty.csv"
    csv.write_text("PESEL;Data wizyty\n44051401359;2026-12-01\n", encoding="utf-8")
    code = (
        "import sys, pyarrow as pa\n"
        "from pathlib import Path\n"
        "from cer_loader.ingest import read_source\n"
        "before = pa.default_memory_pool().backend_name\n"
        "read_source(Path(sys.argv[1]))\n"
        "print(before, pa.default_memory_pool().backend_name)\n"
    )
    base = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    run = subprocess.run([sys.executable, "-c", code, str(csv)], capture_output=True,
                         text=True, env={**base, **env}, check=True)  # fmt: skip
    return run.stdout.strip()


def test_a_read_makes_jemalloc_arrows_pool_unless_the_environment_chose(tmp_path: Path) -> None:
    """pyarrow's Linux wheels (CI installs them) have jemalloc and default to mimalloc: a read
    switches to jemalloc; a pool the user named in ``ARROW_DEFAULT_MEMORY_POOL`` stays."""
    assert _pool_after_a_read(tmp_path) == "mimalloc jemalloc"
    assert _pool_after_a_read(tmp_path, ARROW_DEFAULT_MEMORY_POOL="mimalloc") == "mimalloc mimalloc"
    assert _pool_after_a_read(tmp_path, ARROW_DEFAULT_MEMORY_POOL="system") == "system system"
