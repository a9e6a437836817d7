"""One batch's document from its columns: the template (bulk plan or plain Jinja) and the bytes.

What a process loads from the template folder is cached per path (``tools``), so a worker
started any way (``spawn`` and ``forkserver`` included) loads it once, from the same files as
the parent; the XSD is compiled once per thread (``check.checker``).
"""

from __future__ import annotations

import functools
from collections import namedtuple
from pathlib import Path
from typing import Any

import jinja2
import pyarrow as pa

from cer_loader.errors import ConfigError
from cer_loader.render.bulk import NotBulk, Plan, bulk_render, plan

TEMPLATE_NAME = "zasilInicjalnie.xml"

Problem = tuple[str, str]  # (kind: "undefined" | "malformed" | "xsd", detail)


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


def template_source(template_dir: Path) -> str:
    env = environment(template_dir)
    assert env.loader is not None
    return env.loader.get_source(env, TEMPLATE_NAME)[0]


@functools.lru_cache(maxsize=4)
def tools(template_dir: Path) -> tuple[jinja2.Template, Plan | None]:
    """The template and its bulk plan (None: plain Jinja), loaded once per process. (The XSD
    is compiled per thread by ``check.checker``.)"""
    template = load_template(template_dir)
    source = template_source(template_dir)
    return template, plan(template.environment, source, TEMPLATE_NAME)


def plain(template: jinja2.Template, table: pa.Table, env: dict[str, Any]) -> bytes:
    """One Jinja call for the whole batch, records as named tuples."""
    names = table.column_names
    record = namedtuple("Record", names)  # type: ignore[misc]  # noqa: PYI024
    columns = [table.column(c).to_pylist() for c in names]
    records = list(map(record._make, zip(*columns, strict=True)))
    return template.render(records=records, **env).encode("utf-8")


def render_bytes(
    template_dir: Path, table: pa.Table, env: dict[str, Any], use_bulk: bool = True
) -> bytes:
    """The batch's document, bulk when the template and the values allow it, else plain Jinja.

    Raises ``jinja2.UndefinedError`` when the template uses a variable nobody gives it."""
    template, p = tools(template_dir)
    nulls = any(table.column(c).null_count for c in table.column_names)
    if p is not None and use_bulk and not nulls:
        try:
            return bulk_render(p, table, env)
        except NotBulk:
            pass  # plain Jinja reads the template as it is: it raises only what Jinja would
    return plain(template, table, env)
