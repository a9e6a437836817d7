"""One decoded HL7 v2 message → segments, fields, repetitions, components; unescaping and paths.

Hand-rolled on ``str.split`` (python-hl7 is ~100x slower per message, see HL7.md §4). Nothing is
split before it is asked for: a message keeps its segments as text, a segment is split into
fields on first access, and only the value asked for is split further and unescaped (escape
sequences: ``escapes``). The field map reads values through ``Message.get`` / ``first`` / ``leaf``
with paths compiled once by ``plan``; ``value`` serves any user path.

Numbering follows the standard: ``SEG-n`` is field n, and for MSH field 1 is the field
separator itself, so ``MSH-9`` is the ninth field as the standard counts it.

Null semantics (HL7 v2.5 §2.5.3): a field holding exactly ``""`` is an explicit null
(``NULL``); an empty field is "not sent" (``""``). Only whole fields can be null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cer_loader.ingest.hl7v2.delims import Delims
from cer_loader.ingest.hl7v2.escapes import unescape

__all__ = [
    "NULL",
    "Delims",
    "Got",
    "Leaf",
    "Message",
    "Path",
    "parse_path",
    "plan",
    "split_segments",
    "unescape",
]

NULL = '""'  # an explicit HL7 null, as sent
Got = tuple[str, str]  # (value or NULL, source path): one field of the field map
Leaf = tuple[str, str, int, int]  # a compiled default-map path: (text, segment, field, component)
_ABSENT: tuple[str, ...] = ()

_PATH = re.compile(
    r"^\s*(?P<seg>[A-Z][A-Z0-9]{2})[-.](?P<field>\d+)(?:\[(?P<rep>\d+)\])?"
    r"(?:\.(?P<comp>\d+)(?:\.(?P<sub>\d+))?)?\s*$"
)


@dataclass(frozen=True)
class Path:
    """``SEG-field[rep].component.subcomponent`` (all 1-based); rep/comp/sub default to 1."""

    segment: str
    field: int
    rep: int = 1
    comp: int = 1
    sub: int = 1
    text: str = ""

    def __str__(self) -> str:
        return self.text or f"{self.segment}-{self.field}"


_DEFAULT = Delims()
_STANDARD = "MSH|^~\\&|"


def parse_path(text: str) -> Path | None:
    """``"PID-3[2].1"`` → ``Path``; ``None`` when the text is not a path."""
    m = _PATH.match(text.upper())
    if not m or int(m["field"]) < 1:
        return None
    return Path(
        m["seg"],
        int(m["field"]),
        int(m["rep"] or 1),
        int(m["comp"] or 1),
        int(m["sub"] or 1),
        text=text.strip(),
    )


def plan(*texts: str) -> tuple[Leaf, ...]:
    """Compile literal paths (first repetition and sub-component) once, for ``Message.get``."""
    out = []
    for text in texts:
        path = parse_path(text)
        if path is None or path.rep != 1 or path.sub != 1 or path.segment == "MSH":
            raise ValueError(text)
        out.append((text, path.segment, path.field, path.comp))
    return tuple(out)


def split_segments(text: str) -> list[str]:
    """Segments of one message: CR terminates; without any CR, LF or CRLF do (HL7.md §3.3).

    When CRs exist an LF is data (free text in NTE), except a leading LF left by CRLF.
    Empty segments are dropped.
    """
    if "\n" not in text:
        return [p for p in text.split("\r") if p and not p.isspace()]
    if "\r" in text:
        parts = text.split("\r")
        return [p.lstrip("\n") for p in parts if p.strip("\n\t ")]
    return [p for p in text.split("\n") if p.strip("\t ")]


def delimiters(msh: str) -> Delims | None:
    """Delimiters declared in MSH-1/MSH-2 of an MSH segment; ``None`` when MSH is broken."""
    if msh.startswith(_STANDARD):
        return _DEFAULT
    if len(msh) < 4 or not msh.startswith("MSH"):
        return None
    fs = msh[3]
    if fs.isalnum() or fs in "\r\n ":
        return None
    enc = msh[4:].split(fs, 1)[0]
    d = Delims()
    chars = (
        [fs]
        + list(enc[:4])
        + list((d.component, d.repetition, d.escape, d.subcomponent)[len(enc[:4]) :])
    )
    if len(set(chars)) != 5:
        return None
    return Delims(fs, chars[1], chars[2], chars[3], chars[4])


class Message:
    """A decoded message: segment access by name, values by path, unescaped on access."""

    __slots__ = (
        "segments",
        "delims",
        "codec",
        "broken",
        "_fields",
        "_first",
        "_index",
        "_c",
        "_r",
        "_s",
        "_e",
        "plain",
    )

    def __init__(self, text: str, codec: str = "utf-8") -> None:
        self.segments = segs = split_segments(text)
        found = delimiters(segs[0]) if segs else None
        self.broken = found is None
        d = self.delims = found or Delims()
        self._c, self._r, self._s, self._e = d.component, d.repetition, d.subcomponent, d.escape
        # no delimiter is a letter or digit: an alphanumeric value needs no splitting at all
        self.plain = d is _DEFAULT or not any(
            ch.isalnum() for ch in (d.component, d.repetition, d.subcomponent, d.escape)
        )
        self.codec = codec
        self._fields: dict[int, list[str]] = {}
        self._first: dict[str, list[str] | tuple[str, ...]] = {}
        index = {seg[:3]: [i] for i, seg in enumerate(segs)}
        if len(index) != len(segs):  # a repeated segment name: list every position
            index = {}
            for i, seg in enumerate(segs):
                index.setdefault(seg[:3], []).append(i)
        self._index = index

    @property
    def names(self) -> list[str]:
        return [s[:3] for s in self.segments]

    def positions(self, name: str) -> list[int]:
        """Positions (in ``segments``) of every segment with this name."""
        return self._index.get(name, [])

    def fields(self, pos: int) -> list[str]:
        """Fields of the segment at ``pos``; index n is field n (MSH: index 1 is MSH-1)."""
        got = self._fields.get(pos)
        if got is None:
            fs = self.delims.field
            got = self.segments[pos].split(fs)
            if got[0] == "MSH":
                got.insert(1, fs)
            self._fields[pos] = got
        return got

    def raw_field(self, name: str, field: int, occurrence: int = 0, pos: int | None = None) -> str:
        """The raw (escaped) text of a whole field; "" when the segment or field is absent."""
        if pos is None:
            where = self._index.get(name)
            if not where or occurrence >= len(where):
                return ""
            pos = where[occurrence]
        got = self._fields.get(pos) or self.fields(pos)
        return got[field] if field < len(got) else ""

    def seg(self, name: str) -> list[str] | tuple[str, ...]:
        """Fields of the first segment called ``name`` (cached); empty when there is none."""
        got = self._first.get(name)
        if got is None:
            where = self._index.get(name)
            got = self._first[name] = self.fields(where[0]) if where else _ABSENT
        return got

    def get(self, name: str, field: int, comp: int = 1) -> str:
        """``value`` of ``name-field.comp`` (rep 1, sub-component 1) without a ``Path``; not MSH."""
        got = self._first.get(name)
        if got is None:
            got = self.seg(name)
        if field >= len(got):
            return ""
        raw = got[field]
        if not raw:
            return ""
        if raw == NULL:
            return NULL
        if self.plain and raw.isalnum():  # dates, codes, numbers: the common case
            return raw if comp == 1 else ""
        if self._r in raw:
            raw = raw.split(self._r, 1)[0]
        if self._c in raw:
            cs = raw.split(self._c, comp)
            if comp > len(cs):
                return ""
            raw = cs[comp - 1]
        elif comp != 1:
            return ""
        if self._s in raw:
            raw = raw.split(self._s, 1)[0]
        if self._e in raw:
            raw = unescape(raw, self.delims, self.codec)
        return raw.strip()

    def first(self, leaves: tuple[Leaf, ...]) -> Got | None:
        """The first non-empty value among ``leaves``; NULL if only explicit nulls were sent."""
        null: Got | None = None
        get = self.get
        for text, name, field, comp in leaves:
            v = get(name, field, comp)
            if v == NULL:
                null = null or (NULL, text)
            elif v:
                return v, text
        return null

    def leaf(self, cs: list[str], n: int) -> str:
        """Component n (1-based) of a split value, sub-component 1, unescaped and stripped.

        ``leaf(raw.split(component), n)`` is ``part(raw, n)``.
        """
        if n > len(cs):
            return ""
        raw = cs[n - 1]
        if self._s in raw:
            raw = raw.split(self._s, 1)[0]
        if self._e in raw:
            raw = unescape(raw, self.delims, self.codec)
        return raw.strip()

    def reps(self, raw: str) -> list[str]:
        return raw.split(self._r)

    def comps(self, raw: str) -> list[str]:
        return raw.split(self._c)

    def part(self, raw: str, comp: int = 1, sub: int = 1) -> str:
        """Component ``comp``, sub-component ``sub`` of one repetition, unescaped and stripped."""
        if self._c in raw:
            cs = raw.split(self._c)
            if comp > len(cs):
                return ""
            raw = cs[comp - 1]
        elif comp != 1:
            return ""
        if self._s in raw:
            ss = raw.split(self._s)
            if sub > len(ss):
                return ""
            raw = ss[sub - 1]
        elif sub != 1:
            return ""
        if self._e in raw:
            raw = unescape(raw, self.delims, self.codec)
        return raw.strip()

    def value(self, path: Path, pos: int | None = None) -> str:
        """The value at ``path`` in the first such segment (or the one at ``pos``).

        Returns ``NULL`` for an explicit ``""`` field, "" when not sent. MSH-1/MSH-2 are raw.
        """
        if pos is None:
            where = self._index.get(path.segment)
            if where is None:
                return ""
            pos = where[0]
        got = self._fields.get(pos) or self.fields(pos)
        if path.field >= len(got):
            return ""
        raw = got[path.field]
        if not raw:
            return ""
        if raw == NULL:
            return NULL
        if path.segment == "MSH" and path.field <= 2:
            return raw
        if self._r in raw:
            rs = raw.split(self._r)
            raw = rs[path.rep - 1] if path.rep <= len(rs) else ""
        elif path.rep != 1:
            return ""
        return self.part(raw, path.comp, path.sub)
