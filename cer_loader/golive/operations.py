"""Render any go-live CeR operation (``zapiszSloty``, ``zapiszDaneMus``,
``importujMobilnePunktyObslugi``, ``zapiszHarmonogram``, ``aktywujMus``) from its template and
check it against its XSD before it is written.

The contract of each operation is data: ``<template_dir>/<operation>.xml`` (Jinja2, XML
autoescape, StrictUndefined) and ``<schema_dir>/<operation>.xsd``; a site holding CeZ's schemas
replaces both (``--template-dir``, ``--schema-dir``) without touching code. Record volumes here
are small (10^2–10^5), so each batch is one plain Jinja render.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from lxml import etree

from cer_loader.errors import ConfigError, RenderError
from cer_loader.files import write_private
from cer_loader.render import environment
from cer_loader.xmlsafe import load_xsd, masked_schema_error, parse_bytes

OPERATIONS = (
    "zapiszDaneMus", "importujMobilnePunktyObslugi", "zapiszHarmonogram", "zapiszSloty", "aktywujMus",
)  # fmt: skip
KEY_NAMESPACE = uuid.UUID("0b5a3f7e-3d1c-4f0e-8d55-2f6c1e9a7b21")


@dataclass(frozen=True)
class OperationFile:
    operation: str
    path: Path
    batch_id: str
    records: int
    sha256: str
    keys: tuple[str, ...]  # idempotency keys, in record order


def record_key(operation: str, mus_id: str, local_id: str) -> str:
    """Stable idempotency key of one record of an operation (same input, same key)."""
    return str(uuid.uuid5(KEY_NAMESPACE, f"{operation}|{mus_id}|{local_id}"))


def render_operation(
    operation: str,
    *,
    template_dir: Path,
    schema_dir: Path,
    ctx: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    batch: Mapping[str, Any],
) -> bytes:
    """One batch of ``operation`` as XML bytes, re-parsed and XSD-valid (RenderError if not)."""
    name = f"{operation}.xml"
    try:
        template = environment(template_dir).get_template(name)
    except jinja2.TemplateNotFound:
        raise ConfigError(
            f"brak szablonu {name}", f"template {name} not found", path=template_dir
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"błąd w szablonie: {exc.message}", f"template error: {exc.message}",
                          path=exc.filename, line=exc.lineno) from None  # fmt: skip
    try:
        data = template.render(ctx=ctx, records=list(records), batch=batch).encode("utf-8")
    except jinja2.UndefinedError as exc:
        raise RenderError(f"szablon używa nieznanej zmiennej: {exc.message}",
                          f"the template uses an undefined variable: {exc.message}",
                          path=template_dir / name) from None  # fmt: skip
    try:
        doc = parse_bytes(data)
    except etree.XMLSyntaxError as exc:
        raise RenderError(f"wygenerowany XML {operation} jest niepoprawny: {exc.msg}",
                          f"the rendered {operation} XML is malformed: {exc.msg}") from None  # fmt: skip
    xsd = schema_dir / f"{operation}.xsd"
    schema = load_xsd(xsd)
    if not schema.validate(doc):
        raise RenderError(f"{operation} nie spełnia XSD: {masked_schema_error(schema.error_log)}",
                          f"{operation} fails the XSD: {masked_schema_error(schema.error_log)}",
                          path=xsd)  # fmt: skip
    return data


def write_operation(
    operation: str,
    records: Sequence[Mapping[str, Any]],
    *,
    ctx: Mapping[str, Any],
    out_dir: Path,
    template_dir: Path,
    schema_dir: Path,
    batch_size: int = 5000,
    stamp: str = "",
) -> list[OperationFile]:
    """Render ``records`` (each with a ``key``) in batches; every batch is checked before any
    file is written, then all are written (0600, atomically). Nothing is written for no records,
    except for operations without records (``aktywujMus``: one document)."""
    chunks = [records[i : i + batch_size] for i in range(0, len(records), batch_size)] or [[]]
    rendered = []
    for n, chunk in enumerate(chunks, start=1):
        keys = tuple(str(r["key"]) for r in chunk)
        digest = hashlib.sha256("\n".join((operation, *keys)).encode()).hexdigest()[:12]
        batch_id = f"{ctx.get('mus_id', '')}-{operation}-{stamp}{n:04d}-{digest}"
        batch = {"id": batch_id, "number": n, "count": len(chunks)}
        data = render_operation(operation, template_dir=template_dir, schema_dir=schema_dir,
                                ctx=ctx, records=chunk, batch=batch)  # fmt: skip
        rendered.append((n, batch_id, keys, data))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for n, batch_id, keys, data in rendered:
        path = out_dir / f"{operation}_{n:04d}.xml"
        write_private(path, data)
        files.append(OperationFile(operation, path, batch_id, len(keys),
                                   hashlib.sha256(data).hexdigest(), keys))  # fmt: skip
    return files
