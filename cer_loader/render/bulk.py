"""Bulk rendering: the site's Jinja template taken apart once, its record loop filled by column.

A template qualifies when its one ``{% for r in records %}`` loop only prints and tests values:
the loop body holds text, ``{{ r.x }}`` / ``{{ ctx.x }}`` / ``{{ batch.x }}`` and
``{% if %}``/``{% elif %}``/``{% else %}`` whose tests are such names (or constants) combined
with ``and``/``or``/``not``; outside the loop ``records`` is used only as ``records|length``.
Then a record's text is a fixed sequence of *segments* — literal text and printed values, each
emitted when the tests leading to it hold — and the whole batch is built segment by segment on
whole columns: the tests become boolean columns (a value is true when it is not empty), values
are XML-escaped on whole columns exactly as Jinja's autoescape (markupsafe) does, and Arrow joins
the segments row-wise. The work per batch is a fixed number of column operations, whatever the
mix of records (no Python per record, no grouping by shape). The part of the document outside
the loop is still rendered by Jinja (once per batch), so the bytes are plain Jinja's. Any other
template, and any batch whose template reads a value the batch does not have, is rendered by
plain Jinja (``batch.plain``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import jinja2
import markupsafe
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from jinja2 import nodes

_MARK = "\x00records\x00"
_NAMES = {"r", "ctx", "batch"}
# markupsafe.escape, in the order that keeps "&" from being escaped twice
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;"))
_SPECIAL = tuple(c.encode() for c, _ in _ESCAPES)

Test = tuple[nodes.Node, bool]  # a test of the template and the truth it must have
Item = tuple[str, str]  # ("text", literal) or (name, attribute): r.x, ctx.x, batch.x


@dataclass(frozen=True)
class Segment:
    tests: tuple[Test, ...]  # all must hold for the segment to be emitted
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Plan:
    """A template that qualifies for bulk rendering, taken apart."""

    document: jinja2.Template  # the template with its records loop replaced by a marker
    segments: tuple[Segment, ...]  # the loop body, in order
    tested: tuple[str, ...]  # record fields the body tests
    fields: frozenset[str]  # record fields the body reads (tests and prints)


class NotBulk(Exception):
    """This batch cannot be filled by column (a value the template reads is missing)."""


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


def _flatten(body: list[nodes.Node], tests: tuple[Test, ...], out: list[Segment],
             tested: set[str]) -> bool:  # fmt: skip
    """Append the body's output as segments; False when the body does more than test and print."""
    for node in body:
        if isinstance(node, nodes.Output):
            for item in node.nodes:
                if isinstance(item, nodes.TemplateData):
                    out.append(Segment(tests, (("text", item.data),)))
                elif _is_name(item, _NAMES):
                    assert isinstance(item, nodes.Getattr) and isinstance(item.node, nodes.Name)
                    out.append(Segment(tests, ((item.node.name, item.attr),)))
                else:
                    return False
        elif isinstance(node, nodes.If):
            branches = [(node.test, node.body), *((e.test, e.body) for e in node.elif_)]
            if not all(_test_fields(t, tested) for t, _ in branches):
                return False
            failed: tuple[Test, ...] = ()
            for test, block in branches:
                if not _flatten(block, tests + failed + ((test, True),), out, tested):
                    return False
                failed += ((test, False),)
            if not _flatten(node.else_, tests + failed, out, tested):
                return False
        else:
            return False
    return True


def _merge(segments: list[Segment]) -> tuple[Segment, ...]:
    """Neighbouring segments under the same tests become one."""
    merged: list[Segment] = []
    for s in segments:
        if merged and merged[-1].tests == s.tests:
            merged[-1] = Segment(s.tests, merged[-1].items + s.items)
        else:
            merged.append(s)
    return tuple(merged)


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
    segments: list[Segment] = []
    if not simple or not _flatten(loop.body, (), segments, tested):
        return None
    if not _records_only_counted(tree, loop):
        return None
    fields = {n.attr for n in loop.find_all(nodes.Getattr) if _is_name(n, {"r"})}
    _replace(tree, loop, nodes.Output([nodes.TemplateData(_MARK)], lineno=loop.lineno))
    tree.set_environment(env)
    document = env.template_class.from_code(env, env.compile(tree, name), env.make_globals(None))
    return Plan(document, _merge(segments), tuple(sorted(tested)), frozenset(fields))


def _special(values: pa.Array) -> bool:
    """Whether any text of the column holds a character to escape (memchr on its data)."""
    data = _data(values)
    return any(data.find(c) >= 0 for c in _SPECIAL)


def escape(values: pa.Array) -> pa.Array:
    """XML-escape a whole text column the way Jinja's autoescape (markupsafe) does."""
    if not _special(values):
        return values  # the common case: nothing to escape
    for char, entity in _ESCAPES:
        values = pc.replace_substring(values, char, entity)
    return values


Truth: TypeAlias = "bool | pa.Array"  # a test's value: the same for every record, or one per record


class _Batch:
    """One batch's columns and context, and the tests and values computed on them (cached)."""

    def __init__(self, env: jinja2.Environment, table: pa.Table, names: dict[str, Any]) -> None:
        self.env, self.table, self.names = env, table, names
        self.truths: dict[int, Truth] = {}
        self.columns: dict[str, pa.Array] = {}

    def value(self, name: str, attr: str) -> Any:
        """``ctx.x`` / ``batch.x`` as Jinja looks it up; NotBulk when it is undefined."""
        value = self.env.getattr(self.names[name], attr)
        if isinstance(value, jinja2.Undefined):
            raise NotBulk(f"{name}.{attr}")
        return value

    def column(self, attr: str) -> pa.Array:
        if attr not in self.columns:
            if attr not in self.table.column_names:
                raise NotBulk(f"r.{attr}")
            values = self.table.column(attr).combine_chunks()
            self.columns[attr] = escape(pc.cast(values, pa.string()))
        return self.columns[attr]

    def truth(self, node: nodes.Node) -> Truth:
        if id(node) not in self.truths:
            self.truths[id(node)] = self._truth(node)
        return self.truths[id(node)]

    def _truth(self, node: nodes.Node) -> Truth:
        if isinstance(node, nodes.Not):
            return _not(self.truth(node.node))
        if isinstance(node, nodes.And):
            return _and(self.truth(node.left), self.truth(node.right))
        if isinstance(node, nodes.Or):
            return _not(_and(_not(self.truth(node.left)), _not(self.truth(node.right))))
        if isinstance(node, nodes.Const):
            return bool(node.value)
        assert isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name)
        if node.node.name == "r":
            return pc.greater(pc.binary_length(self.column(node.attr)), 0)
        return bool(self.value(node.node.name, node.attr))

    def segment(self, s: Segment) -> pa.Array | str | None:
        """The segment's text for every record ("" where its tests fail), a text common to
        all records, or None where it is never emitted."""
        holds: Truth = True
        for test, wanted in s.tests:
            t = self.truth(test)
            holds = _and(holds, t if wanted else _not(t))
        if holds is False:
            return None
        parts: list[Any] = []
        for name, attr in s.items:
            if name == "text":
                parts.append(attr)
            elif name == "r":
                parts.append(self.column(attr))
            else:
                parts.append(str(markupsafe.escape(self.value(name, attr))))
        if all(isinstance(p, str) for p in parts):
            text: pa.Array | str = "".join(parts)
        else:
            text = pc.binary_join_element_wise(*parts, "")
        if holds is True:
            return text
        return pc.if_else(holds, text, "")


def _not(t: Truth) -> Truth:
    return (not t) if isinstance(t, bool) else pc.invert(t)


def _and(a: Truth, b: Truth) -> Truth:
    if isinstance(a, bool):
        return b if a else False
    if isinstance(b, bool):
        return a if b else False
    return pc.and_(a, b)


def _data(values: pa.Array) -> bytes:
    """The texts of a string column laid end to end (its data buffer, between its offsets)."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
    first, last = int(offsets[values.offset]), int(offsets[values.offset + len(values)])
    data = values.buffers()[2]
    return b"" if data is None else data[first:last].to_pybytes()


def bulk_render(p: Plan, table: pa.Table, env: dict[str, Any]) -> bytes:
    """The document for one batch (``table`` holds its records, no nulls); ``env`` = ctx, batch.

    Raises :class:`NotBulk` when the template reads a value the batch does not have (plain
    Jinja then decides: it may never reach it, or raise StrictUndefined's error)."""
    n = table.num_rows
    head, mark, tail = p.document.render(records=range(n), **env).partition(_MARK)
    if not mark or n == 0:
        return (head + tail).encode("utf-8")
    batch = _Batch(p.document.environment, table, env)
    parts = [x for x in (batch.segment(s) for s in p.segments) if x is not None]
    columns = [x for x in parts if not isinstance(x, str)]
    if not columns:  # only literals: the same text for every record
        body = "".join(str(x) for x in parts).encode("utf-8") * n
    else:
        joined = pc.binary_join_element_wise(*parts, "")
        body = _data(pc.cast(joined, pa.string()))
    return head.encode("utf-8") + body + tail.encode("utf-8")
