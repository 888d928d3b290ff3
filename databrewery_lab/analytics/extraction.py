"""Labels out of ``result`` JSON, per control tag of the label config: the ratings tables.

Which items to read and what to pull out of them follows the project's parsed label
config, not one project's habits: a control is chosen by name (or as the only control
of a kind) and its result type picks the extraction. PostgreSQL does the JSON work and
ships only the label columns (see :mod:`.engine` for the measurements), DuckDB keeps the
latest annotation per (task, annotator) and types the columns.

The tables (the contract the agreement and prediction metrics read):

==================  =============================================================
choices (single)    ``task_id, annotator_id, value VARCHAR``
choices (multiple)  ``task_id, annotator_id, value VARCHAR[]`` (sorted, distinct)
rating, number      ``task_id, annotator_id, value DOUBLE``
labels              ``task_id, annotator_id, region_id, start INTEGER, "end" INTEGER,
                    label`` — one row per (span, label)
rectanglelabels     ``task_id, annotator_id, region_id, x, y, width, height DOUBLE,
                    label`` — percent of the image, as Label Studio stores them
textarea            ``task_id, annotator_id, text VARCHAR`` (an item's texts joined
                    with ``"\\n"``)
==================  =============================================================

Annotation tables end with ``annotation_id BIGINT, ground_truth BOOLEAN``. Only submitted
annotations count (never skips); per (task, annotator) only the latest one (highest id)
counts, whether or not it answers the control. Single-valued controls give one row per
(task, annotator) with a value; a latest annotation that does not answer the control, or
whose value is malformed, is a missing rating (no row). For spans and boxes an
annotation that marks nothing gives one row with NULL region columns, so "looked and
found nothing" differs from "never saw the task". Annotations of deleted users (no
``completed_by_id``) are kept only when they are ground truth.

Prediction tables have ``task_id, prediction_id BIGINT, model_version VARCHAR,
score DOUBLE`` followed by the same label columns (``score`` is the prediction's own
column); annotator filters do not apply to them.

Both functions return a DuckDB relation over an Arrow table already fetched, on the
engine's connection (so relations from both can be joined): reading it again never
queries PostgreSQL; it is usable until ``brewery.close()``. Call ``.df()`` for pandas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import duckdb

from databrewery_lab.errors import LabelConfigError, NotFound
from databrewery_lab.label_config import CONTROL_SPECS, ControlTag, parse_label_config

from .engine import PgQuery, PgValue
from .scope import InvalidSelection, ProjectRef, Scope, TimeRef, UserRef, resolve_scope

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery

Source = Literal["annotations", "predictions"]

# A JSON number at a path of the current item, else NULL (never a cast error on bad data).
_NUMBER = (
    "CASE WHEN jsonb_typeof(r.item #> '{{value,{key}}}') = 'number' "
    "THEN (r.item #>> '{{value,{key}}}')::float8 END"
)
_OFFSET = (
    "CASE WHEN jsonb_typeof(r.item #> '{{value,{key}}}') = 'number' "
    "THEN round((r.item #>> '{{value,{key}}}')::numeric)::int "
    "WHEN jsonb_typeof(r.item #> '{{value,globalOffsets,{key}}}') = 'number' "
    "THEN round((r.item #>> '{{value,globalOffsets,{key}}}')::numeric)::int END"
)
_TEXTS = (
    "CASE jsonb_typeof(r.item #> '{value,text}') "
    "WHEN 'array' THEN (SELECT string_agg(t.x, E'\\n' ORDER BY t.n) "
    "FROM jsonb_array_elements_text(r.item #> '{value,text}') WITH ORDINALITY AS t(x, n)) "
    "WHEN 'string' THEN r.item #>> '{value,text}' END"
)
_CHOICE_SET = (
    "CASE WHEN jsonb_typeof(r.item #> '{value,choices}') = 'array' THEN ARRAY("
    "SELECT jsonb_array_elements_text(r.item #> '{value,choices}')) END"
)


def _array_of(key: str, item: str) -> str:
    path = f"{item} #> '{{value,{key}}}'"
    return f"CASE WHEN jsonb_typeof({path}) = 'array' THEN {path} ELSE '[]'::jsonb END"


@dataclass(frozen=True)
class Extraction:
    """How one kind of control is read: PostgreSQL expressions and DuckDB output columns.

    ``pg`` are ``(name, expression)`` pairs over the item ``r.item``; ``labels_key``
    (regions) names the value array exploded into one row per label; ``columns`` is the
    DuckDB projection of the output label columns.
    """

    pg: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    region: bool = False
    labels_key: str | None = None


_VALUE = ("value",)
EXTRACTIONS: dict[str, Extraction] = {
    "choices": Extraction((("value", "r.item #>> '{value,choices,0}'"),), _VALUE),
    "multichoices": Extraction(
        (("value", _CHOICE_SET),), ("list_sort(list_distinct(value)) AS value",)
    ),
    "rating": Extraction((("value", _NUMBER.format(key="rating")),), _VALUE),
    "number": Extraction((("value", _NUMBER.format(key="number")),), _VALUE),
    "textarea": Extraction((("text", _TEXTS),), ("text",)),
    "labels": Extraction(
        (
            ("region_id", "r.item ->> 'id'"),
            ("start", _OFFSET.format(key="start")),
            ("end", _OFFSET.format(key="end")),
            ("label", "r.label"),
        ),
        ("region_id", "start", '"end"', "label"),
        region=True,
        labels_key="labels",
    ),
    "rectanglelabels": Extraction(
        (
            ("region_id", "r.item ->> 'id'"),
            *((key, _NUMBER.format(key=key)) for key in ("x", "y", "width", "height")),
            ("label", "r.label"),
        ),
        ("region_id", "x", "y", "width", "height", "label"),
        region=True,
        labels_key="rectanglelabels",
    ),
}
_VALUE_COLUMNS = {
    "choices": "value",
    "multichoices": "value",
    "rating": "value",
    "number": "value",
    "textarea": "text",
}


def extraction_key(control: ControlTag) -> str:
    """The :data:`EXTRACTIONS` key of a control (multiple Choices differ from single)."""
    if control.result_type == "choices" and control.choice == "multiple":
        return "multichoices"
    return control.result_type


# --------------------------------------------------------------------------- controls


def find_control(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    control: str | None = None,
    *,
    kind: str | None = None,
    tasks: Iterable[int] | None = None,
) -> ControlTag:
    """The control a metric reads: by name, as the only one of ``kind``, or the only one.

    ``kind`` is a tag (``"Choices"``) or result type (``"rectanglelabels"``). Every
    project in the selection must have the control with the same type.
    """
    return choose_control(resolve_scope(brewery, project, tasks=tasks), control, kind=kind)


def choose_control(scope: Scope, control: str | None, *, kind: str | None = None) -> ControlTag:
    """:func:`find_control` for a resolved scope."""
    if scope.all_projects:
        raise InvalidSelection(
            "Label extraction reads a project's label config; name the project(s) or select "
            "tasks (project=None means every project, whose configs differ)."
        )
    chosen: ControlTag | None = None
    for project in scope.projects:
        found = _control(project.id, project.title, project.label_config, control, kind)
        if chosen is None:
            chosen = found
        elif (found.name, extraction_key(found)) != (chosen.name, extraction_key(chosen)):
            raise InvalidSelection(
                f"Project {project.title!r} reads {found.name!r} as {extraction_key(found)} "
                f"but {scope.projects[0].title!r} reads {chosen.name!r} as "
                f"{extraction_key(chosen)}; select projects with the same label config."
            )
    assert chosen is not None
    if chosen.per_region and not EXTRACTIONS[extraction_key(chosen)].region:
        raise InvalidSelection(
            f"{chosen.tag} {chosen.name!r} is per-region (one answer per region, not per "
            "task), so it has no per-task ratings table; choose a task-level control."
        )
    return chosen


def _control(
    project_id: int, title: str, config_xml: str | None, name: str | None, kind: str | None
) -> ControlTag:
    try:
        config = parse_label_config(config_xml or "")
    except LabelConfigError as err:
        raise LabelConfigError(
            f"Project {title!r} (id {project_id}) has an unusable label config: {err}",
            line=err.line,
            tag=err.tag,
        ) from None
    wanted = _result_type(kind) if kind is not None else None
    listed = ", ".join(f"{c.name} ({c.result_type})" for c in config.controls) or "none"
    if name is not None:
        control = config.control(name)
        if wanted is not None and control.result_type != wanted:
            raise InvalidSelection(
                f"Control {name!r} of project {title!r} is {control.tag}, not {kind}; "
                "drop kind= or name a control of that kind."
            )
        return control
    candidates = [c for c in config.controls if wanted is None or c.result_type == wanted]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise NotFound(
            f"Project {title!r} (id {project_id}) has no {kind or 'control'} tag to extract; "
            f"its controls: {listed}."
        )
    raise InvalidSelection(
        f"Project {title!r} has several {kind or 'control'} tags ({listed}); pass "
        f"control='<name>' to pick one, e.g. control={candidates[0].name!r}."
    )


def _result_type(kind: str) -> str:
    by_name = {spec.tag.lower(): spec.result_type for spec in CONTROL_SPECS.values()}
    by_name |= {spec.result_type: spec.result_type for spec in CONTROL_SPECS.values()}
    found = by_name.get(kind.strip().lower())
    if found is None:
        raise InvalidSelection(
            f"kind={kind!r} is not a control tag; use one of {', '.join(sorted(by_name))}."
        )
    return found


# --------------------------------------------------------------------------- extraction


def extract_annotations(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    control: str | None = None,
    *,
    kind: str | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    annotators: UserRef | Iterable[UserRef] | None = None,
) -> duckdb.DuckDBPyRelation:
    """The ratings table of one control from submitted annotations (see the module doc)."""
    scope = resolve_scope(
        brewery, project, tasks=tasks, since=since, until=until, annotators=annotators
    )
    chosen = choose_control(scope, control, kind=kind)
    extraction = EXTRACTIONS[extraction_key(chosen)]
    order = ", label" if extraction.region else ""
    query = _annotations_query(brewery, scope, chosen, extraction)
    source, params = query.source("a")
    # MATERIALIZED: DuckDB turns the window into a self-join that would query PostgreSQL twice.
    keep = (
        "annotation_id = max(annotation_id) OVER (PARTITION BY task_id, rater)"
        if extraction.region
        else "row_number() OVER (PARTITION BY task_id, rater "
        "ORDER BY annotation_id DESC, item_index) = 1"
    )
    present = (
        "" if extraction.region else f"WHERE {_VALUE_COLUMNS[extraction_key(chosen)]} IS NOT NULL"
    )
    sql = f"""
        WITH fetched AS MATERIALIZED (SELECT * FROM {source}),
        latest AS (
            SELECT *, coalesce(annotator_id, -annotation_id) AS rater
            FROM fetched
            WHERE annotator_id IS NOT NULL OR ground_truth
            QUALIFY {keep}
        )
        SELECT task_id, annotator_id, {", ".join(extraction.columns)}, annotation_id, ground_truth
        FROM latest {present}
        ORDER BY task_id, annotator_id NULLS LAST, annotation_id, item_index{order}
    """  # noqa: S608 - constants of this module; values are bound
    return brewery.analytics.relation(brewery.analytics.run(sql, **params))


def extract_predictions(
    brewery: Brewery,
    project: ProjectRef | Iterable[ProjectRef] | Scope | None = None,
    control: str | None = None,
    *,
    kind: str | None = None,
    tasks: Iterable[int] | None = None,
    since: TimeRef | None = None,
    until: TimeRef | None = None,
    model_versions: str | Iterable[str] | None = None,
) -> duckdb.DuckDBPyRelation:
    """The same table from predictions: ``prediction_id, model_version, score`` per row."""
    scope = resolve_scope(brewery, project, tasks=tasks, since=since, until=until)
    chosen = choose_control(scope, control, kind=kind)
    extraction = EXTRACTIONS[extraction_key(chosen)]
    order = ", label" if extraction.region else ""
    versions = model_version_list(model_versions)
    query = _predictions_query(brewery, scope, chosen, extraction, versions)
    source, params = query.source("p")
    keep = (
        ""  # a region table keeps every item
        if extraction.region
        else "QUALIFY row_number() OVER (PARTITION BY prediction_id ORDER BY item_index) = 1"
    )
    present = (
        "" if extraction.region else f"WHERE {_VALUE_COLUMNS[extraction_key(chosen)]} IS NOT NULL"
    )
    sql = f"""
        WITH fetched AS MATERIALIZED (SELECT * FROM {source}),
        firsts AS (SELECT * FROM fetched {keep})
        SELECT task_id, prediction_id, model_version, score, {", ".join(extraction.columns)}
        FROM firsts {present}
        ORDER BY task_id, prediction_id, item_index{order}
    """  # noqa: S608 - constants of this module; values are bound
    return brewery.analytics.relation(brewery.analytics.run(sql, **params))


def model_version_list(model_versions: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if model_versions is None:
        return None
    versions = (model_versions,) if isinstance(model_versions, str) else tuple(model_versions)
    if not versions or not all(isinstance(v, str) for v in versions):
        raise InvalidSelection(
            "model_versions is a model version string or a non-empty list of them; "
            "project.summary()['model_versions'] lists a project's versions."
        )
    return versions


def _items_join(extraction: Extraction, key: int, kind: int) -> str:
    """The lateral join producing ``r.item``/``r.ord`` (and ``r.label`` for regions).

    A LEFT join: an annotation without the control still comes through (as NULLs), so
    "the latest annotation" is chosen among all of them, not only those that answer.

    The labels of a region are exploded inside the same lateral subquery: a second
    lateral over ``r.item`` made PostgreSQL memoize on the jsonb value, 2.5× slower.
    """
    labels, explode = "", ""
    if extraction.labels_key is not None:
        labels = ", lab.label"
        explode = (
            " LEFT JOIN LATERAL jsonb_array_elements_text("
            f"{_array_of(extraction.labels_key, 'e.value')}) AS lab(label) ON TRUE"
        )
    return (
        f"LEFT JOIN LATERAL (SELECT e.value AS item, e.ordinality AS ord{labels} "  # noqa: S608 - constants of this module; values are bound
        "FROM jsonb_array_elements(CASE WHEN jsonb_typeof(src.result) = 'array' "
        f"THEN src.result ELSE '[]'::jsonb END) WITH ORDINALITY AS e{explode} "
        f"WHERE e.value ->> 'from_name' = ${key}::text "
        f"AND lower(e.value ->> 'type') = ${kind}::text) AS r ON TRUE"
    )


def _label_columns(extraction: Extraction) -> str:
    return ", ".join(f'{expr} AS "{name}"' for name, expr in extraction.pg)


def _annotations_query(
    brewery: Brewery, scope: Scope, control: ControlTag, extraction: Extraction
) -> PgQuery:
    schema = brewery.schema
    feature = "label extraction"
    schema.require(
        "task_completion",
        "id",
        "result",
        "task_id",
        "project_id",
        "completed_by_id",
        "created_at",
        feature=feature,
    )
    truth = "src.ground_truth" if schema.has_column("task_completion", "ground_truth") else "false"
    submitted = (
        " AND NOT src.was_cancelled"
        if schema.has_column("task_completion", "was_cancelled")
        else ""
    )
    where, params = scope.pg_filter("src")
    key, kind = len(params) + 1, len(params) + 2
    sql = (
        "SELECT src.id::bigint AS annotation_id, src.task_id::bigint AS task_id, "  # noqa: S608 - constants of this module; values are bound
        f"src.completed_by_id::bigint AS annotator_id, {truth} AS ground_truth, "
        f"r.ord::int AS item_index, {_label_columns(extraction)} "
        f"FROM task_completion AS src {_items_join(extraction, key, kind)} "
        f"WHERE {where}{submitted}"
    )
    return PgQuery(sql, (*params, control.name, control.result_type))


def _predictions_query(
    brewery: Brewery,
    scope: Scope,
    control: ControlTag,
    extraction: Extraction,
    versions: tuple[str, ...] | None,
) -> PgQuery:
    schema = brewery.schema
    schema.require(
        "prediction",
        "id",
        "result",
        "task_id",
        "project_id",
        "model_version",
        "score",
        "created_at",
        feature="prediction extraction",
    )
    where, params = scope.pg_filter("src", annotator_column=None)
    extra: list[PgValue] = [control.name, control.result_type]
    key, kind = len(params) + 1, len(params) + 2
    if versions is not None:
        first = len(params) + len(extra) + 1
        listed = ", ".join(f"${first + i}::text" for i in range(len(versions)))
        where += f" AND src.model_version IN ({listed})"
        extra += versions
    sql = (
        "SELECT src.id::bigint AS prediction_id, src.task_id::bigint AS task_id, "  # noqa: S608 - constants of this module; values are bound
        "src.model_version::text AS model_version, src.score::float8 AS score, "
        f"r.ord::int AS item_index, {_label_columns(extraction)} "
        f"FROM prediction AS src {_items_join(extraction, key, kind)} "
        f"WHERE {where}"
    )
    return PgQuery(sql, (*params, *extra))
