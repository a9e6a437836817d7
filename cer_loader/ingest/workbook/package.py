"""A workbook's package checked before python-calamine touches it: bounded, honest, no DTDs.

calamine (Rust) allocates the whole used area of a sheet at once and aborts the process when it
cannot (a 1 kB file with cells at A1 and XFD1048576 asks for ~0.5 TB), and it inflates every
part it reads. So before it opens an XLSX/XLSM (or ODS) package, :func:`check_package` reads
the zip directory and every part itself, with :mod:`zipfile` (bounded by the sizes the directory
declares, CRC-checked, so a part cannot inflate beyond what was checked):

* each part's inflated size ≤ ``Limits.max_part_bytes``, and for parts over 1 MiB the ratio
  inflated / compressed ≤ ``Limits.max_ratio`` (a zip bomb's ratio is in the thousands);
* no XML part declares a DTD or an entity (``<!DOCTYPE``, ``<!ENTITY``): refused, saying why —
  Excel and LibreOffice never write one, and entities are how XML bombs and file disclosure work;
* each worksheet's real extent — the highest row number and column letter its cells name, not
  the ``<dimension>`` it claims (calamine ignores that) — stays within ``Limits.max_columns``
  and ``Limits.max_cells``; the cell elements are counted too (cells without a reference);
* the shared-strings table's ``uniqueCount`` is no more than about the strings it holds
  (calamine reserves memory for that many strings up front: a forged ``uniqueCount`` of 10^11
  aborts the process, found by the fuzz suite).

OLE (XLS) files have no zip directory; for them only the file size limit applies.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path

from cer_loader.errors import InputError
from cer_loader.ingest.bounded import spaced
from cer_loader.ingest.options import Limits, MiB

_CHUNK = 4 * MiB
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_UNIQUE_COUNT = re.compile(rb'<(?:\w+:)?sst\b[^>]*?\suniqueCount\s*=\s*["\']\s*(\d+)')
_STRING_ITEM = re.compile(rb"<(?:\w+:)?si[\s>/]")


def column_number(letters: str) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _after(letters: str) -> str:
    """A regex for column letters naming a column *after* ``letters`` (longer, or same length
    and greater), so one C-level search finds a cell beyond a bound without a Python loop."""
    n = len(letters)
    alts = [f"[A-Z]{{{n + 1},}}"]
    for i, ch in enumerate(letters):
        if ch != "Z":
            alts.append(f"{letters[:i]}[{chr(ord(ch) + 1)}-Z][A-Z]{{{n - i - 1}}}")
    return "|".join(alts)


def _refused(path: Path, pl: str, en: str) -> InputError:
    return InputError(pl, en, path=path)


def check_package(data: bytes, path: Path, limits: Limits) -> None:
    """Raise InputError when the workbook in ``data`` passes a limit or declares a DTD."""
    if not data.startswith(b"PK"):
        return
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip after all: calamine gives its own answer
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            _check_sizes(info, path, limits)
            _check_part(zf, info, path, limits)


def _check_sizes(info: zipfile.ZipInfo, path: Path, limits: Limits) -> None:
    if info.file_size > limits.max_part_bytes:
        raise _refused(
            path,
            f"część skoroszytu {info.filename} po rozpakowaniu ma {spaced(info.file_size)} "
            f"bajtów, więcej niż limit max_part_bytes = {spaced(limits.max_part_bytes)}",
            f"workbook part {info.filename} inflates to {info.file_size:,} bytes, more than "
            f"the limit max_part_bytes = {limits.max_part_bytes:,}",
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > MiB and ratio > limits.max_ratio:
        raise _refused(
            path,
            f"część skoroszytu {info.filename} rozpakowuje się {ratio:.0f}-krotnie (limit "
            f"max_ratio = {limits.max_ratio}); to wygląda na bombę zip, nie na arkusz",
            f"workbook part {info.filename} inflates {ratio:.0f} times (limit max_ratio = "
            f"{limits.max_ratio}); this looks like a zip bomb, not a spreadsheet",
        )


def _check_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limits: Limits) -> None:
    name = info.filename
    is_xml = name.lower().endswith(_XML_SUFFIXES)
    is_sheet = is_xml and name.startswith("xl/worksheets/")
    try:
        with zf.open(info) as fh:
            if is_sheet:
                _check_extent(fh.read(), name, path, limits)
                return
            if name.lower().endswith("sharedstrings.xml"):
                _check_shared_strings(fh.read(), name, path)
                return
            head = fh.read(_CHUNK)
            if is_xml and _DTD.search(head):
                raise _dtd(path, name)
            while fh.read(_CHUNK):  # inflate the rest: a CRC error shows a forged directory
                pass
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _refused(
            path,
            f"część skoroszytu {name} jest uszkodzona lub jej rozmiar w katalogu zip jest "
            f"fałszywy ({exc})",
            f"workbook part {name} is damaged or its size in the zip directory is false ({exc})",
        ) from None


def _check_shared_strings(xml: bytes, name: str, path: Path) -> None:
    """``uniqueCount`` (what calamine allocates for) close to the strings really held."""
    if _DTD.search(xml[:_CHUNK]):
        raise _dtd(path, name)
    declared = _UNIQUE_COUNT.search(xml[:_CHUNK])
    if declared is None:
        return
    held = len(_STRING_ITEM.findall(xml))
    claimed = int(declared.group(1))
    if claimed > 2 * held + 1000:
        raise _refused(
            path,
            f"część skoroszytu {name} deklaruje {spaced(claimed)} różnych tekstów "
            f"(uniqueCount), a zawiera {spaced(held)}; plik jest uszkodzony lub spreparowany — "
            "zapisz go ponownie w Excelu lub LibreOffice",
            f"workbook part {name} declares {claimed:,} distinct strings (uniqueCount) but "
            f"holds {held:,}; the file is damaged or forged — save it again from Excel or "
            "LibreOffice",
        )


def _dtd(path: Path, name: str) -> InputError:
    return _refused(
        path,
        f"część skoroszytu {name} zawiera deklarację DTD lub encji XML (<!DOCTYPE>/<!ENTITY>); "
        "Excel i LibreOffice takich nie zapisują, a encje służą do ataków (bomby XML, odczyt "
        "plików) — zapisz arkusz ponownie w Excelu lub LibreOffice",
        f"workbook part {name} declares an XML DTD or entity (<!DOCTYPE>/<!ENTITY>); Excel and "
        "LibreOffice never write one and entities are an attack vector (XML bombs, file "
        "disclosure) — save the sheet again from Excel or LibreOffice",
    )


def _check_extent(xml: bytes, name: str, path: Path, limits: Limits) -> None:
    """The sheet's real extent (rows named or counted × highest column named) within limits."""
    if _DTD.search(xml[:_CHUNK]):
        raise _dtd(path, name)
    cells = len(_CELL_TAG.findall(xml))
    if cells > limits.max_cells:
        raise _cells(path, name, f"{spaced(cells)} komórek", f"{cells:,} cells", limits)
    refs = _ROW_REF.findall(xml)
    rows = max(max(map(int, refs), default=0), len(_ROW_TAG.findall(xml)) if not refs else 0)
    rows = max(rows, 1)
    # calamine places a cell by its own reference, whatever row element holds it: a cell
    # naming a later row than any row element (found by the fuzz suite) widens the extent
    later = re.findall(rb'<(?:\w+:)?c\b[^>]*?\sr="[A-Za-z]+(\d{%d,})"' % len(str(rows)), xml)
    rows = max([rows, *map(int, later)])
    allowed = min(limits.max_columns, max(limits.max_cells // rows, 1))
    if allowed >= column_number("ZZZZ"):
        return
    beyond = re.search(
        rb'<(?:\w+:)?c\b[^>]*?\sr="(' + _after(_column_letters(allowed)).encode() + rb")\d", xml
    )
    if beyond is None:
        return
    col = column_number(beyond.group(1).decode())
    if col > limits.max_columns:
        raise _refused(
            path,
            f"arkusz {name} ma komórkę w kolumnie {beyond.group(1).decode()} (nr {col}), więcej "
            f"niż limit max_columns = {limits.max_columns}",
            f"sheet {name} has a cell in column {beyond.group(1).decode()} (no. {col}), more "
            f"than the limit max_columns = {limits.max_columns}",
        )
    area = rows * col
    raise _cells(
        path,
        name,
        f"obszar {spaced(rows)} wierszy × {col} kolumn = {spaced(area)} komórek",
        f"an area of {rows:,} rows × {col} columns = {area:,} cells",
        limits,
    )


def _cells(path: Path, name: str, pl: str, en: str, limits: Limits) -> InputError:
    return _refused(
        path,
        f"arkusz {name} ma {pl}, więcej niż limit max_cells = {spaced(limits.max_cells)}; "
        "usuń puste komórki z dala od danych albo podnieś limit w [limits]",
        f"sheet {name} has {en}, more than the limit max_cells = {limits.max_cells:,}; delete "
        "stray cells far from the data or raise the limit in [limits]",
    )
