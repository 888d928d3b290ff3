"""Ratings tables for the agreement metrics: check the contract once, hand SQL a clean relation.

Every agreement function takes a long table — a DuckDB relation, or a pandas DataFrame that is
scanned in place by a private in-memory DuckDB connection — and starts here. The checks read
only the schema (names and types), never the rows, so they cost nothing at a million rows;
"no rows at all" is noticed by the metric's own query. The relation handed on is lazy: it
casts ids to BIGINT, drops missing ratings (NULL, and NaN for numbers: that is how the
reference implementations spell "missing"), and keeps only the columns the kind needs, so
optional extra columns (``annotation_id`` …) never reach the metric SQL.

All SQL here is constant text: the column names are fixed by the input contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb
import pandas as pd

from ..errors import DatabreweryError

#: A ratings table as the callers hold it.
RatingsLike = duckdb.DuckDBPyRelation | pd.DataFrame

#: How a ``value`` column is read: labels (choices), label sets (multi-choice) or numbers.
ValueKind = Literal["label", "label_set", "number"]

#: The table shapes of the contract, by what they hold.
TableKind = Literal["value", "spans", "boxes", "text"]

_INTEGER_TYPES = frozenset(
    {"tinyint", "smallint", "integer", "bigint", "hugeint"}
    | {"utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"}
)
_NUMBER_TYPES = _INTEGER_TYPES | {"float", "double", "decimal"}

_REQUIRED: dict[TableKind, tuple[str, ...]] = {
    "value": ("task_id", "annotator_id", "value"),
    "spans": ("task_id", "annotator_id", "start", "end", "label"),
    "boxes": ("task_id", "annotator_id", "x", "y", "width", "height", "label"),
    "text": ("task_id", "annotator_id", "text"),
}

# The normalising projections, one per shape. ``ground_truth`` rides along when present so
# that the honeypot metrics can split it off; the other metrics never select it.
_ID_COLUMNS = "CAST(task_id AS BIGINT) AS task_id, CAST(annotator_id AS BIGINT) AS annotator_id"
_PROJECTIONS: dict[str, str] = {
    "label": _ID_COLUMNS + ", value",
    "label_set": _ID_COLUMNS + ", list_sort(list_distinct(value)) AS value",
    "number": _ID_COLUMNS + ", nullif(CAST(value AS DOUBLE), CAST('NaN' AS DOUBLE)) AS value",
    "spans": _ID_COLUMNS + ', CAST(start AS DOUBLE) AS start, CAST("end" AS DOUBLE) AS "end", '
    "CAST(label AS VARCHAR) AS label",
    "boxes": _ID_COLUMNS + ", CAST(x AS DOUBLE) AS x, CAST(y AS DOUBLE) AS y, "
    "CAST(width AS DOUBLE) AS width, CAST(height AS DOUBLE) AS height, "
    "CAST(label AS VARCHAR) AS label",
    "text": _ID_COLUMNS + ", CAST(text AS VARCHAR) AS text",
}
_TRUTH_FLAG = ", coalesce(CAST(ground_truth AS BOOLEAN), false) AS ground_truth"
_NO_TRUTH_FLAG = ", false AS ground_truth"
#: Rows that carry a rating. Spans and boxes keep rows whose geometry is NULL: they say
#: "this annotator submitted the task and marked nothing", which matters for F1.
_PRESENT: dict[str, str] = {
    "label": "value IS NOT NULL",
    "label_set": "value IS NOT NULL",
    "number": "value IS NOT NULL",
    "spans": "true",
    "boxes": "true",
    "text": "text IS NOT NULL",
}


class AgreementInputError(DatabreweryError, ValueError):
    """A ratings table cannot be used: a column is missing, rows are duplicated, it is empty."""


class AgreementTypeError(AgreementInputError, TypeError):
    """A ratings table (or one of its columns) has a type the agreement metrics cannot read."""


@dataclass(frozen=True)
class Ratings:
    """A checked, normalised ratings table.

    ``relation`` has ``task_id BIGINT, annotator_id BIGINT``, the kind's columns and a
    ``ground_truth BOOLEAN`` flag (false when the input had no such column); missing
    ratings and rows without an annotator are gone. ``truth`` holds the flagged rows,
    annotator or not: the extractor keeps ground truth by deleted users with a NULL
    annotator, and such a row can be a reference though it is nobody's rating.
    ``connection`` keeps a DataFrame's private scan alive.
    """

    relation: duckdb.DuckDBPyRelation
    truth: duckdb.DuckDBPyRelation
    shape: str
    value_kind: ValueKind | None
    connection: duckdb.DuckDBPyConnection | None
    has_truth_flag: bool

    def query(self, sql: str) -> duckdb.DuckDBPyRelation:
        """Run constant ``sql`` over the table, which it names ``dbl_ratings``."""
        return self.relation.query("dbl_ratings", sql)


def load_ratings(data: RatingsLike, table: TableKind, *, what: str = "ratings") -> Ratings:
    """Check ``data`` against the contract for ``table`` and return its normalised relation."""
    relation, connection = _as_relation(data, what)
    normalised, shape, value_kind, has_flag = _normalise(relation, table, what)
    rated = normalised.filter("annotator_id IS NOT NULL")
    truth = normalised.filter("ground_truth")
    return Ratings(rated, truth, shape, value_kind, connection, has_flag)


def load_truth(data: RatingsLike, like: Ratings) -> Ratings:
    """A ground-truth table: the shape of ``like``; ``annotator_id`` is optional (ignored)."""
    relation, connection = _as_relation(data, "ground_truth")
    types = _column_types(relation)
    if "annotator_id" in types:
        relation = relation.project("* EXCLUDE (annotator_id)")
    relation = relation.project("*, CAST(NULL AS BIGINT) AS annotator_id")
    if "ground_truth" in types:
        relation = relation.project("* EXCLUDE (ground_truth)")
    normalised, shape, value_kind, _ = _normalise(relation, _table_of(like.shape), "ground_truth")
    if like.value_kind is not None and value_kind != like.value_kind:
        raise AgreementTypeError(
            f"ground_truth.value holds {value_kind} values but the ratings hold "
            f"{like.value_kind} values; give both tables the same value type"
        )
    return Ratings(normalised, normalised, shape, value_kind, connection, False)


def _normalise(
    relation: duckdb.DuckDBPyRelation, table: TableKind, what: str
) -> tuple[duckdb.DuckDBPyRelation, str, ValueKind | None, bool]:
    types = _column_types(relation)
    _require_columns(types, _REQUIRED[table], what)
    for column in ("task_id", "annotator_id"):
        _require_type(types, column, _INTEGER_TYPES, "an integer", what)
    value_kind: ValueKind | None = None
    shape: str = table
    if table == "value":
        value_kind = _value_kind(types["value"], what)
        shape = value_kind
    elif table == "spans":
        for column in ("start", "end"):
            _require_type(types, column, _NUMBER_TYPES, "a number", what)
        _require_type(types, "label", {"varchar"}, "a VARCHAR", what)
    elif table == "boxes":
        for column in ("x", "y", "width", "height"):
            _require_type(types, column, _NUMBER_TYPES, "a number", what)
        _require_type(types, "label", {"varchar"}, "a VARCHAR", what)
    else:
        _require_type(types, "text", {"varchar"}, "a VARCHAR", what)
    has_flag = "ground_truth" in types
    if has_flag:
        _require_type(types, "ground_truth", {"boolean"}, "a BOOLEAN", what)
    projection = _PROJECTIONS[shape] + (_TRUTH_FLAG if has_flag else _NO_TRUTH_FLAG)
    return relation.project(projection).filter(_PRESENT[shape]), shape, value_kind, has_flag


def require_rows(count: int, what: str = "ratings") -> None:
    """Raise the "empty input" error when a metric's query saw no ratings at all."""
    if count == 0:
        raise AgreementInputError(
            f"the {what} table has no ratings (it is empty, or every value is NULL); "
            "check the project, task and annotator filters that produced it"
        )


def _table_of(shape: str) -> TableKind:
    if shape in ("label", "label_set", "number"):
        return "value"
    return shape  # type: ignore[return-value]


def _as_relation(
    data: object, what: str
) -> tuple[duckdb.DuckDBPyRelation, duckdb.DuckDBPyConnection | None]:
    if isinstance(data, duckdb.DuckDBPyRelation):
        return data, None
    if isinstance(data, pd.DataFrame):
        connection = duckdb.connect()
        return connection.from_df(data), connection
    raise AgreementTypeError(
        f"{what} must be a duckdb.DuckDBPyRelation or a pandas.DataFrame, not {type(data).__name__}"
    )


def _column_types(relation: duckdb.DuckDBPyRelation) -> dict[str, duckdb.DuckDBPyType]:
    return {name.lower(): kind for name, kind in zip(relation.columns, relation.types, strict=True)}


def _require_columns(types: dict[str, duckdb.DuckDBPyType], needed: tuple[str, ...], what: str):
    missing = [name for name in needed if name not in types]
    if missing:
        raise AgreementInputError(
            f"the {what} table lacks column(s) {', '.join(repr(m) for m in missing)}: "
            f"it needs {', '.join(needed)} (it has {', '.join(types) or 'no columns'}); "
            "rename or add them"
        )


def _require_type(
    types: dict[str, duckdb.DuckDBPyType],
    column: str,
    allowed: set[str] | frozenset[str],
    description: str,
    what: str,
) -> None:
    kind = types[column]
    if kind.id not in allowed:
        raise AgreementTypeError(
            f"{what}.{column} must be {description} column, not {kind}; "
            f"cast it (e.g. CAST({column} AS {_SUGGESTED[description]})) and drop rows where "
            "it is missing"
        )


_SUGGESTED = {
    "an integer": "BIGINT",
    "a number": "DOUBLE",
    "a VARCHAR": "VARCHAR",
    "a BOOLEAN": "BOOLEAN",
}


def _value_kind(kind: duckdb.DuckDBPyType, what: str) -> ValueKind:
    if kind.id in ("varchar", "boolean"):
        return "label"
    if kind.id in _NUMBER_TYPES:
        return "number"
    if kind.id == "list" and str(kind) == "VARCHAR[]":
        return "label_set"
    raise AgreementTypeError(
        f"{what}.value must be VARCHAR (a choice), VARCHAR[] (a multi-choice label set) or "
        f"a number (rating, number), not {kind}; cast it to one of these"
    )


def truth_connection(
    ratings: Ratings, ground_truth: RatingsLike | None
) -> duckdb.DuckDBPyConnection:
    """A private connection holding ``dbl_rated`` (annotators' rows) and ``dbl_truth``.

    The truth is the ``ground_truth`` table when given (same columns as the ratings, no
    ``annotator_id`` needed), else the rows flagged by a ``ground_truth`` column, which
    then leave the annotator side. Both are copied as Arrow into one private in-memory
    connection because they may come from different connections (or DataFrames).
    """
    if ground_truth is not None:
        truth = load_truth(ground_truth, ratings).truth
        rated = ratings.relation
    elif ratings.has_truth_flag:
        truth = ratings.truth
        rated = ratings.relation.filter("NOT ground_truth")
    else:
        raise AgreementInputError(
            "no ground truth to compare with: pass ground_truth=<a table with task_id and the "
            "same rating columns>, or add a BOOLEAN ground_truth column that marks the "
            "ground-truth (honeypot) annotations"
        )
    connection = duckdb.connect()
    connection.register("dbl_rated", rated.to_arrow_table())
    connection.register("dbl_truth", truth.to_arrow_table())
    return connection
