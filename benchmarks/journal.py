"""The ledger stage alone (not part of the test run): ``mark_held`` and ``journal`` on a frame.

    python benchmarks/journal.py FILE MAPPING CONFIG [--cache FRAME.pkl] [--batch-size N] [--memory]

The export is read, mapped and normalized once (``--cache`` keeps that frame in a pickle for
the next call, so paired before/after runs time the ledger only); then, on a fresh ledger in a
temporary folder: ``mark_held`` (visit digests), ``journal`` of every row with a start and an
id of its own in batches of ``--batch-size`` (stand-in payload files carrying only the batch
id, and the idempotency keys render hands over: rendering is not timed), then a second run on
the same ledger (every id rendered again: the earlier batches are superseded). Prints one JSON
line: seconds per step (wall and this process's CPU: the digester's helper process is not in
it), rows, the ledger file's size and, with ``--memory``, the most each step held allocated
beyond what it started with (tracemalloc, a separate pass).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from cer_loader import pipeline
from cer_loader.catalogues.identifiers import load_identifiers
from cer_loader.ledger import open_ledger
from cer_loader.ledger.journal import journal, mark_held
from cer_loader.mapping import load_mapping
from cer_loader.render import PayloadFile
from cer_loader.render.columns import key_array
from cer_loader.settings import load_settings


def frame_of(data: Path, mapping: Path, config: Path, cache: Path | None) -> pd.DataFrame:
    if cache is not None and cache.exists():
        return pd.read_pickle(cache)  # noqa: S301 - our own file
    settings = load_settings(config, {})
    ids = load_identifiers(settings.identifiers)
    m = load_mapping(mapping)
    tables = pipeline.read_inputs([data], m, oids=ids.oid)
    frame = pipeline.normalize(pipeline.combine(tables, m), ids)
    if cache is not None:
        with open(cache, "wb") as fh:
            pickle.dump(frame, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return frame


def payload_of(
    frame: pd.DataFrame, folder: Path, size: int, tag: str, mus: str
) -> list[PayloadFile]:
    ok = frame["n_start"].notna() & ~frame["appointment_id"].duplicated(keep=False)
    labels = list(frame.index[ok.to_numpy()])  # as accepted rows: a start, an id of their own
    out = []
    for n, at in enumerate(range(0, len(labels), size)):
        path = folder / f"{tag}_{n:04d}.xml"
        data = f'<p identyfikatorPaczki="{tag}-{n}"/>'.encode()
        path.write_bytes(data)
        part = labels[at : at + size]
        keys = key_array(mus, frame.loc[part, "appointment_id"])  # made by render in a run
        out.append(PayloadFile(path, len(part), hashlib.sha256(data).hexdigest(), part, keys))
    return out


def steps(frame: pd.DataFrame, folder: Path, mus: str, size: int) -> dict[str, float]:
    times: dict[str, float] = {}
    with open_ledger(folder / "ledger.sqlite", mus) as led:  # type: ignore[union-attr]
        for tag in ("first", "again"):
            f = frame.copy()
            payload = payload_of(f, folder, size, tag, mus)
            for name, step in (
                ("mark_held", lambda: mark_held(f, led)),  # noqa: B023 - called at once
                ("journal", lambda: journal(led, f, payload, run_id=tag, inputs=["x.csv"],  # noqa: B023
                                            out_dir=folder)),
            ):  # fmt: skip
                base = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                t, cpu = time.perf_counter(), time.process_time()
                step()
                times[f"{tag}: {name}"] = time.perf_counter() - t
                times[f"{tag}: {name} cpu"] = time.process_time() - cpu
                if tracemalloc.is_tracing():
                    times[f"{tag}: {name} MB"] = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    times["ledger MB"] = (folder / "ledger.sqlite").stat().st_size / 2**20
    return times


def main(argv: list[str]) -> None:
    data, mapping, config = (Path(a) for a in argv[:3])
    cache = Path(argv[argv.index("--cache") + 1]) if "--cache" in argv else None
    size = int(argv[argv.index("--batch-size") + 1]) if "--batch-size" in argv else 5000
    mus = load_settings(config, {}).mus_id
    frame = frame_of(data, mapping, config, cache)
    with tempfile.TemporaryDirectory() as tmp:
        times = steps(frame, Path(tmp), mus, size)
    memory = {}
    if "--memory" in argv:  # a second pass under tracemalloc (slower: not timed)
        with tempfile.TemporaryDirectory() as tmp:
            tracemalloc.start()
            memory = {k: round(v, 1) for k, v in steps(frame, Path(tmp), mus, size).items()
                      if k.endswith(" MB")}  # fmt: skip
            tracemalloc.stop()
    times = {k: round(v, 3) for k, v in times.items()}
    print(json.dumps({"rows": len(frame), "times": times, "allocated at peak": memory}))


if __name__ == "__main__":
    main(sys.argv[1:])
