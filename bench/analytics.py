"""Analytics at a million annotations: the usual path and ours, side by side in one run.

Builds a scratch database (the embedded PostgreSQL in a temp dir, or a server given by
``--dsn``): one organization of annotators, a Choices project with 5 labels, 250,000 tasks,
each labelled by 4 annotators (~5 % of the ratings missing, ~2 % skips, ground truth on
2 % of the tasks) and predictions of 3 model versions on every task. Then each path runs
in its own Python process, so the peak RSS printed is that path's own, and computes from
the database:

- Krippendorff's alpha (nominal), Fleiss' kappa and the Cohen kappa matrix of every
  annotator pair, from one ratings table;
- the per-annotator throughput table (annotations, skips, tasks, active days, median and
  p90 lead time);
- prediction accuracy per model version against the ground-truth annotations.

The *usual path* is what an analyst writes today: psycopg fetches ``result`` jsonb (decoded
into Python objects), pandas picks the label out and pivots tasks × annotators, then
``krippendorff.alpha``, ``statsmodels`` ``fleiss_kappa(aggregate_raters(...))`` and
``sklearn.metrics.cohen_kappa_score`` per pair; a pandas groupby for throughput; predictions
decoded the same way and ``accuracy_score`` per version. statsmodels' Fleiss' kappa needs
the same number of ratings on every task, so both sides compute it on the tasks every
annotator rated (ours: ``fleiss_kappa(..., complete_only=True)``).

*Ours* is ``databrewery_lab.analytics`` from a fresh ``dbl.connect(dsn)``. Every step is
timed from the database to the number; each number is the best of ``--repeat`` runs (a
fresh connection each run), and both paths' values must agree to 1e-9 or the run fails.

    .venv/bin/python bench/analytics.py                  # embedded PostgreSQL in a temp dir
    .venv/bin/python bench/analytics.py --dsn "host=127.0.0.1 dbname=test user=postgres"
    .venv/bin/python bench/analytics.py --tasks 20000 --repeat 1 --skip-usual

Targets (issue 6): ours >= 15x faster than the usual path; the three agreement metrics
together under 1 s from the database; peak memory under 300 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCRATCH_DB = "bench_analytics"
CONTROL = "topic"
LABELS = ("Business", "Culture", "Politics", "Science", "Sports")
CONFIG = f"""<View>
  <Text name="text" value="$text"/>
  <Choices name="{CONTROL}" toName="text" choice="single">
    {"".join(f'<Choice value="{label}"/>' for label in LABELS)}
  </Choices>
</View>"""
#: Model versions and how often each predicts the hidden true label.
MODELS = {"tfidf-logreg-2026-01": 0.62, "bert-base-2026-02": 0.74, "bert-large-2026-03": 0.83}
TOLERANCE = 1e-9

# Targets of issue 6.
TARGET_SPEEDUP = 15.0
TARGET_AGREEMENT_S = 1.0
TARGET_PEAK_MB = 300.0


# --------------------------------------------------------------------------- the data

# A plan of every (task, annotator) rating, random draws made once (MATERIALIZED).
# Annotator j (1-based) is right with probability accuracy[j], else picks any label; a
# rating is missing with probability 0.05 and a skip with 0.02. Annotator 1's rating of
# every 50th task is the ground truth, and right. Annotator j works over span[j] days
# (08:00-17:00 UTC), lead times log-normal around median[j] seconds, 0.5 % unrecorded.
_TRUTH_SQL = """
CREATE TEMP TABLE bench_truth AS
SELECT i, floor(random() * 5)::int AS truth FROM generate_series(1, %(tasks)s) AS i
"""

_PLAN_SQL = """
CREATE TEMP TABLE bench_plan AS
WITH draws AS MATERIALIZED (
    SELECT t.i, t.truth, a.j::int AS j, a.user_id, a.accuracy, a.span, a.median,
           random() AS u_missing, random() AS u_skip, random() AS u_right,
           floor(random() * 5)::int AS any_label, random() AS u_day, random() AS u_time,
           1.0 - random() AS u_norm1, random() AS u_norm2, random() AS u_untimed
    FROM bench_truth AS t
    CROSS JOIN unnest(%(users)s::int[], %(accuracy)s::float8[], %(span)s::int[],
                      %(median)s::float8[]) WITH ORDINALITY AS a(user_id, accuracy, span,
                                                                  median, j)
)
SELECT i, j, user_id, truth,
       u_skip < 0.02 AS skipped,
       (i %% 50 = 0 AND j = 1 AND u_skip >= 0.02) AS ground_truth,
       CASE WHEN i %% 50 = 0 AND j = 1 THEN truth
            WHEN u_right < accuracy THEN truth ELSE any_label END AS label,
       timestamptz '2026-01-05 08:00+00'
         + make_interval(days => floor((i - 1)::float8 / %(tasks)s * span)::int)
         + make_interval(secs => u_time * 9 * 3600) AS created_at,
       CASE WHEN u_untimed < 0.005 THEN NULL
            ELSE median * exp(0.7 * sqrt(-2 * ln(u_norm1)) * cos(2 * pi() * u_norm2))
                 * CASE WHEN u_skip < 0.02 THEN 0.3 ELSE 1 END END AS lead_time
FROM draws WHERE u_missing >= 0.05
"""

_TASKS_SQL = """
INSERT INTO task (data, project_id, overlap, inner_id, created_at, updated_at, is_labeled,
                  total_annotations, cancelled_annotations, total_predictions)
SELECT jsonb_build_object('text', 'Article ' || g.i || ': ' || repeat('news ', 8 + g.i %% 20)),
       %(project)s, %(annotators)s, g.i, timestamptz '2026-01-04 12:00+00',
       timestamptz '2026-01-04 12:00+00', coalesce(c.total, 0) >= %(annotators)s,
       coalesce(c.total, 0), coalesce(c.cancelled, 0), %(models)s
FROM generate_series(1, %(tasks)s) AS g(i)
LEFT JOIN (SELECT i, count(*) FILTER (WHERE NOT skipped) AS total,
                  count(*) FILTER (WHERE skipped) AS cancelled
           FROM bench_plan GROUP BY i) AS c ON c.i = g.i
ORDER BY g.i
"""

# Label Studio's own result JSON; ids in creation order, as the platform writes them.
_ANNOTATIONS_SQL = """
INSERT INTO task_completion (result, created_at, updated_at, lead_time, completed_by_id,
                             task_id, project_id, was_cancelled, ground_truth, result_count,
                             was_submitted, last_action)
SELECT CASE WHEN p.skipped THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object(
           'id', left(md5(p.i || ':' || p.j), 10), 'type', 'choices',
           'value', jsonb_build_object('choices',
                                       jsonb_build_array((%(labels)s::text[])[p.label + 1])),
           'origin', 'manual', 'to_name', 'text', 'from_name', %(control)s::text)) END,
       p.created_at, p.created_at + coalesce(p.lead_time, 0) * interval '1 second',
       p.lead_time, p.user_id, t.id, %(project)s, p.skipped, p.ground_truth,
       CASE WHEN p.skipped THEN 0 ELSE 1 END, true,
       CASE WHEN p.skipped THEN 'skipped' ELSE 'submitted' END
FROM bench_plan AS p JOIN task AS t ON t.project_id = %(project)s AND t.inner_id = p.i
ORDER BY p.created_at
"""

_PREDICTIONS_SQL = """
INSERT INTO prediction (result, score, model_version, task_id, project_id, created_at, updated_at)
SELECT jsonb_build_array(jsonb_build_object(
           'id', left(md5(d.task_id || ':' || d.version), 10), 'type', 'choices',
           'value', jsonb_build_object('choices',
                                       jsonb_build_array((%(labels)s::text[])[d.label + 1])),
           'to_name', 'text', 'from_name', %(control)s::text)),
       round(CASE WHEN d.label = d.truth THEN 0.55 + 0.45 * d.u
                  ELSE 0.25 + 0.5 * d.u END::numeric, 4),
       d.version, d.task_id, %(project)s, d.created_at, d.created_at
FROM (
    SELECT t.id AS task_id, m.version, random() AS u, tr.truth,
           CASE WHEN random() < m.accuracy THEN tr.truth ELSE floor(random() * 5)::int END AS label,
           timestamptz '2026-01-04 13:00+00' + (m.k - 1) * interval '30 days' AS created_at
    FROM task AS t
    JOIN bench_truth AS tr ON tr.i = t.inner_id
    CROSS JOIN unnest(%(versions)s::text[], %(model_accuracy)s::float8[])
         WITH ORDINALITY AS m(version, accuracy, k)
    WHERE t.project_id = %(project)s
    OFFSET 0
) AS d
ORDER BY d.created_at, d.task_id
"""

_PROJECT_COUNTERS_SQL = """
UPDATE project AS p SET
    task_number = s.tasks, queue_total = s.tasks, finished_task_number = s.finished,
    num_tasks_with_annotations = s.with_annotations,
    total_annotations_number = a.total, skipped_annotations_number = a.skipped,
    useful_annotation_number = a.useful, ground_truth_number = a.truth,
    total_predictions_number = %(predictions)s, model_version = %(model_version)s
FROM (SELECT count(*) AS tasks, count(*) FILTER (WHERE is_labeled) AS finished,
             count(*) FILTER (WHERE total_annotations > 0) AS with_annotations
      FROM task WHERE project_id = %(project)s) AS s,
     (SELECT count(*) FILTER (WHERE NOT was_cancelled) AS total,
             count(*) FILTER (WHERE was_cancelled) AS skipped,
             count(*) FILTER (WHERE NOT was_cancelled AND NOT ground_truth) AS useful,
             count(*) FILTER (WHERE ground_truth) AS truth
      FROM task_completion WHERE project_id = %(project)s) AS a
WHERE p.id = %(project)s
"""


@contextlib.contextmanager
def scratch_database(dsn: str | None) -> Iterator[str]:
    """A fresh database with the schema, on the given server or an embedded one."""
    import psycopg

    import databrewery_lab as dbl
    from databrewery_lab.embedded import EmbeddedPostgres

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


def build(conninfo: str, tasks: int, annotators: int) -> tuple[int, dict[str, float]]:
    """The organization, the project and its data; the project id and seconds per part."""
    import psycopg

    import databrewery_lab as dbl
    from databrewery_lab.projects import Project
    from tests.integration.labeling_fixtures import seed_people

    seconds: dict[str, float] = {}
    start = time.perf_counter()
    emails = seed_people(conninfo, annotators=annotators)
    with dbl.connect(conninfo) as brewery:
        owner = brewery.as_user(emails[0])
        project = Project.create(
            owner, "News topics (bench)", CONFIG, maximum_annotations=annotators
        ).id
    versions = list(MODELS)
    params = {
        "tasks": tasks,
        "annotators": annotators,
        "project": project,
        "labels": list(LABELS),
        "control": CONTROL,
        "models": len(MODELS),
        "versions": versions,
        "model_accuracy": [MODELS[v] for v in versions],
        "predictions": tasks * len(MODELS),
        "model_version": versions[-1],
        "accuracy": [0.85 - 0.07 * (j % 4) for j in range(annotators)],
        "span": [40 + 10 * (j % 4) for j in range(annotators)],
        "median": [12.0 + 6.0 * (j % 4) for j in range(annotators)],
    }
    with psycopg.connect(conninfo) as conn:
        params["users"] = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM htx_user WHERE email = ANY(%s) ORDER BY email", (emails,)
            )
        ]
        seconds["people and project"] = time.perf_counter() - start
        conn.execute("SELECT setseed(0.20260105)")
        for part, sql in (
            ("plan", _TRUTH_SQL),
            ("plan", _PLAN_SQL),
            ("tasks", _TASKS_SQL),
            ("annotations", _ANNOTATIONS_SQL),
            ("predictions", _PREDICTIONS_SQL),
            ("counters", _PROJECT_COUNTERS_SQL),
        ):
            start = time.perf_counter()
            conn.execute(sql, params)
            seconds[part] = seconds.get(part, 0.0) + time.perf_counter() - start
    start = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) task, task_completion, prediction")
    seconds["vacuum analyze"] = time.perf_counter() - start
    return project, seconds


# --------------------------------------------------------------------------- measuring


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux and macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


class Clock:
    """Wall time of named steps over the runs, and the peak RSS after each step's first run."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.peaks: dict[str, float] = {}

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.times.setdefault(name, []).append(time.perf_counter() - start)
        self.peaks.setdefault(name, peak_rss_mib())


def usual_path(clock: Clock, conninfo: str, project: int) -> dict[str, Any]:
    """psycopg → pandas → krippendorff / statsmodels / scikit-learn, as an analyst does."""
    import itertools

    import krippendorff
    import pandas as pd
    import psycopg
    from sklearn.metrics import accuracy_score, cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    def label_of(result: Any) -> str | None:
        for item in result or ():
            if item.get("from_name") == CONTROL and item.get("type") == "choices":
                choices = item.get("value", {}).get("choices") or [None]
                return choices[0]
        return None

    def read(conn: psycopg.Connection, sql: str) -> pd.DataFrame:
        cursor = conn.execute(sql, {"project": project})
        names = [column.name for column in cursor.description or ()]
        return pd.DataFrame(cursor.fetchall(), columns=names)

    with clock.step("connect"):
        conn = psycopg.connect(conninfo)
    with conn:
        with clock.step("ratings"):
            ratings = read(
                conn,
                "SELECT task_id, completed_by_id, result FROM task_completion "
                "WHERE project_id = %(project)s AND NOT was_cancelled",
            )
            ratings["label"] = ratings["result"].map(label_of)
            ratings = ratings.dropna(subset=["label"])
            codes = {label: code for code, label in enumerate(sorted(ratings["label"].unique()))}
            ratings["code"] = ratings["label"].map(codes)
            wide = ratings.pivot(index="task_id", columns="completed_by_id", values="code")
            n_ratings = len(ratings)
        with clock.step("alpha"):
            matrix = wide.to_numpy(dtype=float)
            alpha = krippendorff.alpha(matrix.T, level_of_measurement="nominal")
        with clock.step("fleiss"):
            complete = wide.dropna().to_numpy(dtype=int)
            fleiss = statsmodels_fleiss(aggregate_raters(complete)[0], method="fleiss")
        with clock.step("kappa"):
            kappa = {}
            for a, b in itertools.combinations(sorted(wide.columns), 2):
                both = wide[[a, b]].dropna()
                kappa[f"{a}:{b}"] = cohen_kappa_score(both[a], both[b])
        del ratings, wide, matrix, complete

        with clock.step("throughput"):
            rows = read(
                conn,
                "SELECT completed_by_id, task_id, was_cancelled, created_at, lead_time "
                "FROM task_completion WHERE project_id = %(project)s",
            )
            rows["day"] = pd.to_datetime(rows["created_at"], utc=True).dt.normalize()
            # lead_time is a float4 that psycopg reads as its shortest decimal text; through
            # float32 it is the exact stored value again, as PostgreSQL's float8 cast sees it.
            rows["lead_time"] = rows["lead_time"].astype("float32").astype(float)
            done = rows[~rows["was_cancelled"]]
            per = done.groupby("completed_by_id")
            table = pd.DataFrame(
                {
                    "annotations": per.size(),
                    "skips": rows[rows["was_cancelled"]].groupby("completed_by_id").size(),
                    "tasks": per["task_id"].nunique(),
                    "active_days": rows.groupby("completed_by_id")["day"].nunique(),
                    "median_lead_time_s": per["lead_time"].median(),
                    "p90_lead_time_s": per["lead_time"].quantile(0.9),
                }
            ).fillna({"skips": 0})
        throughput = {
            str(annotator): {key: float(value) for key, value in row.items()}
            for annotator, row in table.iterrows()
        }
        del rows, done, per

        with clock.step("predictions"):
            truth = read(
                conn,
                "SELECT task_id, result FROM task_completion WHERE project_id = %(project)s "
                "AND ground_truth AND NOT was_cancelled ORDER BY id",
            )
            truth["truth"] = truth["result"].map(label_of)
            truth = truth.dropna(subset=["truth"]).drop_duplicates("task_id", keep="last")
            predicted = read(
                conn,
                "SELECT task_id, model_version, result FROM prediction "
                "WHERE project_id = %(project)s",
            )
            predicted["label"] = predicted["result"].map(label_of)
            scored = predicted.merge(truth[["task_id", "truth"]], on="task_id")
            accuracy = {
                str(version): float(accuracy_score(group["truth"], group["label"].fillna("")))
                for version, group in scored.groupby("model_version")
            }
        del truth, predicted, scored
    return {
        "n_ratings": n_ratings,
        "alpha": float(alpha),
        "fleiss": float(fleiss),
        "kappa": {pair: float(value) for pair, value in kappa.items()},
        "throughput": throughput,
        "accuracy": accuracy,
    }


def our_path(clock: Clock, conninfo: str, project: int) -> dict[str, Any]:
    """``databrewery_lab.analytics`` from a fresh ``dbl.connect``."""
    import databrewery_lab as dbl
    from databrewery_lab.analytics import annotator_throughput, extract_annotations
    from databrewery_lab.analytics.agreement import (
        cohen_kappa_matrix,
        fleiss_kappa,
        krippendorff_alpha,
    )

    prediction_accuracy = _prediction_accuracy()
    with clock.step("connect"):
        brewery = dbl.connect(conninfo)
        brewery.analytics.connection  # noqa: B018 - opens DuckDB and attaches PostgreSQL
    with brewery:
        with clock.step("ratings"):
            ratings = extract_annotations(brewery, project, CONTROL)
            n_ratings = ratings.aggregate("count(*)").fetchone()[0]  # type: ignore[index]
        with clock.step("alpha"):
            alpha = krippendorff_alpha(ratings)["value"].iloc[0]
        with clock.step("fleiss"):
            fleiss = fleiss_kappa(ratings, complete_only=True)["value"].iloc[0]
        with clock.step("kappa"):
            pairs = cohen_kappa_matrix(ratings)
        del ratings
        with clock.step("throughput"):
            table = annotator_throughput(brewery, project)
        accuracy = None
        if prediction_accuracy is not None:
            with clock.step("predictions"):
                per_version = prediction_accuracy(brewery, project, CONTROL)
            accuracy = {
                str(row["model_version"]): float(row["accuracy"])
                for _, row in per_version.iterrows()
            }
    columns = (
        "annotations",
        "skips",
        "tasks",
        "active_days",
        "median_lead_time_s",
        "p90_lead_time_s",
    )
    return {
        "n_ratings": int(n_ratings),
        "alpha": float(alpha),
        "fleiss": float(fleiss),
        "kappa": {
            f"{row.annotator_a}:{row.annotator_b}": float(row.kappa) for row in pairs.itertuples()
        },
        "throughput": {
            str(row["annotator_id"]): {key: float(row[key]) for key in columns}
            for _, row in table.iterrows()
        },
        "accuracy": accuracy,
    }


def _prediction_accuracy() -> Callable[..., Any] | None:
    """The colleague's ``prediction_accuracy``, or None while it is not built yet."""
    try:
        from databrewery_lab.analytics.predictions import prediction_accuracy
    except ModuleNotFoundError as err:
        if err.name != "databrewery_lab.analytics.predictions":
            raise
        return None
    return prediction_accuracy


PATHS: dict[str, Callable[[Clock, str, int], dict[str, Any]]] = {
    "usual": usual_path,
    "ours": our_path,
}


def run_child(path: str, conninfo: str, project: int, repeat: int, out: Path) -> None:
    """One path, ``repeat`` times in this process; timings, values and peak RSS to ``out``."""
    clock = Clock()
    start = time.perf_counter()
    if path == "usual":
        import krippendorff  # noqa: F401
        import pandas  # noqa: F401
        import psycopg  # noqa: F401
        import sklearn.metrics  # noqa: F401
        import statsmodels.stats.inter_rater  # noqa: F401
    else:
        import databrewery_lab.analytics.agreement  # noqa: F401

        _prediction_accuracy()
    imports = time.perf_counter() - start
    after_imports = peak_rss_mib()
    values: dict[str, Any] = {}
    first_run_peak = 0.0
    for run in range(repeat):
        values = PATHS[path](clock, conninfo, project)
        if run == 0:
            first_run_peak = peak_rss_mib()
    report = {
        "imports_s": imports,
        "rss_after_imports_mib": after_imports,
        "peak_rss_mib": first_run_peak,
        "peak_rss_all_runs_mib": peak_rss_mib(),
        "times": clock.times,
        "peaks": clock.peaks,
        "values": values,
    }
    out.write_text(json.dumps(report))


def measure(path: str, conninfo: str, project: int, repeat: int) -> dict[str, Any]:
    """Run one path in a fresh Python process (its own peak RSS)."""
    with tempfile.TemporaryDirectory(prefix="dbl-bench-") as tmp:
        out = Path(tmp) / f"{path}.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            path,
            "--conninfo",
            conninfo,
            "--project",
            str(project),
            "--repeat",
            str(repeat),
            "--out",
            str(out),
        ]
        subprocess.run(command, check=True)
        return json.loads(out.read_text())


# --------------------------------------------------------------------------- the report

AGREEMENT_STEPS = ("ratings", "alpha", "fleiss", "kappa")
ROWS = (
    ("connect", "connect (psycopg / dbl.connect + DuckDB attach)"),
    ("ratings", "ratings from the database"),
    ("alpha", "  Krippendorff's alpha (nominal)"),
    ("fleiss", "  Fleiss' kappa (complete tasks)"),
    ("kappa", "  Cohen's kappa, every pair"),
    ("agreement", "three agreement metrics, end to end"),
    ("throughput", "annotator throughput table"),
    ("predictions", "prediction accuracy per version"),
    ("total", "all metrics, excluding connect"),
)


def best(
    report: dict[str, Any] | None, key: str, steps: tuple[str, ...] | None = None
) -> float | None:
    """Best-of-runs seconds of a step, or of the sum of ``steps`` (the best run's sum)."""
    if report is None:
        return None
    times = report["times"]
    steps = steps or {"agreement": AGREEMENT_STEPS}.get(key, (key,))
    if any(step not in times for step in steps):
        return None
    runs = zip(*(times[step] for step in steps), strict=True)
    return min(sum(run) for run in runs)


def total_steps(usual: dict[str, Any] | None, ours: dict[str, Any]) -> tuple[str, ...]:
    """The steps of the total: every metric that both paths ran (not connect)."""
    steps = (*AGREEMENT_STEPS, "throughput", "predictions")
    return tuple(s for s in steps if s in ours["times"] and (usual is None or s in usual["times"]))


def compare(usual: dict[str, Any], ours: dict[str, Any]) -> dict[str, float | None]:
    """Max absolute difference of each metric's values; raises when one exceeds 1e-9."""
    differences: dict[str, float | None] = {
        "ratings": float(abs(usual["n_ratings"] - ours["n_ratings"])),
        "alpha": abs(usual["alpha"] - ours["alpha"]),
        "fleiss": abs(usual["fleiss"] - ours["fleiss"]),
        "kappa": _max_difference(usual["kappa"], ours["kappa"], "kappa pairs"),
        "throughput": max(
            _max_difference(usual["throughput"][a], ours["throughput"].get(a, {}), f"user {a}")
            for a in _same_keys(usual["throughput"], ours["throughput"], "annotators")
        ),
        "predictions": None,
    }
    if ours["accuracy"] is not None:
        differences["predictions"] = _max_difference(
            usual["accuracy"], ours["accuracy"], "model versions"
        )
    failed = {k: v for k, v in differences.items() if v is not None and not v <= TOLERANCE}
    if failed:
        raise SystemExit(f"FAILED: the paths disagree beyond {TOLERANCE:g}: {failed}")
    return differences


def _same_keys(a: dict[str, Any], b: dict[str, Any], what: str) -> list[str]:
    if set(a) != set(b):
        raise SystemExit(f"FAILED: the paths disagree on the {what}: {sorted(a)} vs {sorted(b)}")
    return sorted(a)


def _max_difference(a: dict[str, float], b: dict[str, float], what: str) -> float:
    keys = _same_keys(a, b, what)
    return max((_difference(a[k], b[k]) for k in keys), default=0.0)


def _difference(a: float, b: float) -> float:
    if math.isnan(a) and math.isnan(b):
        return 0.0
    return abs(a - b)


def describe(values: dict[str, Any] | None, key: str) -> str:
    """A short rendering of a step's value."""
    if values is None:
        return "-"
    if key == "ratings":
        return f"{values['n_ratings']:,} ratings"
    if key in ("alpha", "fleiss"):
        return f"{values[key]:.12f}"
    if key == "kappa":
        kappas = list(values["kappa"].values())
        return f"{len(kappas)} pairs, {min(kappas):.4f}..{max(kappas):.4f}"
    if key == "throughput":
        rows = values["throughput"].values()
        total = sum(row["annotations"] for row in rows)
        skips = sum(row["skips"] for row in rows)
        return f"{len(values['throughput'])} rows, {total:,.0f} + {skips:,.0f} skips"
    if key == "predictions":
        if values["accuracy"] is None:
            return "n/a (not built)"
        return " ".join(f"{acc:.4f}" for _, acc in sorted(values["accuracy"].items()))
    return ""


def print_table(
    usual: dict[str, Any] | None,
    ours: dict[str, Any],
    differences: dict[str, float | None],
    repeat: int,
) -> None:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    print(
        f"\n{'metric':<48} {'usual s':>8} {'ours s':>8} {'ratio':>7}   "
        f"{'usual value':<32} {'ours value':<32} {'max |diff|':>10}"
    )
    steps = total_steps(usual, ours)
    for key, name in ROWS:
        u, o = (
            best(usual, key, steps if key == "total" else None),
            best(ours, key, steps if key == "total" else None),
        )
        o_text = "n/a" if key == "predictions" and o is None else seconds(o)
        ratio = f"{u / o:.1f}x" if u is not None and o else ""
        difference = differences.get(key)
        diff_text = "" if difference is None else f"{difference:.1e}"
        value_key = key if key not in ("connect", "agreement", "total") else None
        u_value = describe(usual["values"] if usual else None, value_key) if value_key else ""
        o_value = describe(ours["values"], value_key) if value_key else ""
        print(
            f"{name:<48} {seconds(u):>8} {o_text:>8} {ratio:>7}   "
            f"{u_value:<32} {o_value:<32} {diff_text:>10}"
        )
    imports = seconds(usual["imports_s"] if usual else None), seconds(ours["imports_s"])
    print(f"{'imports (once per kernel, not in the total)':<48} {imports[0]:>8} {imports[1]:>8}")
    print(
        "\npeak RSS of one run of each path (its own process, imports included), then over "
        f"all {repeat} runs; and the peak after imports and after each step of the first run:"
    )
    for name, report in (("usual", usual), ("ours", ours)):
        if report is None:
            continue
        steps = ", ".join(f"{step} {mib:.0f}" for step, mib in report["peaks"].items())
        print(
            f"  {name:<5} {report['peak_rss_mib']:5.0f} MiB ({_mb(report['peak_rss_mib']):.0f} MB)"
            f", {report['peak_rss_all_runs_mib']:.0f} MiB over all runs"
            f"   MiB after imports {report['rss_after_imports_mib']:.0f}, {steps}"
        )


def _mb(mib: float) -> float:
    return mib * 2**20 / 1e6


def print_targets(usual: dict[str, Any] | None, ours: dict[str, Any]) -> None:
    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    print("\ntargets (issue 6):")
    if usual is not None:
        steps = total_steps(usual, ours)
        u, o = best(usual, "total", steps), best(ours, "total", steps)
        assert u is not None and o is not None
        note = "" if "predictions" in steps else " (prediction accuracy not built: left out)"
        print(
            f"  ours >= {TARGET_SPEEDUP:.0f}x faster than the usual path, all metrics from "
            f"the database: {u / o:.1f}x{note}   {verdict(u / o >= TARGET_SPEEDUP)}"
        )
        a_u, a_o = best(usual, "agreement"), best(ours, "agreement")
        assert a_u is not None and a_o is not None
        print(f"    (the three agreement metrics alone: {a_u / a_o:.1f}x)")
    agreement = best(ours, "agreement")
    assert agreement is not None
    print(
        f"  three agreement metrics together < {TARGET_AGREEMENT_S:.0f} s from the database: "
        f"{agreement:.3f} s   {verdict(agreement < TARGET_AGREEMENT_S)}"
    )
    peak = _mb(ours["peak_rss_mib"])
    print(
        f"  peak memory < {TARGET_PEAK_MB:.0f} MB: {peak:.0f} MB "
        f"({ours['peak_rss_mib']:.0f} MiB)   {verdict(peak < TARGET_PEAK_MB)}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="a server to create the scratch database on")
    parser.add_argument("--tasks", type=int, default=250_000)
    parser.add_argument("--annotators", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="runs per path; best is shown")
    parser.add_argument("--skip-usual", action="store_true", help="time only our path")
    # A path run in its own process by the parent.
    parser.add_argument("--child", choices=sorted(PATHS), help=argparse.SUPPRESS)
    parser.add_argument("--conninfo", help=argparse.SUPPRESS)
    parser.add_argument("--project", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.tasks < 1 or args.annotators < 2:
        parser.error("--repeat and --tasks must be >= 1, --annotators >= 2")

    if args.child:
        run_child(args.child, args.conninfo, args.project, args.repeat, args.out)
        return

    with scratch_database(args.dsn) as conninfo:
        import psycopg

        with psycopg.connect(conninfo) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            jit = conn.execute("SELECT current_setting('jit', true)").fetchone()[0]  # type: ignore[index]
        print(
            f"PostgreSQL {version} (jit {jit}); building {args.tasks:,} tasks x {args.annotators} "
            f"annotators, {len(LABELS)} labels, {len(MODELS)} model versions ..."
        )
        start = time.perf_counter()
        project, parts = build(conninfo, args.tasks, args.annotators)
        with psycopg.connect(conninfo) as conn:
            annotations, skips, truth = conn.execute(
                "SELECT count(*) FILTER (WHERE NOT was_cancelled), "
                "count(*) FILTER (WHERE was_cancelled), count(*) FILTER (WHERE ground_truth) "
                "FROM task_completion WHERE project_id = %s",
                (project,),
            ).fetchone()  # type: ignore[misc]
            predictions = conn.execute(
                "SELECT count(*) FROM prediction WHERE project_id = %s", (project,)
            ).fetchone()[0]  # type: ignore[index]
        print(
            f"built in {time.perf_counter() - start:.1f} s (not part of the comparison): "
            f"{annotations:,} annotations, {skips:,} skips, {truth:,} ground truth, "
            f"{predictions:,} predictions"
        )
        print("  " + ", ".join(f"{part} {sec:.1f} s" for part, sec in parts.items()))
        usual = None if args.skip_usual else measure("usual", conninfo, project, args.repeat)
        ours = measure("ours", conninfo, project, args.repeat)

    differences = compare(usual["values"], ours["values"]) if usual else {}
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\nbest of {args.repeat} run(s) per step, each run from a fresh connection, on "
        f"{os.cpu_count()} cores shared with other work (load average now {load}): "
        "timings are noisy"
    )
    print_table(usual, ours, differences, args.repeat)
    print_targets(usual, ours)
    if usual is not None:
        print(f"values agree to {TOLERANCE:g} (alpha, Fleiss, kappa matrix, throughput, accuracy)")


if __name__ == "__main__":
    main()
