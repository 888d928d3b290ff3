"""Prediction quality from label tables: the set-based kernels behind :mod:`.predictions`.

Inputs are long tables in the extractor's shapes (DuckDB relations, pandas DataFrames or
Arrow tables): predictions ``task_id, prediction_id, model_version, score, value`` and a
reference ``task_id, value`` with one value per task. :func:`compare` pairs them in a
private in-memory DuckDB connection (the tables may come from different connections);
every metric is then one SQL query over those pairs.

Definitions (the scikit-learn reading of each, which the tests check to 1e-9):

* pairs — per (model_version, task) the latest prediction (highest ``prediction_id``)
  that answers the control, and the task's reference value; a task without either is
  not compared.
* values compare as wholes: a choice with a choice, a number with a number (exact), a
  multi-choice label set with a label set (equal when exactly the same labels).
  ``accuracy`` is the share of equal pairs — ``accuracy_score``, for label sets the
  subset accuracy of the indicator matrices.
* per label — ``tp, fp, fn`` with each label read as present/absent in the predicted
  and reference value; ``precision = tp / (tp + fp)``, ``recall = tp / (tp + fn)``,
  ``f1 = 2tp / (2tp + fp + fn)``, 0 when undefined, ``support = tp + fn``: exactly
  ``precision_recall_fscore_support(reference, predicted, zero_division=0)``, for label
  sets over the ``MultiLabelBinarizer`` indicator matrices. The labels of a version are
  those its compared pairs use (predicted or reference); ``macro_*`` average over them.
* confusion — one row per non-empty (reference, predicted) cell; label sets are keyed
  by their JSON text (``["A","B"]``, ``[]`` for none).
* calibration — a score in [0, 1] falls in bucket ``min(floor(score · B), B − 1)``, i.e.
  ``[k/B, (k+1)/B)`` with 1.0 in the last; pairs without a score or with one outside
  [0, 1] are left out; only non-empty buckets are listed. Per bucket: mean score and
  accuracy (scikit-learn's ``calibration_curve(strategy="uniform")`` puts a score lying
  exactly on an inner edge into the lower bucket; we put it into the upper one).
* pre-annotation changes — an annotation whose parent prediction had the same value
  for the control *kept* it; anything else (another value, or a parent that did not
  answer the control) *changed* it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb
import pandas as pd
import pyarrow as pa

from .agreement import majority_vote
from .agreement_input import AgreementInputError, AgreementTypeError

#: A label table as the callers hold it.
TableLike = duckdb.DuckDBPyRelation | pd.DataFrame | pa.Table

#: How a ``value`` column is read: choices, multi-choice label sets or numbers.
ValueKind = Literal["label", "label_set", "number"]

_NUMBER_TYPES = frozenset(
    {"tinyint", "smallint", "integer", "bigint", "hugeint", "float", "double", "decimal"}
    | {"utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"}
)

#: The typed, normalised value of each kind (label sets sorted and distinct, NaN missing).
_VALUE: dict[str, str] = {
    "label": "CAST(value AS VARCHAR)",
    "label_set": "list_sort(list_distinct(CAST(value AS VARCHAR[])))",
    "number": "nullif(CAST(value AS DOUBLE), CAST('NaN' AS DOUBLE))",
}
#: The value as a list of labels (for per-label counts).
_AS_LIST: dict[str, str] = {"label": "[{x}]", "label_set": "{x}", "number": "[{x}]"}
#: The value as a confusion-matrix key.
_KEY: dict[str, str] = {
    "label": "{x}",
    "label_set": "CAST(to_json({x}) AS VARCHAR)",
    "number": "{x}",
}

_PAIRS_SQL = """
CREATE TEMP TABLE dbl_pairs AS
WITH latest AS (
    SELECT CAST(task_id AS BIGINT) AS task_id, CAST(model_version AS VARCHAR) AS model_version,
           CAST(score AS DOUBLE) AS score, {value} AS value
    FROM dbl_predictions_in
    WHERE {value} IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY model_version, task_id ORDER BY prediction_id DESC) = 1
),
reference AS (
    SELECT CAST(task_id AS BIGINT) AS task_id, {value} AS value
    FROM dbl_reference_in WHERE {value} IS NOT NULL
)
SELECT p.model_version, p.task_id, p.score, p.value AS predicted, r.value AS reference
FROM latest AS p JOIN reference AS r ON p.task_id = r.task_id
"""

_REFERENCE_DUPLICATE_SQL = """
SELECT task_id FROM dbl_reference_in WHERE value IS NOT NULL
GROUP BY task_id HAVING count(*) > 1 ORDER BY task_id LIMIT 1
"""

_CLASS_SQL = """
WITH cells AS (
    SELECT model_version, {predicted} AS p, {reference} AS r, count(*) AS n
    FROM dbl_pairs GROUP BY ALL
),
labelled AS (
    SELECT model_version, p, r, n, unnest(list_distinct(list_concat(p, r))) AS label
    FROM cells
),
counts AS (
    SELECT model_version, label,
           CAST(coalesce(sum(n) FILTER (WHERE list_contains(p, label)
                AND list_contains(r, label)), 0) AS BIGINT) AS tp,
           CAST(coalesce(sum(n) FILTER (WHERE list_contains(p, label)
                AND NOT list_contains(r, label)), 0) AS BIGINT) AS fp,
           CAST(coalesce(sum(n) FILTER (WHERE NOT list_contains(p, label)
                AND list_contains(r, label)), 0) AS BIGINT) AS fn
    FROM labelled GROUP BY ALL
)
SELECT model_version, label, tp, fp, fn, tp + fn AS support,
       CASE WHEN tp + fp > 0 THEN CAST(tp AS DOUBLE) / (tp + fp) ELSE 0.0 END AS precision,
       CASE WHEN tp + fn > 0 THEN CAST(tp AS DOUBLE) / (tp + fn) ELSE 0.0 END AS recall,
       CASE WHEN tp > 0 THEN 2.0 * tp / (2 * tp + fp + fn) ELSE 0.0 END AS f1
FROM counts
"""

_ACCURACY_SQL = """
WITH per_version AS (
    SELECT model_version, count(*) AS tasks,
           count(*) FILTER (WHERE predicted = reference) AS correct,
           avg(score) AS mean_score, {mae} AS mae
    FROM dbl_pairs GROUP BY ALL
),
per_label AS ({classes}),
macro AS (
    SELECT model_version, count(*) AS n_labels, avg(precision) AS macro_precision,
           avg(recall) AS macro_recall, avg(f1) AS macro_f1
    FROM per_label GROUP BY ALL
)
SELECT v.model_version, v.tasks, v.correct, CAST(v.correct AS DOUBLE) / v.tasks AS accuracy,
       m.macro_precision, m.macro_recall, m.macro_f1, m.n_labels, v.mean_score, v.mae
FROM per_version AS v
LEFT JOIN macro AS m ON v.model_version IS NOT DISTINCT FROM m.model_version
ORDER BY v.model_version NULLS LAST
"""

_CONFUSION_SQL = """
SELECT model_version, {reference} AS reference, {predicted} AS predicted, count(*) AS count
FROM dbl_pairs GROUP BY ALL
ORDER BY model_version NULLS LAST, reference, predicted
"""

_CALIBRATION_SQL = """
WITH scored AS (
    SELECT model_version, score, predicted = reference AS correct,
           least(CAST(floor(score * $buckets) AS BIGINT), $buckets - 1) AS bucket
    FROM dbl_pairs WHERE score >= 0.0 AND score <= 1.0
)
SELECT model_version, bucket, CAST(bucket AS DOUBLE) / $buckets AS score_low,
       CAST(bucket + 1 AS DOUBLE) / $buckets AS score_high, count(*) AS tasks,
       avg(score) AS mean_score, avg(CAST(correct AS DOUBLE)) AS accuracy
FROM scored GROUP BY ALL
ORDER BY model_version NULLS LAST, bucket
"""

_GROUND_TRUTH_SQL = """
SELECT CAST(task_id AS BIGINT) AS task_id, arg_max(value, annotation_id) AS value
FROM dbl_annotations_in WHERE ground_truth AND value IS NOT NULL
GROUP BY ALL ORDER BY task_id
"""

_CHANGES_SQL = """
WITH annotated AS (
    SELECT CAST(annotation_id AS BIGINT) AS annotation_id, {value} AS value
    FROM dbl_annotations_in WHERE {value} IS NOT NULL
),
parents AS (
    SELECT CAST(prediction_id AS BIGINT) AS prediction_id, any_value({value}) AS value
    FROM dbl_predictions_in GROUP BY ALL
),
compared AS (
    SELECT l.model_version, coalesce(a.value = p.value, false) AS kept
    FROM dbl_links_in AS l
    JOIN annotated AS a ON a.annotation_id = CAST(l.annotation_id AS BIGINT)
    LEFT JOIN parents AS p ON p.prediction_id = CAST(l.prediction_id AS BIGINT)
)
SELECT CAST(model_version AS VARCHAR) AS model_version, count(*) AS annotations,
       count(*) FILTER (WHERE kept) AS kept, count(*) FILTER (WHERE NOT kept) AS changed,
       CAST(count(*) FILTER (WHERE NOT kept) AS DOUBLE) / count(*) AS change_rate
FROM compared GROUP BY ALL
ORDER BY model_version NULLS LAST
"""


def value_kind(data: duckdb.DuckDBPyRelation, what: str) -> ValueKind:
    """Whether a table's ``value`` holds choices, label sets or numbers (from its type)."""
    types = {name.lower(): kind for name, kind in zip(data.columns, data.types, strict=True)}
    if "value" not in types:
        raise AgreementInputError(
            f"the {what} table has no 'value' column (it has {', '.join(types) or 'none'}); "
            "extract it with extract_predictions()/extract_annotations()"
        )
    kind = types["value"]
    if kind.id == "varchar":
        return "label"
    if kind.id == "list" and str(kind) == "VARCHAR[]":
        return "label_set"
    if kind.id in _NUMBER_TYPES:
        return "number"
    raise AgreementTypeError(
        f"{what}.value must be VARCHAR (a choice), VARCHAR[] (a multi-choice label set) or "
        f"a number (rating, number), not {kind}; cast it to one of these"
    )


@dataclass
class Comparison:
    """Predicted and reference values paired per (model_version, task), in ``dbl_pairs``.

    Owns a private DuckDB connection; use it as a context manager (or call ``close``).
    """

    connection: duckdb.DuckDBPyConnection
    kind: ValueKind

    def __enter__(self) -> Comparison:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    def accuracy(self) -> pd.DataFrame:
        """Per version: ``tasks, correct, accuracy, macro_precision, macro_recall, macro_f1,
        n_labels, mean_score, mae`` (``mae`` only for numbers, else NULL)."""
        mae = "avg(abs(predicted - reference))" if self.kind == "number" else "NULL::DOUBLE"
        sql = _ACCURACY_SQL.format(mae=mae, classes=self._class_sql())
        return self.connection.sql(sql).df()

    def class_metrics(self) -> pd.DataFrame:
        """Per (version, label): ``tp, fp, fn, support, precision, recall, f1``."""
        sql = self._class_sql() + " ORDER BY model_version NULLS LAST, label"
        return self.connection.sql(sql).df()

    def confusion(self) -> pd.DataFrame:
        """Per version, the non-empty (reference, predicted) cells with their ``count``."""
        key = _KEY[self.kind]
        sql = _CONFUSION_SQL.format(
            reference=key.format(x="reference"), predicted=key.format(x="predicted")
        )
        return self.connection.sql(sql).df()

    def calibration(self, buckets: int) -> pd.DataFrame:
        """Per (version, score bucket): ``score_low, score_high, tasks, mean_score, accuracy``."""
        if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets < 1:
            raise ValueError(f"buckets must be a positive integer, not {buckets!r}")
        return self.connection.execute(_CALIBRATION_SQL, {"buckets": buckets}).df()

    def _class_sql(self) -> str:
        listed = _AS_LIST[self.kind]
        return _CLASS_SQL.format(
            predicted=listed.format(x="predicted"), reference=listed.format(x="reference")
        )


def compare(predictions: TableLike, reference: TableLike) -> Comparison:
    """Pair each version's latest prediction of a task with the task's reference value.

    The value kind is read from the predictions' ``value`` type; the reference is cast to
    it. A reference with two values for one task is refused (keep one per task).
    """
    connection = duckdb.connect()
    try:
        connection.register("dbl_predictions_in", _arrow(predictions))
        connection.register("dbl_reference_in", _arrow(reference))
        kind = value_kind(connection.table("dbl_predictions_in"), "predictions")
        duplicate = connection.sql(_REFERENCE_DUPLICATE_SQL).fetchone()
        if duplicate is not None:
            raise AgreementInputError(
                f"the reference has several values for task {duplicate[0]}; keep one per task"
            )
        connection.execute(_PAIRS_SQL.format(value=_VALUE[kind]))
    except BaseException:
        connection.close()
        raise
    return Comparison(connection, kind)


def ground_truth_values(annotations: TableLike) -> pa.Table:
    """``task_id, value`` of the ground-truth annotations: the latest one of each task."""
    with duckdb.connect() as connection:
        connection.register("dbl_annotations_in", _arrow(annotations))
        return connection.sql(_GROUND_TRUTH_SQL).to_arrow_table()


def consensus_values(annotations: TableLike) -> pd.DataFrame:
    """``task_id, value``: each task's majority vote among its annotators; ties give none.

    Every annotator's latest answer is one vote (ground-truth annotations by a person
    too); a task one person answered has that answer as its consensus.
    """
    if isinstance(annotations, pa.Table):
        annotations = annotations.to_pandas()
    votes = majority_vote(annotations)
    return votes.loc[votes["value"].notna(), ["task_id", "value"]].reset_index(drop=True)


def change_counts(annotations: TableLike, links: TableLike, parents: TableLike) -> pd.DataFrame:
    """Per parent model_version: ``annotations, kept, changed, change_rate``.

    ``annotations``: ``annotation_id, value``; ``links``: ``annotation_id, prediction_id,
    model_version`` of the annotations that started from a prediction; ``parents``:
    ``prediction_id, value`` of those predictions (absent when it did not answer).
    """
    with duckdb.connect() as connection:
        connection.register("dbl_annotations_in", _arrow(annotations))
        connection.register("dbl_links_in", _arrow(links))
        connection.register("dbl_predictions_in", _arrow(parents))
        kind = value_kind(connection.table("dbl_annotations_in"), "annotations")
        return connection.sql(_CHANGES_SQL.format(value=_VALUE[kind])).df()


def _arrow(data: TableLike) -> pa.Table | pd.DataFrame:
    """Something a private connection can register: relations leave their connection."""
    if isinstance(data, duckdb.DuckDBPyRelation):
        return data.to_arrow_table()
    if isinstance(data, pa.Table | pd.DataFrame):
        return data
    raise AgreementTypeError(
        "a prediction table must be a duckdb.DuckDBPyRelation, a pandas.DataFrame or a "
        f"pyarrow.Table, not {type(data).__name__}"
    )
