"""The XSD check of one rendered batch, and the one part of it done another way.

Every batch is parsed with the hardened parser and validated against the XSD before it is
written. The shipped schema's ``xs:unique`` over the idempotency keys
(``jedenKluczIdempotencji``, about a quarter of the validation time: libxml2 keeps a table of
every key-sequence) is the one constraint checked differently — and only when the template
*and* the XSD are byte for byte the ones shipped with cer-loader. Then the constraint's field
is the ``kluczIdempotencji`` our template writes from ``r.key`` on each ``rezerwacja`` (the
only children of ``rezerwacje``), so "keys unique in the batch" is the same statement as the
constraint; the batch's key column is checked for duplicates in one vectorized count, and the
rest of the schema validates the document. With a duplicate the full schema runs (its verdict
and message). A site's replacement template or schema is validated in full, with every
constraint it declares: we cannot know what its constraints select.

Before any tree is built, the batch is streamed through the same schema (``xmlstream``:
libxml2 validating while it parses, about half the CPU of parse-then-validate). Its *yes*
stands; anything else goes through the tree check below, whose verdict and masked message are
the ones reported. The stream uses the schema the tree check would use first: without the
key constraint for the shipped pair with distinct keys, the whole XSD for any other pair.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from cer_loader.render.batch import Problem, template_source, tools
from cer_loader.resources import data_dir
from cer_loader.xmlsafe import load_xsd, masked_schema_error, parse_bytes, parser
from cer_loader.xmlstream import StreamSchema, compile_schema

XS = "{http://www.w3.org/2001/XMLSchema}"
KEY_UNIQUE = "jedenKluczIdempotencji"  # the shipped schema's uniqueness of the keys


@dataclass(frozen=True)
class Checker:
    schema: Any  # the XSD as given
    without_key_unique: Any  # the shipped XSD without KEY_UNIQUE; None for any other pair
    stream: StreamSchema | None = None  # the schema ``check`` streams through first (see below)


def _shipped(template_dir: Path, xsd: Path) -> bool:
    """Template and XSD are the ones cer-loader ships (byte for byte)."""
    ours_t, ours_x = data_dir("templates"), data_dir("schemas") / "zasilInicjalnie.xsd"
    try:
        same_xsd = xsd.read_bytes() == ours_x.read_bytes()
        return same_xsd and template_source(template_dir) == template_source(ours_t)
    except OSError:
        return False


_local = threading.local()


def checker(template_dir: Path, xsd: Path) -> Checker:
    """This thread's checker for the pair, made once per thread: an ``XMLSchema`` keeps one
    error log that every validation clears and fills, so render threads sharing one would
    read each other's errors (the compiled schema costs a few milliseconds)."""
    made: dict[tuple[Path, Path], Checker] | None = getattr(_local, "checkers", None)
    if made is None:
        made = _local.checkers = {}
    key = (template_dir, xsd)
    if key not in made:
        made[key] = _checker(template_dir, xsd)
    return made[key]


def _checker(template_dir: Path, xsd: Path) -> Checker:
    tools(template_dir)  # the template loads (or its error is raised) as the renderer sees it
    schema = load_xsd(xsd)
    doc = etree.parse(str(xsd), parser())
    if not _shipped(template_dir, xsd):
        return Checker(schema, None, compile_schema(doc))
    found = [u for u in doc.iter(f"{XS}unique") if u.get("name") == KEY_UNIQUE]
    if len(found) != 1:
        return Checker(schema, None, compile_schema(doc))
    parent = found[0].getparent()
    assert parent is not None
    parent.remove(found[0])
    return Checker(schema, etree.XMLSchema(doc), compile_schema(doc))


def check(c: Checker, data: bytes, keys: pa.Array | None) -> Problem | None:
    """None when ``data`` is well-formed and valid against the XSD, else what is wrong.

    ``keys``: the batch's idempotency keys as rendered (None: not known, no shortcut)."""
    unique = keys is not None and pc.count_distinct(keys).as_py() == len(keys)
    if c.stream is not None and (c.without_key_unique is None or unique) and c.stream.valid(data):
        return None  # streamed: well-formed and valid, no tree built (xmlstream.py)
    if c.without_key_unique is not None and unique:
        try:
            if c.without_key_unique.validate(parse_bytes(data)):
                return None
        except etree.XMLSyntaxError:
            pass
    try:  # the full check: its verdict, its message
        root = parse_bytes(data)
    except etree.XMLSyntaxError as exc:
        return "malformed", str(exc.msg)
    if not c.schema.validate(root):
        return "xsd", masked_schema_error(c.schema.error_log)
    return None
