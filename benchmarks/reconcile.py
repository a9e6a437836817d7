"""Daily sync monitoring at scale: `cer-loader reconcile` on a 100k-appointment export.

Generates a reproducible export (`cer-loader sample`), loads it into a ledger as if CeR had
accepted every rendered record, changes the export the way a day does (a share of visits moved,
cancelled and added), then times the whole `cer-loader reconcile` process and prints what it
found. Run: `python benchmarks/reconcile.py [--rows 100000]`.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument(
        "--change", type=float, default=0.01, help="share of rows moved/cancelled/added"
    )
    args = ap.parse_args()
    from cer_loader.ledger import open_ledger
    from cer_loader.pipeline import run
    from cer_loader.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        export = tmp / "eksport.csv"
        subprocess.run([sys.executable, "-m", "cer_loader", "sample", "--rows", str(args.rows), "--format",
                        "csv", "--out", str(export), "--defects", "0", "--seed", "7"], check=True,
                       capture_output=True)  # fmt: skip
        mapping, config = tmp / "eksport.mapping.toml", tmp / "eksport.cer-loader.toml"
        settings = load_settings(config, {})
        ledger = tmp / "ledger.sqlite"
        t0 = time.perf_counter()
        done = run(
            [export], settings, mapping_path=mapping, out_dir=tmp / "load", ledger_path=ledger
        )
        load_s = time.perf_counter() - t0
        with open_ledger(ledger, settings.mus_id) as led:  # type: ignore[union-attr]
            for batch in led.batches(("RENDERED",)):  # as if CeR accepted every record
                attempt = led.begin_attempt(batch, "bench")
                recs = [(r.key, True, "", "") for r in led.records(batch)]
                led.finish_attempt(attempt, batch, "ACCEPTED", outcome="ANSWER", records=recs)
        # a day of changes: moved visits, cancelled ones (rows gone), new bookings (copied ids changed)
        with open(export, encoding="cp1250", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
        head, body = rows[0], rows[1:]
        rnd = random.Random(3)
        n = int(len(body) * args.change)
        time_col = head.index(next(h for h in head if "godz" in h.lower()))
        for r in rnd.sample(body, n):
            r[time_col] = "07:05" if r[time_col] != "07:05" else "07:10"
        gone = set(rnd.sample(range(len(body)), n))
        body = [r for i, r in enumerate(body) if i not in gone]
        body += [[f"NEW{i:06d}", *r[1:]] for i, r in enumerate(rnd.sample(body, n))]
        with open(export, "w", encoding="cp1250", newline="") as fh:
            csv.writer(fh, delimiter=";", lineterminator="\r\n").writerows([head, *body])
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "cer_loader", "reconcile", str(export), "--mapping",
                              str(mapping), "--config", str(config), "--ledger", str(ledger), "--out",
                              str(tmp / "rec")], capture_output=True, text=True)  # fmt: skip
        rec_s = time.perf_counter() - t0
    print(
        f"rows: {args.rows}  loaded into the ledger: {done.summary['accepted']} ({load_s:.1f} s, not timed below)"
    )
    print(
        f"cer-loader reconcile, whole process: {rec_s:.2f} s ({len(body) / rec_s:,.0f} rows/s), exit {res.returncode}"
    )
    print(res.stdout.strip())


if __name__ == "__main__":
    main()
