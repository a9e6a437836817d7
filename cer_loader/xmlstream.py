"""XSD validation while parsing, with no document tree: libxml2's schema validator plugged
into a parser whose SAX handler builds nothing.

lxml validates a tree it has built first; libxml2 can also validate a document while it reads
it (the SAX plug lxml itself uses for ``XMLParser(schema=...)``, here with no tree builder
behind it). For a rendered batch that does the same check for about half the CPU: the tree of
5,000 records is most of a parse's cost, and the validation then walks it again. lxml does not
expose this, but its module exports libxml2's functions (statically linked in lxml's wheels, or
from the shared libxml2 it was built against; 2.14 or newer is needed), so they are called here
through ``ctypes``, which lets go of the GIL for each call: two render threads validate on two
cores.

This is a fast *yes*. :meth:`StreamSchema.valid` answers True only when libxml2 read the whole
document as well-formed and namespace-well-formed, valid, and neither the parser nor the
validator reported anything, warnings included. Every other answer (invalid, malformed, a
warning, a DOCTYPE, a document over 2 GiB, no such functions in this lxml) sends the caller to
the tree check, whose verdict and message stand (``render/check.py``). Property tests hold a
streamed yes to the tree check's yes, and both to one verdict when values change.

Hardening, as in ``xmlsafe``: a document whose prolog has a DOCTYPE never reaches libxml2 here
(it could declare entities); without one, any entity other than the five predefined is a
well-formedness error. The parser runs with ``XML_PARSE_NONET`` and without entity
substitution, DTD loading or XInclude, and only schemas without ``xs:include``/``xs:import``/
``xs:redefine`` are compiled (from bytes, so libxml2 fetches nothing). Errors go to a handler of
ours that counts them (libxml2 would otherwise hand them on, values included); the tree check
reports them, masked.
"""

from __future__ import annotations

import ctypes
import re
import threading
from typing import Any

from lxml import etree

XS = "{http://www.w3.org/2001/XMLSchema}"
_FETCHING = (f"{XS}include", f"{XS}import", f"{XS}redefine", f"{XS}override")
_ROOT = re.compile(rb"<[^?!]")  # the root element's start tag: what precedes it is the prolog
_MAX = 2**31 - 1  # libxml2 takes the size as an int
_VOID = ctypes.c_void_p
_ERRORS = ctypes.CFUNCTYPE(None, _VOID, _VOID)
_SAX2_MAGIC = 0xDEEDBEAF


class _SAXHandler(ctypes.Structure):
    """libxml2's ``xmlSAXHandler`` (its layout is the same since libxml2 2.6), every callback
    empty: the schema validator's plug adds its own, so the parse builds nothing."""

    _fields_ = [
        *((f"_callback{i}", _VOID) for i in range(27)),
        ("initialized", ctypes.c_uint),
        ("_private", _VOID),
        ("startElementNs", _VOID),
        ("endElementNs", _VOID),
        ("serror", _VOID),
    ]


_state = threading.local()


@_ERRORS
def _note(_ctx: Any, _error: Any) -> None:  # pragma: no cover - called by libxml2
    """Any error or warning, from the parser or the validator: the stream's answer is no.
    (Some, namespace errors among them, do not stop the parse nor change its result.)"""
    _state.errors = getattr(_state, "errors", 0) + 1


_SAX = _SAXHandler(initialized=_SAX2_MAGIC)  # builds nothing: no tree, no entities, no DTD
_IN_PLACE = (1 << 1) | (1 << 2)  # XML_INPUT_BUF_STATIC | XML_INPUT_BUF_ZERO_TERMINATED
_OPTIONS = 1 << 11  # XML_PARSE_NONET, and none of NOENT, DTDLOAD, DTDATTR, XINCLUDE, HUGE


def _library() -> Any | None:
    """lxml's libxml2 functions, typed; None when this lxml does not export them (libxml2
    older than 2.14, or an lxml that hides them)."""
    int_, size = ctypes.c_int, ctypes.c_size_t
    signatures: dict[str, tuple[Any, list[Any]]] = {
        "xmlSchemaNewMemParserCtxt": (_VOID, [ctypes.c_char_p, int_]),
        "xmlSchemaSetParserStructuredErrors": (None, [_VOID, _ERRORS, _VOID]),
        "xmlSchemaParse": (_VOID, [_VOID]),
        "xmlSchemaFreeParserCtxt": (None, [_VOID]),
        "xmlSchemaFree": (None, [_VOID]),
        "xmlSchemaNewValidCtxt": (_VOID, [_VOID]),
        "xmlSchemaSetValidStructuredErrors": (None, [_VOID, _ERRORS, _VOID]),
        "xmlSchemaFreeValidCtxt": (None, [_VOID]),
        "xmlSchemaSAXPlug": (_VOID, [_VOID, _VOID, _VOID]),
        "xmlSchemaSAXUnplug": (int_, [_VOID]),
        "xmlSchemaIsValid": (int_, [_VOID]),
        "xmlNewSAXParserCtxt": (_VOID, [ctypes.POINTER(_SAXHandler), _VOID]),
        "xmlCtxtSetOptions": (int_, [_VOID, int_]),
        "xmlCtxtSetErrorHandler": (None, [_VOID, _ERRORS, _VOID]),
        "xmlNewInputFromMemory": (_VOID, [ctypes.c_char_p, ctypes.c_char_p, size, int_]),
        "xmlCtxtParseDocument": (_VOID, [_VOID, _VOID]),
        "xmlCtxtGetStatus": (int_, [_VOID]),
        "xmlFreeDoc": (None, [_VOID]),
        "xmlFreeParserCtxt": (None, [_VOID]),
    }
    try:
        lib = ctypes.CDLL(etree.__file__)
        for name, (restype, argtypes) in signatures.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        return lib
    except (OSError, AttributeError):
        return None


_LIB = _library()
_POINTER = ctypes.sizeof(_VOID)


def available() -> bool:
    """This lxml exports what streaming validation needs."""
    return _LIB is not None


class StreamSchema:
    """One compiled schema for streaming validation, used by one thread at a time (the render
    threads make one each, as they do their ``XMLSchema``)."""

    def __init__(self, pointer: int) -> None:
        self._schema = pointer

    def valid(self, data: bytes) -> bool:
        """True when ``data`` is a well-formed document, without DOCTYPE, valid against the
        schema, and neither the parser nor the validator said a word (warnings included)."""
        lib = _LIB
        if lib is None or len(data) > _MAX:
            return False
        root = _ROOT.search(data)
        if root is None or b"<!DOCTYPE" in data[: root.start()]:
            return False
        _state.errors = 0
        parser_ctxt = lib.xmlNewSAXParserCtxt(ctypes.byref(_SAX), None)
        valid_ctxt = lib.xmlSchemaNewValidCtxt(self._schema)
        plug = None
        try:
            if not parser_ctxt or not valid_ctxt or lib.xmlCtxtSetOptions(parser_ctxt, _OPTIONS):
                return False
            lib.xmlCtxtSetErrorHandler(parser_ctxt, _note, None)
            lib.xmlSchemaSetValidStructuredErrors(valid_ctxt, _note, None)
            # as lxml plugs a schema into its parser: the parser context's first two fields
            # are its SAX handler and user data, which the validator wraps
            plug = lib.xmlSchemaSAXPlug(valid_ctxt, parser_ctxt, parser_ctxt + _POINTER)
            # no copy: bytes are immutable, kept alive by the caller, and end with a zero byte
            source = lib.xmlNewInputFromMemory(None, data, len(data), _IN_PLACE)
            if not plug or not source:
                return False
            doc = lib.xmlCtxtParseDocument(parser_ctxt, source)
            if doc:  # not expected: our SAX handler builds nothing
                lib.xmlFreeDoc(doc)
            status = lib.xmlCtxtGetStatus(parser_ctxt)
            return status == 0 and lib.xmlSchemaIsValid(valid_ctxt) == 1 and _state.errors == 0
        finally:
            if plug:
                lib.xmlSchemaSAXUnplug(plug)
            if valid_ctxt:
                lib.xmlSchemaFreeValidCtxt(valid_ctxt)
            if parser_ctxt:
                lib.xmlFreeParserCtxt(parser_ctxt)

    def __del__(self) -> None:
        if _LIB is not None and self._schema:
            _LIB.xmlSchemaFree(self._schema)
            self._schema = 0


def compile_schema(doc: etree._ElementTree | etree._Element) -> StreamSchema | None:
    """The schema ``doc`` (an XSD lxml has already compiled) for streaming validation; None when
    streaming is not available or the schema refers to other files."""
    root = doc.getroot() if isinstance(doc, etree._ElementTree) else doc
    if _LIB is None or any(True for _ in root.iter(*_FETCHING)):
        return None
    text = etree.tostring(root)
    parser_ctxt = _LIB.xmlSchemaNewMemParserCtxt(text, len(text))
    if not parser_ctxt:
        return None
    try:
        _LIB.xmlSchemaSetParserStructuredErrors(parser_ctxt, _note, None)
        schema = _LIB.xmlSchemaParse(parser_ctxt)
    finally:
        _LIB.xmlSchemaFreeParserCtxt(parser_ctxt)
    return StreamSchema(schema) if schema else None
