"""Benchmark of the data-quality refresh (services.data_quality.refresh, issue 14): every
active official record checked against the rules, batch by batch, on PostgreSQL.

    .venv/bin/python -m benchmarks.data_quality --pegawai 50000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_dq     # build, then time
    .venv/bin/python -m benchmarks.data_quality --reuse --database-url …  # time only

The database is the benchmarks' own (`benchmarks.build_db`: instansi, unit trees, Pegawai with
golongan history, dropped and rebuilt; its name must start with "bench"). The refresh runs
twice (the second replaces the findings the first wrote, the steady nightly case) and the
figures — records per second, findings, seconds per batch — are printed as JSON and, with
`--manifest`, written to a file. Results: benchmarks/RESULTS.md ("Data-quality refresh").
"""

import argparse
import json
import os
import sys
import time


def measure(url: str, batch_size: int, runs: int) -> dict:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import DataQualityFinding, Pegawai
    from app.services import data_quality

    from .wsgi import make_app

    app = make_app(url)  # production settings: every batch's commit is a durable one
    figures = {"batch_size": batch_size, "runs": []}
    with app.app_context():
        active = db.session.scalar(select(func.count()).where(Pegawai.status.in_(Pegawai.ACTIVE_STATUSES)))
        figures["active_records"] = active
        for number in range(1, runs + 1):
            batches, last = [], [time.perf_counter()]

            def progress(_instansi, _done, batches=batches, last=last):
                now = time.perf_counter()
                batches.append(now - last[0])
                last[0] = now

            started = time.perf_counter()
            done = data_quality.refresh(db.session, batch_size=batch_size, progress=progress)
            seconds = time.perf_counter() - started
            batches.sort()
            figures["runs"].append(
                {
                    "run": number,
                    "instansi": done.instansi,
                    "records": done.records,
                    "findings": done.findings,
                    "seconds": round(seconds, 2),
                    "records_per_second": round(done.records / seconds) if seconds else None,
                    "batch_p50_seconds": round(batches[len(batches) // 2], 3) if batches else None,
                    "batch_max_seconds": round(batches[-1], 3) if batches else None,
                }
            )
        figures["finding_rows"] = db.session.scalar(select(func.count()).select_from(DataQualityFinding))
        best = max(r["records_per_second"] or 0 for r in figures["runs"])
        figures["national_estimate_minutes"] = round(4_500_000 / best / 60, 1) if best else None
        db.session.remove()
        db.engine.dispose()
    return figures


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgresql://…/bench_… (rebuilt unless --reuse)")
    parser.add_argument("--pegawai", type=int, default=50_000)
    parser.add_argument("--reuse", action="store_true", help="time the database of the last build")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--manifest", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not args.reuse:
        from .build_db import build

        build(args.database_url, args.pegawai, workers=os.cpu_count() or 2)
    figures = measure(args.database_url, args.batch_size, args.runs)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
