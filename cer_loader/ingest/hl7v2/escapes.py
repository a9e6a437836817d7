"""HL7 escape sequences in one leaf value (v2.3.1 §2.9); see ``unescape``."""

from __future__ import annotations

from cer_loader.ingest.hl7v2.delims import Delims

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
