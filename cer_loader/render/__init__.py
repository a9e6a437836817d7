"""Render accepted rows into ``zasilInicjalnie`` XML batches, each checked against the XSD.

Jinja2 with XML autoescaping on every template (``select_autoescape`` matches the end of a
file name, so ``default=True`` makes escaping independent of naming) and ``StrictUndefined``;
output is deterministic (no clock, rows in input order). Every rendered batch is re-parsed with
the hardened parser and validated against the XSD before it is written under its final name.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import uuid
from collections import namedtuple
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import jinja2
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from cer_loader.catalogues.identifiers import IdentifierConfig
from cer_loader.errors import ConfigError, RenderError
from cer_loader.files import write_private
from cer_loader.normalize import warsaw_time as timeutil
from cer_loader.settings import Settings
from cer_loader.xmlsafe import load_xsd, masked_schema_error, parse_bytes

TEMPLATE_NAME = "zasilInicjalnie.xml"
KEY_NAMESPACE = uuid.UUID("6f1c3b1e-5d0a-4c43-9a38-3c0f3c3b9e10")
_VISIT = {"first": "PIERWSZORAZOWA", "continuation": "KONTYNUACJA"}


@dataclass(frozen=True)
class PayloadFile:
    path: Path
    records: int
    sha256: str
    labels: list  # frame index labels of the rows in this batch, in order


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


def _strftime(values: pd.Series, fmt: str) -> pd.Series:
    """Format naive datetimes with Arrow (C++), "" for NaT."""
    arr = pa.array(values.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s"), from_pandas=True)
    text = pc.fill_null(pc.strftime(arr, format=fmt), "")
    return pd.Series(text.to_numpy(zero_copy_only=False), index=values.index, dtype="object")


def _iso_with_offset(instants: pd.Series) -> pd.Series:
    """``2027-01-12T09:30:00+01:00``: Europe/Warsaw wall time with its offset."""
    utc = instants.dt.tz_convert("UTC").dt.tz_localize(None)
    wall = instants.dt.tz_convert(timeutil.ZONE).dt.tz_localize(None)
    hours = ((wall - utc) / pd.Timedelta(hours=1)).round().astype("Int64")
    offset = np.where(hours.to_numpy(na_value=0) == 2, "+02:00", "+01:00")
    return _strftime(wall, "%Y-%m-%dT%H:%M:%S") + offset


def _date_text(values: pd.Series) -> pd.Series:
    return _strftime(values, "%Y-%m-%d")


def idempotency_keys(mus_id: str, appointment_ids: pd.Series) -> list[str]:
    return [str(uuid.uuid5(KEY_NAMESPACE, f"{mus_id}|{a}")) for a in appointment_ids]


def payload_columns(f: pd.DataFrame, settings: Settings, ids: IdentifierConfig) -> pd.DataFrame:
    """Everything a record needs, as text columns; bad optional values left out (warnings)."""
    pesel = f["n_pesel_present"]
    doc_root = f["n_doc_type"].map(ids.doc_roots).fillna("")
    parts = doc_root.astype("str").str.partition("{country}")
    doc_root = (parts[0] + f["n_doc_country"].where(parts[1] != "", "") + parts[2]).astype(object)
    cat = f["n_category"].str.upper()
    out = pd.DataFrame(
        {
            "key": idempotency_keys(settings.mus_id, f["appointment_id"]),
            "appointment_id": f["appointment_id"],
            "schedule_id": f["schedule_id"],
            "start": _iso_with_offset(f["n_start"]),
            "duration": f["n_duration"].astype("string").fillna("").astype(object),
            "scope_code": f["scope_code"],
            "visit_kind": f["n_visit_kind"].replace("", "first").map(_VISIT),
            "category": cat,
            "request_date": _date_text(f["n_request"]),
            "referral_key": f["n_referral_key"],
            "referral_number": f["referral_number"],
            "npwz": f["practitioner_npwz"].where(f["n_npwz_ok"], ""),
            "id_root": doc_root.where(~pesel, ids.oid["pesel"]),
            "id_ext": f["patient_document_number"].where(~pesel, f["patient_pesel"]),
            "first_name": f["patient_first_name"],
            "last_name": f["patient_last_name"],
            "birth_date": _date_text(f["n_birth"]),
            "sex": f["n_sex"],
            "phone": f["n_phone"],
            "email": f["patient_email"].where(f["n_email_ok"], ""),
            "notes": f["notes"],
        },
        index=f.index,
    )
    return out


def _load_template(template_dir: Path) -> jinja2.Template:
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


_WORKER: dict[str, Any] = {}


def _init_worker(template_dir: Path, xsd: Path) -> None:
    _WORKER["template"] = _load_template(template_dir)
    _WORKER["schema"] = load_xsd(xsd)


def _render_one(
    job: tuple[int, dict[str, Any], dict[str, Any], list[str], list[tuple[str, ...]]],
) -> tuple[int, bytes | tuple[str, str, str]]:
    """Render and check one batch; errors come back as data (exceptions do not pickle well)."""
    n, ctx, batch, names, rows = job
    record = namedtuple("Record", names)  # type: ignore[misc]  # noqa: PYI024
    try:
        text = _WORKER["template"].render(
            ctx=ctx, batch=batch, records=list(map(record._make, rows))
        )
    except jinja2.UndefinedError as exc:
        return n, ("undefined", str(exc.message), "")
    data = text.encode("utf-8")
    try:
        doc = parse_bytes(data)
    except etree.XMLSyntaxError as exc:
        return n, ("malformed", str(exc.msg), "")
    schema = _WORKER["schema"]
    if not schema.validate(doc):
        return n, ("xsd", masked_schema_error(schema.error_log), "")
    return n, data


def _raise(n: int, problem: tuple[str, str, str], settings: Settings) -> NoReturn:
    kind, detail, _ = problem
    if kind == "undefined":
        raise RenderError(
            f"szablon używa nieznanej zmiennej: {detail}",
            f"the template uses an undefined variable: {detail}",
            path=settings.template_dir / TEMPLATE_NAME,
        )
    if kind == "malformed":
        raise RenderError(
            f"wygenerowany XML jest niepoprawny (paczka {n + 1}): {detail}",
            f"the rendered XML is malformed (batch {n + 1}): {detail}",
        )
    raise RenderError(
        f"paczka {n + 1} nie spełnia XSD: {detail}",
        f"batch {n + 1} fails the XSD: {detail}",
        path=settings.xsd,
    )


def _jobs(cols: pd.DataFrame, settings: Settings, ctx: dict[str, Any]):  # type: ignore[no-untyped-def]
    size = settings.batch_size
    count = (len(cols) + size - 1) // size
    names = list(cols.columns)
    for n in range(count):
        chunk = cols.iloc[n * size : (n + 1) * size]
        # deterministic, yet different for different content: runs of the same day never
        # reuse a batch id (the records' idempotency keys decide it)
        digest = hashlib.sha256("\n".join(chunk["key"]).encode("ascii")).hexdigest()[:12]
        batch = {
            "id": f"{settings.mus_id}-{settings.as_of:%Y%m%d}-{n + 1:04d}-{digest}",
            "number": n + 1,
            "count": count,
        }
        rows = list(zip(*(chunk[c].tolist() for c in names), strict=True))
        yield (n, ctx, batch, names, rows), chunk.index


def render_batches(
    f: pd.DataFrame,
    settings: Settings,
    ids: IdentifierConfig,
    out_dir: Path,
    progress: object = None,
    workers: int | None = None,
) -> list[PayloadFile]:
    """Write ``out_dir/zasilInicjalnie_NNNN.xml`` files; return what was written.

    Batches are rendered and checked in parallel (``workers`` processes, default: the CPU
    count, at most 4), each into a temporary 0600 file; only when every batch has passed the
    XSD are they renamed to their final names, so a failing run leaves no partial payload.
    """
    if f.empty:
        return []
    _load_template(settings.template_dir)  # configuration errors surface here, once
    load_xsd(settings.xsd)
    cols = payload_columns(f, settings, ids)
    ctx = {
        "mus_id": settings.mus_id, "mus_oid": ids.oid["mus"], "npwz_oid": ids.oid["npwz"],
        "regon": settings.regon, "nip": settings.nip, "nfz_branch": settings.nfz_branch,
        "as_of": settings.as_of.isoformat(),
    }  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    count = (len(cols) + settings.batch_size - 1) // settings.batch_size
    workers = min(workers or os.cpu_count() or 1, 4, count)
    jobs = list(_jobs(cols, settings, ctx))
    pending: list[tuple[Path, Path]] = []
    written: list[PayloadFile] = []
    try:
        if workers > 1:
            pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=mp.get_context("fork"),
                initializer=_init_worker, initargs=(settings.template_dir, settings.xsd),
            )  # fmt: skip
            results = pool.map(_render_one, [job for job, _ in jobs])
        else:
            pool = None
            _init_worker(settings.template_dir, settings.xsd)
            results = map(_render_one, [job for job, _ in jobs])
        try:
            for (n, outcome), (_job, labels) in zip(results, jobs, strict=True):
                if not isinstance(outcome, bytes):
                    _raise(n, outcome, settings)
                final = out_dir / f"zasilInicjalnie_{n + 1:04d}.xml"
                tmp = final.with_name(f".{final.name}.pending")
                write_private(tmp, outcome)
                pending.append((tmp, final))
                written.append(
                    PayloadFile(
                        final, len(labels), hashlib.sha256(outcome).hexdigest(), list(labels)
                    )
                )
                if callable(progress):
                    progress(len(labels))
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in pending:
        os.replace(tmp, final)
    return written
