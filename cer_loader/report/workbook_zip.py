"""The steward workbook's zip: parts deflated at zlib's level 1, and a sheet's rows deflated
as they are written rather than copied around as text.

xlsxwriter zips the parts at zlib's default level 6: the sheet of 100k rows is ~145 MB of XML,
which level 6 deflates in ~2.4 CPU seconds and level 1 in ~0.7 (the file grows by about a
quarter; every part unzips to the same bytes). In ``constant_memory`` mode it also writes the
rows to a temporary file, copies that into the sheet's XML file and reads it again to zip it:
~600 MB through the page cache for those 145 MB. Here the rows of a :class:`FastWorksheet`
go straight into a zlib stream (:class:`DeflatedRows`, ~20 MB on disk); the sheet's XML file
holds a marker in their place, and the zip entry is the deflated text before the marker, the
deflated rows and the deflated text after it: three raw deflate streams joined at full bytes
(each of the first two ends on a sync flush), which is one valid deflate stream. The entry's
CRC-32 joins the three parts' (:func:`crc32_combine`, zlib's own algorithm).

The entry is written through ``zipfile``'s own writer, its compressor replaced by one that
passes the deflated bytes on and its size and CRC set to the text's (attributes of CPython's
``_ZipWriteFile``); where those are missing the rows are inflated and deflated again by the
writer (the same entry, slower).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import xlsxwriter.packager
import xlsxwriter.workbook
import xlsxwriter.worksheet
from xlsxwriter.vml import Vml

ZIP_LEVEL = 1
PIECE = 1 << 20  # bytes read, deflated and written at once
_WRITER = ("_compressor", "_file_size", "_crc", "_compress_size")


def _gf2_times(matrix: list[int], vector: int) -> int:
    out, i = 0, 0
    while vector:
        if vector & 1:
            out ^= matrix[i]
        vector >>= 1
        i += 1
    return out


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``a + b`` from ``crc32(a)``, ``crc32(b)`` and ``len(b)`` (zlib's
    ``crc32_combine``: ``crc1`` moved past ``len2`` zero bytes, then ``crc2`` added)."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four
    while True:
        even = _gf2_square(odd)  # one zero byte, then 2, 4, ... bytes
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def _deflater() -> Any:
    return zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)  # raw deflate, as zipfile's


class DeflatedRows:
    """A sheet's rows (UTF-8 XML) deflated as they come into an anonymous temporary file, with
    their CRC-32 and size; :meth:`finish` ends the stream on a sync flush (not a final block:
    the sheet's closing text follows it)."""

    def __init__(self, folder: str | None = None) -> None:
        self.file = tempfile.TemporaryFile(dir=folder)
        self.crc = self.size = 0
        self._z = _deflater()
        self.marker = f"<!--cer-loader rows {id(self):x}-->"

    def write(self, data: bytes | memoryview) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.file.write(self._z.compress(data))

    def finish(self) -> None:
        self.file.write(self._z.flush(zlib.Z_SYNC_FLUSH))
        self.file.flush()

    def deflated(self) -> Iterator[bytes]:
        self.file.seek(0)
        while piece := self.file.read(PIECE):
            yield piece

    def close(self) -> None:
        self.file.close()


class _Passing:
    """A compressor for zipfile's writer that passes already deflated bytes on."""

    def compress(self, data: bytes) -> bytes:
        return bytes(data)

    def flush(self) -> bytes:
        return b""


class _FastZip(zipfile.ZipFile):
    """A ``ZipFile`` deflating at :data:`ZIP_LEVEL` in 1 MB pieces (``write`` copies 8 KB at a
    time), splicing the :class:`DeflatedRows` of ``rows`` (marker → rows) into their sheets."""

    rows: dict[bytes, DeflatedRows] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)

    def write(
        self, filename: Any, arcname: Any = None, compress_type: Any = None,
        compresslevel: Any = None,
    ) -> None:  # fmt: skip
        if compress_type is not None or compresslevel is not None or os.path.isdir(filename):
            super().write(filename, arcname, compress_type, compresslevel)
            return
        # what ZipFile.write does for a file, but the size of the pieces
        strict = getattr(self, "_strict_timestamps", True)
        zinfo = zipfile.ZipInfo.from_file(filename, arcname, strict_timestamps=strict)
        zinfo.compress_type = self.compression
        zinfo._compresslevel = self.compresslevel  # type: ignore[attr-defined]
        if self.rows and zinfo.file_size < PIECE * 16:
            with open(filename, "rb") as src:
                text = src.read()
            for marker, rows in self.rows.items():
                at = text.find(marker)
                if at >= 0:
                    self._spliced(zinfo, text[:at], rows, text[at + len(marker) :])
                    return
        with open(filename, "rb") as src, self.open(zinfo, "w") as dest:
            shutil.copyfileobj(src, dest, PIECE)

    def _spliced(
        self, zinfo: zipfile.ZipInfo, head: bytes, rows: DeflatedRows, tail: bytes
    ) -> None:
        """The entry ``head`` + the rows + ``tail``, the rows as they were deflated."""
        zinfo.file_size = len(head) + rows.size + len(tail)  # zipfile picks ZIP64 from it
        with self.open(zinfo, "w") as dest:
            if not all(hasattr(dest, name) for name in _WRITER):  # another zipfile: inflate
                dest.write(head)
                inflate = zlib.decompressobj(-15)
                for piece in rows.deflated():
                    dest.write(inflate.decompress(piece))
                dest.write(inflate.flush())
                dest.write(tail)
                return
            first, last = _deflater(), _deflater()
            dest._compressor = _Passing()  # type: ignore[attr-defined]
            dest.write(first.compress(head) + first.flush(zlib.Z_SYNC_FLUSH))
            for piece in rows.deflated():
                dest.write(piece)
            dest.write(last.compress(tail) + last.flush())
            crc = crc32_combine(zlib.crc32(head), rows.crc, rows.size)
            dest._crc = zlib.crc32(tail, crc)  # type: ignore[attr-defined]
            dest._file_size = zinfo.file_size  # type: ignore[attr-defined]


class _FastVml(Vml):
    """xlsxwriter's VML writer, a comment's shape written as one string: the parts that are
    the same for every comment are taken once from xlsxwriter's own methods (~15 small
    element writes per comment otherwise: ~0.45 s for 5,000 comments)."""

    _same: tuple[str, str, str] | None = None

    def _captured(self, *writes: Any) -> str:
        fh, captured = getattr(self, "fh"), io.StringIO()  # noqa: B009 (untyped in xlsxwriter)
        self.fh = captured
        try:
            for write in writes:
                write()
            return captured.getvalue()
        finally:
            self.fh = fh

    def _write_comment_shape(self, shape_id: int, z_index: int, comment: Any) -> None:
        if self._same is None:
            self._same = (
                self._captured(
                    self._write_comment_fill, self._write_shadow,
                    lambda: self._write_comment_path(None, "none"), self._write_comment_textbox,
                    lambda: self._xml_start_tag("x:ClientData", [("ObjectType", "Note")]),
                    self._write_move_with_cells, self._write_size_with_cells,
                ),
                self._captured(self._write_auto_fill),
                self._captured(self._write_visible),
            )  # fmt: skip
        shapes, autofill, visible = self._same
        left, top, width, height = self._pixels_to_points(comment.vertices)
        style = (
            f"position:absolute;margin-left:{left:.15g}pt;margin-top:{top:.15g}pt;"
            f"width:{width:.15g}pt;height:{height:.15g}pt;z-index:{z_index};"
            f"visibility:{'visible' if comment.is_visible else 'hidden'}"
        )
        attributes = [("id", f"_x0000_s{shape_id}"), ("type", "#_x0000_t202"), ("style", style),
                      ("fillcolor", comment.color._vml_rgb_hex_value()), ("o:insetmode", "auto")]  # fmt: skip
        c0, r0, x1, y1, c1, r1, x2, y2 = comment.vertices[:8]
        self._xml_start_tag("v:shape", attributes)
        self.fh.write(
            f"{shapes}<x:Anchor>{c0}, {x1}, {r0}, {y1}, {c1}, {x2}, {r1}, {y2}</x:Anchor>{autofill}"
            f"<x:Row>{comment.row}</x:Row><x:Column>{comment.col}</x:Column>"
            f"{visible if comment.is_visible else ''}</x:ClientData></v:shape>"
        )


class FastWorkbook(xlsxwriter.workbook.Workbook):
    """xlsxwriter's workbook, its parts deflated at :data:`ZIP_LEVEL` when it is closed, the
    rows of its :class:`FastWorksheet` spliced in deflated, comment shapes written by
    :class:`_FastVml`.

    xlsxwriter opens its ``ZipFile`` (and makes its ``Vml``) by the module's name: those are
    pointed at the subclasses here while this workbook is stored, and put back at once."""

    def _store_workbook(self) -> None:
        module = xlsxwriter.workbook
        saved = module.ZipFile
        streams = [ws.deflated_rows for ws in self.worksheets() if isinstance(ws, FastWorksheet)]
        found = {rows.marker.encode(): rows for rows in streams if rows is not None}
        module.ZipFile = type("_Zip", (_FastZip,), {"rows": found})
        packager, vml = xlsxwriter.packager, xlsxwriter.packager.Vml
        packager.Vml = _FastVml
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = saved
            packager.Vml = vml
            for rows in found.values():
                rows.close()

    def discard(self) -> None:
        """Close and remove what the sheets hold on disk, for a workbook never to be closed
        (xlsxwriter removes its temporary row files only when the workbook is stored)."""
        for ws in self.worksheets():
            fh = getattr(ws, "row_data_fh", None)
            if fh is not None and not fh.closed:
                fh.close()
            name = getattr(ws, "row_data_filename", None)
            if name and os.path.exists(name):
                os.unlink(name)
            rows = getattr(ws, "deflated_rows", None)
            if rows is not None:
                rows.close()
        self.fileclosed = True  # nothing left for xlsxwriter's __del__ to warn about


class FastWorksheet(xlsxwriter.worksheet.Worksheet):
    """A constant-memory worksheet whose rows after the header may come deflated
    (:attr:`deflated_rows`, set by ``workbook_rows.write_rows``): its XML file then holds their
    marker, which the workbook's zip replaces with them. The streamed rows before them reach
    the sheet's XML as bytes, where xlsxwriter decodes and encodes them in 64 KB pieces."""

    deflated_rows: DeflatedRows | None = None

    def _write_optimized_sheet_data(self) -> None:
        fh, rows = self.fh, self.row_data_fh
        if self.dim_rowmin is None or rows is None:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        rows.close()
        if hasattr(fh, "buffer"):
            fh.flush()
            with open(self.row_data_filename, "rb") as src:
                shutil.copyfileobj(src, fh.buffer, PIECE)
        else:
            with open(self.row_data_filename, encoding="utf-8") as text:
                shutil.copyfileobj(text, fh, PIECE)
        os.unlink(self.row_data_filename)
        if self.deflated_rows is not None:
            self.deflated_rows.finish()
            fh.write(self.deflated_rows.marker)
        self._xml_end_tag("sheetData")
