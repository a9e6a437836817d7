"""One HL7 dump read to appointments in a fresh process (the child of ``benchmarks/run.py``).

As the CLI reads it: one ``read_source`` call in a process that has done nothing else. Prints
one JSON line: seconds of the call with the reader's modules imported before the clock
(``warm``) and with that import counted (``cold``: the first call imports them lazily),
messages, rows.

    python benchmarks/hl7.py DUMP MAPPING
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    from cer_loader.ingest import read_source
    from cer_loader.mapping import load_mapping

    dump, mapping = Path(argv[0]), Path(argv[1])
    options = load_mapping(mapping).reader_options()
    t0 = time.perf_counter()
    import cer_loader.ingest.hl7v2  # noqa: F401 - what the first call would import

    t1 = time.perf_counter()
    table = read_source(dump, options)
    t2 = time.perf_counter()
    print(json.dumps({"warm": t2 - t1, "cold": t2 - t0, "messages": table.total_records,
                      "rows": len(table.frame)}))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
