"""Time Krippendorff's alpha + Fleiss' kappa + the Cohen kappa matrix at a million ratings.

Run by hand (nothing asserts on time)::

    python -m databrewery_lab.analytics.agreement_bench [--tasks 250000] [--annotators 4]
        [--repeat 3] [--reference]

It builds ``tasks × annotators`` choice ratings inside DuckDB (5 labels, ~5 % missing,
agreeing with a hidden true label 70 % of the time), times each metric on the DuckDB
relation (first run and best of ``--repeat``) and prints the process's peak RSS. With
``--reference`` it then times the usual path on the same data — pandas → krippendorff /
statsmodels / scikit-learn — for the ratio; that needs the dev extras installed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import duckdb
import numpy as np

from .agreement_coefficients import cohen_kappa_matrix, fleiss_kappa, krippendorff_alpha

_BUILD_SQL = """
CREATE TABLE ratings AS
SELECT t.i AS task_id, a.j AS annotator_id,
       CASE WHEN random() < 0.7 THEN 'label-' || (t.i * 7 % 5)
            ELSE 'label-' || CAST(floor(random() * 5) AS INTEGER) END AS value
FROM range(CAST($tasks AS BIGINT)) AS t(i), range(CAST($annotators AS BIGINT)) AS a(j)
WHERE random() >= 0.05
"""


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux and macOS)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(first, best) wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times[0], min(times)


def reference_path(relation: duckdb.DuckDBPyRelation) -> dict[str, float]:
    """The usual tools on the same ratings, pulled into pandas first."""
    import itertools

    import krippendorff
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    start = time.perf_counter()
    frame = relation.df()
    wide = frame.pivot(index="task_id", columns="annotator_id", values="value")
    codes = wide.apply(lambda column: column.map({f"label-{i}": i for i in range(5)}))
    matrix = codes.to_numpy(dtype=float)
    alpha = krippendorff.alpha(matrix.T, level_of_measurement="nominal")
    complete = matrix[~np.isnan(matrix).any(axis=1)].astype(int)
    fleiss = statsmodels_fleiss(aggregate_raters(complete)[0])
    for i, j in itertools.combinations(range(matrix.shape[1]), 2):
        both = ~np.isnan(matrix[:, i]) & ~np.isnan(matrix[:, j])
        cohen_kappa_score(matrix[both, i], matrix[both, j])
    return {"seconds": time.perf_counter() - start, "alpha": alpha, "fleiss": fleiss}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=250_000)
    parser.add_argument("--annotators", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference", action="store_true")
    args = parser.parse_args(argv)

    print(f"peak RSS after imports: {peak_rss_mb():.0f} MiB")
    connection = duckdb.connect()
    connection.execute(_BUILD_SQL, {"tasks": args.tasks, "annotators": args.annotators})
    relation = connection.table("ratings")
    rows = relation.aggregate("count(*)").fetchone()[0]
    print(f"{rows:,} ratings: {args.tasks:,} tasks × {args.annotators} annotators, 5 labels")
    print(f"peak RSS with the data built: {peak_rss_mb():.0f} MiB")

    metrics = {
        "krippendorff_alpha": lambda: krippendorff_alpha(relation),
        "fleiss_kappa": lambda: fleiss_kappa(relation),
        "cohen_kappa_matrix": lambda: cohen_kappa_matrix(relation),
    }
    for name, function in metrics.items():
        first, best = timed(function, args.repeat)
        print(f"{name:22s} first {first:6.3f} s   best {best:6.3f} s")
    first, best = timed(lambda: [f() for f in metrics.values()], args.repeat)
    print(f"{'all three':22s} first {first:6.3f} s   best {best:6.3f} s")
    print(f"peak RSS: {peak_rss_mb():.0f} MiB")
    print(f"alpha {krippendorff_alpha(relation)['value'].iloc[0]:.6f}")

    if args.reference:
        reference = reference_path(relation)
        print(
            f"usual path (pandas → krippendorff, statsmodels, scikit-learn): "
            f"{reference['seconds']:.3f} s ({reference['seconds'] / best:.1f}× ours); "
            f"alpha {reference['alpha']:.6f}; peak RSS now {peak_rss_mb():.0f} MiB"
        )


if __name__ == "__main__":
    main()
