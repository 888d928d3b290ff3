"""Span and box F1: hand-computed cases and a straightforward Python implementation.

The Python reference loops over tasks and annotator pairs, lists same-label candidates,
sorts them by (−IoU, left region, right region) and matches greedily one-to-one — the
definition in the module docstrings, written the obvious way.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from databrewery_lab.analytics.agreement import (
    AgreementInputError,
    box_agreement,
    span_agreement,
)
from databrewery_lab.analytics.agreement_matching import greedy_matches

TOL = 1e-9


def spans_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["task_id", "annotator_id", "start", "end", "label"]).assign(
        region_id="r"
    )


# -- hand-computed cases -----------------------------------------------------------------


def test_span_f1_on_a_hand_computed_case() -> None:
    frame = spans_frame(
        [
            (1, 10, 0, 5, "PER"),
            (1, 10, 10, 20, "ORG"),
            (1, 20, 0, 5, "PER"),  # exact match of 10's PER
            (1, 20, 12, 25, "ORG"),  # overlaps 10's ORG
            (1, 20, 30, 31, "LOC"),  # nobody else
            (2, 10, 0, 4, "PER"),
            (2, 20, 0, 4, "ORG"),  # same range, other label: no match
        ]
    )
    row = span_agreement(frame).iloc[0]
    assert (row["annotator_a"], row["annotator_b"]) == (10, 20)
    assert (row["n_tasks"], row["n_a"], row["n_b"]) == (2, 3, 4)
    assert (row["tp_exact"], row["tp_overlap"]) == (1, 2)
    assert row["f1_exact"] == pytest.approx(2 * 1 / 7)
    assert row["f1_overlap"] == pytest.approx(2 * 2 / 7)


def test_overlap_matching_is_one_to_one_and_prefers_the_larger_iou() -> None:
    # a: [0,10) ; b: [0,4) IoU .4 and [2,10) IoU .8 -> only [2,10) matches
    frame = spans_frame([(1, 1, 0, 10, "X"), (1, 2, 0, 4, "X"), (1, 2, 2, 10, "X")])
    row = span_agreement(frame).iloc[0]
    assert row["tp_overlap"] == 1 and row["f1_overlap"] == pytest.approx(2 / 3)


def test_an_annotator_who_marked_nothing_still_counts() -> None:
    frame = spans_frame(
        [
            (1, 1, 0, 3, "X"),
            (1, 2, None, None, None),
            (2, 1, None, None, None),
            (2, 2, None, None, None),
        ]
    )
    by_pair = span_agreement(frame).iloc[0]
    assert (by_pair["n_tasks"], by_pair["n_a"], by_pair["n_b"]) == (2, 1, 0)
    assert by_pair["f1_exact"] == 0.0
    by_task = span_agreement(frame, by="task").set_index("task_id")
    assert by_task.loc[1, "f1_overlap"] == 0.0
    assert np.isnan(by_task.loc[2, "f1_overlap"])  # neither marked anything: undefined


def test_duplicate_exact_spans_match_as_often_as_both_sides_have_them() -> None:
    frame = spans_frame([(1, 1, 0, 3, "X"), (1, 1, 0, 3, "X"), (1, 2, 0, 3, "X")])
    row = span_agreement(frame).iloc[0]
    assert (row["tp_exact"], row["tp_overlap"]) == (1, 1)


def test_box_f1_on_a_hand_computed_case() -> None:
    frame = pd.DataFrame(
        [
            (1, 1, 0, 0, 10, 10, "car"),
            (1, 2, 0, 0, 10, 5, "car"),  # IoU 0.5: matches at 0.5, not at 0.6
            (1, 2, 50, 50, 10, 10, "car"),
            (1, 1, 50, 50, 10, 10, "bus"),  # same place, other label
        ],
        columns=["task_id", "annotator_id", "x", "y", "width", "height", "label"],
    )
    at_half = box_agreement(frame).iloc[0]
    assert (at_half["n_a"], at_half["n_b"], at_half["tp_iou"]) == (2, 2, 1)
    assert at_half["f1_iou"] == pytest.approx(0.5)
    assert box_agreement(frame, iou_threshold=0.6).iloc[0]["tp_iou"] == 0


def test_greedy_matching_equals_the_sequential_loop() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        left = rng.integers(0, 8, size=n)
        right = rng.integers(0, 8, size=n)
        score = np.round(rng.random(n), 1)  # ties on purpose
        chosen = greedy_matches(left, right, score, left, right)
        used_l, used_r, expected = set(), set(), np.zeros(n, dtype=bool)
        for i in sorted(range(n), key=lambda i: (-score[i], left[i], right[i])):
            if left[i] not in used_l and right[i] not in used_r:
                used_l.add(left[i])
                used_r.add(right[i])
                expected[i] = True
        # duplicate (left, right) candidates are interchangeable: compare the matched pairs
        assert sorted(zip(left[chosen], right[chosen], strict=True)) == sorted(
            zip(left[expected], right[expected], strict=True)
        )


# -- against a plain Python implementation -----------------------------------------------


def span_iou(a: tuple, b: tuple) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter / (max(a[1], b[1]) - min(a[0], b[0])) if inter > 0 else 0.0


def box_iou(a: tuple, b: tuple) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def greedy_count(left: list, right: list, iou, threshold: float, exclusive: bool) -> int:
    """Matches of regions (label, *geometry) by the documented greedy rule."""
    candidates = []
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            if a[0] == b[0]:
                score = iou(a[1:], b[1:])
                if (score > threshold) if exclusive else (score >= threshold):
                    candidates.append((-score, a, b, i, j))
    used_l, used_r, count = set(), set(), 0
    for _, _, _, i, j in sorted(candidates):
        if i not in used_l and j not in used_r:
            used_l.add(i)
            used_r.add(j)
            count += 1
    return count


def python_pairs(regions: dict, iou, threshold: float, exclusive: bool) -> pd.DataFrame:
    """Per (task, a, b): n_a, n_b and the matches, from {(task, annotator): [regions]}."""
    rows = []
    tasks = sorted({task for task, _ in regions})
    for task in tasks:
        annotators = sorted(a for t, a in regions if t == task)
        for a, b in itertools.combinations(annotators, 2):
            left, right = regions[(task, a)], regions[(task, b)]
            tp = greedy_count(left, right, iou, threshold, exclusive)
            rows.append((task, a, b, len(left), len(right), tp))
    return pd.DataFrame(rows, columns=["task_id", "annotator_a", "annotator_b", "n_a", "n_b", "tp"])


def random_spans(seed: int) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    rows, regions = [], {}
    for task in range(25):
        for annotator in rng.choice([3, 5, 8, 13], size=int(rng.integers(1, 5)), replace=False):
            spans = []
            for _ in range(int(rng.integers(0, 6))):
                start = int(rng.integers(0, 60))
                span = (
                    str(rng.choice(["PER", "ORG", "LOC"])),
                    start,
                    start + int(rng.integers(1, 15)),
                )
                spans.append(span)
                rows.append((task, int(annotator), span[1], span[2], span[0]))
            if not spans:
                rows.append((task, int(annotator), None, None, None))
            regions[(task, int(annotator))] = spans
    return spans_frame(rows), regions


def pooled_f1(pairs: pd.DataFrame, keys: list[str], tp: str) -> pd.Series:
    sums = pairs.groupby(keys)[["n_a", "n_b", tp]].sum()
    regions = sums["n_a"] + sums["n_b"]
    return (2 * sums[tp] / regions).where(regions > 0)


@pytest.mark.parametrize("seed", range(5))
def test_span_f1_equals_the_python_reference(seed: int) -> None:
    frame, regions = random_spans(seed)
    overlap = python_pairs(regions, span_iou, 0.0, exclusive=True)
    exact = python_pairs(regions, lambda a, b: float(a == b), 1.0, exclusive=False)
    overlap["tp_exact"] = exact["tp"]
    for by, keys in (("pair", ["annotator_a", "annotator_b"]), ("task", ["task_id"])):
        result = span_agreement(frame, by=by).set_index(keys)
        for name, column in (("f1_overlap", "tp"), ("f1_exact", "tp_exact")):
            expected = pooled_f1(overlap, keys, column)
            pd.testing.assert_series_equal(
                result[name], expected, check_names=False, check_index_type=False, atol=TOL
            )


@pytest.mark.parametrize("seed", range(5))
def test_span_f1_by_annotator_and_against_truth_equal_the_python_reference(seed: int) -> None:
    frame, regions = random_spans(seed)
    overlap = python_pairs(regions, span_iou, 0.0, exclusive=True)
    mirrored = overlap.rename(
        columns={
            "annotator_a": "annotator_b",
            "annotator_b": "annotator_a",
            "n_a": "n_b",
            "n_b": "n_a",
        }
    )
    both = pd.concat([overlap, mirrored])
    expected = pooled_f1(both, ["annotator_a"], "tp")
    result = span_agreement(frame, by="annotator").set_index("annotator_id")["f1_overlap"]
    pd.testing.assert_series_equal(
        result, expected, check_names=False, check_index_type=False, atol=TOL
    )

    truth_annotator = 3
    truth = frame[frame["annotator_id"] == truth_annotator].drop(columns="annotator_id")
    rated = frame[frame["annotator_id"] != truth_annotator]
    vs_truth = span_agreement(rated, by="ground_truth", ground_truth=truth).set_index(
        "annotator_id"
    )
    for annotator in vs_truth.index:
        hits = mine = theirs = 0
        for (task, who), spans in regions.items():
            if who == annotator and (task, truth_annotator) in regions:
                gold = regions[(task, truth_annotator)]
                hits += greedy_count(gold, spans, span_iou, 0.0, exclusive=True)
                mine += len(spans)
                theirs += len(gold)
        row = vs_truth.loc[annotator]
        assert (row["n_annotator"], row["n_truth"], row["tp_overlap"]) == (mine, theirs, hits)
        assert row["precision_overlap"] == pytest.approx(
            hits / mine if mine else np.nan, nan_ok=True
        )
        assert row["recall_overlap"] == pytest.approx(
            hits / theirs if theirs else np.nan, nan_ok=True
        )


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.75])
def test_box_f1_equals_the_python_reference(seed: int, threshold: float) -> None:
    rng = np.random.default_rng(seed)
    rows, regions = [], {}
    for task in range(20):
        for annotator in rng.choice([2, 4, 6], size=int(rng.integers(1, 4)), replace=False):
            boxes = []
            for _ in range(int(rng.integers(0, 5))):
                box = (
                    str(rng.choice(["car", "bus"])),
                    float(rng.uniform(0, 60)),
                    float(rng.uniform(0, 60)),
                    float(rng.uniform(5, 30)),
                    float(rng.uniform(5, 30)),
                )
                boxes.append(box)
                rows.append((task, int(annotator), *box[1:], box[0]))
            if not boxes:
                rows.append((task, int(annotator), None, None, None, None, None))
            regions[(task, int(annotator))] = boxes
    frame = pd.DataFrame(
        rows, columns=["task_id", "annotator_id", "x", "y", "width", "height", "label"]
    )
    expected = python_pairs(regions, box_iou, threshold, exclusive=False)
    result = box_agreement(frame, iou_threshold=threshold).set_index(["annotator_a", "annotator_b"])
    pd.testing.assert_series_equal(
        result["f1_iou"],
        pooled_f1(expected, ["annotator_a", "annotator_b"], "tp"),
        check_names=False,
        check_index_type=False,
        atol=TOL,
    )


def test_ground_truth_spans_need_one_truth_annotator_per_task() -> None:
    frame = spans_frame([(1, 1, 0, 3, "X"), (1, 2, 0, 3, "X"), (1, 3, 0, 3, "X")])
    frame["ground_truth"] = frame["annotator_id"] != 3
    with pytest.raises(AgreementInputError, match="ground truth from 2 annotators"):
        span_agreement(frame, by="ground_truth")


def test_bad_arguments_are_refused() -> None:
    frame = spans_frame([(1, 1, 0, 3, "X")])
    with pytest.raises(ValueError, match="by must be one of"):
        span_agreement(frame, by="everything")  # type: ignore[arg-type]
    boxes = pd.DataFrame(
        [(1, 1, 0, 0, 1, 1, "a")],
        columns=["task_id", "annotator_id", "x", "y", "width", "height", "label"],
    )
    with pytest.raises(ValueError, match="iou_threshold"):
        box_agreement(boxes, iou_threshold=0.0)
