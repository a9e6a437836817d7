"""What the pipeline asks of the ledger: which rows CeR holds, and journaling new batches.

The journal takes the run's rows a group of whole batches at a time (:data:`GROUP_ROWS`) and
sends the group's visit and patient texts to a :class:`~.digester.Digester` at once; while its
helper process hashes them, the journal writes the group before (record blobs, facts), so the
hashing, ~1 µs a value in Python, runs beside the rest on a second core."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from cer_loader.ingest.table import SOURCE_FILE, SOURCE_ROW
from cer_loader.ledger import visit_digests, visit_texts
from cer_loader.ledger.bulk import BatchHead, end_run, record_table, start_run
from cer_loader.ledger.digester import Digester
from cer_loader.ledger.digests import arrow_text, digest_array, text_array
from cer_loader.ledger.facts import Patients, appointment_facts, insert_facts
from cer_loader.ledger.records import insert, supersede
from cer_loader.ledger.store import Ledger
from cer_loader.render import PayloadFile
from cer_loader.render.columns import key_array
from cer_loader.validate.identity import patient_key

# the columns appointment_facts reads (validate.identity.patient_key: the patient's parts)
FACT_SOURCES = [
    "appointment_id", "schedule_id", "n_start", "n_duration", "scope_code", "n_category",
    "patient_pesel", "n_pesel_present", "n_doc_type", "n_doc_country", "patient_document_number",
]  # fmt: skip
BATCH_ID_ATTR = "identyfikatorPaczki"  # UNCONFIRMED: the draft template's batch id attribute


def mark_held(frame: pd.DataFrame, ledger: Ledger) -> None:
    """Flag rows CeR holds or may hold (``n_loaded_earlier``: accepted, in flight or unknown;
    they are not rendered again) and rows repeating a visit the ledger has under another
    appointment id (``n_visit_loaded_earlier``: rejected as visit-loaded-earlier). A ledger
    holding no record accepted or pending flags nothing and needs no visit digest (the
    journal makes those of the rows it records)."""
    if not ledger.holds_records():
        frame["n_loaded_earlier"] = np.zeros(len(frame), dtype=bool)
        frame["n_visit_loaded_earlier"] = np.zeros(len(frame), dtype=bool)
        return
    ids = arrow_text(frame["appointment_id"])
    held, known, owners = ledger._held_and_visits()  # each visit the ledger has, with its own id
    loaded = pc.is_in(ids, value_set=held).to_numpy(zero_copy_only=False)
    frame["n_loaded_earlier"] = loaded
    with Digester(ledger.salt) as digester:  # a 1M-row frame's digests by two processes
        frame["n_visit_digest"] = digest = visit_digests(
            frame, ledger.mus_id, ledger.salt, digester
        )
    own = pc.binary_join_element_wise(known, owners, "|")
    mine = arrow_text(digest)
    mine_own = pc.binary_join_element_wise(mine, ids, "|")
    same_visit = pc.and_(pc.is_in(mine, value_set=known),
                         pc.invert(pc.is_in(mine_own, value_set=own)))  # fmt: skip
    frame["n_visit_loaded_earlier"] = (
        pc.fill_null(same_visit, False).to_numpy(zero_copy_only=False) & ~loaded
    )


def idempotency_keys(mus_id: str, appointment_ids: pd.Series) -> pa.StringArray:
    """The records' idempotency keys: the payload's own (``render.columns.key_array``), so the
    key the ledger holds is the ``kluczIdempotencji`` CeR answers about, missing ids included."""
    return key_array(mus_id, appointment_ids)


def batch_id_of(path: Path) -> str:
    """The batch id the payload file carries on its root element (the file read a few KB at a
    time until the root's start tag is parsed, not the body)."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False
    )
    with open(path, "rb") as fh:
        while chunk := fh.read(_HEAD):
            parser.feed(chunk)
            for _, element in parser.read_events():
                if isinstance(element, etree._Element):  # "start" events carry the element
                    return str(element.get(BATCH_ID_ATTR) or path.stem)
    parser.close()  # a file with no root element: the parser's error, as before
    return path.stem


_HEAD = 4096  # bytes of a payload file read at a time for its batch id


GROUP_ROWS = 50_000  # records journaled at a time (whole batches): bounds the journal's memory
# (50k: the reports are made beside it, and 100k groups took the 1M run over 1.5 GB)


def _groups(payload: Sequence[PayloadFile], limit: int) -> Iterator[list[PayloadFile]]:
    """The batches in order, in groups of at most ``limit`` records (a bigger batch alone)."""
    group: list[PayloadFile] = []
    size = 0
    for p in payload:
        if group and size + len(p.labels) > limit:
            yield group
            group, size = [], 0
        group.append(p)
        size += len(p.labels)
    if group:
        yield group


class _Taken:
    """One group of batches' rows taken from the frame, their digests sent to the digester (made
    while the journal writes the group before): :meth:`columns` gives what is written."""

    def __init__(
        self, ledger: Ledger, frame: pd.DataFrame, group: Sequence[PayloadFile], digester: Digester
    ) -> None:
        labels = [label for p in group for label in p.labels]
        needed = [*FACT_SOURCES, "n_visit_digest", SOURCE_FILE, SOURCE_ROW]
        rows = frame.loc[labels, [c for c in needed if c in frame.columns]]  # no wide copy
        self.ledger, self.group, self.rows = ledger, group, rows
        self.visits: pa.Array | None = None
        if "n_visit_digest" in rows.columns:  # hex text: mark_held compared it with the ledger
            self.visits = arrow_text(rows["n_visit_digest"])
        else:  # mark_held had no ledger visit to compare with: the raw bytes the blob stores
            texts, self.complete = visit_texts(rows, ledger.mus_id)
            self.visit_job = digester.submit(texts)
        self.patients = Patients(patient_key(rows).astype(str))
        self.patient_job = digester.submit(self.patients.distinct)

    def columns(self) -> tuple[pa.Table, pd.DataFrame]:
        """The record columns and the facts of the group's rows."""
        rows, group, ledger = self.rows, self.group, self.ledger
        visits = self.visits
        if visits is None:
            visits = digest_array(self.visit_job.result(), self.complete)
        made = [p.keys for p in group]
        if all(k is not None for k in made):  # the keys the batches carry, made once by render
            keys = pa.chunked_array(made, pa.string()).combine_chunks()
        else:
            keys = idempotency_keys(ledger.mus_id, rows["appointment_id"])
        records = record_table(
            keys, arrow_text(rows["appointment_id"]), visits, text_array(rows[SOURCE_FILE]),
            text_array(rows[SOURCE_ROW]),
        )  # fmt: skip
        patients = self.patients.column(self.patient_job.result())
        # schedule, start, scope: what go-live's overlap check and reconcile compare
        return records, appointment_facts(rows, keys, ledger.salt, patients)


def journal(
    ledger: Ledger, frame: pd.DataFrame, payload: Sequence[PayloadFile], *, run_id: str,
    inputs: Sequence[str], out_dir: Path, finished: bool = True,
    before_commit: Callable[[], object] | None = None,
) -> int:  # fmt: skip
    """Record the run's batches (RENDERED), their records and the records' facts in one
    transaction; returns how many unsent earlier batches were superseded because their ids
    were rendered again. ``finished``: the run is complete (its reports in place) in the same
    transaction; else ``Ledger.finish_run`` later. Whole columns, :data:`GROUP_ROWS` records
    (whole batches) at a time: what a group's rows make (digests, keys, facts) is written and
    let go before the next group is taken from ``frame``, so a 1M-row run never holds the
    columns of all its records at once. ``before_commit``: called last inside the transaction
    (the pipeline waits there for its reports); what it raises rolls the transaction back."""
    heads = [
        BatchHead(batch_id_of(p.path), str(p.path.resolve()), p.sha256, len(p.labels))
        for p in payload
    ]
    stamp = ledger.clock()
    with ledger._tx() as conn, Digester(ledger.salt) as digester:
        ids = start_run(conn, stamp, run_id, inputs, str(out_dir.resolve()), heads)
        appointment_ids: list[pa.Array] = []
        at = 0

        def write(taken: _Taken, at: int) -> int:
            records, facts = taken.columns()
            group = taken.group
            insert(conn, ids[at : at + len(group)], [len(p.labels) for p in group], records)
            insert_facts(conn, "zasilInicjalnie", facts)
            appointment_ids.append(records.column("appointment_id").combine_chunks())
            return at + len(group)

        ahead: _Taken | None = None  # taken, its digests under way, not written yet
        for group in _groups(payload, GROUP_ROWS):
            taken = _Taken(ledger, frame, group, digester)
            if ahead is not None:
                at = write(ahead, at)
            ahead = taken
            del taken
        if ahead is not None:
            at = write(ahead, at)
        ahead = None
        superseded = 0
        if ids:
            taken = pa.chunked_array(appointment_ids, pa.string()).combine_chunks()
            superseded = supersede(conn, stamp, ids[0], taken)
        if finished:
            end_run(conn, stamp, run_id)
        if before_commit is not None:
            before_commit()
    return superseded
