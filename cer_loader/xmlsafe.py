"""Hardened XML parsing: no entities, no DTDs, no network; and XSD loading."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from lxml import etree

from cer_loader.errors import ConfigError


def parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


_local = threading.local()


def _thread_parser() -> etree.XMLParser:
    """This thread's hardened parser, made once. lxml lets go of the GIL while it parses only
    with a parser the thread keeps (a new parser per call parses holding it: measured, two
    threads were slower than one), and the render threads parse a batch each at once."""
    p = getattr(_local, "parser", None)
    if p is None:
        p = _local.parser = parser()
    return p


def parse_bytes(data: bytes) -> etree._Element:
    """Parse a document; a DOCTYPE is refused outright (it could declare entities)."""
    root = etree.fromstring(data, _thread_parser())
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise etree.XMLSyntaxError("DOCTYPE is not allowed", 0, 0, 0)  # type: ignore[call-arg, arg-type]
    return root


def load_xsd(path: Path) -> etree.XMLSchema:
    try:
        doc = etree.parse(str(path), parser())
        return etree.XMLSchema(doc)
    except OSError:
        raise ConfigError("nie ma pliku XSD", "XSD file not found", path=path) from None
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise ConfigError(
            f"plik XSD jest błędny: {exc}", f"the XSD file is invalid: {exc}", path=path
        ) from None


_VALUE = re.compile(r"(value ')[^']*(')")


def masked_schema_error(log: etree._ListErrorLog) -> str:
    """The first XSD error with the offending value masked (it may hold personal data)."""
    err = log[0]
    text = _VALUE.sub(r"\1***\2", err.message)
    return f"line {err.line}: {text}"
