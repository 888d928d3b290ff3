"""Bad input fails early and clearly; the registry dispatches; every metric has a figure."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from databrewery_lab.analytics import agreement
from databrewery_lab.analytics.agreement import (
    AgreementInputError,
    AgreementTypeError,
    agreement_metrics,
    cohen_kappa_matrix,
    krippendorff_alpha,
    span_agreement,
    text_agreement,
)
from databrewery_lab.errors import DatabreweryError, NotFound

from .test_agreement_data import label_names, long_frame, ratings_matrix


def choices() -> pd.DataFrame:
    frame = long_frame(ratings_matrix(np.random.default_rng(0), tasks=30), label_names(4))
    frame["ground_truth"] = frame["annotator_id"] == frame["annotator_id"].min()
    return frame


def test_errors_are_databrewery_errors_of_the_builtin_kinds() -> None:
    assert issubclass(AgreementInputError, DatabreweryError)
    assert issubclass(AgreementInputError, ValueError)
    assert issubclass(AgreementTypeError, AgreementInputError)
    assert issubclass(AgreementTypeError, TypeError)


def test_a_missing_column_is_named_with_the_fix() -> None:
    frame = choices().rename(columns={"value": "choice"})
    with pytest.raises(AgreementInputError, match=r"lacks column\(s\) 'value'.*rename"):
        krippendorff_alpha(frame)
    with pytest.raises(AgreementInputError, match="'end'"):
        span_agreement(
            pd.DataFrame({"task_id": [1], "annotator_id": [1], "start": [0], "label": ["x"]})
        )


@pytest.mark.parametrize(
    ("column", "data", "message"),
    [
        ("annotator_id", [1.5, 2.0], "annotator_id must be an integer"),
        ("task_id", ["a", "b"], "task_id must be an integer"),
        ("value", [pd.Timestamp("2024-01-01")] * 2, "value must be VARCHAR"),
    ],
)
def test_a_wrong_type_is_named_with_the_fix(column: str, data: list, message: str) -> None:
    frame = pd.DataFrame({"task_id": [1, 1], "annotator_id": [1, 2], "value": ["a", "b"]})
    frame[column] = data
    with pytest.raises(AgreementTypeError, match=message):
        krippendorff_alpha(frame)


def test_not_a_table_is_refused() -> None:
    with pytest.raises(AgreementTypeError, match=r"DuckDBPyRelation or a pandas\.DataFrame"):
        krippendorff_alpha([("1", 1, "a")])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "function",
    [
        agreement.krippendorff_alpha,
        agreement.fleiss_kappa,
        agreement.cohen_kappa_matrix,
        agreement.label_agreement,
    ],
)
def test_empty_input_is_an_error(function) -> None:
    empty = pd.DataFrame({"task_id": [1, 2], "annotator_id": [1, 2], "value": [None, None]})
    empty["value"] = empty["value"].astype("string")
    with pytest.raises(AgreementInputError, match="no ratings"):
        function(empty)
    with pytest.raises(AgreementInputError, match="no ratings"):
        function(empty.iloc[:0])


def test_empty_region_tables_are_errors() -> None:
    spans = pd.DataFrame(
        {"task_id": [], "annotator_id": [], "start": [], "end": [], "label": []}
    ).astype({"task_id": "int64", "annotator_id": "int64", "label": "string"})
    with pytest.raises(AgreementInputError, match="no ratings"):
        span_agreement(spans)


def test_a_second_rating_by_the_same_annotator_is_named() -> None:
    frame = choices()
    twice = pd.concat([frame, frame.iloc[[5]]], ignore_index=True)
    task, annotator = twice.iloc[5][["task_id", "annotator_id"]]
    with pytest.raises(AgreementInputError, match=f"task {task}, annotator {annotator}"):
        cohen_kappa_matrix(twice)
    with pytest.raises(AgreementInputError, match="one rating per annotator and task"):
        agreement.annotator_agreement(twice)
    with pytest.raises(AgreementInputError, match="one rating per annotator and task"):
        text_agreement(twice.rename(columns={"value": "text"}))


def test_levels_and_kinds_are_checked() -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        krippendorff_alpha(choices(), "ratio")  # type: ignore[arg-type]
    with pytest.raises(AgreementTypeError, match="needs numeric ratings"):
        krippendorff_alpha(choices(), "ordinal")


def test_columns_are_found_whatever_their_case_and_extra_ones_are_ignored() -> None:
    frame = choices().rename(columns={"value": "VALUE"}).assign(annotation_id=7, lead_time=1.5)
    assert np.isfinite(krippendorff_alpha(frame)["value"].iloc[0])


def test_a_relation_from_another_connection_works() -> None:
    connection = duckdb.connect()
    relation = connection.from_df(choices())
    assert len(cohen_kappa_matrix(relation)) == 10


# -- registry and figures ----------------------------------------------------------------


def spans() -> pd.DataFrame:
    return pd.DataFrame(
        [(1, 1, 0, 4, "X"), (1, 2, 1, 4, "X"), (2, 1, 0, 2, "Y"), (2, 2, 5, 9, "Y")],
        columns=["task_id", "annotator_id", "start", "end", "label"],
    ).assign(ground_truth=lambda f: f["annotator_id"] == 1)


def boxes() -> pd.DataFrame:
    return pd.DataFrame(
        [(1, 1, 0, 0, 9, 9, "car"), (1, 2, 1, 1, 9, 9, "car"), (1, 3, 40, 40, 5, 5, "car")],
        columns=["task_id", "annotator_id", "x", "y", "width", "height", "label"],
    ).assign(ground_truth=lambda f: f["annotator_id"] == 1)


def numbers() -> pd.DataFrame:
    frame = long_frame(ratings_matrix(np.random.default_rng(1), tasks=30) + 1.0)
    frame["ground_truth"] = frame["annotator_id"] == frame["annotator_id"].min()
    return frame


TABLES = {
    "choices": choices,
    "rating": numbers,
    "number": numbers,
    "labels": spans,
    "rectanglelabels": boxes,
    "textarea": lambda: choices().rename(columns={"value": "text"}),
}

TRACE = {
    "cohen_kappa": go.Heatmap,
    "span_f1": go.Heatmap,
    "box_f1": go.Heatmap,
    "text_agreement": go.Heatmap,
    "task_agreement": go.Histogram,
}


@pytest.mark.parametrize(
    ("kind", "name"),
    [(kind, name) for kind, metrics in agreement.AGREEMENT_METRICS.items() for name in metrics],
)
def test_every_registered_metric_runs_and_draws_its_figure(kind: str, name: str) -> None:
    result = agreement_metrics(kind)[name](TABLES[kind]())
    assert isinstance(result, agreement.MetricFrame) and len(result) > 0
    figure = result.plot(title="t")
    assert isinstance(figure, go.Figure) and figure.layout.title.text == "t"
    assert isinstance(figure.data[0], TRACE.get(name, go.Bar))


def test_the_registry_covers_the_control_types_and_refuses_others() -> None:
    assert set(agreement.AGREEMENT_METRICS) == set(TABLES)
    assert "fleiss_kappa" in agreement_metrics("Choices")
    assert "krippendorff_alpha_ordinal" in agreement_metrics("Rating")
    with pytest.raises(NotFound, match="PolygonLabels"):
        agreement_metrics("PolygonLabels")


def test_scalar_figures_show_the_interval() -> None:
    result = krippendorff_alpha(choices(), ci=0.9, n_boot=50, seed=0)
    figure = result.plot()
    assert figure.data[0].error_y.array is not None


def one_annotator(kind: str) -> pd.DataFrame:
    table = TABLES[kind]()
    return table[table["annotator_id"] == table["annotator_id"].max()].drop(columns="ground_truth")


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (kind, name)
        for kind, metrics in agreement.AGREEMENT_METRICS.items()
        for name in metrics
        if name != "ground_truth_agreement"
    ],
)
def test_with_a_single_annotator_every_metric_still_has_a_frame_and_figure(
    kind: str, name: str
) -> None:
    result = agreement_metrics(kind)[name](one_annotator(kind))
    assert isinstance(result.plot(), go.Figure)
