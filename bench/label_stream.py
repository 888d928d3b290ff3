"""Label stream throughput: submits/s and next-task latency with 1, 4 and 16 annotators.

Builds a 100k-task sentiment project (overlap 1, sequential sampling) in a scratch
database and lets N annotators — each a process with its own connection, as each person
labels in their own notebook kernel — take the next task and submit it as fast as they
can for a fixed time. Prints one table row per
N: submits/s, next-task p50/p99 and submit p50/p99 in milliseconds, and the CPU time one
next+submit cycle costs the annotator process and the PostgreSQL backend (on a 2-core
machine the two together bound the throughput: 2 cores / CPU per cycle).

    python bench/label_stream.py                 # embedded PostgreSQL in a temp dir
    python bench/label_stream.py --dsn "host=127.0.0.1 dbname=test user=postgres"
    python bench/label_stream.py --tasks 20000 --seconds 5 --annotators 1 4 16

Targets (issue 3): >= 1,000 submits/s with 16 annotators; next-task p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import databrewery_lab as dbl
from databrewery_lab.embedded import EmbeddedPostgres
from tests.integration.labeling_fixtures import choice, make_project, seed_people

SCRATCH_DB = "bench_label_stream"
_WARM_UP_TASKS = 1_600


@contextlib.contextmanager
def scratch_database(dsn: str | None) -> Iterator[str]:
    """A fresh database with the schema, on the given server or an embedded one."""
    server = None
    tmp = None
    if dsn is None:
        tmp = tempfile.TemporaryDirectory(prefix="dbl-bench-")
        server = EmbeddedPostgres(Path(tmp.name)).acquire()
        dsn = server.conninfo("postgres")
    admin = psycopg.connect(dsn, autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")  # constant name
    admin.execute(f"CREATE DATABASE {SCRATCH_DB}")
    target = psycopg.conninfo.make_conninfo(dsn, dbname=SCRATCH_DB)
    try:
        with dbl.connect(target) as brewery:
            brewery.init_schema()
        yield target
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        admin.close()
        if server is not None:
            server.release()
        if tmp is not None:
            tmp.cleanup()


def settle(conninfo: str, owner: dbl.Brewery, emails: list[str]) -> None:
    """Bring the fresh database to the state of one in use before anything is timed.

    Some annotations already exist (a warm-up project) and every table is vacuumed and
    analysed, as autovacuum keeps a live database; then a checkpoint writes the build's
    dirty pages. Statistics taken while the annotation and lock tables were still empty
    would describe no database in use: they last only until autovacuum's next pass,
    well over the seconds a run takes.
    """
    warm_up = make_project(owner, _WARM_UP_TASKS).id
    for email in emails:
        with dbl.connect(conninfo) as brewery:
            session = brewery.as_user(email).project(warm_up).label_session()
            for _ in range(_WARM_UP_TASKS // len(emails)):
                task = session.next_task()
                if task is None:
                    break
                session.submit(task.id, choice("Positive"), lead_time=1.0)
            session.next_task()  # a live lock, as annotators at work hold
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute("CHECKPOINT")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def annotate_for(
    conninfo: str, project_id: int, email: str, seconds: float, go: Any, out: Any
) -> None:
    """One annotator (its own process and connection): label for ``seconds``.

    Each stops at its own deadline, not at a shared Event: checking a cross-process lock
    on every click makes 16 processes on 2 cores queue behind a preempted lock holder.
    """
    next_ms: list[float] = []
    submit_ms: list[float] = []
    try:
        with dbl.connect(conninfo) as brewery:
            session = brewery.as_user(email).project(project_id).label_session()
            session.progress()  # connect before the clock starts
            go.wait()
            started = time.monotonic()
            deadline = started + seconds
            cpu = time.process_time()
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                task = session.next_task()
                t1 = time.perf_counter()
                if task is None:
                    break
                session.submit(task.id, choice("Positive"), lead_time=1.0)
                t2 = time.perf_counter()
                next_ms.append((t1 - t0) * 1000)
                submit_ms.append((t2 - t1) * 1000)
            cpu = time.process_time() - cpu
            span = (started, time.monotonic())
        out.put((next_ms, submit_ms, cpu, span, None))
    except BaseException as err:
        out.put(([], [], 0.0, (0.0, 0.0), repr(err)))


def backend_cpu(conninfo: str) -> float:
    """CPU seconds used so far by the backends connected to the scratch database."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    total = 0.0
    for (pid,) in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system
    return total


def run(conninfo: str, project_id: int, emails: list[str], seconds: float) -> dict[str, float]:
    """N annotators label for ``seconds``; return throughput and latencies.

    Each annotator is a process, as each person labels in their own notebook kernel.
    """
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Barrier(len(emails) + 1), ctx.Queue()
    workers = [
        ctx.Process(target=annotate_for, args=(conninfo, project_id, email, seconds, go, out))
        for email in emails
    ]
    for worker in workers:
        worker.start()
    go.wait(timeout=120)
    server_cpu = backend_cpu(conninfo)
    time.sleep(seconds)
    server_cpu = backend_cpu(conninfo) - server_cpu
    results = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    failures = [err for *_, err in results if err]
    if failures:
        raise RuntimeError(f"an annotator failed: {failures[0]}")
    elapsed = max(end for *_, (_, end), _ in results) - min(s for *_, (s, _), _ in results)
    next_ms = [ms for n, *_ in results for ms in n]
    submit_ms = [ms for _, s, *_ in results for ms in s]
    cycles = max(1, len(submit_ms))
    return {
        "client_cpu": 1000 * sum(cpu for _, _, cpu, *_ in results) / cycles,
        "server_cpu": 1000 * server_cpu / cycles,
        "submits": len(submit_ms),
        "per_s": len(submit_ms) / elapsed,
        "next_p50": percentile(next_ms, 50),
        "next_p99": percentile(next_ms, 99),
        "submit_p50": percentile(submit_ms, 50),
        "submit_p99": percentile(submit_ms, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="a server to create the scratch database on")
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--annotators", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()

    with scratch_database(args.dsn) as conninfo:
        emails = seed_people(conninfo, annotators=max(args.annotators))
        with dbl.connect(conninfo) as brewery:
            print(f"PostgreSQL {brewery.server_version}; building {args.tasks:,} tasks ...")
            owner = brewery.as_user(emails[0])
            projects = {n: make_project(owner, args.tasks).id for n in args.annotators}
            settle(conninfo, owner, emails)
        print(
            f"{'annotators':>10} {'submits':>8} {'submits/s':>10} {'next p50':>9} "
            f"{'next p99':>9} {'submit p50':>11} {'submit p99':>11} "
            f"{'cpu/cycle client':>16} {'server':>7}   (ms)"
        )
        for n in args.annotators:
            r = run(conninfo, projects[n], emails[:n], args.seconds)
            print(
                f"{n:>10} {r['submits']:>8,} {r['per_s']:>10,.0f} {r['next_p50']:>9.2f} "
                f"{r['next_p99']:>9.2f} {r['submit_p50']:>11.2f} {r['submit_p99']:>11.2f} "
                f"{r['client_cpu']:>16.2f} {r['server_cpu']:>7.2f}"
            )
        print("targets: >= 1,000 submits/s with 16 annotators; next-task p99 < 20 ms")


if __name__ == "__main__":
    main()
