"""Realistic, reproducible clinic exports for demos and benchmarks (``cer-loader sample``).

:func:`generate` builds the appointments by whole columns (numpy + Arrow, no Python per row):
Polish patients with valid PESELs, cardiology visits (first visits with a category and an
e-referral key; every visit with its request date) and cervical screening for women of programme age, times in
clinic hours after the as-of date. A share of rows (``defects``) carries one defect each that a
rule rejects (see :data:`DEFECTS`), so a run over the sample rejects about that share.
``cer_loader.samples.writers`` writes CSV (cp1250, ``;``, the vendor's Polish headers), XLSX or
an HL7 v2 SIU dump, with the mapping file and a provider configuration beside it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cer_loader.samples.people import digits_text, join, people, pick

AS_OF = dt.date(2026, 12, 1)
MUS = "000000927722-001"
CARDIO = "02.1100.001.02"
CERVIX = "02.1450.101.02"
NPWZ = ["5425740", "8159083", "3526018", "7118460", "7391205"]
GABINET = ["GAB-1", "GAB-2", "GAB-3", "POR-K", "POR-G"]
# rule each defect is caught by; the last two apply only to cardiology first visits
DEFECTS = [
    "pesel-checksum", "start-invalid-date", "scope-unknown", "missing-appointment-id",
    "request-after-start", "start-before-as-of", "start-unparseable",
    "category-required", "referral-required",
]  # fmt: skip
_GENERIC = 7


def _date_text(days: np.ndarray, fmt: str) -> pa.StringArray:
    stamps = pa.array(days.astype("datetime64[s]"), pa.timestamp("s"))
    return pc.strftime(stamps, format=fmt)


def generate(rows: int, seed: int = 1, defects: float = 0.01) -> dict[str, Any]:
    """``rows`` appointments as Arrow text columns named by canonical field, plus ``defect``
    (the rule each defective row should break, "" for clean rows)."""
    if rows < 0 or not 0 <= defects <= 1:
        raise ValueError("rows >= 0 and 0 <= defects <= 1")
    rng = np.random.default_rng(seed)
    p = people(rows, rng)
    female, births = p["female"], p["birth"]
    as_of = np.datetime64(AS_OF.isoformat())
    day = as_of + rng.integers(1, 300, rows).astype("timedelta64[D]")
    slot = rng.integers(0, 35, rows) * 20 + 7 * 60  # 7:00 .. 18:20, every 20 minutes
    age = day.astype("datetime64[Y]").astype(int) - births.astype("datetime64[Y]").astype(int)
    cervix = female & (age >= 26) & (age <= 63) & (rng.random(rows) < 0.3)
    first = ~cervix & (rng.random(rows) < 0.75)
    referral = rng.integers(0, 10, (rows, 44))
    request = as_of - rng.integers(1, 60, rows).astype("timedelta64[D]")
    empty = pa.array(np.full(rows, "", dtype=object), pa.string())
    ids = join("W", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, rows + 1)), pa.string()), 7, "0"))
    cols: dict[str, Any] = {
        "appointment_id": ids,
        "start_date": _date_text(day, "%d.%m.%Y"),
        "start_time": join(pc.cast(pa.array(slot // 60), pa.string()), ":",
                           pc.utf8_lpad(pc.cast(pa.array(slot % 60), pa.string()), 2, "0")),
        "duration_minutes": pick(["20", "20", "30", "15"], rng.integers(0, 4, rows)),
        "schedule_id": pick(GABINET, rng.integers(0, len(GABINET), rows)),
        "scope_code": pick([CARDIO, CERVIX], cervix.astype(np.int64)),
        "visit_kind": pick(["kontynuacja", "pierwsza", "Pierwszorazowa"],
                           np.where(first, rng.integers(1, 3, rows), 0)),
        "medical_category": pick(["", "pilny", "stabilny"],
                                 np.where(first, rng.integers(1, 3, rows), 0)),
        "request_date": _date_text(request, "%d.%m.%Y"),
        "referral_key": pc.if_else(pa.array(first), digits_text(referral), empty),
        "referral_number": empty,
        "practitioner_npwz": pick(NPWZ, rng.integers(0, len(NPWZ), rows)),
        "patient_pesel": p["pesel"],
        "patient_document_number": empty, "patient_document_type": empty,
        "patient_document_country": empty,
        "patient_last_name": p["last_name"], "patient_first_name": p["first_name"],
        "patient_birth_date": empty, "patient_sex": empty,
        "patient_phone": p["phone"], "patient_email": p["email"],
        "notes": pick(["", "", "", "", "Pacjent prosi o telefon dzień wcześniej",
                       "Wózek inwalidzki", "Tłumacz języka migowego"], rng.integers(0, 7, rows)),
    }  # fmt: skip
    cols["hl7_birth"] = _date_text(births, "%Y%m%d")
    cols["hl7_sex"] = pick(["M", "F"], female.astype(np.int64))
    kind = _defects(rows, defects, first, rng)
    _inject(cols, kind, day, rng)
    cols["defect"] = pick(["", *DEFECTS], kind + 1)
    return cols


def _defects(rows: int, share: float, first: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Which defect each row carries (-1: none): one per defective row, spread evenly."""
    hit = rng.random(rows) < share
    kind = rng.integers(0, len(DEFECTS), rows)
    kind = np.where(kind >= _GENERIC, np.where(first, kind, kind % _GENERIC), kind)
    return np.where(hit, kind, -1)


def _inject(
    cols: dict[str, Any], kind: np.ndarray, day: np.ndarray, rng: np.random.Generator
) -> None:
    def put(name: str, defect: str, value: Any) -> None:
        mask = pa.array(kind == DEFECTS.index(defect))
        if isinstance(value, str):
            value = pa.scalar(value, pa.string())
        cols[name] = pc.if_else(mask, value, cols[name])

    pesel = cols["patient_pesel"]
    last = np.asarray(pc.cast(pc.utf8_slice_codeunits(pesel, 10, 11), pa.int64()))
    wrong = pc.cast(pa.array((last + 1) % 10), pa.string())
    put("patient_pesel", "pesel-checksum", join(pc.utf8_slice_codeunits(pesel, 0, 10), wrong))
    put("start_date", "start-invalid-date", "31.02.2027")
    put("scope_code", "scope-unknown", "02.9999.999.99")
    put("appointment_id", "missing-appointment-id", "")
    after = _date_text(day + np.timedelta64(3, "D"), "%d.%m.%Y")
    put("request_date", "request-after-start", after)
    put("start_date", "start-before-as-of", "20.11.2026")
    put("start_time", "start-unparseable", "25:70")
    put("medical_category", "category-required", "")
    put("referral_key", "referral-required", "")
