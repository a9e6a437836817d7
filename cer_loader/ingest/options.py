"""What a reader needs to know about a file, as plain values (built from the mapping file by
:meth:`cer_loader.mapping.Mapping.reader_options`; readers never import the mapping stage), and
the limits every reader holds an input to (:class:`Limits`).

Limits protect the run from inputs that would exhaust memory or time (a workbook inflating to
gigabytes, a sheet with a cell at XFD1048576, a 1 MiB cell). Each is checked *before* the memory
is spent, and passing one is an :class:`~cer_loader.errors.InputError` (exit 2) naming the file
and the limit. The defaults hold a 1M-row export with room to spare; a site with bigger
legitimate files raises the one it needs (``[limits]`` in ``cer-loader.toml`` where wired).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MiB = 1024 * 1024
# The steward workbook (openpyxl) cannot hold more than 18,278 columns (ZZZ) and adds its own.
WRITER_MAX_COLUMNS = 18_278 - 16


@dataclass(frozen=True)
class Limits:
    """Bounds on one input file; every field can be raised by a site that needs it."""

    max_file_bytes: int = 2048 * MiB  # the input file itself (CSV, workbook, HL7 dump)
    max_part_bytes: int = 1024 * MiB  # workbooks: one part (e.g. a sheet's XML) once inflated
    max_ratio: int = 200  # workbooks: inflated / compressed size of a part bigger than 1 MiB
    max_cells: int = 40_000_000  # workbooks: rows × columns of the sheet's used area
    max_columns: int = 16_384  # columns of a table (Excel's own limit, XFD)
    max_cell_chars: int = 32_767  # characters in one cell (Excel's own limit)
    max_message_bytes: int = 4 * MiB  # HL7: one message of a dump (a larger one: too-large)

    def __post_init__(self) -> None:
        for name in (
            "max_file_bytes", "max_part_bytes", "max_ratio", "max_cells", "max_columns",
            "max_cell_chars", "max_message_bytes",
        ):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.max_columns > WRITER_MAX_COLUMNS:
            raise ValueError(f"max_columns cannot exceed {WRITER_MAX_COLUMNS}")


@dataclass(frozen=True)
class ReaderOptions:
    encoding: str | None = None  # CSV and HL7: forced text encoding (detected when None)
    delimiter: str | None = None  # CSV: forced delimiter (sniffed when None)
    sheet: str | None = None  # workbooks: sheet name (first visible when None)
    header_row: int | None = None  # workbooks: 1-based header row (searched when None)
    known_headers: frozenset[str] = frozenset()  # workbooks: folded headers that mark a header row
    hl7_paths: Mapping[str, str] = field(default_factory=dict)  # HL7: canonical field -> path
    hl7_updates_book: bool = False  # HL7: an update of an unknown id books it (mid-stream dumps)
    limits: Limits = field(default_factory=Limits)  # bounds on the input (see Limits)
    # identifiers.toml [oid] (kind -> OID: pesel, npwz, ...); the shipped file's when empty
    identifier_oids: Mapping[str, str] = field(default_factory=dict)
