"""Bulk rendering (one Jinja call per shape of record, values filled by column) against plain
Jinja: the same bytes and the same trees, for the shipped template and for templates that use
every construct the bulk path accepts; templates doing more fall back to plain Jinja."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from cer_loader.render.batch import TEMPLATE_NAME, environment, plain, tools
from cer_loader.render.bulk import bulk_render, escape, plan
from cer_loader.render.columns import KEY_NAMESPACE, key_array
from cer_loader.resources import data_dir

TEMPLATES = data_dir("templates")
XSD = data_dir("schemas") / "zasilInicjalnie.xsd"
NAMES = [
    "key", "appointment_id", "schedule_id", "start", "duration", "scope_code", "visit_kind",
    "category", "request_date", "referral_key", "referral_number", "npwz", "id_root", "id_ext",
    "first_name", "last_name", "birth_date", "sex", "phone", "email", "notes",
]  # fmt: skip
CTX = {"mus_id": "000000927722-001", "mus_oid": "2.16.840.1.113883.3.4424.2.3.3",
       "npwz_oid": "2.16.840.1.113883.3.4424.1.6.2", "regon": "", "nip": "5261040828",
       "nfz_branch": "07", "as_of": "2026-12-01"}  # fmt: skip
BATCH = {"id": "000000927722-001-20261201-0001-abcdef012345", "number": 1, "count": 1}

# XML-safe text: no control characters (the XML parser refuses them in both paths alike)
TEXT = st.lists(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from(["&", "<", ">", '"', "'", "&amp;", "\t", "\n", "ł", "Ż"]),
    max_size=12,
).map("".join)
OPTIONAL = st.one_of(st.just(""), TEXT)
RECORD = st.fixed_dictionaries({n: OPTIONAL for n in NAMES})

VARIANT = """<?xml version="1.0"?>
<d n="{{ records|length }}" b="{{ batch.id }}">{% if ctx.regon %}<regon>{{ ctx.regon }}</regon>{% endif %}
{%- for r in records %}
<r k="{{ r.key }}" b="{{ batch.number }}/{{ ctx.mus_id }}">{{ r.appointment_id }}
{%- if r.category and not r.sex %}<c>{{ r.category }}</c>{% elif r.sex or r.phone %}<s>{{ r.sex }}{{ r.phone }}</s>
{%- else %}<none/>{% endif %}
{%- if not r.notes %}<n/>{% endif %}{% if r.email or (r.first_name and r.last_name) %}<p>{{ r.first_name }} {{ r.last_name }} {{ r.email }}</p>{% endif %}
{%- if true %}<t/>{% endif %}</r>
{%- endfor %}
</d>
"""


def table_of(records: list[dict[str, str]]) -> pa.Table:
    return pa.table({n: pa.array([r[n] for r in records], pa.string()) for n in NAMES})


def tree(data: bytes) -> bytes:
    return etree.tostring(etree.fromstring(data), method="c14n")


def both(template_dir: Path, records: list[dict[str, str]]) -> tuple[bytes, bytes]:
    template, p = tools(template_dir)
    assert p is not None
    env = {"ctx": CTX, "batch": BATCH}
    table = table_of(records)
    return bulk_render(p, table, env), plain(template, table, env)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RECORD, max_size=25))
def test_bulk_equals_plain_jinja_for_the_shipped_template(records: list[dict[str, str]]) -> None:
    fast, reference = both(TEMPLATES, records)
    assert fast == reference
    assert tree(fast) == tree(reference)


@pytest.fixture(scope="module")
def variant_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("variant")
    (d / TEMPLATE_NAME).write_text(VARIANT, encoding="utf-8")
    return d


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(RECORD, max_size=25))
def test_bulk_equals_plain_for_elif_else_not_and_or_batch_and_ctx(
    variant_dir: Path, records: list[dict[str, str]]
) -> None:
    fast, reference = both(variant_dir, records)
    assert fast == reference
    assert tree(fast) == tree(reference)


def test_values_that_look_like_sentinels_are_just_values() -> None:
    record = dict.fromkeys(NAMES, "\x000\x00")
    record["notes"] = "\x003\x00 & \x00records\x00"
    fast, reference = both(TEMPLATES, [record, dict.fromkeys(NAMES, "")])
    assert fast == reference


@given(TEXT)
def test_column_escape_is_markupsafe_escape(text: str) -> None:
    from markupsafe import escape as ms_escape

    assert escape(pa.array([text])).to_pylist() == [str(ms_escape(text))]


@given(st.lists(st.text(max_size=20), max_size=30))
def test_vectorized_keys_are_uuid5(ids: list[str]) -> None:
    mus = "000000927722-001"
    expected = [str(uuid.uuid5(KEY_NAMESPACE, f"{mus}|{a}")) for a in ids]
    assert key_array(mus, pd.Series(ids, dtype=object)).to_pylist() == expected


@pytest.mark.parametrize(
    "body",
    [
        "{{ r.notes|upper }}",  # a filter
        "{% if r.sex == 'F' %}K{% endif %}",  # a comparison: depends on the value, not its presence
        "{{ loop.index }}",  # the loop variable
        "{% set x = r.notes %}{{ x }}",  # assignment
        "{{ r['notes'] }}",  # subscript
        "{{ records[0].key }}",  # the records list inside the loop
        "{% for s in r.notes %}{{ s }}{% endfor %}",  # a nested loop
        "{{ 'a' if r.notes else 'b' }}",  # a conditional expression
    ],
)
def test_templates_doing_more_than_test_and_print_fall_back(body: str) -> None:
    env = environment(TEMPLATES)
    source = "<d>{% for r in records %}<r>" + body + "</r>{% endfor %}</d>"
    assert plan(env, source, TEMPLATE_NAME) is None


def test_records_used_outside_the_loop_falls_back() -> None:
    env = environment(TEMPLATES)
    ok = "<d n='{{ records|length }}'>{% for r in records %}{{ r.key }}{% endfor %}</d>"
    bad = "<d n='{{ records[0].key }}'>{% for r in records %}{{ r.key }}{% endfor %}</d>"
    two = "<d>{% for r in records %}{{ r.key }}{% endfor %}{% for r in records %}x{% endfor %}</d>"
    assert plan(env, ok, TEMPLATE_NAME) is not None
    assert plan(env, bad, TEMPLATE_NAME) is None
    assert plan(env, two, TEMPLATE_NAME) is None


def test_the_shipped_template_takes_the_bulk_path() -> None:
    _, p = tools(TEMPLATES)
    assert p is not None and "notes" in p.tested and "key" not in p.tested
