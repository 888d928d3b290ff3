"""Choices per task, per annotator, majority vote, consensus and ground truth.

Each is checked against a plain-Python reading of its definition, and the kappas and F1
against ``cohen_kappa_score`` and ``precision_recall_fscore_support``.
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from databrewery_lab.analytics.agreement import (
    AgreementInputError,
    annotator_agreement,
    consensus_agreement,
    ground_truth_agreement,
    krippendorff_alpha,
    majority_vote,
    task_agreement,
)

from .test_agreement_coefficients import multi_choice, reference_kappas
from .test_agreement_data import ANNOTATOR_IDS, TASK_BASE, label_names, long_frame, ratings_matrix

TOL = 1e-9
SEEDS = range(4)


def kappa(a: list, b: list) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(a, b))


def same(ours: float, reference: float) -> bool:
    if np.isnan(reference):
        return bool(np.isnan(ours))
    return abs(ours - reference) <= TOL


def by_task(frame: pd.DataFrame) -> dict[int, list[tuple[int, object]]]:
    tasks: dict[int, list[tuple[int, object]]] = {}
    for task, annotator, value in frame[["task_id", "annotator_id", "value"]].itertuples(
        index=False
    ):
        key = tuple(value) if isinstance(value, list | np.ndarray) else value
        tasks.setdefault(task, []).append((annotator, key))
    return tasks


@pytest.mark.parametrize("seed", SEEDS)
def test_task_agreement_is_each_tasks_share_of_agreeing_pairs(seed: int) -> None:
    frame = long_frame(ratings_matrix(np.random.default_rng(seed)), label_names(4))
    result = task_agreement(frame).set_index("task_id")
    tasks = by_task(frame)
    assert sorted(result.index) == sorted(tasks)
    for task, ratings in tasks.items():
        values = [v for _, v in ratings]
        row = result.loc[task]
        pairs = list(itertools.combinations(values, 2))
        assert row["n_ratings"] == len(values)
        assert row["n_values"] == len(set(values))
        if pairs:
            assert row["agreement"] == pytest.approx(np.mean([a == b for a, b in pairs]), abs=TOL)
        else:
            assert np.isnan(row["agreement"])
        assert row["majority_share"] == pytest.approx(
            max(Counter(values).values()) / len(values), abs=TOL
        )
        assert row["unanimous"] == (len(values) >= 2 and len(set(values)) == 1)
    assert result.loc[TASK_BASE + 1, "unanimous"]


@pytest.mark.parametrize("seed", SEEDS)
def test_annotator_agreement_matches_pairs_and_mean_kappa(seed: int) -> None:
    matrix = ratings_matrix(np.random.default_rng(seed))
    frame = long_frame(matrix, label_names(4))
    result = annotator_agreement(frame).set_index("annotator_id")
    kappas = reference_kappas(matrix)
    for annotator in ANNOTATOR_IDS[: matrix.shape[1]]:
        agree = pairs = 0
        for ratings in by_task(frame).values():
            mine = [v for a, v in ratings if a == annotator]
            others = [v for a, v in ratings if a != annotator]
            if mine and others:
                pairs += len(others)
                agree += sum(v == mine[0] for v in others)
        row = result.loc[annotator]
        assert row["n_pairs"] == pairs
        assert row["pair_agreement"] == pytest.approx(agree / pairs, abs=TOL)
        theirs = [k for pair, (_, k) in kappas.items() if annotator in pair]
        assert same(row["mean_kappa"], float(np.nanmean(theirs)))


@pytest.mark.parametrize("seed", SEEDS)
def test_majority_vote_takes_the_most_votes_and_reports_ties(seed: int) -> None:
    frame = long_frame(ratings_matrix(np.random.default_rng(seed)), label_names(4))
    result = majority_vote(frame).set_index("task_id")
    for task, ratings in by_task(frame).items():
        counts = Counter(v for _, v in ratings).most_common()
        top = counts[0][1]
        winners = [v for v, c in counts if c == top]
        row = result.loc[task]
        assert row["votes"] == top and row["n_ratings"] == len(ratings)
        assert bool(row["tie"]) == (len(winners) > 1)
        assert pd.isna(row["value"]) if len(winners) > 1 else row["value"] == winners[0]


def reference_consensus(frame: pd.DataFrame) -> dict[int, tuple[list, list]]:
    """Per annotator: (own values, leave-one-out strict-majority values) where defined."""
    pairs: dict[int, tuple[list, list]] = {}
    for ratings in by_task(frame).values():
        for annotator, own in ratings:
            others = Counter(v for a, v in ratings if a != annotator).most_common()
            if not others or (len(others) > 1 and others[0][1] == others[1][1]):
                continue
            mine, consensus = pairs.setdefault(annotator, ([], []))
            mine.append(own)
            consensus.append(others[0][0])
    return pairs


@pytest.mark.parametrize("seed", SEEDS)
def test_consensus_agreement_is_against_the_majority_of_the_others(seed: int) -> None:
    frame = long_frame(ratings_matrix(np.random.default_rng(seed)), label_names(4))
    result = consensus_agreement(frame).set_index("annotator_id")
    expected = reference_consensus(frame)
    assert sorted(result.index) == sorted(expected)
    for annotator, (mine, consensus) in expected.items():
        row = result.loc[annotator]
        assert row["n_items"] == len(mine)
        assert row["accuracy"] == pytest.approx(np.mean(np.array(mine) == consensus), abs=TOL)
        assert same(row["kappa"], kappa(mine, consensus))


@pytest.mark.parametrize("seed", SEEDS)
def test_consensus_of_multi_choice_compares_whole_sets(seed: int) -> None:
    frame, _ = multi_choice(seed)
    result = consensus_agreement(frame).set_index("annotator_id")
    for annotator, (mine, consensus) in reference_consensus(frame).items():
        keys = {value: i for i, value in enumerate(sorted(set(mine) | set(consensus)))}
        assert same(
            result.loc[annotator, "kappa"],
            kappa([keys[v] for v in mine], [keys[v] for v in consensus]),
        )


def truth_flagged(matrix: np.ndarray) -> pd.DataFrame:
    frame = long_frame(matrix, label_names(4))
    frame["ground_truth"] = frame["annotator_id"] == ANNOTATOR_IDS[0]
    return frame


@pytest.mark.parametrize("seed", SEEDS)
def test_ground_truth_agreement_matches_scikit_learn(seed: int) -> None:
    matrix = ratings_matrix(np.random.default_rng(seed), tasks=80)
    frame = truth_flagged(matrix)
    result = ground_truth_agreement(frame).set_index("annotator_id")
    truth = frame[frame["ground_truth"]].set_index("task_id")["value"]
    rated = frame[~frame["ground_truth"]]
    assert sorted(result.index) == sorted(rated["annotator_id"].unique())
    for annotator, rows in rated.groupby("annotator_id"):
        rows = rows[rows["task_id"].isin(truth.index)]
        y_true, y_pred = truth.loc[rows["task_id"]].to_numpy(), rows["value"].to_numpy()
        row = result.loc[annotator]
        assert row["n_items"] == len(rows)
        assert row["accuracy"] == pytest.approx(np.mean(y_true == y_pred), abs=TOL)
        assert same(row["kappa"], kappa(list(y_pred), list(y_true)))
        _, _, f1, _ = precision_recall_fscore_support(
            y_true, y_pred, average="macro", zero_division=0
        )
        assert row["macro_f1"] == pytest.approx(f1, abs=TOL)


def test_ground_truth_from_a_separate_table_equals_the_flagged_rows() -> None:
    matrix = ratings_matrix(np.random.default_rng(7), tasks=80)
    frame = truth_flagged(matrix)
    table = frame[frame["ground_truth"]][["task_id", "value"]]
    separate = ground_truth_agreement(frame[~frame["ground_truth"]], ground_truth=table)
    pd.testing.assert_frame_equal(
        pd.DataFrame(separate), pd.DataFrame(ground_truth_agreement(frame))
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_ground_truth_of_multi_choice_uses_per_label_macro_f1(seed: int) -> None:
    frame, _ = multi_choice(seed, tasks=80)
    truth_of = frame[frame["annotator_id"] == ANNOTATOR_IDS[0]].set_index("task_id")["value"]
    rated = frame[frame["annotator_id"] != ANNOTATOR_IDS[0]]
    table = pd.DataFrame({"task_id": truth_of.index, "value": list(truth_of)})
    result = ground_truth_agreement(rated, ground_truth=table).set_index("annotator_id")
    for annotator, rows in rated.groupby("annotator_id"):
        rows = rows[rows["task_id"].isin(truth_of.index)]
        y_true = [list(truth_of.loc[t]) for t in rows["task_id"]]
        y_pred = [list(v) for v in rows["value"]]
        labels = sorted({x for s in y_true + y_pred for x in s})
        binarizer = MultiLabelBinarizer(classes=labels).fit([labels])
        _, _, f1, _ = precision_recall_fscore_support(
            binarizer.transform(y_true),
            binarizer.transform(y_pred),
            average="macro",
            zero_division=0,
        )
        row = result.loc[annotator]
        assert row["macro_f1"] == pytest.approx(f1, abs=TOL)
        assert row["accuracy"] == pytest.approx(
            np.mean([a == b for a, b in zip(y_true, y_pred, strict=True)]), abs=TOL
        )


def test_ground_truth_needs_a_truth_and_only_one_per_task() -> None:
    frame = long_frame(ratings_matrix(np.random.default_rng(0)), label_names(4))
    with pytest.raises(AgreementInputError, match="ground_truth"):
        ground_truth_agreement(frame)
    twice = pd.DataFrame({"task_id": [TASK_BASE + 3, TASK_BASE + 3], "value": ["a", "b"]})
    with pytest.raises(AgreementInputError, match=f"task {TASK_BASE + 3} has 2 ground-truth"):
        ground_truth_agreement(frame, ground_truth=twice)


def test_ground_truth_of_a_deleted_user_is_a_reference_but_nobodys_rating() -> None:
    frame = truth_flagged(ratings_matrix(np.random.default_rng(8), tasks=80))
    anonymous = frame.astype({"annotator_id": "Int64"})
    anonymous.loc[anonymous["ground_truth"], "annotator_id"] = pd.NA
    pd.testing.assert_frame_equal(
        pd.DataFrame(ground_truth_agreement(anonymous)),
        pd.DataFrame(ground_truth_agreement(frame)),
    )
    without_truth = frame[~frame["ground_truth"]]
    pd.testing.assert_frame_equal(
        pd.DataFrame(annotator_agreement(anonymous)),
        pd.DataFrame(annotator_agreement(without_truth)),
    )
    assert krippendorff_alpha(anonymous)["value"].iloc[0] == pytest.approx(
        krippendorff_alpha(without_truth)["value"].iloc[0], abs=TOL
    )
