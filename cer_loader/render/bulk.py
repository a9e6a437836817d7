"""Bulk rendering: the site's Jinja template compiled once per *shape* of record, filled by column.

A template qualifies when its one ``{% for r in records %}`` loop only prints and tests values:
the loop body holds text, ``{{ r.x }}`` / ``{{ ctx.x }}`` / ``{{ batch.x }}`` and
``{% if %}``/``{% elif %}``/``{% else %}`` whose tests are such names combined with
``and``/``or``/``not``; outside the loop ``records`` is used only as ``records|length``. Then a
record's text depends only on which tested values are non-empty (its shape) and on the values
themselves. For each shape the loop body is rendered once by Jinja with a sentinel in place of
every value; the result is split into literal pieces, and all records of that shape are filled
at once: values XML-escaped on whole columns exactly as Jinja's autoescape does, then joined
piece by piece with Arrow. Any other template is rendered by plain Jinja, one call per batch.
"""

from __future__ import annotations

import functools
import re
from collections import namedtuple
from dataclasses import dataclass, field
from typing import Any

import jinja2
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from jinja2 import nodes

_MARK = "\x00records\x00"
_SENTINEL = re.compile("\x00([0-9]+)\x00")
_NAMES = {"r", "ctx", "batch"}
# markupsafe.escape, in the order that keeps "&" from being escaped twice
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;"))


@dataclass(frozen=True)
class Plan:
    """A template that qualifies for bulk rendering, taken apart."""

    document: jinja2.Template  # the template with its records loop replaced by a marker
    body: jinja2.Template  # the loop body alone
    tested: tuple[str, ...]  # record fields whose emptiness picks the shape
    uses_batch: bool  # the body prints or tests batch.* (pieces differ per batch)
    pieces: dict[Any, list[Any]] = field(default_factory=dict, compare=False, repr=False)


def _is_name(node: nodes.Node, names: set[str]) -> bool:
    return isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and (
        node.node.name in names and node.node.ctx == "load"
    )  # fmt: skip


def _test_fields(test: nodes.Node, tested: set[str]) -> bool:
    """Whether ``test`` is a truth test of names; collects the record fields it reads."""
    if isinstance(test, nodes.Not):
        return _test_fields(test.node, tested)
    if isinstance(test, nodes.And | nodes.Or):
        return _test_fields(test.left, tested) and _test_fields(test.right, tested)
    if _is_name(test, _NAMES):
        assert isinstance(test, nodes.Getattr)
        if isinstance(test.node, nodes.Name) and test.node.name == "r":
            tested.add(test.attr)
        return True
    return isinstance(test, nodes.Const)


def _body_qualifies(body: list[nodes.Node], tested: set[str]) -> bool:
    for node in body:
        if isinstance(node, nodes.Output):
            for item in node.nodes:
                if not (isinstance(item, nodes.TemplateData) or _is_name(item, _NAMES)):
                    return False
        elif isinstance(node, nodes.If):
            branches = [node.test, *(e.test for e in node.elif_)]
            if not all(_test_fields(t, tested) for t in branches):
                return False
            blocks = [node.body, *(e.body for e in node.elif_), node.else_]
            if not all(_body_qualifies(b, tested) for b in blocks):
                return False
        else:
            return False
    return True


def _records_only_counted(tree: nodes.Template, loop: nodes.For) -> bool:
    """Outside the loop, ``records`` appears only as ``records|length``."""
    inside = {id(n) for n in loop.find_all(nodes.Name)}
    counted = {
        id(f.node)
        for f in tree.find_all(nodes.Filter)
        if f.name == "length" and isinstance(f.node, nodes.Name) and not f.args and not f.kwargs
    }
    return all(
        id(n) in inside or id(n) in counted
        for n in tree.find_all(nodes.Name)
        if n.name == "records"
    )


def _replace(tree: nodes.Node, old: nodes.Node, new: nodes.Node) -> None:
    for node in [tree, *tree.find_all(nodes.Node)]:
        for name in node.fields:
            value = getattr(node, name, None)
            if isinstance(value, list) and any(v is old for v in value):
                setattr(node, name, [new if v is old else v for v in value])


def plan(env: jinja2.Environment, source: str, name: str) -> Plan | None:
    """Take ``source`` apart for bulk rendering, or None when it does more than test and print."""
    tree = env.parse(source, name)
    loops = list(tree.find_all(nodes.For))
    if len(loops) != 1:
        return None
    loop = loops[0]
    simple = (
        isinstance(loop.target, nodes.Name) and loop.target.name == "r"
        and isinstance(loop.iter, nodes.Name) and loop.iter.name == "records"
        and not loop.else_ and loop.test is None and not loop.recursive
    )  # fmt: skip
    tested: set[str] = set()
    if not simple or not _body_qualifies(loop.body, tested):
        return None
    if not _records_only_counted(tree, loop):
        return None
    uses_batch = any(n.name == "batch" for n in loop.find_all(nodes.Name))
    body_tree = nodes.Template(loop.body, lineno=1)
    body_tree.set_environment(env)
    _replace(tree, loop, nodes.Output([nodes.TemplateData(_MARK)], lineno=loop.lineno))
    tree.set_environment(env)
    globals_ = env.make_globals(None)
    cls = env.template_class
    document = cls.from_code(env, env.compile(tree, name), globals_, None)
    body = cls.from_code(env, env.compile(body_tree, name), globals_, None)
    return Plan(document, body, tuple(sorted(tested)), uses_batch)


def escape(values: pa.Array) -> pa.Array:
    """XML-escape a whole text column the way Jinja's autoescape (markupsafe) does."""
    for char, entity in _ESCAPES:
        values = pc.replace_substring(values, char, entity)
    return values


@functools.lru_cache(maxsize=16)
def _record_type(names: tuple[str, ...]) -> Any:
    return namedtuple("Record", names)  # noqa: PYI024


def _pieces(p: Plan, names: list[str], code: int, env: dict[str, Any]) -> list[Any]:
    """The body rendered for one shape: literal texts alternating with column positions.

    Cached per plan for the shape, the columns and the context (and the batch, when the
    body uses it)."""
    key = (tuple(names), code, repr(env["ctx"]), repr(env["batch"]) if p.uses_batch else None)
    if key not in p.pieces:
        shape = {f: bool(code >> bit & 1) for bit, f in enumerate(p.tested)}
        values = [f"\x00{i}\x00" if shape.get(n, True) else "" for i, n in enumerate(names)]
        parts = _SENTINEL.split(p.body.render(r=_record_type(tuple(names))._make(values), **env))
        if len(p.pieces) > 4096:
            p.pieces.clear()
        p.pieces[key] = [int(x) if i % 2 else x for i, x in enumerate(parts)]
    return p.pieces[key]


def bulk_render(p: Plan, table: pa.Table, env: dict[str, Any]) -> bytes:
    """The document for one batch (``table`` holds its records, no nulls); ``env`` = ctx, batch."""
    names = table.column_names
    n = table.num_rows
    head, mark, tail = p.document.render(records=range(n), **env).partition(_MARK)
    if not mark or n == 0:
        return (head + tail).encode("utf-8")
    codes = np.zeros(n, dtype=np.int64)
    for bit, f in enumerate(p.tested):
        present = pc.greater(pc.binary_length(table.column(f)), 0).to_numpy(zero_copy_only=False)
        codes |= present.astype(np.int64) << bit
    # rows grouped by shape: each column is escaped and reordered once, then sliced per shape
    order = np.argsort(codes, kind="stable")
    shapes, starts, counts = np.unique(codes[order], return_index=True, return_counts=True)
    grouped: dict[int, pa.Array] = {}
    parts = []
    for code, first, count in zip(shapes.tolist(), starts.tolist(), counts.tolist(), strict=True):
        args: list[Any] = []
        for i, piece in enumerate(_pieces(p, names, code, env)):
            if i % 2 == 0:
                args.append(pa.scalar(piece, pa.string()))
                continue
            if piece not in grouped:
                grouped[piece] = escape(table.column(piece).combine_chunks()).take(order)
            args.append(grouped[piece].slice(first, count))
        if len(args) == 1:
            args.append(pa.scalar("", pa.string()))
        joined = pc.binary_join_element_wise(*args, "")
        if isinstance(joined, pa.Scalar):  # only literals: the same text for every row
            joined = pa.array([joined.as_py()] * count, pa.string())
        parts.append(joined)
    every = pa.concat_arrays(parts).take(np.argsort(order, kind="stable"))
    text = pc.binary_join(pa.ListArray.from_arrays([0, len(every)], every), "")[0].as_py()
    return (head + text + tail).encode("utf-8")
