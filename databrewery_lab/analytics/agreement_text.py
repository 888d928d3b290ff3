"""Agreement on free text (TextArea): exact match and normalised edit similarity.

Input: ``task_id, annotator_id, text``, one row per (task, annotator); NULL text is a
missing rating. Texts are first normalised: Unicode NFC, every run of ASCII whitespace
(``[\\t\\n\\f\\r ]``) becomes one space, leading and trailing spaces go, then lower case.
For two normalised texts a and b:

* ``exact`` — a = b;
* ``similarity`` — 1 − Levenshtein(a, b) / max(len a, len b) counted in characters
  (code points); 1 for two empty texts.

DuckDB's ``levenshtein`` counts bytes, so a pair with non-ASCII text is first rewritten
over its own alphabet — each distinct character becomes one ASCII byte — which keeps the
character distance exact. The rare pair with more than 127 distinct characters is finished
in Python. ``by`` gives tables per annotator pair, per task, per annotator against the
others, or per annotator against the ground truth: mean exact rate and mean similarity
over the compared pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .agreement_bootstrap import BootstrapSpec, bootstrap_spec, ratio_intervals
from .agreement_choices import require_single_truth
from .agreement_figures import bar_figure, histogram_figure, pair_heatmap
from .agreement_input import RatingsLike, load_ratings
from .agreement_kappa import raise_if_duplicated
from .agreement_matching import By, region_connection
from .frames import MetricFrame, metric_frame

_PAIRS_SQL = r"""
CREATE TEMP TABLE dbl_pairs AS
WITH l AS (
    SELECT task_id, annotator_id,
           lower(trim(regexp_replace(nfc_normalize(text), '\s+', ' ', 'g'))) AS t
    FROM dbl_left
),
r AS (
    SELECT task_id, annotator_id,
           lower(trim(regexp_replace(nfc_normalize(text), '\s+', ' ', 'g'))) AS t
    FROM dbl_right
),
pairs AS (
    SELECT a.task_id, a.annotator_id AS annotator_a, b.annotator_id AS annotator_b,
           a.t AS text_a, b.t AS text_b,
           greatest(length(a.t), length(b.t)) AS longest,
           strlen(a.t) = length(a.t) AND strlen(b.t) = length(b.t) AS ascii
    FROM l AS a JOIN r AS b ON a.task_id = b.task_id AND a.annotator_id < b.annotator_id
),
coded AS (
    SELECT *,
           CASE WHEN NOT ascii AND text_a <> text_b
                THEN list_sort(list_distinct(string_split(text_a || text_b, '')))
           END AS alphabet
    FROM pairs
)
SELECT task_id, annotator_a, annotator_b, text_a = text_b AS exact,
       CASE
           WHEN text_a = text_b THEN 1.0
           WHEN longest = 0 OR length(text_a) = 0 OR length(text_b) = 0 THEN 0.0
           WHEN ascii THEN 1.0 - levenshtein(text_a, text_b) / longest
           WHEN len(alphabet) <= 127 THEN 1.0 - levenshtein(
               array_to_string(
                   list_transform(string_split(text_a, ''), c -> chr(list_position(alphabet, c))),
                   ''),
               array_to_string(
                   list_transform(string_split(text_b, ''), c -> chr(list_position(alphabet, c))),
                   '')
           ) / longest
       END AS similarity,
       CASE WHEN NOT ascii AND len(alphabet) > 127 THEN text_a END AS rest_a,
       CASE WHEN NOT ascii AND len(alphabet) > 127 THEN text_b END AS rest_b
FROM coded
"""

_SCORES_SQL = """
SELECT task_id, annotator_a, annotator_b, CAST(exact AS DOUBLE) AS exact, similarity
FROM dbl_pairs ORDER BY task_id, annotator_a, annotator_b
"""

# Pairs whose alphabet is too large for the one-byte rewrite, for the Python fallback.
_REST_SQL = """
SELECT rest_a, rest_b FROM dbl_pairs WHERE rest_a IS NOT NULL
ORDER BY task_id, annotator_a, annotator_b
"""


def text_agreement(
    texts: RatingsLike,
    *,
    by: By = "pair",
    ground_truth: RatingsLike | None = None,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = None,
) -> MetricFrame:
    """Exact-match rate and mean normalised similarity per pair, task, annotator or vs truth.

    ``ci`` adds bootstrap intervals of both (resampling each group's tasks; not per task).
    """
    spec = bootstrap_spec(ci, n_boot, seed)
    loaded = load_ratings(texts, "text")
    raise_if_duplicated(loaded.relation)
    connection = region_connection(loaded, ground_truth, by)
    try:
        if by == "ground_truth":
            require_single_truth(connection)
        connection.execute(_PAIRS_SQL)
        pairs = connection.sql(_SCORES_SQL).df()
        rest = connection.sql(_REST_SQL).fetchall()
    finally:
        connection.close()
    if rest:
        pairs.loc[pairs["similarity"].isna(), "similarity"] = [
            1.0 - levenshtein(a, b) / max(len(a), len(b)) for a, b in rest
        ]
    return _aggregate(pairs, by, spec)


def _aggregate(pairs: pd.DataFrame, by: By, spec: BootstrapSpec | None) -> MetricFrame:
    stats = {"exact_rate": ("exact", "mean"), "mean_similarity": ("similarity", "mean")}
    if by == "pair":
        keys = ["annotator_a", "annotator_b"]
        frame = pairs.groupby(keys, as_index=False).agg(n_tasks=("task_id", "size"), **stats)
        figure = pair_heatmap("mean_similarity", "Text similarity by pair", (0.0, 1.0))
        units = pairs
    elif by == "task":
        keys, units = [], pairs
        frame = pairs.groupby("task_id", as_index=False).agg(n_pairs=("exact", "size"), **stats)
        figure = histogram_figure("mean_similarity", "Text similarity by task")
    elif by == "annotator":
        keys = ["annotator_id"]
        units = pd.concat(
            [
                pairs.rename(columns={"annotator_a": "annotator_id"}),
                pairs.rename(columns={"annotator_b": "annotator_id"}),
            ],
            ignore_index=True,
        )
        frame = units.groupby(keys, as_index=False).agg(n_pairs=("exact", "size"), **stats)
        figure = bar_figure("annotator_id", "mean_similarity", "Text similarity with the others")
    else:
        keys = ["annotator_id"]
        units = pairs.rename(columns={"annotator_b": "annotator_id"})
        frame = units.groupby(keys, as_index=False).agg(n_tasks=("exact", "size"), **stats)
        figure = bar_figure("annotator_id", "mean_similarity", "Text similarity with the truth")
    if spec is not None and keys:
        per_task = units.groupby([*keys, "task_id"], as_index=False).agg(
            exact=("exact", "sum"), similarity=("similarity", "sum"), n=("exact", "size")
        )
        group = per_task.groupby(keys, sort=True).ngroup().to_numpy()
        count = per_task["n"].to_numpy(dtype=float)
        for column, total in (("exact_rate", "exact"), ("mean_similarity", "similarity")):
            low, high = ratio_intervals(group, per_task[total].to_numpy(dtype=float), count, spec)
            frame[f"{column}_ci_low"], frame[f"{column}_ci_high"] = low, high
    return metric_frame(frame, "text_agreement", figure)


def levenshtein(a: str, b: str) -> int:
    """Character edit distance (insert, delete, substitute), two-row dynamic programme."""
    if len(a) < len(b):
        a, b = b, a
    previous = np.arange(len(b) + 1)
    codes = np.array([ord(c) for c in b])
    for i, char in enumerate(a, start=1):
        substitute = previous[:-1] + (codes != ord(char))
        current = np.empty_like(previous)
        current[0] = i
        # insertions chain left to right: a running minimum does it without a Python loop
        current[1:] = np.minimum(previous[1:] + 1, substitute)
        current = np.minimum.accumulate(current - np.arange(len(current))) + np.arange(len(current))
        previous = current
    return int(previous[-1])
