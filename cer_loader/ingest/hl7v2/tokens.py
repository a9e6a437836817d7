"""One decoded HL7 v2 message → segments, fields, repetitions, components; unescaping and paths.

Hand-rolled on ``str.split`` (python-hl7 is ~100x slower per message, see HL7.md §4). Nothing is
split before it is asked for: a message keeps its segments as text, a segment is split into
fields on first access, and only the value asked for is split further and unescaped.

Numbering follows the standard: ``SEG-n`` is field n, and for MSH field 1 is the field
separator itself, so ``MSH-9`` is the ninth field as the standard counts it.

Null semantics (HL7 v2.5 §2.5.3): a field holding exactly ``""`` is an explicit null
(``NULL``); an empty field is "not sent" (``""``). Only whole fields can be null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NULL = '""'  # an explicit HL7 null, as sent

_PATH = re.compile(
    r"^\s*(?P<seg>[A-Z][A-Z0-9]{2})[-.](?P<field>\d+)(?:\[(?P<rep>\d+)\])?"
    r"(?:\.(?P<comp>\d+)(?:\.(?P<sub>\d+))?)?\s*$"
)


@dataclass(frozen=True)
class Delims:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


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
        "_index",
        "_c",
        "_r",
        "_s",
        "_e",
    )

    def __init__(self, text: str, codec: str = "utf-8") -> None:
        self.segments = segs = split_segments(text)
        found = delimiters(segs[0]) if segs else None
        self.broken = found is None
        d = self.delims = found or Delims()
        self._c, self._r, self._s, self._e = d.component, d.repetition, d.subcomponent, d.escape
        self.codec = codec
        self._fields: dict[int, list[str]] = {}
        index: dict[str, list[int]] = {}
        for i, seg in enumerate(segs):
            name = seg[:3]
            if name in index:
                index[name].append(i)
            else:
                index[name] = [i]
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


_SIMPLE = {"F": "field", "S": "component", "T": "subcomponent", "R": "repetition", "E": "escape"}


def unescape(text: str, d: Delims, codec: str = "utf-8") -> str:
    """Resolve HL7 escapes (v2.3.1 §2.9) in one leaf value.

    ``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\`` → delimiters; ``\\Xhh..\\`` → bytes decoded in ``codec``;
    ``\\.br\\`` → line break; ``\\H\\ \\N\\`` and other formatting / charset switches
    (``\\.sp \\.in \\.ti \\.ce \\.fi \\.nf \\.sk \\C \\M \\Z``) are dropped. An unknown or
    unterminated sequence is kept as written. Scanning is left to right, so ``\\E\\R\\`` is
    ``\\R\\`` as text (python-hl7 #84).
    """
    esc = d.escape
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find(esc, i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        k = text.find(esc, j + 1)
        if k < 0:
            out.append(text[j:])
            break
        body = text[j + 1 : k]
        out.append(_resolve(body, d, codec, esc))
        i = k + 1
    return "".join(out)


def _resolve(body: str, d: Delims, codec: str, esc: str) -> str:
    if body in _SIMPLE:
        return getattr(d, _SIMPLE[body])
    if body[:1] == "X" and len(body) > 1:
        try:
            return bytes.fromhex(body[1:]).decode(codec, errors="replace")
        except ValueError:
            return esc + body + esc
    if body == ".br":
        return "\n"
    if body in ("H", "N") or body[:1] in ("C", "M", "Z") or body[:1] == "." and len(body) > 1:
        return ""
    return esc + body + esc
