"""Prediction-quality kernels against scikit-learn on generated predictions and references.

Every generated set holds the hard cases: a label only the reference uses (never
predicted), a version that predicts one label only, tasks without a reference, reference
tasks without predictions, older predictions of the same version that must not count,
predictions that do not answer, and scores missing or outside [0, 1].
"""

from __future__ import annotations

import json
import warnings

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    mean_absolute_error,
    precision_recall_fscore_support,
)
from sklearn.preprocessing import MultiLabelBinarizer

from databrewery_lab.analytics.agreement_input import AgreementInputError, AgreementTypeError
from databrewery_lab.analytics.prediction_kernels import (
    change_counts,
    compare,
    consensus_values,
    ground_truth_values,
)

TOL = 1e-9
SEEDS = range(3)
LABELS = ["ant", "bee", "cat", "dog", "eel"]  # "eel": only ever in the reference
VERSIONS = ("v1", "v2", "solo")  # "solo" always predicts "ant"
TASK_BASE = 5000
KINDS = ("label", "label_set", "number")


# --------------------------------------------------------------------------- generated data


def _truth(rng: np.random.Generator, kind: str, n: int) -> list:
    if kind == "label":
        return list(rng.choice(LABELS, size=n))
    if kind == "number":
        return list(rng.integers(1, 6, size=n).astype(float))
    return [sorted(set(rng.choice(LABELS, size=rng.integers(0, 3)).tolist())) for _ in range(n)]


def _guess(rng: np.random.Generator, kind: str, truth: object, version: str) -> object:
    if version == "solo":
        return {"label": "ant", "number": 3.0, "label_set": ["ant"]}[kind]
    if rng.random() < (0.6 if version == "v1" else 0.8):  # right, except that "eel" is missed
        if isinstance(truth, list):
            return [label for label in truth if label != "eel"][::-1]  # order is no answer
        return "dog" if truth == "eel" else truth
    if kind == "label":
        return str(rng.choice(LABELS[:-1]))
    if kind == "number":
        return float(rng.integers(1, 6))
    return rng.choice(LABELS[:-1], size=rng.integers(0, 4)).tolist()  # may repeat a label


def generated(seed: int, kind: str, tasks: int = 240) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(predictions, reference) in the extractor's column layout."""
    rng = np.random.default_rng(seed)
    truth = _truth(rng, kind, tasks)
    referenced = rng.random(tasks) < 0.8
    reference = pd.DataFrame(
        {
            "task_id": TASK_BASE + np.nonzero(referenced)[0],
            "value": [t for t, keep in zip(truth, referenced, strict=True) if keep],
        }
    )
    rows = []
    prediction_id = 100
    for version in VERSIONS:
        for task in np.nonzero(rng.random(tasks) < 0.85)[0]:
            for _ in range(2 if rng.random() < 0.1 else 1):  # an older one, then the latest
                prediction_id += int(rng.integers(1, 5))
                value = _guess(rng, kind, truth[task], version)
                if rng.random() < 0.03:
                    value = np.nan if kind == "number" else None  # does not answer
                score = float(rng.random())
                if rng.random() < 0.04:
                    score = float(rng.choice([np.nan, 1.5, -0.2]))
                rows.append((TASK_BASE + task, prediction_id, version, score, value))
    predictions = pd.DataFrame(
        rows, columns=["task_id", "prediction_id", "model_version", "score", "value"]
    )
    return predictions.sample(frac=1.0, random_state=seed), reference


def canonical(value: object) -> object:
    if isinstance(value, list | np.ndarray):
        return tuple(sorted(set(value)))
    return value


def reference_pairs(predictions: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """pandas: latest answering prediction per (version, task), joined with the reference."""
    answered = predictions[predictions["value"].notna()]
    latest = answered.sort_values("prediction_id").groupby(["model_version", "task_id"]).tail(1)
    pairs = latest.merge(reference, on="task_id", suffixes=("_pred", "_ref"))
    pairs["predicted"] = pairs["value_pred"].map(canonical)
    pairs["reference"] = pairs["value_ref"].map(canonical)
    return pairs.sort_values(["model_version", "task_id"]).reset_index(drop=True)


def sklearn_scores(kind: str, rows: pd.DataFrame) -> tuple[float, list, tuple]:
    """accuracy, labels and precision_recall_fscore_support of one version's pairs."""
    truth, predicted = list(rows["reference"]), list(rows["predicted"])
    if kind == "label_set":
        binarizer = MultiLabelBinarizer().fit(truth + predicted)
        truth, predicted = binarizer.transform(truth), binarizer.transform(predicted)
        labels = list(binarizer.classes_)
    else:
        labels = sorted(set(truth) | set(predicted))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = precision_recall_fscore_support(truth, predicted, zero_division=0)
    return float(accuracy_score(truth, predicted)), labels, scores


def close(ours: pd.Series | np.ndarray, reference: np.ndarray | list) -> None:
    np.testing.assert_allclose(np.asarray(ours, dtype=float), reference, rtol=0, atol=TOL)


# --------------------------------------------------------------------------- the metrics


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_and_macro_scores_equal_sklearn(seed: int, kind: str) -> None:
    predictions, reference = generated(seed, kind)
    pairs = reference_pairs(predictions, reference)
    with compare(predictions, reference) as comparison:
        assert comparison.kind == kind
        frame = comparison.accuracy().set_index("model_version")
    assert list(frame.index) == sorted(VERSIONS)
    for version, rows in pairs.groupby("model_version"):
        row = frame.loc[version]
        accuracy, labels, (precision, recall, f1, _) = sklearn_scores(kind, rows)
        assert row["tasks"] == len(rows)
        assert row["correct"] == round(accuracy * len(rows))
        assert row["n_labels"] == len(labels)
        close(
            row[["accuracy", "macro_precision", "macro_recall", "macro_f1"]],
            [accuracy, precision.mean(), recall.mean(), f1.mean()],
        )
        close([row["mean_score"]], [rows["score"].mean()])
        if kind == "number":
            close([row["mae"]], [mean_absolute_error(rows["reference"], rows["predicted"])])
        else:
            assert np.isnan(row["mae"])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_class_metrics_equal_precision_recall_fscore_support(seed: int, kind: str) -> None:
    predictions, reference = generated(seed, kind)
    pairs = reference_pairs(predictions, reference)
    with compare(predictions, reference) as comparison:
        frame = comparison.class_metrics()
    for version, rows in pairs.groupby("model_version"):
        ours = frame[frame["model_version"] == version]
        _, labels, (precision, recall, f1, support) = sklearn_scores(kind, rows)
        assert list(ours["label"]) == labels
        close(ours["precision"], precision)
        close(ours["recall"], recall)
        close(ours["f1"], f1)
        assert list(ours["support"]) == list(support)
        assert list(ours["tp"] + ours["fn"]) == list(support)
    if kind != "number":
        eel = frame[frame["label"] == "eel"]
        assert set(eel["model_version"]) == set(VERSIONS), "a label never predicted is listed"
        assert (eel["precision"] == 0).all() and (eel["recall"] == 0).all()
        assert (eel["support"] > 0).all() and (eel["fp"] == 0).all()


@pytest.mark.parametrize("kind", ["label", "number"])
@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_equals_confusion_matrix(seed: int, kind: str) -> None:
    predictions, reference = generated(seed, kind)
    pairs = reference_pairs(predictions, reference)
    with compare(predictions, reference) as comparison:
        frame = comparison.confusion()
    assert (frame["count"] > 0).all(), "a long table of the non-empty cells"
    for version, rows in pairs.groupby("model_version"):
        cells = frame[frame["model_version"] == version]
        labels = sorted(set(rows["reference"]) | set(rows["predicted"]))
        expected = confusion_matrix(rows["reference"], rows["predicted"], labels=labels)
        matrix = (
            cells.pivot_table(index="reference", columns="predicted", values="count", aggfunc="sum")
            .reindex(index=labels, columns=labels)
            .fillna(0)
        )
        np.testing.assert_array_equal(matrix.to_numpy(dtype=np.int64), expected)


def test_label_set_confusion_is_keyed_by_the_sets_json() -> None:
    predictions, reference = generated(0, "label_set")
    pairs = reference_pairs(predictions, reference)
    with compare(predictions, reference) as comparison:
        frame = comparison.confusion()
    key = lambda labels: json.dumps(list(labels), separators=(",", ":"))  # noqa: E731
    expected = (
        pairs.assign(reference=pairs["reference"].map(key), predicted=pairs["predicted"].map(key))
        .groupby(["model_version", "reference", "predicted"])
        .size()
    )
    ours = frame.set_index(["model_version", "reference", "predicted"])["count"]
    assert ours.sort_index().to_dict() == expected.sort_index().to_dict()
    assert "[]" in set(frame["reference"]), "the empty set has a key"
    correct = frame[frame["reference"] == frame["predicted"]].groupby("model_version")["count"]
    with compare(predictions, reference) as comparison:
        accuracy = comparison.accuracy().set_index("model_version")["correct"]
    assert correct.sum().to_dict() == accuracy.to_dict()


@pytest.mark.parametrize("buckets", [1, 5, 10])
@pytest.mark.parametrize("seed", SEEDS)
def test_calibration_equals_calibration_curve(seed: int, buckets: int) -> None:
    predictions, reference = generated(seed, "label")
    pairs = reference_pairs(predictions, reference)
    with compare(predictions, reference) as comparison:
        frame = comparison.calibration(buckets)
    for version, rows in pairs.groupby("model_version"):
        scored = rows[(rows["score"] >= 0) & (rows["score"] <= 1)]
        correct = (scored["predicted"] == scored["reference"]).to_numpy()
        prob_true, prob_pred = calibration_curve(correct, scored["score"], n_bins=buckets)
        ours = frame[frame["model_version"] == version]
        close(ours["accuracy"], prob_true)
        close(ours["mean_score"], prob_pred)
        bucket = np.minimum(np.floor(scored["score"].to_numpy() * buckets), buckets - 1)
        counts = np.bincount(bucket.astype(int), minlength=buckets)
        assert list(ours["bucket"]) == list(np.nonzero(counts)[0])
        assert list(ours["tasks"]) == list(counts[counts > 0])
        close(ours["score_low"], ours["bucket"] / buckets)
        close(ours["score_high"], (ours["bucket"] + 1) / buckets)


def test_calibration_buckets_are_closed_below_and_hold_one_in_the_last() -> None:
    scores = [0.0, 0.3, 0.5, 0.99, 1.0, None, 1.2, -0.1]
    predictions = pd.DataFrame(
        {
            "task_id": range(len(scores)),
            "prediction_id": range(len(scores)),
            "model_version": "v",
            "score": scores,
            "value": "a",
        }
    )
    reference = pd.DataFrame({"task_id": range(len(scores)), "value": "a"})
    with compare(predictions, reference) as comparison:
        frame = comparison.calibration(10)
        assert frame["bucket"].tolist() == [0, 3, 5, 9]
        assert frame["tasks"].tolist() == [1, 1, 1, 2]
        with pytest.raises(ValueError, match="positive integer"):
            comparison.calibration(0)


# --------------------------------------------------------------------------- the hard cases


def test_only_tasks_with_a_prediction_and_a_reference_count() -> None:
    predictions, reference = generated(1, "label")
    with compare(predictions, reference) as comparison:
        tasks = comparison.accuracy().set_index("model_version")["tasks"]
    answered = predictions[predictions["value"].notna()]
    for version, rows in answered.groupby("model_version"):
        both = set(rows["task_id"]) & set(reference["task_id"])
        assert tasks[version] == len(both) < rows["task_id"].nunique()


def test_the_latest_answering_prediction_of_a_version_counts() -> None:
    predictions = pd.DataFrame(
        {
            "task_id": [1, 1, 1, 2, 2],
            "prediction_id": [10, 30, 20, 40, 50],
            "model_version": "v",
            "score": [0.1, 0.9, 0.5, 0.7, 0.2],
            "value": ["b", "a", "c", "a", None],
        }
    )
    reference = pd.DataFrame({"task_id": [1, 2], "value": ["a", "b"]})
    with compare(predictions, reference) as comparison:
        row = comparison.accuracy().iloc[0]
    assert (row["tasks"], row["correct"]) == (2, 1)
    close([row["mean_score"]], [(0.9 + 0.7) / 2])


def test_single_class_data_equals_sklearn() -> None:
    predictions = pd.DataFrame(
        {
            "task_id": [1, 2, 3, 1, 2, 3],
            "prediction_id": [1, 2, 3, 4, 5, 6],
            "model_version": ["same"] * 3 + ["other"] * 3,
            "score": 0.5,
            "value": ["a", "a", "a", "a", "a", "b"],
        }
    )
    reference = pd.DataFrame({"task_id": [1, 2, 3], "value": ["a", "a", "a"]})
    with compare(predictions, reference) as comparison:
        accuracy = comparison.accuracy().set_index("model_version")
        classes = comparison.class_metrics()
    same = classes[classes["model_version"] == "same"]
    assert same[["label", "precision", "recall", "f1", "support"]].values.tolist() == [
        ["a", 1.0, 1.0, 1.0, 3]
    ]
    assert accuracy.loc["same", "accuracy"] == 1.0
    other = classes[classes["model_version"] == "other"]
    precision, recall, f1, support = precision_recall_fscore_support(
        ["a", "a", "a"], ["a", "a", "b"], zero_division=0
    )
    close(other["precision"], precision)
    close(other["recall"], recall)
    close(other["f1"], f1)
    assert other["support"].tolist() == list(support)
    close([accuracy.loc["other", "macro_f1"]], [f1.mean()])


def test_empty_inputs_give_empty_frames_with_their_columns() -> None:
    predictions = pd.DataFrame(
        {
            "task_id": pd.Series([], dtype="int64"),
            "prediction_id": pd.Series([], dtype="int64"),
            "model_version": pd.Series([], dtype="str"),
            "score": pd.Series([], dtype="float64"),
            "value": pd.Series([], dtype="str"),
        }
    )
    reference = pd.DataFrame({"task_id": pd.Series([], dtype="int64"), "value": pd.Series([])})
    with compare(predictions, reference) as comparison:
        assert comparison.accuracy().empty
        assert list(comparison.class_metrics().columns) == [
            "model_version", "label", "tp", "fp", "fn", "support", "precision", "recall", "f1",
        ]  # fmt: skip
        assert list(comparison.confusion().columns) == [
            "model_version", "reference", "predicted", "count",
        ]  # fmt: skip
        assert comparison.calibration(10).empty


def test_inputs_may_be_duckdb_relations_or_arrow_tables() -> None:
    predictions, reference = generated(2, "label_set")
    with compare(predictions, reference) as comparison:
        expected = comparison.accuracy()
    connection = duckdb.connect()
    relation = connection.from_df(predictions)
    with compare(relation, pa.Table.from_pandas(reference)) as comparison:
        pd.testing.assert_frame_equal(comparison.accuracy(), expected)
    connection.close()


def test_bad_inputs_are_refused() -> None:
    predictions, reference = generated(0, "label")
    twice = pd.concat([reference, reference.head(1)])
    with pytest.raises(AgreementInputError, match=r"several values for task \d+"):
        compare(predictions, twice)
    with pytest.raises(AgreementTypeError, match="must be VARCHAR"):
        compare(predictions.assign(value=True), reference)
    with pytest.raises(AgreementInputError, match="no 'value' column"):
        compare(predictions.drop(columns="value"), reference)
    with pytest.raises(AgreementTypeError, match="not list"):
        compare([], reference)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- references


def test_ground_truth_is_the_latest_flagged_annotation_of_each_task() -> None:
    annotations = pd.DataFrame(
        {
            "task_id": [1, 1, 1, 2, 3],
            "annotator_id": [7, None, 8, 7, 8],
            "value": ["a", "b", "c", "d", "e"],
            "annotation_id": [10, 12, 11, 13, 14],
            "ground_truth": [True, True, False, False, True],
        }
    )
    table = ground_truth_values(annotations)
    assert table.to_pylist() == [{"task_id": 1, "value": "b"}, {"task_id": 3, "value": "e"}]


def test_consensus_is_the_strict_majority_and_ties_have_none() -> None:
    rng = np.random.default_rng(4)
    annotations = pd.DataFrame(
        {
            "task_id": np.repeat(np.arange(200), 3),
            "annotator_id": np.tile([1, 2, 3], 200),
            "value": rng.choice(["a", "b", "c"], size=600),
        }
    )
    annotations = annotations[rng.random(600) < 0.8]
    ours = consensus_values(annotations).set_index("task_id")["value"].to_dict()
    expected = {}
    for task, values in annotations.groupby("task_id")["value"]:
        counts = values.value_counts()
        if (counts == counts.max()).sum() == 1:
            expected[task] = counts.idxmax()
    assert ours == expected
    assert any(n == 1 for n in annotations.groupby("task_id").size()), "one-vote tasks"


def test_consensus_of_label_sets_feeds_compare() -> None:
    annotations = pd.DataFrame(
        {
            "task_id": [1, 1, 1, 2, 2],
            "annotator_id": [1, 2, 3, 1, 2],
            "value": [["b", "a"], ["a", "b"], ["a"], ["a"], ["b"]],
        }
    )
    reference = consensus_values(pa.Table.from_pandas(annotations))
    assert reference["task_id"].tolist() == [1]
    predictions = pd.DataFrame(
        {"task_id": [1], "prediction_id": [1], "model_version": ["v"], "score": [0.4],
         "value": [["a", "b"]]}
    )  # fmt: skip
    with compare(predictions, reference) as comparison:
        assert comparison.accuracy()["correct"].tolist() == [1]


# --------------------------------------------------------------------------- changes


def test_changes_compare_each_annotation_with_its_parent_prediction() -> None:
    annotations = pd.DataFrame(
        {
            "annotation_id": [1, 2, 3, 4, 5, 6],
            "value": [["a", "b"], ["a"], ["c"], ["a"], ["b"], ["a"]],
        }
    )
    links = pd.DataFrame(
        {
            "annotation_id": [1, 2, 3, 4, 9],  # 6 started from scratch; 9 is not counted
            "prediction_id": [100, 100, 101, 102, 100],
            "model_version": ["v1", "v1", "v2", "v2", "v1"],
        }
    )
    parents = pd.DataFrame(
        {"prediction_id": [100, 101], "value": [["b", "a"], ["c"]]}  # 102 did not answer
    )
    frame = change_counts(annotations, links, parents)
    assert frame.to_dict("records") == [
        {"model_version": "v1", "annotations": 2, "kept": 1, "changed": 1, "change_rate": 0.5},
        {"model_version": "v2", "annotations": 2, "kept": 1, "changed": 1, "change_rate": 0.5},
    ]
