"""Same input, same results: any number of render workers, and the input in ten parts (issue 10).

    python benchmarks/identical.py --rows 1000000 [--workers 1 2 4] [--parts 10] [--keep DIR]
    python benchmarks/identical.py --file FILE --mapping MAPPING --config CONFIG ...

Makes a sample export (``cer-loader sample``: cp1250 CSV, 1 % defects) unless ``--file`` is
given, then runs the real pipeline on it once per worker count (``benchmarks/stages.py
--workers N``: every output written) and once more with the file cut into ``--parts`` files at
record boundaries, all ten given to one ``cer-loader run``. Every run starts from a copy of the
same empty ledger, so they share its salt (visit and patient digests are salted per ledger).

Compared, each as one SHA-256 printed per run (the first run is the reference):
- payload: every file's bytes with the batch id blanked (it carries the run id), in order —
  for the worker counts; and the bytes of every ``rezerwacja`` element in payload order, for
  all runs (ten parts cut the batches at the same places only if the parts' sizes are
  multiples of the batch size, so whole files are compared only for the worker counts);
- reports: ``rejected.csv`` and ``warnings.csv`` rows, the steward workbook's "Do poprawy" and
  "Ostrzeżenia" sheets (cell values) and the counts of ``summary.json``; the source file and
  row of a part are translated to the whole file's before hashing, and the balance's physical
  and header line counts are left out (ten parts have ten header lines);
- ledger: every batch's record count and state, and every record's key, appointment id, state,
  source (translated) in order, and the visit digests the ledger holds.

Prints a Markdown table and exits 1 if anything differs. Benchmark-only (wall seconds are
printed, nothing is timed as an assertion); needs the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
BATCH_ID = re.compile(rb'identyfikatorPaczki="[^"]*"')
RECORD = re.compile(rb"<rezerwacja[ >].*?</rezerwacja>", re.S)
SUMMARY_COUNTS = (
    "input_rows", "blank_rows", "accepted", "rejected", "rows_with_warnings", "warnings",
    "balance_holds", "balance", "rejections_by_rule", "warnings_by_rule", "patients_without_sms",
    "exit_code", "accepted_new", "already_loaded", "steward_fixed",
)  # fmt: skip
Source = Callable[[str, str], tuple[str, str]]  # (file, row) -> the whole file's (file, row)


def digest(chunks: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(len(c).to_bytes(8, "little"))
        h.update(c)
    return h.hexdigest()[:16]


def payload_files(out: Path) -> list[Path]:
    return sorted((out / "payload").glob("*.xml"))


def whole_files(out: Path) -> str:
    return digest(
        BATCH_ID.sub(b'identyfikatorPaczki=""', p.read_bytes()) for p in payload_files(out)
    )


def records(out: Path) -> str:
    return digest(m.group() for p in payload_files(out) for m in RECORD.finditer(p.read_bytes()))


def csv_rows(path: Path, source: Source) -> Iterator[bytes]:
    if not path.exists():
        return
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(fh)
        head = next(rows, [])
        at_file, at_row = head.index("source_file"), head.index("source_row")
        yield "\x1f".join(head).encode()
        for row in rows:
            row[at_file], row[at_row] = source(row[at_file], row[at_row])
            yield "\x1f".join(row).encode()


def sheet_rows(path: Path, name: str, source: Source) -> Iterator[bytes]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    head = [str(c) for c in rows[0]]
    at_file, at_row = head.index("CER: plik źródłowy"), head.index("CER: wiersz źródłowy")
    for row in rows:
        cells = [str(c) for c in row]
        if row is not rows[0]:
            cells[at_file], cells[at_row] = source(cells[at_file], cells[at_row])
        yield "\x1f".join(cells).encode()


def reports(out: Path, source: Source) -> str:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    counts = {k: summary.get(k) for k in SUMMARY_COUNTS}
    if isinstance(counts["balance"], dict):  # ten parts have ten header lines: the rest must agree
        counts["balance"] = {k: v for k, v in counts["balance"].items()
                             if k not in ("physical_records", "header")}  # fmt: skip
    parts = [
        digest(csv_rows(out / "rejected.csv", source)),
        digest(csv_rows(out / "warnings.csv", source)),
        digest(sheet_rows(out / "report.xlsx", "Do poprawy", source)),
        digest(sheet_rows(out / "report.xlsx", "Ostrzeżenia", source)),
        digest([json.dumps(counts, sort_keys=True).encode()]),
    ]
    return digest(p.encode() for p in parts)


def ledger(path: Path, mus_id: str, source: Source) -> str:
    from cer_loader.ledger import open_ledger

    state = open_ledger(path, mus_id, create=False)
    if state is None:
        raise SystemExit(f"{path}: no ledger")
    with state:

        def lines() -> Iterator[bytes]:
            for b in state.batches():
                yield f"{b.records}|{b.state}".encode()
                for r in state.records(b):
                    file, row = source(r.source_file, r.source_row)
                    yield f"{r.key}|{r.appointment_id}|{r.state}|{file}|{row}".encode()
            digests, owners = state.visit_pairs()
            yield from sorted(f"{d}|{o}".encode() for d, o in zip(digests, owners, strict=True))

        return digest(lines())


def split(data: Path, parts: int, into: Path) -> tuple[list[Path], list[int]]:
    """``data`` cut into ``parts`` files at record boundaries (each with the header line);
    returns them and how many records come before each part."""
    raw = data.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "cp1250"
    text = raw.decode(encoding)
    lines = text.splitlines(keepends=True)
    bounds: list[int] = []  # the first physical line of every record after the header
    reader = csv.reader(lines, delimiter=";" if lines[0].count(";") > lines[0].count(",") else ",")
    next(reader)
    line = reader.line_num
    for _ in reader:
        bounds.append(line)
        line = reader.line_num
    size = -(-len(bounds) // parts)
    files, before = [], []
    for k in range(parts):
        chunk = bounds[k * size : (k + 1) * size]
        if not chunk:
            break
        end = bounds[(k + 1) * size] if (k + 1) * size < len(bounds) else len(lines)
        path = into / f"{data.stem}_part{k + 1:02d}{data.suffix}"
        path.write_bytes(
            (lines[0] + "".join(lines[chunk[0] : end])).encode(encoding.replace("-sig", ""))
        )
        files.append(path)
        before.append(k * size)
    return files, before


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {done.returncode}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--file", type=Path)
    ap.add_argument("--mapping", type=Path)
    ap.add_argument("--config", type=Path)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--parts", type=int, default=10)
    ap.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    args = ap.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="cer-identical-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        compare(args, tmp)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


def compare(args: argparse.Namespace, tmp: Path) -> None:
    from cer_loader.ledger import open_ledger
    from cer_loader.settings import load_settings

    if args.file:
        data, mapping, config = args.file.resolve(), args.mapping, args.config
    else:
        from cer_loader.samples.writers import write_sample

        w = write_sample(tmp / f"wizyty_{args.rows}.csv", "csv", args.rows, 0.01, seed=1)
        data, mapping, config = w.data, w.mapping, w.config
    mus_id = load_settings(config, {}).mus_id
    empty = tmp / "empty-ledger.sqlite"
    made = open_ledger(empty, mus_id)
    assert made is not None
    made.close()
    whole = str(data.resolve())

    def same(file: str, row: str) -> tuple[str, str]:
        return file, row

    rows: list[tuple[str, float, str, str, str, str]] = []
    for n in args.workers:
        out = tmp / f"workers_{n}"
        out.mkdir()
        shutil.copy(empty, out / "ledger.sqlite")
        cmd = [sys.executable, str(HERE / "stages.py"), str(data), str(mapping), str(config)]
        wall = run([*cmd, str(out), "--workers", str(n)])
        rows.append((f"{n} worker(s)", wall, whole_files(out), records(out),
                     reports(out, same), ledger(out / "ledger.sqlite", mus_id, same)))  # fmt: skip
        print(f"{rows[-1][0]}: {wall:.1f} s", file=sys.stderr)
    parts_dir = tmp / "parts"
    parts_dir.mkdir()
    files, before = split(data, args.parts, parts_dir)
    offset = {str(p.resolve()): b for p, b in zip(files, before, strict=True)}

    def translated(file: str, row: str) -> tuple[str, str]:
        if file in offset and row.isdigit():
            return whole, str(int(row) + offset[file])
        return file, row

    out = tmp / "parts_out"
    out.mkdir()
    shutil.copy(empty, out / "ledger.sqlite")
    wall = run([sys.executable, "-m", "cer_loader", "run", *map(str, files), "--mapping",
                str(mapping), "--config", str(config), "--out", str(out), "--ledger",
                str(out / "ledger.sqlite"), "--quiet"])  # fmt: skip
    rows.append((f"{len(files)} parts, one run", wall, "(batches cut elsewhere)", records(out),
                 reports(out, translated), ledger(out / "ledger.sqlite", mus_id, translated)))  # fmt: skip
    print(table(rows, data))
    ref = rows[0]
    differ = [r[0] for r in rows[1:] if r[3:] != ref[3:] or (r[2] != ref[2] and "cut" not in r[2])]
    if differ:
        raise SystemExit(f"differ from the first run: {', '.join(differ)}")


def table(rows: list[tuple[str, float, str, str, str, str]], data: Path) -> str:
    head = "| run | wall | payload files | records | reports | ledger |\n|---|---|---|---|---|---|"
    lines = [f"| {r[0]} | {r[1]:.1f} s | `{r[2]}` | `{r[3]}` | `{r[4]}` | `{r[5]}` |" for r in rows]
    return f"\n`{data.name}`\n\n" + "\n".join([head, *lines])


if __name__ == "__main__":
    main()
