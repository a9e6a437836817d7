"""Tokens of the fast path's domain: a message with the standard delimiters (``MSH|^~\\&|``),
CR-separated segments, no escape sequence and every segment name once (``plain`` decides).

``Plain`` holds each segment's fields by name; ``get`` / ``leaf`` / ``at`` / ``reps`` are
``Message.get`` / ``leaf``, ``patient._at`` / ``_reps`` for that domain (no unescaping needed).
"""

from __future__ import annotations

from cer_loader.ingest.hl7v2.tokens import NULL

__all__ = ["Plain", "plain", "plain_header", "get", "leaf", "at", "reps"]

_STANDARD = "MSH|^~\\&|"
_NONE: tuple[str, ...] = ()


class Plain:
    """A message in the fast domain: its segments, and each one's fields by segment name."""

    __slots__ = ("segments", "split")

    def __init__(self, segments: list[str], split: dict[str, list[str]]) -> None:
        self.segments, self.split = segments, split

    def seg(self, name: str) -> list[str] | tuple[str, ...]:
        """Fields of the segment ``name`` (index n is field n; MSH as ``Message.fields``)."""
        return self.split.get(name, _NONE)

    def get(self, name: str, field: int, comp: int = 1) -> str:
        """``Message.get`` without escapes: rep 1, component ``comp``, sub-component 1."""
        return get(self.split.get(name, _NONE), field, comp)


def plain(text: str) -> Plain | None:
    """The message as ``Plain`` when it is in the fast domain (see the module doc), else None."""
    if not text.startswith(_STANDARD) or text.find("\\", 9) >= 0 or "\n" in text:
        return None
    segs = [p for p in text.split("\r") if p and not p.isspace()]
    split = {seg[:3]: seg.split("|") for seg in segs}
    if len(split) != len(segs):
        return None
    split["MSH"].insert(1, "|")
    return Plain(segs, split)


def get(got: list[str] | tuple[str, ...], field: int, comp: int = 1) -> str:
    if field >= len(got):
        return ""
    raw = got[field]
    if not raw:
        return ""
    if raw == NULL:
        return NULL
    if raw.isalnum():
        return raw if comp == 1 else ""
    if "~" in raw:
        raw = raw.split("~", 1)[0]
    if "^" in raw:
        cs = raw.split("^", comp)
        if comp > len(cs):
            return ""
        raw = cs[comp - 1]
    elif comp != 1:
        return ""
    if "&" in raw:
        raw = raw.split("&", 1)[0]
    return raw.strip()


def leaf(cs: list[str], n: int) -> str:
    if n > len(cs):
        return ""
    raw = cs[n - 1]
    if "&" in raw:
        raw = raw.split("&", 1)[0]
    return raw.strip()


def at(cs: list[str], n: int) -> str:
    return cs[n - 1] if n <= len(cs) else ""


def reps(got: list[str] | tuple[str, ...], field: int) -> list[str]:
    raw = got[field] if field < len(got) else ""
    return [] if not raw or raw == NULL else raw.split("~")


def plain_header(text: str) -> tuple[Plain, list[str]] | None:
    """What the fold reads of a message in the fast domain, repeated segments allowed (the
    header reads the first SCH / ARQ only): ``Plain`` with MSH, SCH and ARQ split, and the
    segments (for the duplicate digest); ``None`` outside the domain."""
    if not text.startswith(_STANDARD) or text.find("\\", 9) >= 0 or "\n" in text:
        return None
    segs = [p for p in text.split("\r") if p and not p.isspace()]
    msh = segs[0].split("|")
    msh.insert(1, "|")
    split = {"MSH": msh}
    for name in ("\rSCH", "\rARQ"):
        i = text.find(name)
        if i >= 0:
            j = text.find("\r", i + 1)
            split[name[1:]] = text[i + 1 : j if j >= 0 else len(text)].split("|")
    return Plain(segs, split), segs
