"""Prediction quality on the demo, against psycopg → pandas → scikit-learn over the raw rows.

The demo predicts every task with two model versions (scores in [0, 1]), holds
ground-truth honeypots, and starts some annotations from a prediction
(``parent_prediction_id``), so every metric is checked on real rows here.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    mean_absolute_error,
    precision_recall_fscore_support,
)
from sklearn.preprocessing import MultiLabelBinarizer

import databrewery_lab as dbl
from databrewery_lab.analytics import (
    InvalidSelection,
    MetricFrame,
    pre_annotation_changes,
    prediction_accuracy,
    prediction_calibration,
    prediction_class_metrics,
    prediction_confusion,
)
from databrewery_lab.demo.projects import PROJECTS

from .analytics_fixtures import assert_no_secrets, read

TITLES = {spec.key: spec.title for spec in PROJECTS}
TOL = 1e-9
#: (demo project, control, how its answer is read)
CONTROLS = [
    ("sentiment", "sentiment", "choices"),
    ("topics", "topic", "multichoices"),
    ("summary", "urgency", "rating"),
]
AGAINST = ["ground_truth", "consensus"]


@pytest.fixture(scope="module")
def demo(demo_db: str) -> Iterator[dbl.Brewery]:
    with dbl.connect(demo_db) as connected:
        yield connected


# --------------------------------------------------------------------------- reference


def decode(result: Any, control: str, key: str) -> Any:
    """The answer of the first item of ``control`` in a result, in Python (None: no answer)."""
    kind = "rating" if key == "rating" else "choices"
    items = [
        item
        for item in (result if isinstance(result, list) else [])
        if isinstance(item, dict)
        and item.get("from_name") == control
        and str(item.get("type", "")).lower() == kind
    ]
    if not items:
        return None
    value = items[0].get("value") or {}
    if key == "rating":
        rating = value.get("rating")
        ok = isinstance(rating, int | float) and not isinstance(rating, bool)
        return float(rating) if ok else None
    choices = value.get("choices")
    if not isinstance(choices, list):
        return None
    if key == "multichoices":
        return tuple(sorted(set(choices)))
    return choices[0] if choices else None


class Reference:
    """One demo control's annotations and predictions, read with psycopg and decoded."""

    def __init__(self, conninfo: str, project_id: int, control: str, key: str) -> None:
        self.key = key
        annotations = read(
            conninfo,
            "SELECT id, task_id, completed_by_id, ground_truth, parent_prediction_id, result "
            "FROM task_completion WHERE project_id = %s AND NOT was_cancelled",
            (project_id,),
        )
        annotations = annotations[
            annotations["completed_by_id"].notna() | annotations["ground_truth"]
        ]
        rater = annotations["completed_by_id"].fillna(-annotations["id"])
        latest = annotations.assign(rater=rater).sort_values("id")
        latest = latest.groupby(["task_id", "rater"]).tail(1)
        latest["value"] = [decode(r, control, key) for r in latest["result"]]
        self.annotations = latest[latest["value"].notna()].drop(columns="result")
        predictions = read(
            conninfo,
            "SELECT id, task_id, model_version, score, created_at, result FROM prediction "
            "WHERE project_id = %s",
            (project_id,),
        )
        predictions["value"] = [decode(r, control, key) for r in predictions["result"]]
        predictions["created_at"] = pd.to_datetime(predictions["created_at"], utc=True)
        self.all_predictions = predictions.drop(columns="result")
        self.predictions = self.all_predictions[self.all_predictions["value"].notna()]

    def truth(self, against: str, annotators: set[int] | None = None) -> pd.DataFrame:
        """``task_id, value``: the latest ground truth, or the strict majority of votes."""
        rows = self.annotations
        if annotators is not None:
            rows = rows[rows["completed_by_id"].isin(annotators)]
        if against == "ground_truth":
            flagged = rows[rows["ground_truth"]].sort_values("id")
            return flagged.groupby("task_id").tail(1)[["task_id", "value"]]
        votes = rows[rows["completed_by_id"].notna()].groupby("task_id")["value"]
        majority = {}
        for task, values in votes:
            (top, n), *rest = Counter(values).most_common()
            if not rest or rest[0][1] < n:
                majority[task] = top
        return pd.DataFrame({"task_id": list(majority), "value": list(majority.values())})

    def pairs(
        self,
        against: str,
        *,
        since: str | None = None,
        tasks: set[int] | None = None,
        annotators: set[int] | None = None,
    ) -> pd.DataFrame:
        """Latest answering prediction per (version, task) joined with the task's truth."""
        predictions = self.predictions
        if since is not None:
            predictions = predictions[predictions["created_at"] >= pd.Timestamp(since, tz="UTC")]
        if tasks is not None:
            predictions = predictions[predictions["task_id"].isin(tasks)]
        latest = predictions.sort_values("id").groupby(["model_version", "task_id"]).tail(1)
        truth = self.truth(against, annotators)
        pairs = latest.merge(truth, on="task_id", suffixes=("_pred", "_ref"))
        pairs = pairs.rename(columns={"value_pred": "predicted", "value_ref": "reference"})
        return pairs.sort_values(["model_version", "task_id"]).reset_index(drop=True)

    def scores(self, rows: pd.DataFrame) -> tuple[float, list, tuple]:
        """accuracy, labels and per-label P/R/F1/support of one version, by scikit-learn."""
        truth, predicted = list(rows["reference"]), list(rows["predicted"])
        if self.key == "multichoices":
            binarizer = MultiLabelBinarizer().fit(truth + predicted)
            labels = list(binarizer.classes_)
            truth, predicted = binarizer.transform(truth), binarizer.transform(predicted)
        else:
            labels = sorted(set(truth) | set(predicted))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            per_label = precision_recall_fscore_support(truth, predicted, zero_division=0)
        return float(accuracy_score(truth, predicted)), labels, per_label

    def accuracy(self, pairs: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for version, group in pairs.groupby("model_version"):
            accuracy, labels, (precision, recall, f1, _) = self.scores(group)
            mae = (
                mean_absolute_error(group["reference"], group["predicted"])
                if self.key == "rating"
                else np.nan
            )
            rows.append(
                {
                    "model_version": version,
                    "tasks": len(group),
                    "correct": int((group["predicted"] == group["reference"]).sum()),
                    "accuracy": accuracy,
                    "macro_precision": precision.mean(),
                    "macro_recall": recall.mean(),
                    "macro_f1": f1.mean(),
                    "n_labels": len(labels),
                    "mean_score": group["score"].mean(),
                    "mae": mae,
                }
            )
        return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def references(demo: dbl.Brewery, demo_db: str) -> Callable[[str], Reference]:
    made: dict[str, Reference] = {}

    def get(project_key: str) -> Reference:
        if project_key not in made:
            _, control, key = next(c for c in CONTROLS if c[0] == project_key)
            project = demo.project(TITLES[project_key])
            made[project_key] = Reference(demo_db, project.id, control, key)
        return made[project_key]

    return get


def assert_frames_close(ours: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(ours["model_version"]) == list(expected["model_version"])
    for column in expected.columns.drop("model_version"):
        np.testing.assert_allclose(
            ours[column].to_numpy(dtype=float),
            expected[column].to_numpy(dtype=float),
            rtol=0,
            atol=TOL,
            err_msg=column,
        )


# --------------------------------------------------------------------------- the metrics


def test_the_demo_has_what_the_metrics_need(references: Callable[[str], Reference]) -> None:
    sentiment = references("sentiment")
    predictions = sentiment.all_predictions
    assert predictions["model_version"].nunique() == 2
    assert predictions["score"].between(0, 1).all()
    assert sentiment.annotations["ground_truth"].sum() >= 5
    assert sentiment.annotations["parent_prediction_id"].notna().sum() > 100


@pytest.mark.parametrize("against", AGAINST)
@pytest.mark.parametrize(("project_key", "control", "key"), CONTROLS)
def test_accuracy_equals_sklearn_over_the_rows(
    demo: dbl.Brewery,
    references: Callable[[str], Reference],
    project_key: str,
    control: str,
    key: str,
    against: str,
) -> None:
    reference = references(project_key)
    frame = prediction_accuracy(demo, TITLES[project_key], control, against=against)
    assert isinstance(frame, MetricFrame)
    expected = reference.accuracy(reference.pairs(against))
    assert len(expected) >= 1 and expected["tasks"].min() >= 3
    assert_frames_close(frame, expected)
    if key != "rating":
        assert frame["mae"].isna().all()


@pytest.mark.parametrize("against", AGAINST)
@pytest.mark.parametrize(("project_key", "control", "key"), CONTROLS)
def test_class_metrics_equal_precision_recall_fscore_support(
    demo: dbl.Brewery,
    references: Callable[[str], Reference],
    project_key: str,
    control: str,
    key: str,
    against: str,
) -> None:
    reference = references(project_key)
    frame = prediction_class_metrics(demo, TITLES[project_key], control, against=against)
    pairs = reference.pairs(against)
    assert sorted(set(frame["model_version"])) == sorted(set(pairs["model_version"]))
    for version, rows in pairs.groupby("model_version"):
        ours = frame[frame["model_version"] == version]
        _, labels, (precision, recall, f1, support) = reference.scores(rows)
        assert list(ours["label"]) == labels
        for column, values in (("precision", precision), ("recall", recall), ("f1", f1)):
            np.testing.assert_allclose(ours[column], values, rtol=0, atol=TOL, err_msg=column)
        assert list(ours["support"]) == list(support)


@pytest.mark.parametrize(("project_key", "control", "key"), CONTROLS)
def test_confusion_equals_the_counted_pairs(
    demo: dbl.Brewery,
    references: Callable[[str], Reference],
    project_key: str,
    control: str,
    key: str,
) -> None:
    reference = references(project_key)
    frame = prediction_confusion(demo, TITLES[project_key], control, against="consensus")
    pairs = reference.pairs("consensus")
    if key == "multichoices":
        as_key = lambda labels: json.dumps(list(labels), separators=(",", ":"))  # noqa: E731
        pairs = pairs.assign(
            reference=pairs["reference"].map(as_key), predicted=pairs["predicted"].map(as_key)
        )
    expected = pairs.groupby(["model_version", "reference", "predicted"]).size()
    ours = frame.set_index(["model_version", "reference", "predicted"])["count"]
    assert ours.to_dict() == expected.to_dict()
    if key != "multichoices":
        for version, rows in pairs.groupby("model_version"):
            labels = sorted(set(rows["reference"]) | set(rows["predicted"]))
            matrix = confusion_matrix(rows["reference"], rows["predicted"], labels=labels)
            cells = ours.loc[version]
            assert int(cells.sum()) == int(matrix.sum())
            diagonal = sum(int(cells.get((label, label), 0)) for label in labels)
            assert diagonal == int(np.trace(matrix))


@pytest.mark.parametrize("buckets", [4, 10])
@pytest.mark.parametrize(("project_key", "control", "key"), CONTROLS)
def test_calibration_equals_numpy_buckets(
    demo: dbl.Brewery,
    references: Callable[[str], Reference],
    project_key: str,
    control: str,
    key: str,
    buckets: int,
) -> None:
    reference = references(project_key)
    frame = prediction_calibration(
        demo, TITLES[project_key], control, against="consensus", buckets=buckets
    )
    pairs = reference.pairs("consensus")
    pairs = pairs[pairs["score"].between(0, 1)]
    bucket = np.minimum(np.floor(pairs["score"].to_numpy() * buckets), buckets - 1)
    expected = (
        pairs.assign(bucket=bucket.astype(int), correct=pairs["predicted"] == pairs["reference"])
        .groupby(["model_version", "bucket"])
        .agg(tasks=("task_id", "size"), mean_score=("score", "mean"), accuracy=("correct", "mean"))
        .reset_index()
    )
    assert list(frame["bucket"]) == list(expected["bucket"])
    assert list(frame["tasks"]) == list(expected["tasks"])
    np.testing.assert_allclose(frame["score_low"], expected["bucket"] / buckets, atol=TOL)
    np.testing.assert_allclose(frame["score_high"], (expected["bucket"] + 1) / buckets, atol=TOL)
    assert_frames_close(
        frame[["model_version", "mean_score", "accuracy"]],
        expected[["model_version", "mean_score", "accuracy"]],
    )


@pytest.mark.parametrize(("project_key", "control", "key"), CONTROLS)
def test_pre_annotation_changes_equal_the_compared_rows(
    demo: dbl.Brewery,
    references: Callable[[str], Reference],
    project_key: str,
    control: str,
    key: str,
) -> None:
    reference = references(project_key)
    frame = pre_annotation_changes(demo, TITLES[project_key], control)
    started = reference.annotations[reference.annotations["parent_prediction_id"].notna()]
    parents = reference.all_predictions.rename(columns={"id": "parent_prediction_id"})
    joined = started.merge(parents, on="parent_prediction_id", suffixes=("", "_parent"))
    joined["kept"] = [
        parent is not None and value == parent
        for value, parent in zip(joined["value"], joined["value_parent"], strict=True)
    ]
    expected = (
        joined.groupby("model_version")
        .agg(annotations=("kept", "size"), kept=("kept", "sum"))
        .reset_index()
    )
    expected["changed"] = expected["annotations"] - expected["kept"]
    expected["change_rate"] = expected["changed"] / expected["annotations"]
    assert expected["annotations"].min() > 10
    assert expected["change_rate"].min() > 0 and expected["change_rate"].max() < 1
    assert_frames_close(frame, expected)


# --------------------------------------------------------------------------- filters


def test_model_versions_keep_their_rows(demo: dbl.Brewery) -> None:
    title = TITLES["sentiment"]
    full = prediction_accuracy(demo, title, against="consensus")
    one = prediction_accuracy(demo, title, against="consensus", model_versions=["bert-v2"])
    pd.testing.assert_frame_equal(
        pd.DataFrame(one),
        pd.DataFrame(full[full["model_version"] == "bert-v2"]).reset_index(drop=True),
    )
    changes = pre_annotation_changes(demo, title, model_versions="bert-v1")
    assert list(changes["model_version"]) == ["bert-v1"]


def test_dates_select_predictions_and_tasks_both_sides(
    demo: dbl.Brewery, references: Callable[[str], Reference]
) -> None:
    reference = references("sentiment")
    title = TITLES["sentiment"]
    since = "2026-09-01"
    frame = prediction_accuracy(demo, title, against="consensus", since=since)
    assert_frames_close(frame, reference.accuracy(reference.pairs("consensus", since=since)))
    tasks = sorted(set(reference.predictions["task_id"]))[::3]
    frame = prediction_accuracy(demo, title, against="consensus", tasks=tasks)
    expected = reference.accuracy(reference.pairs("consensus", tasks=set(tasks)))
    assert_frames_close(frame, expected)
    truth_tasks = set(reference.truth("ground_truth")["task_id"])
    some = sorted(truth_tasks)[::2] + sorted(set(tasks) - truth_tasks)[:50]
    frame = prediction_accuracy(demo, title, tasks=some, since="2026-08-01")
    expected = reference.pairs("ground_truth", tasks=set(some), since="2026-08-01")
    assert expected["task_id"].nunique() >= 3
    assert_frames_close(frame, reference.accuracy(expected))
    untruthful = sorted(set(tasks) - truth_tasks)[:20]
    assert prediction_accuracy(demo, title, tasks=untruthful).empty


def test_annotators_narrow_the_reference(
    demo: dbl.Brewery, references: Callable[[str], Reference]
) -> None:
    reference = references("sentiment")
    busiest = reference.annotations["completed_by_id"].value_counts().index[:2]
    people = {int(person) for person in busiest}
    frame = prediction_accuracy(
        demo, TITLES["sentiment"], against="consensus", annotators=sorted(people)
    )
    expected = reference.accuracy(reference.pairs("consensus", annotators=people))
    assert_frames_close(frame, expected)
    everyone = prediction_accuracy(demo, TITLES["sentiment"], against="consensus")
    assert (frame["tasks"] < everyone["tasks"]).all()


def test_an_empty_selection_gives_empty_frames_that_still_draw(demo: dbl.Brewery) -> None:
    title = TITLES["sentiment"]
    columns = {
        prediction_accuracy: ["model_version", "tasks", "correct", "accuracy"],
        prediction_class_metrics: ["model_version", "label", "precision", "recall", "f1"],
        prediction_confusion: ["model_version", "reference", "predicted", "count"],
        prediction_calibration: ["model_version", "bucket", "mean_score", "accuracy"],
        pre_annotation_changes: ["model_version", "annotations", "kept", "changed"],
    }
    for function, needed in columns.items():
        frame = function(demo, title, model_versions="no-such-model")
        assert frame.empty and set(needed) <= set(frame.columns), function.__name__
        assert frame.plot().layout.title.text


# --------------------------------------------------------------------------- figures

FIGURES: list[tuple[Callable[..., MetricFrame], list[str]]] = [
    (prediction_accuracy, ["bar"] * 4),
    (prediction_class_metrics, ["bar"] * 2),
    (prediction_confusion, ["heatmap"] * 2),
    (prediction_calibration, ["scatter"] * 3),
    (pre_annotation_changes, ["bar"] * 2),
]


@pytest.mark.parametrize(("function", "traces"), FIGURES, ids=lambda x: getattr(x, "__name__", ""))
def test_each_metric_draws_its_figure(
    demo: dbl.Brewery, function: Callable[..., MetricFrame], traces: list[str]
) -> None:
    kwargs = {} if function is pre_annotation_changes else {"against": "consensus"}
    frame = function(demo, TITLES["sentiment"], "sentiment", **kwargs)
    figure = frame.plot(height=500)
    assert [trace.type for trace in figure.data] == traces
    assert figure.layout.height == 500
    assert_no_secrets(frame)


def test_figures_show_the_versions_and_the_diagonal(demo: dbl.Brewery) -> None:
    title = TITLES["sentiment"]
    calibration = prediction_calibration(demo, title, against="consensus").plot()
    diagonal, *versions = calibration.data
    assert list(diagonal.x) == [0, 1] and list(diagonal.y) == [0, 1]
    assert [trace.name for trace in versions] == ["bert-v1", "bert-v2"]
    confusion = prediction_confusion(demo, title, against="consensus").plot()
    for heatmap in confusion.data:
        assert list(heatmap.x) == list(heatmap.y) == ["Mixed", "Negative", "Neutral", "Positive"]
    classes = prediction_class_metrics(demo, title, against="consensus").plot()
    assert [trace.name for trace in classes.data] == ["bert-v1", "bert-v2"]


# --------------------------------------------------------------------------- errors


def test_bad_input_names_the_thing_and_the_fix(demo: dbl.Brewery) -> None:
    sentiment, summary = TITLES["sentiment"], TITLES["summary"]
    with pytest.raises(InvalidSelection, match=r"against='truth' .*'ground_truth'.*'consensus'"):
        prediction_accuracy(demo, sentiment, against="truth")  # type: ignore[arg-type]
    for buckets in (0, -3, 2.5, True):
        with pytest.raises(InvalidSelection, match="positive whole number of score buckets"):
            prediction_calibration(demo, sentiment, buckets=buckets)  # type: ignore[arg-type]
    with pytest.raises(dbl.NotFound, match=r"no control named 'nope'.*sentiment"):
        prediction_class_metrics(demo, sentiment, "nope")
    with pytest.raises(InvalidSelection, match=r"TextArea 'summary' .*Choices .*Rating and Number"):
        prediction_confusion(demo, summary, "summary")
    with pytest.raises(InvalidSelection, match=r"Labels 'label' .*control='<name>'"):
        pre_annotation_changes(demo, TITLES["ner"])
    with pytest.raises(InvalidSelection, match="several control tags"):
        prediction_accuracy(demo, summary)
    with pytest.raises(InvalidSelection, match="name the project"):
        prediction_accuracy(demo, None, "sentiment")
    with pytest.raises(InvalidSelection, match="model_versions"):
        prediction_accuracy(demo, sentiment, model_versions=[])
    with pytest.raises(dbl.NotFound, match="No project 'Nowhere'"):
        pre_annotation_changes(demo, "Nowhere")
