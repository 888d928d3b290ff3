"""How fast the demo organization builds, and why it loads with COPY.

Prints, in one run on one embedded PostgreSQL:
  1. build_demo wall time and annotations/s at the chosen scales;
  2. loading the demo's own task_completion rows three ways, side by side:
     COPY (what the demo does), pandas DataFrame.to_sql(method="multi") and psycopg
     executemany — the usual tools — as rows/s and the ratio against COPY.

    .venv/bin/python bench/demo_build.py                # scales 1 and 10
    .venv/bin/python bench/demo_build.py --scales 1 10 100
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import pandas as pd
import psycopg
import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import JSONB

from databrewery_lab.demo import build_demo
from databrewery_lab.embedded import EmbeddedPostgres
from databrewery_lab.schema_init import apply_schema

COLUMNS = (
    "id, result, created_at, updated_at, lead_time, completed_by_id, task_id, project_id, "
    "was_cancelled, ground_truth, result_count, unique_id"
)


def fresh_database(server: EmbeddedPostgres, name: str) -> str:
    with psycopg.connect(server.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    conninfo = server.conninfo(name)
    with psycopg.connect(conninfo) as conn:
        apply_schema(conn)
    return conninfo


def bench_builds(server: EmbeddedPostgres, scales: list[float]) -> str:
    conninfo = ""
    print(f"{'scale':>6} {'annotations':>12} {'seconds':>8} {'annotations/s':>14}")
    for scale in scales:
        conninfo = fresh_database(server, f"bench_scale_{str(scale).replace('.', '_')}")
        report = build_demo(conninfo, scale=scale, seed=0, progress=False)
        annotations = report.rows["task_completion"]
        rate = annotations / report.seconds
        print(f"{scale:>6g} {annotations:>12,} {report.seconds:>8.2f} {rate:>14,.0f}")
    return conninfo


def bench_loading(source: str, server: EmbeddedPostgres) -> None:
    with psycopg.connect(source) as conn:
        buffer = io.BytesIO()
        with conn.cursor().copy(f"COPY (SELECT {COLUMNS} FROM task_completion) TO STDOUT") as copy:
            for chunk in copy:
                buffer.write(chunk)
        cursor = conn.execute(f"SELECT {COLUMNS} FROM task_completion")
        frame = pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])
    rows = len(frame)
    target = fresh_database(server, "bench_loading")
    ddl = (
        f"CREATE TABLE IF NOT EXISTS load_target AS "
        f"SELECT {COLUMNS} FROM task_completion WITH NO DATA"
    )

    def reset() -> None:
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS load_target")
            conn.execute(ddl)

    timings: dict[str, float] = {}
    reset()
    started = time.perf_counter()
    with (
        psycopg.connect(target) as conn,
        conn.cursor().copy(f"COPY load_target ({COLUMNS}) FROM STDIN") as copy,
    ):
        copy.write(buffer.getvalue())
    timings["COPY (databrewery-lab demo)"] = time.perf_counter() - started

    reset()
    engine = sa.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(target))
    started = time.perf_counter()
    frame.to_sql(
        "load_target",
        engine,
        if_exists="append",
        index=False,
        method="multi",
        chunksize=1000,
        dtype={"result": JSONB()},
    )
    timings["pandas to_sql(method='multi')"] = time.perf_counter() - started
    engine.dispose()

    reset()
    records = [
        (row[0], Jsonb(row[1]), *row[2:]) for row in frame.itertuples(index=False, name=None)
    ]
    placeholders = ", ".join(["%s"] * len(frame.columns))
    started = time.perf_counter()
    with psycopg.connect(target) as conn, conn.cursor() as cur:
        cur.executemany(f"INSERT INTO load_target ({COLUMNS}) VALUES ({placeholders})", records)
    timings["psycopg executemany"] = time.perf_counter() - started

    copy_time = timings["COPY (databrewery-lab demo)"]
    print(f"\nloading {rows:,} task_completion rows")
    print(f"{'method':<32} {'seconds':>8} {'rows/s':>12} {'× slower than COPY':>20}")
    for method, seconds in timings.items():
        print(f"{method:<32} {seconds:>8.2f} {rows / seconds:>12,.0f} {seconds / copy_time:>20.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dbl-bench-") as home:
        server = EmbeddedPostgres(Path(home)).acquire()
        try:
            last = bench_builds(server, args.scales)
            bench_loading(last, server)
        finally:
            server.release()


if __name__ == "__main__":
    main()
