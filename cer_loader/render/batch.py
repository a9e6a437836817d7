"""One batch, from its columns to checked bytes: the unit of work of a render worker process.

A job carries everything it needs (paths of the template and the XSD, the context, the batch's
own columns as a small Arrow table), so it works under any start method — ``spawn`` and
``forkserver`` included; what a worker loads from those paths is cached per path, not carried
over from the parent. Problems come back as data (exceptions do not pickle well).
"""

from __future__ import annotations

import functools
from collections import namedtuple
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pyarrow as pa
from lxml import etree

from cer_loader.errors import ConfigError
from cer_loader.render.bulk import Plan, bulk_render, plan
from cer_loader.xmlsafe import load_xsd, masked_schema_error, parse_bytes

TEMPLATE_NAME = "zasilInicjalnie.xml"

Problem = tuple[str, str]  # (kind: "undefined" | "malformed" | "xsd", detail)


@dataclass(frozen=True)
class Job:
    number: int  # 0-based
    template_dir: Path
    xsd: Path
    ctx: dict[str, Any]
    batch: dict[str, Any]
    table: pa.Table  # this batch's records: one text column per record variable
    use_bulk: bool = True


def environment(template_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("xml", "xml.j2"), default_for_string=True, default=True
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )


def load_template(template_dir: Path) -> jinja2.Template:
    try:
        return environment(template_dir).get_template(TEMPLATE_NAME)
    except jinja2.TemplateNotFound:
        raise ConfigError(
            f"brak szablonu {TEMPLATE_NAME}",
            f"template {TEMPLATE_NAME} not found",
            path=template_dir,
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"błąd w szablonie: {exc.message}",
            f"template error: {exc.message}",
            path=exc.filename,
            line=exc.lineno,
        ) from None


@functools.lru_cache(maxsize=4)
def tools(template_dir: Path, xsd: Path) -> tuple[jinja2.Template, Plan | None, Any]:
    """The template, its bulk plan (None: plain Jinja) and the schema, loaded once per process."""
    template = load_template(template_dir)
    env = template.environment
    assert env.loader is not None
    source, filename, _ = env.loader.get_source(env, TEMPLATE_NAME)
    return template, plan(env, source, TEMPLATE_NAME), load_xsd(xsd)


def plain(template: jinja2.Template, table: pa.Table, env: dict[str, Any]) -> bytes:
    """One Jinja call for the whole batch, records as named tuples."""
    names = table.column_names
    record = namedtuple("Record", names)  # type: ignore[misc]  # noqa: PYI024
    columns = [table.column(c).to_pylist() for c in names]
    records = list(map(record._make, zip(*columns, strict=True)))
    return template.render(records=records, **env).encode("utf-8")


def render_bytes(job: Job) -> bytes:
    """The batch's document, bulk when the template and the values allow it, else plain Jinja."""
    template, p, _ = tools(job.template_dir, job.xsd)
    env = {"ctx": job.ctx, "batch": job.batch}
    nulls = any(job.table.column(c).null_count for c in job.table.column_names)
    if p is not None and job.use_bulk and not nulls:
        return bulk_render(p, job.table, env)
    return plain(template, job.table, env)


def run_job(job: Job) -> tuple[int, bytes | Problem]:
    """Render and check one batch: the bytes, or what went wrong."""
    try:
        data = render_bytes(job)
    except jinja2.UndefinedError as exc:
        return job.number, ("undefined", str(exc.message))
    try:
        doc = parse_bytes(data)
    except etree.XMLSyntaxError as exc:
        return job.number, ("malformed", str(exc.msg))
    schema = tools(job.template_dir, job.xsd)[2]
    if not schema.validate(doc):
        return job.number, ("xsd", masked_schema_error(schema.error_log))
    return job.number, data
