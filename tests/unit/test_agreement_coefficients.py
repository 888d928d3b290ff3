"""Alpha, Fleiss, Cohen, percent and per-label agreement equal their references to 1e-9.

References: ``krippendorff.alpha`` (reliability data is raters × units, NaN = missing),
``statsmodels.stats.inter_rater.fleiss_kappa`` with ``aggregate_raters`` and
``sklearn.metrics.cohen_kappa_score``; percent and specific agreement against brute-force
enumeration of rater pairs. Data include missing ratings, a single-rater task, a unanimous
task, a task nobody rated and a label nobody used.
"""

from __future__ import annotations

import itertools
import json
import warnings

import duckdb
import hypothesis.extra.numpy as hnp
import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from databrewery_lab.analytics import agreement_kappa
from databrewery_lab.analytics.agreement import (
    cohen_kappa_matrix,
    fleiss_kappa,
    krippendorff_alpha,
    label_agreement,
    percent_agreement,
)

from .test_agreement_data import ANNOTATOR_IDS, label_names, long_frame, ratings_matrix

TOL = 1e-9
SEEDS = range(6)


def reference_alpha(matrix: np.ndarray, level: str) -> float:
    """krippendorff.alpha, with its "undefined" errors read as NaN."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return float(krippendorff.alpha(matrix.T, level_of_measurement=level))
    except ValueError:
        return float("nan")


def same(ours: float, reference: float) -> bool:
    if np.isnan(reference):
        return bool(np.isnan(ours))
    return abs(ours - reference) <= TOL


def value(frame: pd.DataFrame) -> float:
    return float(frame["value"].iloc[0])


# -- Krippendorff's alpha ----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_alpha_matches_krippendorff(level: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = ratings_matrix(rng, annotators=3 + seed % 4, labels=4 + seed % 3)
    ratings = matrix + 1.0  # ratings 1..k
    frame = long_frame(ratings)
    result = krippendorff_alpha(frame, level)
    assert same(value(result), reference_alpha(ratings, level))
    assert result["metric"].iloc[0] == f"krippendorff_alpha_{level}"
    pairable = (~np.isnan(ratings)).sum(axis=1) >= 2
    assert result["n_items"].iloc[0] == pairable.sum()
    assert result["n_ratings"].iloc[0] == (~np.isnan(ratings[pairable])).sum()
    assert result["n_annotators"].iloc[0] == matrix.shape[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_nominal_alpha_of_labels_matches_krippendorff(seed: int) -> None:
    matrix = ratings_matrix(np.random.default_rng(seed))
    frame = long_frame(matrix, label_names(4))
    assert same(value(krippendorff_alpha(frame)), reference_alpha(matrix, "nominal"))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", ["ordinal", "interval"])
def test_alpha_of_continuous_numbers_matches_krippendorff(level: str, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    truth = rng.normal(50.0, 10.0, size=80)
    matrix = np.round(truth[:, None] + rng.normal(0, 4.0, size=(80, 4)), 1)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    assert same(
        value(krippendorff_alpha(long_frame(matrix), level)), reference_alpha(matrix, level)
    )


def test_alpha_of_a_duckdb_relation_equals_the_dataframe() -> None:
    matrix = ratings_matrix(np.random.default_rng(3))
    frame = long_frame(matrix, label_names(4))
    connection = duckdb.connect()
    connection.register("frame", frame)
    connection.execute("CREATE TABLE ratings AS SELECT *, 99 AS annotation_id FROM frame")
    relation = connection.table("ratings")
    assert value(krippendorff_alpha(relation)) == pytest.approx(
        value(krippendorff_alpha(frame)), abs=TOL
    )


def test_missing_values_in_a_dataframe_are_missing_ratings() -> None:
    matrix = ratings_matrix(np.random.default_rng(4)) + 1.0
    frame = pd.DataFrame(
        {
            "task_id": np.repeat(np.arange(matrix.shape[0]), matrix.shape[1]),
            "annotator_id": np.tile(np.arange(matrix.shape[1]), matrix.shape[0]),
            "value": matrix.ravel(),  # NaN rows kept: they must count as missing
        }
    )
    assert same(value(krippendorff_alpha(frame, "interval")), reference_alpha(matrix, "interval"))


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=7),
        elements=st.sampled_from([np.nan, 1.0, 2.0, 3.0, 5.0]),
    ),
    st.sampled_from(["nominal", "ordinal", "interval"]),
)
def test_alpha_matches_krippendorff_on_any_small_table(matrix: np.ndarray, level: str) -> None:
    frame = long_frame(matrix[:, : len(ANNOTATOR_IDS)])
    if frame.empty:
        return
    ours = value(krippendorff_alpha(frame, level))
    assert same(ours, reference_alpha(matrix[:, : len(ANNOTATOR_IDS)], level))


def test_alpha_is_nan_when_all_ratings_are_identical() -> None:
    frame = long_frame(np.full((5, 3), 2.0))
    for level in ("nominal", "ordinal", "interval"):
        with pytest.raises(ValueError, match="more than one value"):
            krippendorff.alpha(np.full((3, 5), 2.0), level_of_measurement=level)
        assert np.isnan(value(krippendorff_alpha(frame, level)))


def test_alpha_is_nan_when_only_single_rated_units_vary() -> None:
    matrix = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, np.nan]])
    assert np.isnan(reference_alpha(matrix, "nominal"))
    result = krippendorff_alpha(long_frame(matrix))
    assert np.isnan(value(result)) and result["n_items"].iloc[0] == 2


def test_alpha_is_nan_without_a_pairable_unit() -> None:
    matrix = np.array([[1.0, np.nan], [np.nan, 2.0]])
    with pytest.raises(ValueError, match="at least two coders"):
        krippendorff.alpha(matrix.T, level_of_measurement="nominal")
    result = krippendorff_alpha(long_frame(matrix))
    assert np.isnan(value(result)) and result["n_items"].iloc[0] == 0


# -- Fleiss' kappa -----------------------------------------------------------------------


def complete_matrix(seed: int, tasks: int = 70, raters: int = 4, labels: int = 5) -> np.ndarray:
    matrix = ratings_matrix(np.random.default_rng(seed), tasks, raters, labels, missing=0.0)
    matrix[0, :] = matrix[0, 1]
    matrix[2, :] = 0.0
    return matrix


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_matches_statsmodels_on_complete_data(seed: int) -> None:
    matrix = complete_matrix(seed, raters=3 + seed % 4)
    table, _ = aggregate_raters(matrix.astype(int))
    frame = long_frame(matrix, label_names(5))
    assert value(fleiss_kappa(frame)) == pytest.approx(statsmodels_fleiss(table), abs=TOL)
    # a label column nobody used does not change it
    padded, _ = aggregate_raters(matrix.astype(int), n_cat=5)
    assert padded[:, 4].sum() == 0
    assert value(fleiss_kappa(frame)) == pytest.approx(statsmodels_fleiss(padded), abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_complete_only_is_statsmodels_on_the_complete_items(seed: int) -> None:
    matrix = ratings_matrix(np.random.default_rng(seed), tasks=120, annotators=4, missing=0.1)
    complete = matrix[(~np.isnan(matrix)).all(axis=1)]
    table, _ = aggregate_raters(complete.astype(int))
    frame = long_frame(matrix, label_names(4))
    result = fleiss_kappa(frame, complete_only=True)
    assert value(result) == pytest.approx(statsmodels_fleiss(table), abs=TOL)
    assert result["n_items"].iloc[0] == len(complete)


def generalised_fleiss(matrix: np.ndarray) -> float:
    """Fleiss' formula with each item's own rater count (items with ≥ 2 ratings)."""
    rows = [row[~np.isnan(row)].astype(int) for row in matrix]
    rows = [row for row in rows if len(row) >= 2]
    counts = np.array([np.bincount(row, minlength=10) for row in rows], dtype=float)
    m = counts.sum(axis=1)
    p_i = ((counts**2).sum(axis=1) - m) / (m * (m - 1))
    p_c = counts.sum(axis=0) / counts.sum()
    chance = (p_c**2).sum()
    return float((p_i.mean() - chance) / (1 - chance))


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_with_unequal_counts_uses_each_items_count(seed: int) -> None:
    matrix = ratings_matrix(np.random.default_rng(seed), annotators=5)
    result = fleiss_kappa(long_frame(matrix, label_names(4)))
    assert value(result) == pytest.approx(generalised_fleiss(matrix), abs=TOL)
    assert result["n_items"].iloc[0] == ((~np.isnan(matrix)).sum(axis=1) >= 2).sum()


def test_fleiss_is_nan_when_every_rating_is_the_same() -> None:
    matrix = np.zeros((6, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(statsmodels_fleiss(aggregate_raters(matrix.astype(int))[0]))
    assert np.isnan(value(fleiss_kappa(long_frame(matrix, ["same"]))))
    assert value(percent_agreement(long_frame(matrix, ["same"]))) == 1.0


# -- percent agreement -------------------------------------------------------------------


def brute_force_percent(matrix: np.ndarray) -> float:
    shares = []
    for row in matrix:
        rated = row[~np.isnan(row)]
        pairs = list(itertools.combinations(rated, 2))
        if pairs:
            shares.append(np.mean([a == b for a, b in pairs]))
    return float(np.mean(shares))


@pytest.mark.parametrize("seed", SEEDS)
def test_percent_agreement_is_the_mean_share_of_agreeing_pairs(seed: int) -> None:
    matrix = ratings_matrix(np.random.default_rng(seed))
    result = percent_agreement(long_frame(matrix, label_names(4)))
    assert value(result) == pytest.approx(brute_force_percent(matrix), abs=TOL)


# -- Cohen's kappa -----------------------------------------------------------------------


def reference_kappas(matrix: np.ndarray) -> dict[tuple[int, int], tuple[int, float]]:
    kappas = {}
    for i, j in itertools.combinations(range(matrix.shape[1]), 2):
        both = ~np.isnan(matrix[:, i]) & ~np.isnan(matrix[:, j])
        if both.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                kappa = cohen_kappa_score(matrix[both, i], matrix[both, j])
            kappas[(ANNOTATOR_IDS[i], ANNOTATOR_IDS[j])] = (int(both.sum()), kappa)
    return kappas


@pytest.mark.parametrize("seed", SEEDS)
def test_cohen_kappa_matrix_matches_scikit_learn(seed: int) -> None:
    matrix = ratings_matrix(np.random.default_rng(seed), annotators=3 + seed % 4)
    result = cohen_kappa_matrix(long_frame(matrix, label_names(4)))
    expected = reference_kappas(matrix)
    assert len(result) == len(expected)
    for row in result.itertuples():
        n_items, kappa = expected[(row.annotator_a, row.annotator_b)]
        assert row.n_items == n_items
        assert same(row.kappa, kappa)
        assert row.annotator_a < row.annotator_b


def test_cohen_kappa_is_nan_when_a_pair_used_one_label_and_zero_when_disjoint() -> None:
    matrix = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    result = cohen_kappa_matrix(long_frame(matrix, label_names(2))).set_index(
        ["annotator_a", "annotator_b"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(cohen_kappa_score(matrix[:, 0], matrix[:, 1]))
    assert np.isnan(result.loc[(7, 11), "kappa"])
    assert result.loc[(7, 23), "kappa"] == cohen_kappa_score(matrix[:, 0], matrix[:, 2]) == 0.0


def test_cohen_kappa_matrix_with_one_annotator_is_empty() -> None:
    result = cohen_kappa_matrix(long_frame(np.array([[0.0], [1.0]]), label_names(2)))
    assert result.empty and "kappa" in result.columns


# -- multi-choice ------------------------------------------------------------------------


def multi_choice(seed: int, tasks: int = 50, raters: int = 4) -> tuple[pd.DataFrame, list]:
    rng = np.random.default_rng(seed)
    labels = ["a", "b", "c", "unused"]
    rows, sets = [], []
    for task in range(tasks):
        truth = {label for label in labels[:3] if rng.random() < 0.4}
        row = []
        for rater in range(raters):
            if rng.random() < 0.2 and task > 1:
                row.append(None)
                continue
            chosen = {x for x in labels[:3] if (x in truth) != (rng.random() < 0.15)}
            row.append(sorted(chosen))
            rows.append((task, ANNOTATOR_IDS[rater], sorted(chosen)))
        sets.append(row)
    frame = pd.DataFrame(rows, columns=["task_id", "annotator_id", "value"])
    return frame, sets


def set_codes(sets: list) -> np.ndarray:
    keys = sorted({json.dumps(s) for row in sets for s in row if s is not None})
    code = {key: i for i, key in enumerate(keys)}
    return np.array(
        [[np.nan if s is None else code[json.dumps(s)] for s in row] for row in sets], dtype=float
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_multi_choice_set_level_metrics_match_the_references(seed: int) -> None:
    frame, sets = multi_choice(seed)
    codes = set_codes(sets)
    assert same(value(krippendorff_alpha(frame)), reference_alpha(codes, "nominal"))
    expected = reference_kappas(codes)
    for row in cohen_kappa_matrix(frame).itertuples():
        assert same(row.kappa, expected[(row.annotator_a, row.annotator_b)][1])
    assert value(percent_agreement(frame)) == pytest.approx(brute_force_percent(codes), abs=TOL)
    assert value(fleiss_kappa(frame)) == pytest.approx(generalised_fleiss(codes), abs=TOL)


# -- per label ---------------------------------------------------------------------------


def brute_force_specific(indicator: np.ndarray) -> float:
    agree = mention = 0
    for row in indicator:
        rated = row[~np.isnan(row)]
        for a, b in itertools.permutations(rated, 2):
            if a == 1:
                mention += 1
                agree += b == 1
    return agree / mention if mention else float("nan")


def check_label_row(row: pd.Series, indicator: np.ndarray) -> None:
    assert same(row["alpha"], reference_alpha(indicator, "nominal"))
    assert row["specific_agreement"] == pytest.approx(brute_force_specific(indicator), abs=TOL)
    rated = ~np.isnan(indicator)
    assert row["n_ratings"] == np.nansum(indicator)
    assert row["n_items"] == (np.nan_to_num(indicator) > 0).any(axis=1).sum()
    if rated.all():
        counts = np.stack([(indicator == 1).sum(axis=1), (indicator == 0).sum(axis=1)], axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            assert same(row["kappa"], statsmodels_fleiss(counts))
    else:
        assert same(row["kappa"], generalised_fleiss(indicator))


@pytest.mark.parametrize("seed", SEEDS)
def test_label_agreement_of_choices_matches_the_references(seed: int) -> None:
    matrix = ratings_matrix(np.random.default_rng(seed))
    names = label_names(4)
    result = label_agreement(long_frame(matrix, names), labels=names).set_index("label")
    assert list(result.index) == names
    for code, name in enumerate(names[:3]):
        indicator = np.where(np.isnan(matrix), np.nan, (matrix == code).astype(float))
        check_label_row(result.loc[name], indicator)
    unused = result.loc["label-3"]
    assert unused["n_ratings"] == 0 and np.isnan(unused["alpha"]) and np.isnan(unused["kappa"])


@pytest.mark.parametrize("seed", SEEDS)
def test_label_agreement_on_complete_data_matches_statsmodels(seed: int) -> None:
    matrix = complete_matrix(seed)
    result = label_agreement(long_frame(matrix, label_names(5))).set_index("label")
    for code in range(4):
        indicator = (matrix == code).astype(float)
        check_label_row(result.loc[f"label-{code}"], indicator)


@pytest.mark.parametrize("seed", SEEDS)
def test_label_agreement_of_multi_choice_reads_each_label_as_present_or_absent(seed: int) -> None:
    frame, sets = multi_choice(seed)
    result = label_agreement(frame, labels=["a", "b", "c", "unused"]).set_index("label")
    for label in ("a", "b", "c"):
        indicator = np.array(
            [[np.nan if s is None else float(label in s) for s in row] for row in sets]
        )
        check_label_row(result.loc[label], indicator)
    assert result.loc["unused", "n_ratings"] == 0


def test_kappa_cells_summed_sparsely_and_in_small_blocks_are_the_same(monkeypatch) -> None:
    frame = long_frame(ratings_matrix(np.random.default_rng(9), annotators=6), label_names(4))
    dense = pd.DataFrame(cohen_kappa_matrix(frame))
    monkeypatch.setattr(agreement_kappa, "_DENSE_CELLS", 0)
    monkeypatch.setattr(agreement_kappa, "_PAIRS_PER_BLOCK", 7)
    pd.testing.assert_frame_equal(pd.DataFrame(cohen_kappa_matrix(frame)), dense)
