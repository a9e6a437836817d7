"""Render workers: threads or processes (``spawn`` included), any number, one run or ten
parts — the same payload; and bulk rendering gives the plain Jinja bytes on realistic rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cer_loader import render
from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.errors import RenderError
from cer_loader.mapping import Mapping, apply_mapping
from cer_loader.normalize import normalize
from cer_loader.render import RENDER_COLUMNS, PayloadFile, render_batches
from cer_loader.resources import data_dir

from rowkit import BASE, settings, table_of

IDS = load_identifiers(data_dir("schemas") / "identifiers.toml")
NS = "{urn:cer-loader:zasilInicjalnie:draft-1}"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """60 varied rows: optional values present or not, text needing escapes, both offsets."""
    rows = []
    for i in range(60):
        row = {**BASE, "appointment_id": f"A{i}", "start_time": f"{8 + i % 10}:{i % 6}0"}
        if i % 3 == 0:
            row |= {"patient_phone": "", "schedule_id": "", "notes": f"uwaga <{i}> & \"ok\" 'x'"}
        if i % 4 == 0:
            row |= {"medical_category": "", "visit_kind": "continuation", "referral_key": ""}
        if i % 5 == 0:
            row |= {"start_date": "12.07.2027", "patient_email": "", "duration_minutes": ""}
        if i % 7 == 0:
            row |= {"patient_first_name": "Łucja", "patient_last_name": "Żółć-Gęś"}
        rows.append(row)
    f = normalize(apply_mapping(table_of(rows), Mapping()), IDS)
    return f[RENDER_COLUMNS]


def contents(files: list[PayloadFile]) -> list[tuple[str, bytes]]:
    return [(p.path.name, p.path.read_bytes()) for p in files]


def records(files: list[PayloadFile]) -> list[bytes]:
    """Every rezerwacja element, canonical, in file order."""
    out = []
    for p in files:
        root = etree.parse(str(p.path)).getroot()
        out += [etree.tostring(r, method="c14n") for r in root.iter(f"{NS}rezerwacja")]
    return out


@pytest.mark.parametrize("method", ["spawn", "forkserver", "thread"])
def test_workers_of_any_kind_give_the_in_process_bytes(
    frame: pd.DataFrame, tmp_path: Path, method: str
) -> None:
    s = settings(batch_size=7)
    alone = render_batches(frame, s, IDS, tmp_path / "one", workers=1)
    other = render_batches(frame, s, IDS, tmp_path / method, workers=3, method=method)
    assert len(alone) == 9
    assert contents(other) == contents(alone)
    assert [p.labels for p in other] == [p.labels for p in alone]


def test_bulk_templates_render_in_threads_plain_ones_in_processes(tmp_path: Path) -> None:
    """The shipped template goes to threads (the bulk renderer does not hold the GIL); a
    template only plain Jinja renders (a filter) goes to processes."""
    assert render.default_method(settings()) == "thread"
    assert render.default_method(settings(), use_bulk=False) == render.start_method()
    site = tmp_path / "site"
    site.mkdir()
    source = (data_dir("templates") / render.TEMPLATE_NAME).read_text(encoding="utf-8")
    (site / render.TEMPLATE_NAME).write_text(
        source.replace("{{ r.appointment_id }}", "{{ r.appointment_id | upper }}"), "utf-8"
    )
    assert render.default_method(settings(template_dir=site)) == render.start_method()


def test_threads_report_each_batch_its_own_schema_error(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    """Render threads validate at once; the error a failing batch reports is its own (each
    thread has its own schema, whose error log validation clears and fills)."""
    bad = frame.copy()
    bad.loc[bad.index[40], "scope_code"] = "NIE-KOD"  # batch 6 of 9 breaks a pattern,
    bad.loc[bad.index[50], "n_phone"] = "+0123"  # batch 8 another, validated beside it
    with pytest.raises(RenderError) as raised:
        render_batches(bad, settings(batch_size=7), IDS, tmp_path / "bad", workers=3,
                       method="thread")  # fmt: skip
    assert "paczka 6 " in raised.value.message  # the first failing batch, in order
    assert "kodZakresu" in raised.value.message
    assert "telefon" not in raised.value.message
    assert not list((tmp_path / "bad").iterdir())  # no payload left of a failed run


def test_bulk_and_plain_jinja_and_worker_counts_agree(frame: pd.DataFrame, tmp_path: Path) -> None:
    s = settings(batch_size=16)
    plain = render_batches(frame, s, IDS, tmp_path / "plain", workers=1, use_bulk=False)
    bulk1 = render_batches(frame, s, IDS, tmp_path / "b1", workers=1)
    bulk2 = render_batches(frame, s, IDS, tmp_path / "b2", workers=2)
    assert contents(bulk1) == contents(plain) == contents(bulk2)
    assert [p.sha256 for p in bulk2] == [p.sha256 for p in plain]
    assert b"&lt;3&gt; &amp; &#34;ok&#34; &#39;x&#39;" in bulk1[0].path.read_bytes()


def test_ten_parts_give_the_same_records(frame: pd.DataFrame, tmp_path: Path) -> None:
    whole = records(render_batches(frame, settings(batch_size=25), IDS, tmp_path / "whole"))
    parts: list[bytes] = []
    for k in range(10):
        part = frame.iloc[k * 6 : (k + 1) * 6]
        parts += records(render_batches(part, settings(batch_size=25), IDS, tmp_path / f"p{k}"))
    assert len(whole) == 60
    assert parts == whole


def test_rows_given_render_as_their_selection(
    frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``rows=`` (the pipeline's accepted rows, taken a chunk at a time) gives the bytes and
    labels of rendering the selection itself, in the order the rows are given."""
    monkeypatch.setattr(render, "CHUNK_ROWS", 16)  # 40 rows: three chunks of two batches
    picked = frame.index[::3].append(frame.index[1::3])[::-1]
    s = settings(batch_size=8)
    taken = render_batches(frame.loc[picked], s, IDS, tmp_path / "taken", workers=1)
    given = render_batches(frame, s, IDS, tmp_path / "given", workers=2, rows=picked)
    assert len(given) == 5
    assert contents(given) == contents(taken)
    assert [p.labels for p in given] == [p.labels for p in taken]
    assert render_batches(frame, s, IDS, tmp_path / "none", rows=picked[:0]) == []


@pytest.mark.parametrize("method", ["thread", "forkserver"])
def test_ctrl_c_while_workers_render_leaves_no_file(
    frame: pd.DataFrame, tmp_path: Path, method: str
) -> None:
    """Ctrl-C in the caller while batches are being rendered: the workers' batches in flight
    finish or are cancelled, and no pending or final payload file stays."""
    seen: list[int] = []

    def interrupt(n: int) -> None:
        seen.append(n)
        if len(seen) == 2:
            raise KeyboardInterrupt

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        render_batches(frame, settings(batch_size=4), IDS, out, progress=interrupt, workers=2,
                       method=method)  # fmt: skip
    assert len(seen) == 2
    assert sorted(p.name for p in out.iterdir()) == []
