"""Ratings and numbers per task, per annotator, against the others' mean and ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from databrewery_lab.analytics.agreement import (
    annotator_agreement,
    consensus_agreement,
    ground_truth_agreement,
    task_agreement,
)

from .test_agreement_data import ANNOTATOR_IDS, long_frame

TOL = 1e-9
SEEDS = range(4)


def numbers(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.normal(3.0, 1.0, size=50)
    matrix = truth[:, None] + rng.normal(0.0, 0.7, size=(50, 4)) + np.array([0, 0.5, -0.3, 0])
    matrix[rng.random(matrix.shape) < 0.25] = np.nan
    matrix[0, 1:] = np.nan
    return long_frame(matrix)


@pytest.mark.parametrize("seed", SEEDS)
def test_task_agreement_of_numbers_is_their_spread(seed: int) -> None:
    frame = numbers(seed)
    result = task_agreement(frame).set_index("task_id")
    groups = frame.groupby("task_id")["value"]
    expected = pd.DataFrame(
        {
            "n_ratings": groups.size(),
            "mean": groups.mean(),
            "std": groups.std(ddof=1),
            "min": groups.min(),
            "max": groups.max(),
        }
    )
    expected["range"] = expected["max"] - expected["min"]
    pd.testing.assert_frame_equal(
        result[expected.columns], expected, check_dtype=False, check_names=False, atol=TOL
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_annotator_agreement_of_numbers_is_the_mean_absolute_pair_difference(seed: int) -> None:
    frame = numbers(seed)
    result = annotator_agreement(frame).set_index("annotator_id")
    pairs = frame.merge(frame, on="task_id")
    pairs = pairs[pairs["annotator_id_x"] != pairs["annotator_id_y"]]
    for annotator, rows in pairs.groupby("annotator_id_x"):
        row = result.loc[annotator]
        assert row["n_pairs"] == len(rows)
        assert row["n_items"] == rows["task_id"].nunique()
        difference = (rows["value_x"] - rows["value_y"]).abs().mean()
        assert row["mean_abs_difference"] == pytest.approx(difference, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_consensus_of_numbers_is_the_leave_one_out_mean(seed: int) -> None:
    frame = numbers(seed)
    result = consensus_agreement(frame).set_index("annotator_id")
    errors: dict[int, list[float]] = {}
    for _, rows in frame.groupby("task_id"):
        for annotator, value in zip(rows["annotator_id"], rows["value"], strict=True):
            others = rows.loc[rows["annotator_id"] != annotator, "value"]
            if len(others):
                errors.setdefault(annotator, []).append(value - others.mean())
    for annotator, error in errors.items():
        row = result.loc[annotator]
        error_array = np.array(error)
        assert row["n_items"] == len(error_array)
        assert row["mae"] == pytest.approx(np.abs(error_array).mean(), abs=TOL)
        assert row["rmse"] == pytest.approx(np.sqrt((error_array**2).mean()), abs=TOL)
        assert row["bias"] == pytest.approx(error_array.mean(), abs=TOL)
    assert result.loc[ANNOTATOR_IDS[2], "bias"] < 0 < result.loc[ANNOTATOR_IDS[1], "bias"]


@pytest.mark.parametrize("seed", SEEDS)
def test_ground_truth_of_numbers_is_mae_rmse_and_bias(seed: int) -> None:
    frame = numbers(seed)
    truth = frame.groupby("task_id", as_index=False)["value"].median()
    result = ground_truth_agreement(frame, ground_truth=truth).set_index("annotator_id")
    merged = frame.merge(truth, on="task_id", suffixes=("", "_truth"))
    merged["error"] = merged["value"] - merged["value_truth"]
    for annotator, rows in merged.groupby("annotator_id"):
        row = result.loc[annotator]
        assert row["n_items"] == len(rows)
        assert row["mae"] == pytest.approx(rows["error"].abs().mean(), abs=TOL)
        assert row["rmse"] == pytest.approx(np.sqrt((rows["error"] ** 2).mean()), abs=TOL)
        assert row["bias"] == pytest.approx(rows["error"].mean(), abs=TOL)


def test_integer_ratings_are_numbers() -> None:
    frame = numbers(0)
    frame["value"] = frame["value"].round().astype("int64")
    assert "std" in task_agreement(frame).columns
