"""The ledger's whole-column digests, keys and journal equal the per-row implementation they
replaced (kept here as the oracle, as it was): visit and patient digests byte for byte, UTC
texts, idempotency keys, and the whole ledger content a journal leaves (runs, batches,
records, facts; a second run superseding the first)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import sqlite3
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cer_loader.ingest.table import SOURCE_FILE, SOURCE_ROW
from cer_loader.ledger import Ledger, NewBatch, NewRecord, open_ledger, visit_digests
from cer_loader.ledger import digester as digester_module
from cer_loader.ledger import digests as digests_module
from cer_loader.ledger import journal as journal_module
from cer_loader.ledger.blobs import pack, unpack
from cer_loader.ledger.digests import (
    digest_array,
    hex_column,
    hex_text,
    keyed_digests,
    utc_text,
    uuid5_texts,
)
from cer_loader.ledger.facts import COLUMNS, SCHEMA, patient_digests
from cer_loader.ledger.journal import batch_id_of, idempotency_keys, journal, mark_held
from cer_loader.render import PayloadFile
from cer_loader.render.columns import KEY_NAMESPACE, key_array
from cer_loader.validate.identity import patient_key, visit_parts

MUS = "000000927722-001"
SLOW_OK = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a shared machine
SALT = "5f" * 32  # what open_ledger makes: secrets.token_hex(32)
STAMP = "2026-12-01T12:00:00.000+00:00"


# -- the oracle: the per-row implementation as it was before the whole-column one ----------
V2_TABLES = """
CREATE TABLE records (
    batch INTEGER NOT NULL REFERENCES batches(id), key TEXT NOT NULL,
    appointment_id TEXT NOT NULL, visit_digest TEXT, source_file TEXT NOT NULL DEFAULT '',
    source_row TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('PENDING', 'ACCEPTED', 'REFUSED', 'SUPERSEDED')),
    code TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL,
    PRIMARY KEY (batch, key)
);
CREATE INDEX records_by_appointment ON records (appointment_id, state);
"""


class V2Ledger(Ledger):
    """A ledger file of schema 2 (a row per record and per fact) as the per-row code wrote and
    read it; opened by ``open_ledger`` later, it is migrated to schema 3."""

    def __init__(self, path: Path, salt: str) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, started TEXT NOT NULL, "
            "inputs TEXT NOT NULL, out_dir TEXT NOT NULL);"
            "CREATE TABLE batches (id INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT NOT NULL, "
            "run_id TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL, records INTEGER NOT "
            "NULL, state TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', created TEXT NOT NULL, "
            "updated TEXT NOT NULL);" + V2_TABLES
        )
        conn.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema_version", "2"), ("mus_id", MUS), ("salt", salt)])  # fmt: skip
        super().__init__(path, conn, MUS, salt, lambda: STAMP)

    def held_ids(self) -> set[str]:
        return self._ids("SELECT appointment_id FROM records WHERE state = 'ACCEPTED'") | self._ids(
            "SELECT r.appointment_id FROM records r JOIN batches b ON b.id = r.batch "
            "WHERE r.state = 'PENDING' AND b.state IN ('IN_FLIGHT', 'UNKNOWN')"
        )


def old_visit_digests(frame: pd.DataFrame, mus_id: str, salt: str) -> pd.Series:
    patient, scope, start, complete = visit_parts(frame)
    when = start.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = mus_id + "|" + patient + "|" + scope + "|" + when.fillna("")
    key = salt.encode("ascii")
    digest = [hmac.new(key, t.encode("utf-8"), hashlib.sha256).hexdigest() for t in text]
    return pd.Series(digest, index=frame.index, dtype="object").where(complete, None)


def old_patient_digests(keys: pd.Series, salt: str) -> pd.Series:
    secret = salt.encode("ascii")
    uniq = pd.unique(keys.astype(str))
    table = {k: hmac.digest(secret, k.encode("utf-8"), "sha256").hex() if k else "" for k in uniq}
    return keys.astype(str).map(table)


def old_iso(values: pd.Series) -> list[str | None]:
    ts = pd.to_datetime(values, utc=True).dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    text = np.char.add(np.datetime_as_string(ts, unit="s"), "Z").astype(object)
    text[np.isnat(ts)] = None
    return list(text)


def old_mark_held(frame: pd.DataFrame, ledger: Ledger) -> None:
    frame["n_loaded_earlier"] = frame["appointment_id"].isin(ledger.held_ids())
    frame["n_visit_digest"] = old_visit_digests(frame, ledger.mus_id, ledger.salt)
    rows = ledger._conn.execute(
        "SELECT DISTINCT r.visit_digest, r.appointment_id FROM records r "
        "WHERE r.visit_digest IS NOT NULL AND r.state IN ('ACCEPTED', 'PENDING')"
    )
    pairs = {(str(d), str(a)) for d, a in rows}
    digests = {d for d, _ in pairs}
    own = frame["n_visit_digest"].fillna("") + "|" + frame["appointment_id"]
    same_visit = frame["n_visit_digest"].isin(digests) & ~own.isin({f"{d}|{a}" for d, a in pairs})
    frame["n_visit_loaded_earlier"] = same_visit & ~frame["n_loaded_earlier"]


def old_record_batches(
    ledger: Ledger, run_id: str, inputs: list[str], out_dir: str, batches: list[NewBatch]
) -> int:
    stamp = ledger.clock()
    ids = [(r.appointment_id,) for b in batches for r in b.records]
    with ledger._tx() as c:
        c.execute(
            "INSERT INTO runs (run_id, started, inputs, out_dir) VALUES (?, ?, ?, ?)",
            (run_id, stamp, "\n".join(inputs), out_dir),
        )
        c.execute("CREATE TEMP TABLE IF NOT EXISTS new_ids (id TEXT PRIMARY KEY)")
        c.execute("DELETE FROM new_ids")
        c.executemany("INSERT OR IGNORE INTO new_ids (id) VALUES (?)", ids)
        old = [row[0] for row in c.execute(
            "SELECT DISTINCT b.id FROM batches b JOIN records r ON r.batch = b.id "
            "WHERE b.state = 'RENDERED' AND r.appointment_id IN (SELECT id FROM new_ids)"
        )]  # fmt: skip
        c.executemany(
            "UPDATE batches SET state = 'SUPERSEDED', updated = ? WHERE id = ?",
            [(stamp, b) for b in old],
        )
        c.executemany(
            "UPDATE records SET state = 'SUPERSEDED', updated = ? "
            "WHERE batch = ? AND state = 'PENDING'",
            [(stamp, b) for b in old],
        )
        for b in batches:
            cur = c.execute(
                "INSERT INTO batches (batch_id, run_id, file, sha256, records, state, "
                "created, updated) VALUES (?, ?, ?, ?, ?, 'RENDERED', ?, ?)",
                (b.batch_id, run_id, b.file, b.sha256, len(b.records), stamp, stamp),
            )
            c.executemany(
                "INSERT INTO records (batch, key, appointment_id, visit_digest, "
                "source_file, source_row, state, updated) VALUES (?, ?, ?, ?, ?, ?, "
                "'PENDING', ?)",
                [(cur.lastrowid, r.key, r.appointment_id, r.visit_digest, r.source_file,
                  r.source_row, stamp) for r in b.records],
            )  # fmt: skip
    return len(old)


def old_write_facts(ledger: Ledger, operation: str, frame: pd.DataFrame) -> None:
    f = frame.reindex(columns=COLUMNS)
    for col in ("schedule_id", "scope_code", "category", "patient_digest"):
        f[col] = f[col].astype(object).where(f[col].notna(), "").astype(str)

    def text(col: str) -> list[str]:
        return [str(v) for v in f[col].astype(object).tolist()]

    rows = list(zip(text("key"), [operation] * len(f), text("local_id"), text("schedule_id"),
                    old_iso(f["start"]), old_iso(f["end"]), text("scope_code"), text("category"),
                    text("patient_digest"), strict=True))  # fmt: skip
    with ledger._tx() as c:
        c.execute(SCHEMA)
        c.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def old_appointment_facts(rows: pd.DataFrame, keys: list[str], salt: str) -> pd.DataFrame:
    start = rows["n_start"]
    minutes = pd.to_numeric(rows.get("n_duration"), errors="coerce")
    end = start + pd.to_timedelta(minutes, unit="min")
    return pd.DataFrame({
        "key": keys, "local_id": rows["appointment_id"].to_numpy(), "schedule_id": rows["schedule_id"].to_numpy(),
        "start": start.to_numpy(), "end": end.to_numpy(), "scope_code": rows["scope_code"].to_numpy(),
        "category": rows["n_category"].str.upper().to_numpy(),
        "patient_digest": old_patient_digests(patient_key(rows), salt).to_numpy(),
    })  # fmt: skip


def old_journal(
    ledger: Ledger, frame: pd.DataFrame, payload: list[PayloadFile], run_id: str, out_dir: Path
) -> int:
    if "n_visit_digest" not in frame.columns:
        frame["n_visit_digest"] = old_visit_digests(frame, ledger.mus_id, ledger.salt)
    batches, facts = [], []
    for p in payload:
        rows = frame.loc[p.labels]
        keys = key_array(ledger.mus_id, rows["appointment_id"]).to_pylist()
        records = [
            NewRecord(k, a, d, str(f), str(r))
            for k, a, d, f, r in zip(
                keys, rows["appointment_id"], rows["n_visit_digest"], rows[SOURCE_FILE],
                rows[SOURCE_ROW], strict=True,
            )
        ]  # fmt: skip
        batches.append(NewBatch(batch_id_of(p.path), str(p.path.resolve()), p.sha256, records))
        facts.append((p.labels, list(keys)))
    superseded = old_record_batches(ledger, run_id, ["x.csv"], str(out_dir.resolve()), batches)
    if facts:
        labels = [label for batch_labels, _ in facts for label in batch_labels]
        keys = [key for _, batch_keys in facts for key in batch_keys]
        old_write_facts(
            ledger, "zasilInicjalnie", old_appointment_facts(frame.loc[labels], keys, ledger.salt)
        )
    return superseded


# -- generated frames ---------------------------------------------------------------------
TEXT = st.text(alphabet="0123456789|ąŻ aBx-", max_size=12)
INSTANT = st.one_of(
    st.none(),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
    st.datetimes(min_value=dt.datetime(1960, 1, 1), max_value=dt.datetime(2040, 1, 1)),
)
ROW_COLUMNS = [
    "patient_pesel", "n_pesel_present", "n_doc_type", "n_doc_country", "patient_document_number",
    "scope_code", "n_start", "n_duration", "schedule_id", "n_category", SOURCE_ROW,
]  # fmt: skip
ROW = st.fixed_dictionaries({
    "patient_pesel": st.one_of(st.just(""), st.from_regex(r"\A[0-9]{11}\Z"), TEXT),
    "n_pesel_present": st.booleans(), "n_doc_type": st.sampled_from(["", "PASSPORT", "ID"]),
    "n_doc_country": st.sampled_from(["", "PL", "DE", "UA"]), "patient_document_number": TEXT,
    "scope_code": st.sampled_from(["", "02.1100.001.02", "MAMMO", "ż|1"]), "n_start": INSTANT,
    "n_duration": st.one_of(st.none(), st.integers(0, 600)), "schedule_id": TEXT,
    "n_category": st.sampled_from(["", "pilny", "stabilny", "Pilny"]),
    SOURCE_ROW: st.integers(1, 10**6),
})  # fmt: skip


def frame_of(rows: list[dict[str, object]]) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=ROW_COLUMNS)
    for col in ("patient_pesel", "n_doc_type", "n_doc_country", "patient_document_number",
                "scope_code", "schedule_id", "n_category"):  # fmt: skip
        f[col] = f[col].astype("str")
    f["n_pesel_present"] = f["n_pesel_present"].astype(bool)
    f["n_start"] = pd.to_datetime(f["n_start"]).astype("datetime64[us]").dt.tz_localize("UTC")
    f["n_duration"] = f["n_duration"].astype("Int64")
    f[SOURCE_ROW] = f[SOURCE_ROW].astype("int64")
    f[SOURCE_FILE] = pd.Series(["wizyty.csv", "/tmp/ż.csv"] * len(f))[: len(f)].astype("str")
    f["appointment_id"] = pd.Series([f"W{i:05d}ż" for i in range(len(f))], dtype="str")
    return f


def as_list(s: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in s.astype(object).tolist()]


@given(rows=st.lists(ROW, max_size=40), salt=st.sampled_from([SALT, "", "k" * 100]))
@settings(SLOW_OK, max_examples=100)
def test_visit_digests_equal_the_per_row_hmac(rows: list[dict[str, object]], salt: str) -> None:
    f = frame_of(rows)
    assert as_list(visit_digests(f, MUS, salt)) == as_list(old_visit_digests(f, MUS, salt))


@given(keys=st.lists(st.one_of(st.just(""), TEXT), max_size=40))
@SLOW_OK
def test_patient_digests_equal_the_per_row_hmac(keys: list[str]) -> None:
    s = pd.Series(keys, dtype="str", index=range(10, 10 + len(keys)))
    new, old = patient_digests(s, SALT), old_patient_digests(s, SALT)
    assert list(new.index) == list(old.index) and as_list(new) == as_list(old)


@given(texts=st.lists(st.binary(max_size=200), max_size=20), salt=st.text("abc0f9", max_size=90))
@SLOW_OK
def test_keyed_digests_are_hmac_sha256(texts: list[bytes], salt: str) -> None:
    assert keyed_digests(salt, texts) == [hmac.digest(salt.encode(), t, "sha256") for t in texts]


@given(values=st.lists(INSTANT, max_size=40), tz=st.sampled_from(["UTC", "Europe/Warsaw"]),
       repeat=st.integers(1, 3), few=st.sampled_from([0, digests_module._FEW]))  # fmt: skip
@SLOW_OK
def test_utc_text_is_strftime_and_numpy(
    values: list[dt.datetime | None], tz: str, repeat: int, few: int
) -> None:
    """``few``: 0 makes utc_text write the distinct instants once and take them (as it does for
    a long column); ``repeat``: instants repeated, as appointment starts are."""
    naive = pd.to_datetime(pd.Series(values * repeat, dtype="object")).astype("datetime64[us]")
    instants = naive.dt.tz_localize("UTC").dt.tz_convert(tz)
    by_pandas = instants.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    default, digests_module._FEW = digests_module._FEW, few
    try:
        assert utc_text(instants).to_pylist() == as_list(by_pandas)
        assert utc_text(naive).to_pylist() == old_iso(naive)
    finally:
        digests_module._FEW = default


@given(texts=st.lists(st.one_of(st.none(), st.binary(max_size=80)), max_size=30))
@SLOW_OK
def test_digest_bytes_are_the_hex_digests_and_pack_alike(texts: list[bytes | None]) -> None:
    """Raw digests (:func:`digest_array`) read as hex are :func:`hex_column`'s text, and a blob
    given them packs to the very bytes of one given the hex text (unpacked: that text)."""
    valid = np.array([t is not None for t in texts], dtype=bool)
    made = keyed_digests(SALT, [t for t in texts if t is not None])
    raw = digest_array(b"".join(made), valid)
    text = hex_column(made, valid)
    assert raw.type == pa.binary(32) and hex_text(raw).to_pylist() == text.to_pylist()
    if valid.any():  # an all-null text column stays text in a blob
        assert pack(pa.table({"visit_digest": raw})) == pack(pa.table({"visit_digest": text}))
    assert unpack(pack(pa.table({"visit_digest": raw}))).column(0).to_pylist() == text.to_pylist()


@given(ids=st.lists(st.text(max_size=10), max_size=30), mus=st.sampled_from([MUS, "ż|x", ""]))
@SLOW_OK
def test_idempotency_keys_are_the_payloads(ids: list[str], mus: str) -> None:
    s = pd.Series(ids, dtype="str")
    expected = [str(uuid.uuid5(KEY_NAMESPACE, f"{mus}|{a}")) for a in ids]
    assert idempotency_keys(mus, s).to_pylist() == expected == key_array(mus, s).to_pylist()
    encoded = [a.encode() for a in ids]
    assert uuid5_texts(KEY_NAMESPACE, f"{mus}|", encoded).to_pylist() == expected


def dump(led: Ledger) -> dict[str, object]:
    """Everything the ledger holds, read through its own API (any schema)."""
    from cer_loader.ledger.facts import facts_of
    from cer_loader.ledger.records import RECORD_COLUMNS, STATES

    raw = {t: led._conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()  # noqa: S608
           for t in ("runs", "batches", "attempts")}  # fmt: skip
    t = led._records()
    records = list(zip(*(t.column(c).to_pylist() for c in (*RECORD_COLUMNS, "batch", "code")),
                       [STATES[s] for s in t.column("state").to_pylist()], strict=True))  # fmt: skip
    pairs = led.visit_pairs()
    return {**raw, "records": records, "facts": facts_of(led, "zasilInicjalnie").to_pylist(),
            "held": sorted(led.held_ids()), "visits": sorted(zip(*pairs, strict=True)),
            "counts": led.record_counts()}  # fmt: skip


def payload_of(f: pd.DataFrame, folder: Path, cuts: list[int], tag: str) -> list[PayloadFile]:
    labels = list(f.index[f["n_start"].notna().to_numpy()])
    bounds = sorted({0, len(labels), *(c % (len(labels) + 1) for c in cuts)})
    out = []
    for n, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
        path = folder / f"{tag}_{n:04d}.xml"
        path.write_bytes(f'<p identyfikatorPaczki="{tag}-{n}"/>'.encode())
        out.append(PayloadFile(path, b - a, f"{tag}{n}", labels[a:b]))
    return out


@given(rows=st.lists(ROW, max_size=30), cuts=st.lists(st.integers(0, 30), max_size=4),
       again=st.integers(0, 30), group=st.sampled_from([1, 4, journal_module.GROUP_ROWS]),
       few=st.sampled_from([0, digests_module._FEW]), helper=st.booleans())  # fmt: skip
@settings(SLOW_OK, max_examples=30)
def test_journal_leaves_the_ledger_the_per_row_journal_left(
    rows: list[dict[str, object]], cuts: list[int], again: int, group: int, few: int,
    helper: bool,
) -> None:  # fmt: skip
    """Two runs journaled by today's code (schema 3; ``group``: the records it journals at a
    time, so batches are taken from the frame in several groups; ``few``: 0 and ``helper``
    take the long columns' ways on these short ones: instants written once each, digests made
    by the digester's helper process) and by the per-row code into a schema-2 file, that file
    then opened (migrated): the same flags, and the same ledger."""
    default, journal_module.GROUP_ROWS = journal_module.GROUP_ROWS, group
    default_few, digests_module._FEW = digests_module._FEW, few
    default_helper = digester_module.HELPER_VALUES
    digester_module.HELPER_VALUES = 1 if helper else default_helper
    try:
        _journal_twice(rows, cuts, again)
    finally:
        journal_module.GROUP_ROWS = default
        digests_module._FEW = default_few
        digester_module.HELPER_VALUES = default_helper


def _journal_twice(rows: list[dict[str, object]], cuts: list[int], again: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        frame = frame_of(rows)
        second = frame.iloc[again % (len(frame) + 1) :].copy()  # a later run: ids again, and
        moved = second.index[::2]  # the same visits under new ids (visit-loaded-earlier)
        second.loc[moved, "appointment_id"] = "N" + second.loc[moved, "appointment_id"]
        results = {}
        for name in ("new", "old"):
            if name == "new":
                led: Ledger | None = open_ledger(folder / "new.sqlite", MUS, clock=lambda: STAMP)
            else:
                led = V2Ledger(folder / "old.sqlite", results["new"][2])
            assert led is not None
            with led:
                counts = []
                for tag, f in (("r1", frame.copy()), ("r2", second.copy())):
                    (mark_held if name == "new" else old_mark_held)(f, led)
                    payload = payload_of(f, folder, cuts, tag)
                    if name == "new":
                        n = journal(led, f, payload, run_id=tag, inputs=["x.csv"], out_dir=folder)
                    else:
                        n = old_journal(led, f, payload, tag, folder)
                    counts.append((n, list(f["n_loaded_earlier"]),
                                   list(f["n_visit_loaded_earlier"])))  # fmt: skip
                salt = led.salt
            with open_ledger(folder / f"{name}.sqlite", MUS) as again_led:  # type: ignore[union-attr]
                results[name] = (counts, dump(again_led), salt)
        assert results["new"][:2] == results["old"][:2]
