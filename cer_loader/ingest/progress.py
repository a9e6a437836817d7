"""Reading progress of one input file, counted in its own unit: the rows below a table's header
(blank ones included; CSV and workbooks) or the messages of an HL7 dump (:func:`units`).

A reader is handed ``tell(done, expected)`` (or ``None``: no reporting, no cost). Before a reader
knows how many units a file holds, ``expected`` is an estimate (:func:`estimate`: from the bytes
of the file's first MiB) and ``done`` stays 0; from the moment it knows, ``expected`` is exact.
The CSV and workbook readers parse a file in whole-file passes (vectorised, for speed), so they
report at the end of each pass the share of the work done as that share of the rows
(``FileProgress.share``); the HL7 reader reports every :data:`EVERY` messages. ``done`` never goes
down, never passes ``expected``, and the last call is ``(units, units)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Tell = Callable[[int, int], None]
EVERY = 4096  # messages (HL7) between two reports: cheap enough for 1M-message dumps
HEAD = 1 << 20  # bytes read to estimate a file's rows
XLSX_BYTES_PER_ROW = (
    140  # a compressed sheet row of ~20 text cells (refined once the sheet is read)
)


class FileProgress:
    """What one reader reports; monotonic by construction."""

    def __init__(self, tell: Tell | None, expected: int = 0) -> None:
        self.tell, self.done, self.expected, self.exact = tell, 0, max(expected, 0), False

    def _emit(self) -> None:
        if self.tell is not None:
            self.tell(self.done, self.expected)

    def expect(self, n: int, exact: bool = True) -> None:
        """The units the file holds (``exact``) or a better estimate of them."""
        if self.exact and not exact:
            return
        self.expected, self.exact = max(n, self.done), exact
        self._emit()

    def share(self, fraction: float) -> None:
        """``fraction`` of the reading work is done (only counted once the units are exact)."""
        if self.exact:
            self.done = max(self.done, min(self.expected, int(self.expected * fraction)))
            self._emit()

    def at(self, done: int) -> None:
        """``done`` units read (a streaming loop)."""
        self.done = max(self.done, min(done, self.expected))
        self._emit()

    def finish(self, n: int) -> None:
        self.done = self.expected = max(n, self.done)
        self.exact = True
        self._emit()


def units(kind: str, total_records: int, header_records: int) -> int:
    """The units a read file counted: HL7 messages, else the records below the header."""
    return total_records if kind == "hl7" else max(total_records - header_records, 0)


def estimate(path: Path, kind: str) -> int:
    """Units a file probably holds, from its size and its first MiB (0 when unreadable)."""
    try:
        size = path.stat().st_size
        if kind == "xlsx":
            return max(size // XLSX_BYTES_PER_ROW, 1)
        with open(path, "rb") as fh:
            head = fh.read(HEAD)
    except OSError:
        return 0
    if not head:
        return 0
    if kind == "hl7":
        found = head.count(b"MSH|") or head.count(b"MSH")
    else:
        found = (head.count(b"\n") or head.count(b"\r")) - 1  # less the header
    return max(int(max(found, 1) * size / len(head)), 1)
