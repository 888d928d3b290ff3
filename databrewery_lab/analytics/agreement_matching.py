"""One-to-one matching of regions (text spans, boxes) and the F1 tables built from it.

Regions of two annotators on the same task match when they carry the same label and their
overlap score (IoU: intersection over union of the character ranges or box areas) reaches
the threshold. Each region matches at most one region of the other annotator: candidate
pairs are taken greedily by descending score (ties: earlier region first, by label and
position), which is what most span/box evaluators do. The greedy result is computed in
vectorised rounds — every round takes the candidates that are the best remaining choice
of both their regions (a globally best one always is), then drops everything touching a
matched region — which picks exactly the same pairs as the sequential greedy loop.

From per (task, annotator_a, annotator_b) counts — regions of each side ``n_a``, ``n_b``
and matches ``tp`` — F1 = 2·Σtp / (Σn_a + Σn_b) (micro, pooled over tasks); precision
= Σtp/Σn_a and recall = Σtp/Σn_b take a direction, so they are reported only against
ground truth. F1 is NaN when neither side marked anything.

Regions and candidates come from DuckDB over two views, ``dbl_left`` and ``dbl_right``:
the same table for annotator pairs, the ground truth and the annotators for honeypots (the
truth then takes the smallest BIGINT as its annotator id so that it is always the left
side of ``a.annotator_id < b.annotator_id``).
"""

from __future__ import annotations

from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from .agreement_bootstrap import BootstrapSpec, ratio_intervals
from .agreement_figures import bar_figure, histogram_figure, pair_heatmap
from .agreement_input import (
    AgreementInputError,
    Ratings,
    RatingsLike,
    require_rows,
    truth_connection,
)
from .frames import MetricFrame, metric_frame

By = Literal["pair", "task", "annotator", "ground_truth"]
BY_VALUES: tuple[By, ...] = ("pair", "task", "annotator", "ground_truth")

_PAIR_VIEWS = (
    "CREATE TEMP TABLE dbl_all AS SELECT * FROM dbl_source",
    "CREATE TEMP VIEW dbl_left AS SELECT * FROM dbl_all",
    "CREATE TEMP VIEW dbl_right AS SELECT * FROM dbl_all",
)
_TRUTH_VIEWS = (
    "CREATE TEMP VIEW dbl_left AS "
    "SELECT * REPLACE (CAST(-9223372036854775808 AS BIGINT) AS annotator_id) FROM dbl_truth",
    "CREATE TEMP VIEW dbl_right AS SELECT * FROM dbl_rated",
)
_TRUTH_AUTHORS_SQL = """
SELECT task_id, count(DISTINCT annotator_id) AS n FROM dbl_truth
GROUP BY task_id HAVING count(DISTINCT annotator_id) > 1 ORDER BY task_id LIMIT 1
"""


def region_connection(ratings: Ratings, ground_truth: RatingsLike | None, by: By):
    """A private connection with ``dbl_left``/``dbl_right`` set up for ``by``."""
    if by not in BY_VALUES:
        raise ValueError(f"by must be one of {', '.join(BY_VALUES)}, not {by!r}")
    if by == "ground_truth":
        connection = truth_connection(ratings, ground_truth)
        row = connection.sql(_TRUTH_AUTHORS_SQL).fetchone()
        if row is not None:
            connection.close()
            raise AgreementInputError(
                f"task {row[0]} has ground truth from {row[1]} annotators; flag one "
                "ground-truth annotation per task"
            )
        require_rows(connection.sql("SELECT count(*) FROM dbl_rated").fetchone()[0])
        statements = _TRUTH_VIEWS
    else:
        table = ratings.relation.to_arrow_table()
        require_rows(table.num_rows)
        connection = duckdb.connect()
        connection.register("dbl_source", table)
        statements = _PAIR_VIEWS
    for statement in statements:
        connection.execute(statement)
    return connection


def greedy_matches(
    left_node: np.ndarray,
    right_node: np.ndarray,
    score: np.ndarray,
    left_order: np.ndarray,
    right_order: np.ndarray,
) -> np.ndarray:
    """Which candidate pairs the greedy one-to-one matching keeps (boolean mask).

    Candidates are ranked by descending ``score``, then ascending ``left_order`` and
    ``right_order``; a node is one region on one side of one comparison.
    """
    chosen = np.zeros(len(score), dtype=bool)
    if len(score) == 0:
        return chosen
    rank = np.lexsort((right_order, left_order, -score))
    left, right = left_node[rank], right_node[rank]
    left_used = np.zeros(int(left.max()) + 1, dtype=bool)
    right_used = np.zeros(int(right.max()) + 1, dtype=bool)
    alive = np.ones(len(rank), dtype=bool)
    while alive.any():
        live = np.flatnonzero(alive)
        best_left = np.zeros(len(rank), dtype=bool)
        best_right = np.zeros(len(rank), dtype=bool)
        best_left[live[np.unique(left[live], return_index=True)[1]]] = True
        best_right[live[np.unique(right[live], return_index=True)[1]]] = True
        picked = best_left & best_right
        left_used[left[picked]] = True
        right_used[right[picked]] = True
        chosen[rank[picked]] = True
        alive &= ~(left_used[left] | right_used[right])
    return chosen


def match_counts(candidates: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Matches per (task_id, annotator_a, annotator_b) among ``candidates`` with score ≥ t.

    ``candidates`` has task_id, annotator_a, annotator_b, left_id, right_id, score.
    """
    keys = ["task_id", "annotator_a", "annotator_b"]
    kept = candidates[candidates["score"] >= threshold]
    if kept.empty:
        return pd.DataFrame({**{k: pd.Series(dtype=np.int64) for k in keys}, "tp": []})
    comparison = kept.groupby(["annotator_a", "annotator_b"], sort=False).ngroup().to_numpy()
    stride = int(kept["left_id"].max()) + 1
    left = np.unique(comparison * stride + kept["left_id"].to_numpy(), return_inverse=True)[1]
    stride = int(kept["right_id"].max()) + 1
    right = np.unique(comparison * stride + kept["right_id"].to_numpy(), return_inverse=True)[1]
    chosen = greedy_matches(
        left,
        right,
        kept["score"].to_numpy(dtype=float),
        kept["left_id"].to_numpy(),
        kept["right_id"].to_numpy(),
    )
    return kept[chosen].groupby(keys, as_index=False).size().rename(columns={"size": "tp"})


def f1_frame(
    pair_tasks: pd.DataFrame,
    scores: list[str],
    by: By,
    metric: str,
    title: str,
    spec: BootstrapSpec | None = None,
) -> MetricFrame:
    """Aggregate per (task, a, b) counts ``n_a``, ``n_b``, ``tp_<score>`` into F1 by ``by``.

    With ``spec``, each F1 gets ``f1_<score>_ci_low``/``_ci_high``: a bootstrap over the
    group's tasks (per pair, per annotator, per annotator against the truth; not per task).
    """
    tp = [f"tp_{name}" for name in scores]
    if by == "pair":
        keys = ["annotator_a", "annotator_b"]
        units = pair_tasks
        frame = _pooled(units, keys, tp, "n_tasks")
        figure = pair_heatmap(f"f1_{scores[0]}", title, (0.0, 1.0))
    elif by == "task":
        keys, units = [], pair_tasks
        frame = _pooled(pair_tasks, ["task_id"], tp, "n_pairs")
        figure = histogram_figure(f"f1_{scores[0]}", title)
    elif by == "annotator":
        mirrored = pair_tasks.rename(
            columns={
                "annotator_a": "annotator_b",
                "annotator_b": "annotator_a",
                "n_a": "n_b",
                "n_b": "n_a",
            }
        )
        both = pd.concat([pair_tasks, mirrored], ignore_index=True)
        both = both.rename(columns={"annotator_a": "annotator_id"})
        keys = ["annotator_id"]
        units = both.groupby(["annotator_id", "task_id"], as_index=False)[["n_a", "n_b", *tp]].sum()
        frame = _pooled(both, keys, tp, "n_pairs")
        figure = bar_figure("annotator_id", f"f1_{scores[0]}", title)
    else:
        truth = pair_tasks.rename(
            columns={"annotator_b": "annotator_id", "n_a": "n_truth", "n_b": "n_annotator"}
        )
        keys = ["annotator_id"]
        units = truth.rename(columns={"n_truth": "n_a", "n_annotator": "n_b"})
        frame = _against_truth(truth, scores)
        figure = bar_figure("annotator_id", f"f1_{scores[0]}", title)
    if spec is not None and keys:
        group = units.groupby(keys, sort=True).ngroup().to_numpy()
        regions = (units["n_a"] + units["n_b"]).to_numpy(dtype=float)
        for name in scores:
            hits = 2.0 * units[f"tp_{name}"].to_numpy(dtype=float)
            low, high = ratio_intervals(group, hits, regions, spec)
            frame[f"f1_{name}_ci_low"], frame[f"f1_{name}_ci_high"] = low, high
    return metric_frame(frame, metric, figure)


def _pooled(frame: pd.DataFrame, keys: list[str], tp: list[str], count: str) -> pd.DataFrame:
    sums = frame.groupby(keys, as_index=False).agg(
        **{count: ("n_a", "size")},
        n_a=("n_a", "sum"),
        n_b=("n_b", "sum"),
        **{name: (name, "sum") for name in tp},
    )
    regions = (sums["n_a"] + sums["n_b"]).astype(float)
    for name in tp:
        sums[name.replace("tp_", "f1_")] = np.where(regions > 0, 2.0 * sums[name] / regions, np.nan)
    return sums


def _against_truth(frame: pd.DataFrame, scores: list[str]) -> pd.DataFrame:
    sums = frame.groupby("annotator_id", as_index=False).agg(
        n_tasks=("n_truth", "size"),
        n_annotator=("n_annotator", "sum"),
        n_truth=("n_truth", "sum"),
        **{f"tp_{s}": (f"tp_{s}", "sum") for s in scores},
    )
    mine = sums["n_annotator"].astype(float)
    theirs = sums["n_truth"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in scores:
            hits = sums[f"tp_{name}"].astype(float)
            sums[f"precision_{name}"] = np.where(mine > 0, hits / mine, np.nan)
            sums[f"recall_{name}"] = np.where(theirs > 0, hits / theirs, np.nan)
            sums[f"f1_{name}"] = np.where(mine + theirs > 0, 2.0 * hits / (mine + theirs), np.nan)
    return sums


def with_matches(pair_tasks: pd.DataFrame, matches: pd.DataFrame, name: str) -> pd.DataFrame:
    """Join match counts onto the per (task, a, b) table as ``tp_<name>`` (0 when none)."""
    keys = ["task_id", "annotator_a", "annotator_b"]
    merged = pair_tasks.merge(matches.rename(columns={"tp": f"tp_{name}"}), on=keys, how="left")
    merged[f"tp_{name}"] = merged[f"tp_{name}"].fillna(0).astype(np.int64)
    return merged
