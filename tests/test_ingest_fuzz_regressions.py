"""Inputs the fuzz suite (``tests/fuzz``) found crashing, kept as named fixtures in
``tests/fixtures/fuzz/``: each is now a clear exit-2 answer naming the file. Read in a child
process: what these files did was abort the interpreter (a Rust allocation failure), which
would take the test run down with it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import FIXTURES

# fixture -> words the error must hold (English)
FOUND = {
    "xlsx_shared_strings_unique_count_1e11.xlsx": "declares 99,999,999,999 distinct strings",
    # a cell at XFD1048576 inside <row r="1">: calamine asked for 512 GiB and aborted
    "xlsx_cell_ref_beyond_row_elements.xlsx": "1,048,576 rows × 16384 columns",
}
CHILD = """
import sys
from pathlib import Path
from cer_loader.errors import CerLoaderError
from cer_loader.ingest import read_source
try:
    read_source(Path(sys.argv[1]))
except CerLoaderError as exc:
    print(exc.text("en"))
    sys.exit(exc.exit_code)
"""


def test_every_fixture_has_an_expected_answer() -> None:
    assert {p.name for p in (FIXTURES / "fuzz").iterdir()} == set(FOUND)


@pytest.mark.parametrize("name", sorted(FOUND))
def test_a_crash_found_by_fuzzing_is_an_input_error(name: str) -> None:
    path = FIXTURES / "fuzz" / name
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert str(path) in done.stdout and FOUND[name] in done.stdout
