"""What a reader needs to know about a file, as plain values (built from the mapping file by
:meth:`cer_loader.mapping.Mapping.reader_options`; readers never import the mapping stage)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReaderOptions:
    encoding: str | None = None  # CSV and HL7: forced text encoding (detected when None)
    delimiter: str | None = None  # CSV: forced delimiter (sniffed when None)
    sheet: str | None = None  # workbooks: sheet name (first visible when None)
    header_row: int | None = None  # workbooks: 1-based header row (searched when None)
    known_headers: frozenset[str] = frozenset()  # workbooks: folded headers that mark a header row
    hl7_paths: Mapping[str, str] = field(default_factory=dict)  # HL7: canonical field -> path
    hl7_updates_book: bool = False  # HL7: an update of an unknown id books it (mid-stream dumps)
