"""Bootstrap intervals: vectorised replicates equal the references on the resampled data.

A replicate is a row of pattern weights; rebuilding the resampled table from it and
running the reference library must give the same value, and the interval must be the
percentile interval of those reference values — so the fast path is proven, not trusted.
"""

from __future__ import annotations

import itertools
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from databrewery_lab.analytics.agreement import (
    cohen_kappa_matrix,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    span_agreement,
    text_agreement,
)
from databrewery_lab.analytics.agreement_bootstrap import (
    BootstrapSpec,
    percentile_interval,
    ratio_intervals,
    replicate_weights,
)
from databrewery_lab.analytics.agreement_input import load_ratings
from databrewery_lab.analytics.agreement_units import UnitPatterns

from .test_agreement_data import ANNOTATOR_IDS, label_names, long_frame, ratings_matrix

TOL = 1e-9


def resampled_matrix(patterns: UnitPatterns, weights: np.ndarray) -> np.ndarray:
    """Units × raters table of one replicate: pattern p repeated weights[p] times."""
    domain = patterns.numeric_domain()
    width = int(patterns.size.max())
    units = []
    for p, times in enumerate(weights.astype(int)):
        cells = patterns.cell_pattern == p
        values = np.repeat(
            domain[patterns.cell_value[cells]], patterns.cell_count[cells].astype(int)
        )
        row = np.full(width, np.nan)
        row[: len(values)] = values
        units.extend([row] * times)
    return np.array(units)


def numeric_patterns(seed: int) -> tuple[object, UnitPatterns]:
    matrix = ratings_matrix(np.random.default_rng(seed), tasks=40) + 1.0
    frame = long_frame(matrix)
    return frame, UnitPatterns.of(load_ratings(frame, "value")).pairable()


def test_replicate_weights_resample_every_unit_once_per_draw() -> None:
    freq = np.array([5, 1, 3, 11])
    rng = np.random.default_rng(0)
    blocks = list(replicate_weights(freq, 50, rng))
    weights = np.concatenate(blocks)
    assert weights.shape == (50, 4)
    assert (weights.sum(axis=1) == freq.sum()).all()
    again = np.concatenate(list(replicate_weights(freq, 50, np.random.default_rng(0))))
    assert (weights == again).all()


def test_replicate_weights_with_one_unit_per_pattern_draw_units() -> None:
    freq = np.ones(30, dtype=np.int64)
    weights = np.concatenate(list(replicate_weights(freq, 4000, np.random.default_rng(1))))
    assert (weights.sum(axis=1) == 30).all()
    assert weights.mean(axis=0) == pytest.approx(np.ones(30), abs=0.1)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_alpha_replicates_equal_krippendorff_on_the_resampled_units(level: str) -> None:
    _, patterns = numeric_patterns(1)
    weights = next(replicate_weights(patterns.freq, 8, np.random.default_rng(9)))
    ours = patterns.alpha(weights, level)
    for row, value in zip(weights, ours, strict=True):
        data = resampled_matrix(patterns, row)
        assert value == pytest.approx(
            krippendorff.alpha(data.T, level_of_measurement=level), abs=TOL
        )


def test_alpha_interval_is_the_percentile_interval_of_the_replicates() -> None:
    frame, patterns = numeric_patterns(2)
    result = krippendorff_alpha(frame, "ordinal", ci=0.9, n_boot=25, seed=4)
    weights = next(replicate_weights(patterns.freq, 25, np.random.default_rng(4)))
    references = [
        krippendorff.alpha(resampled_matrix(patterns, row).T, level_of_measurement="ordinal")
        for row in weights
    ]
    low, high = np.quantile(references, [0.05, 0.95])
    assert result["ci_low"].iloc[0] == pytest.approx(low, abs=TOL)
    assert result["ci_high"].iloc[0] == pytest.approx(high, abs=TOL)
    assert low <= result["value"].iloc[0] <= high


def test_intervals_are_reproducible_with_a_seed_and_bracket_the_estimate() -> None:
    matrix = ratings_matrix(np.random.default_rng(5), tasks=150)
    frame = long_frame(matrix, label_names(4))
    for metric in (krippendorff_alpha, fleiss_kappa, percent_agreement):
        first = metric(frame, ci=0.95, n_boot=300, seed=11)
        second = metric(frame, ci=0.95, n_boot=300, seed=11)
        assert first.equals(second)
        assert first["ci_low"].iloc[0] < first["value"].iloc[0] < first["ci_high"].iloc[0]
    assert np.isnan(krippendorff_alpha(frame)["ci_low"].iloc[0])


def test_kappa_replicates_equal_scikit_learn_on_the_resampled_items() -> None:
    matrix = ratings_matrix(np.random.default_rng(6), tasks=50, annotators=3)
    frame = long_frame(matrix, label_names(4))
    result = cohen_kappa_matrix(frame, ci=0.8, n_boot=30, seed=2).set_index(
        ["annotator_a", "annotator_b"]
    )
    for i, j in itertools.combinations(range(3), 2):
        both = ~np.isnan(matrix[:, i]) & ~np.isnan(matrix[:, j])
        pairs = sorted(zip(matrix[both, i], matrix[both, j], strict=True))
        cells, freq = np.unique(np.array(pairs), axis=0, return_counts=True)
        weights = next(replicate_weights(freq, 30, np.random.default_rng(2)))
        kappas = []
        for row in weights.astype(int):
            items = np.repeat(cells, row, axis=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                kappas.append(cohen_kappa_score(items[:, 0], items[:, 1]))
        low, high = percentile_interval(np.array(kappas), 0.8)
        row = result.loc[(ANNOTATOR_IDS[i], ANNOTATOR_IDS[j])]
        assert row["ci_low"] == pytest.approx(low, abs=TOL)
        assert row["ci_high"] == pytest.approx(high, abs=TOL)


@pytest.mark.parametrize(("ci", "n_boot"), [(1.0, 100), (0.0, 100), (-0.5, 100), (0.95, 1)])
def test_bad_interval_arguments_are_refused(ci: float, n_boot: int) -> None:
    frame = long_frame(ratings_matrix(np.random.default_rng(0)), label_names(4))
    with pytest.raises(ValueError, match=r"ci|n_boot"):
        krippendorff_alpha(frame, ci=ci, n_boot=n_boot)


def test_ratio_intervals_equal_plain_sums_over_the_resampled_units() -> None:
    rng = np.random.default_rng(3)
    groups = np.repeat([0, 1], [40, 25])
    hits = rng.integers(0, 4, size=65).astype(float)
    regions = hits + rng.integers(0, 3, size=65)
    low, high = ratio_intervals(groups, hits, regions, BootstrapSpec(0.9, 40, seed=8))
    draw = np.random.default_rng(8)
    for group in (0, 1):
        units = np.stack([hits[groups == group], regions[groups == group]], axis=1)
        patterns, freq = np.unique(units, axis=0, return_counts=True)
        ratios = []
        for row in next(replicate_weights(freq, 40, draw)).astype(int):
            resampled = np.repeat(patterns, row, axis=0)
            ratios.append(resampled[:, 0].sum() / resampled[:, 1].sum())
        assert (low[group], high[group]) == pytest.approx(
            percentile_interval(np.array(ratios), 0.9), abs=TOL
        )


@pytest.mark.parametrize("by", ["pair", "annotator", "ground_truth"])
def test_region_and_text_intervals_are_reproducible_and_bracket_the_value(by: str) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for task in range(60):
        start = int(rng.integers(0, 50))
        for annotator in (1, 2, 3):
            shift = int(rng.integers(-2, 3))
            rows.append((task, annotator, start + shift, start + 8, "X", annotator == 1))
    spans = pd.DataFrame(
        rows, columns=["task_id", "annotator_id", "start", "end", "label", "ground_truth"]
    )
    first = span_agreement(spans, by=by, ci=0.95, n_boot=200, seed=1)
    assert first.equals(span_agreement(spans, by=by, ci=0.95, n_boot=200, seed=1))
    assert (first["f1_exact_ci_low"] <= first["f1_exact"]).all()
    assert (first["f1_exact"] <= first["f1_exact_ci_high"]).all()
    texts = spans.assign(text=[f"word {s % 7}" for s in spans["start"]])
    result = text_agreement(texts, by=by, ci=0.95, n_boot=200, seed=1)
    assert (result["mean_similarity_ci_low"] <= result["mean_similarity"]).all()
    assert (result["mean_similarity"] <= result["mean_similarity_ci_high"]).all()
