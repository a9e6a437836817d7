"""The XSD check of each batch: the shipped template and schema check the keys' uniqueness as
a vectorized count (a duplicate still fails with the XSD's own message); a site's replaced
template or schema is validated in full; batches whose template reads a value the batch does
not have fall back to plain Jinja; workers carry only their batch and do without pandas."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from lxml import etree

from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.errors import RenderError
from cer_loader.mapping import Mapping, apply_mapping
from cer_loader.normalize import normalize
from cer_loader.render import RENDER_COLUMNS, _jobs, render_batches
from cer_loader.render.batch import TEMPLATE_NAME, render_bytes
from cer_loader.render.check import KEY_UNIQUE, check, checker
from cer_loader.render.workers import from_ipc, to_ipc
from cer_loader.resources import data_dir

from rowkit import BASE, MUS, settings, table_of

IDS = load_identifiers(data_dir("schemas") / "identifiers.toml")
TEMPLATES = data_dir("templates")
XSD = data_dir("schemas") / "zasilInicjalnie.xsd"
CTX = {"mus_id": "m", "mus_oid": "2.16.840.1.113883.3.4424.2.3.3", "npwz_oid": "1.3", "regon": "",
       "nip": "", "nfz_branch": "", "as_of": "2026-12-01"}  # fmt: skip


def frame(n: int, same_id: bool = False):  # type: ignore[no-untyped-def]
    rows = [{**BASE, "appointment_id": "A1" if same_id else f"A{i}"} for i in range(n)]
    return normalize(apply_mapping(table_of(rows), Mapping()), IDS)[RENDER_COLUMNS]


def replaced_xsd(tmp_path: Path) -> Path:
    """The shipped schema with one comment more: a site's schema, no longer ours."""
    xsd = tmp_path / "site.xsd"
    xsd.write_bytes(XSD.read_bytes().replace(b"<xs:schema", b"<!-- site -->\n<xs:schema", 1))
    return xsd


def test_only_the_shipped_pair_leaves_the_key_uniqueness_to_a_count(tmp_path: Path) -> None:
    assert checker(TEMPLATES, XSD).without_key_unique is not None
    assert checker(TEMPLATES, replaced_xsd(tmp_path)).without_key_unique is None
    tpl = tmp_path / "tpl"
    shutil.copytree(TEMPLATES, tpl)
    assert checker(tpl, XSD).without_key_unique is not None  # a copy, byte for byte
    site = tmp_path / "site"
    shutil.copytree(TEMPLATES, site)
    (site / TEMPLATE_NAME).write_text((site / TEMPLATE_NAME).read_text() + "\n")
    assert checker(site, XSD).without_key_unique is None


@pytest.mark.parametrize("site_schema", [False, True])
def test_duplicate_keys_fail_with_the_xsd_message(tmp_path: Path, site_schema: bool) -> None:
    xsd = replaced_xsd(tmp_path) if site_schema else XSD
    with pytest.raises(RenderError) as err:
        render_batches(frame(3, same_id=True), settings(xsd=xsd), IDS, tmp_path / "out")
    assert KEY_UNIQUE in str(err.value) and "paczka 1" in str(err.value)
    assert list((tmp_path / "out").iterdir()) == []


def test_keys_claimed_unique_do_not_hide_an_invalid_document() -> None:
    c = checker(TEMPLATES, XSD)
    bad = b'<?xml version="1.0"?><zasilInicjalnie xmlns="urn:cer-loader:zasilInicjalnie:draft-1"/>'
    problem = check(c, bad, pa.array(["k1", "k2"]))
    assert problem is not None and problem[0] == "xsd"
    assert check(c, b"<a>", pa.array(["k"])) == ("malformed", problem_msg(b"<a>"))


def problem_msg(data: bytes) -> str:
    from lxml import etree

    try:
        etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return str(exc.msg)
    raise AssertionError("well-formed")


def test_a_value_the_batch_lacks_under_a_false_test_renders_as_plain_jinja(tmp_path: Path) -> None:
    tpl = tmp_path / "tpl"
    shutil.copytree(TEMPLATES, tpl)
    text = (tpl / TEMPLATE_NAME).read_text()
    text = text.replace(
        "{%- if r.notes %}", "{%- if false %}{{ r.no_such }}{% endif %}{%- if r.notes %}"
    )
    (tpl / TEMPLATE_NAME).write_text(text)
    f = frame(4)
    ours = render_batches(f, settings(), IDS, tmp_path / "ours")
    site = render_batches(f, settings(template_dir=tpl), IDS, tmp_path / "site")
    assert site[0].path.read_bytes() == ours[0].path.read_bytes()


def test_a_job_carries_only_its_own_rows(tmp_path: Path) -> None:
    f = frame(60)
    jobs = list(_jobs(f, settings(batch_size=7), IDS, {}, True, tmp_path))
    assert [len(labels) for _, labels in jobs] == [7] * 8 + [4]
    whole = len(to_ipc(pa.Table.from_pandas(f, preserve_index=False)))
    assert all(len(job.columns) < whole / 3 for job, _ in jobs)
    assert [from_ipc(job.columns).num_rows for job, _ in jobs] == [7] * 8 + [4]
    assert list(from_ipc(jobs[1][0].columns).column("appointment_id").to_pylist()) == list(
        f["appointment_id"][7:14]
    )


def test_a_render_worker_does_its_job_without_pandas(tmp_path: Path) -> None:
    jobs = list(_jobs(frame(3), settings(), IDS, {**CTX, "mus_id": MUS}, True, tmp_path))
    (tmp_path / "job.pickle").write_bytes(pickle.dumps(jobs[0][0]))
    code = (
        "import pickle, sys\nfrom cer_loader.render import workers\nworkers.lean()\n"
        f"done = workers.run_job(pickle.loads(open({str(tmp_path / 'job.pickle')!r}, 'rb').read()))\n"
        "print(type(done).__name__, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["Done", "False"]
    assert etree.parse(str(jobs[0][0].out)).getroot().get("liczbaRekordow") == "3"


def test_plain_jinja_fallback_for_nulls_gives_the_same_bytes() -> None:
    env = {"ctx": CTX, "batch": {"id": "b", "number": 1, "count": 1}}
    names = ["key", "appointment_id", "schedule_id", "start", "duration", "scope_code",
             "visit_kind", "category", "request_date", "referral_key", "referral_number", "npwz",
             "id_root", "id_ext", "first_name", "last_name", "birth_date", "sex", "phone",
             "email", "notes"]  # fmt: skip
    t = pa.table({n: pa.array(["x<", ""], pa.string()) for n in names})
    fast = render_bytes(TEMPLATES, t, env)
    plain = render_bytes(TEMPLATES, t, env, use_bulk=False)
    assert fast == plain and b"x&lt;" in fast
