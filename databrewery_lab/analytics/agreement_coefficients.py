"""Chance-corrected agreement of choices, ratings and numbers: alpha, Fleiss, Cohen, per label.

Inputs are ``task_id, annotator_id, value`` tables (see :mod:`.agreement_input`): ``value``
VARCHAR for a choice, VARCHAR[] for a multi-choice label set, a number for rating/number.
Missing ratings are rows that are absent or NULL (NaN for numbers).

How multi-choice is read. Set-level metrics (alpha, Fleiss, Cohen, percent agreement) treat
each annotator's whole label set as one nominal value: two raters agree when they ticked
exactly the same labels (the empty set is a value too). :func:`label_agreement` looks at
one label at a time instead — present or absent in each rating — which is the same
definition a single choice gets (a choice "contains" exactly its own label).

References the tests hold these to (1e-9): ``krippendorff.alpha`` (nominal, ordinal,
interval), ``statsmodels.stats.inter_rater.fleiss_kappa`` and
``sklearn.metrics.cohen_kappa_score``. Undefined values (no variation, no unit with two
ratings) are NaN where the references return NaN or raise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .agreement_bootstrap import BootstrapSpec, Statistic, bootstrap_interval, bootstrap_spec
from .agreement_figures import bar_figure, pair_heatmap, scalar_figure
from .agreement_input import AgreementTypeError, RatingsLike, load_ratings
from .agreement_kappa import pair_cells
from .agreement_units import LEVELS, Level, UnitPatterns, nominal_keys
from .frames import MetricFrame, metric_frame

Seed = int | np.random.Generator | None

SCALAR_COLUMNS = [
    "metric",
    "value",
    "n_items",
    "n_ratings",
    "n_annotators",
    "ci_low",
    "ci_high",
]


def krippendorff_alpha(
    ratings: RatingsLike,
    level: Level = "nominal",
    *,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: Seed = None,
) -> MetricFrame:
    """Krippendorff's alpha at ``level`` ("nominal", "ordinal", "interval").

    Only units (tasks) with two or more ratings are pairable; ``n_items``/``n_ratings``
    count those. Ordinal and interval need numeric values. NaN when no unit is pairable
    or all pairable ratings are identical (``krippendorff.alpha`` raises or returns NaN
    there). ``ci`` (e.g. 0.95) adds a percentile bootstrap interval over pairable tasks;
    it costs little for choices and ratings (few distinct value patterns) and for interval
    data, but ordinal alpha re-ranks every distinct value in every resample, so on
    continuous numbers its interval takes about n_boot × 50 ms per million ratings.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    loaded = load_ratings(ratings, "value")
    if level != "nominal" and loaded.value_kind != "number":
        raise AgreementTypeError(
            f"level={level!r} needs numeric ratings (rating, number), but value holds "
            f"{loaded.value_kind.replace('_', ' ')}s; use level='nominal' for choices"
        )
    patterns = UnitPatterns.of(loaded).pairable()
    spec = bootstrap_spec(ci, n_boot, seed)

    def statistic(weights: np.ndarray) -> np.ndarray:
        return patterns.alpha(weights, level)

    return _scalar(f"krippendorff_alpha_{level}", patterns, statistic, spec)


def fleiss_kappa(
    ratings: RatingsLike,
    *,
    complete_only: bool = False,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: Seed = None,
) -> MetricFrame:
    """Fleiss' kappa over tasks with two or more ratings.

    Fleiss (1971) assumes every item has the same number of ratings. With unequal counts
    each item's agreement uses its own count (``complete_only=False``, the usual
    generalisation; identical to statsmodels when counts are equal), or
    ``complete_only=True`` keeps only the items with the largest count — the subset on
    which ``statsmodels...fleiss_kappa`` is defined. NaN when every rating is the same.
    """
    patterns = UnitPatterns.of(load_ratings(ratings, "value")).pairable()
    if complete_only and len(patterns.freq):
        patterns = patterns.subset(patterns.size == patterns.size.max())
    spec = bootstrap_spec(ci, n_boot, seed)
    return _scalar("fleiss_kappa", patterns, patterns.fleiss_kappa, spec)


def percent_agreement(
    ratings: RatingsLike, *, ci: float | None = None, n_boot: int = 1000, seed: Seed = None
) -> MetricFrame:
    """Share of agreeing rater pairs per task, averaged over tasks with ≥ 2 ratings."""
    patterns = UnitPatterns.of(load_ratings(ratings, "value")).pairable()
    spec = bootstrap_spec(ci, n_boot, seed)
    return _scalar("percent_agreement", patterns, patterns.percent_agreement, spec)


def cohen_kappa_matrix(
    ratings: RatingsLike, *, ci: float | None = None, n_boot: int = 1000, seed: Seed = None
) -> MetricFrame:
    """Cohen's kappa of every annotator pair, on the tasks both rated.

    One row per pair (``annotator_a < annotator_b``) with ``n_items``, observed and chance
    agreement, ``kappa`` and, with ``ci``, a bootstrap interval resampling the pair's
    co-rated tasks. ``.plot()`` draws the symmetric kappa heatmap. Requires one rating per
    (task, annotator).
    """
    loaded = load_ratings(ratings, "value")
    cells, first, second = pair_cells(nominal_keys(loaded))
    table = cells.table()
    low, high = cells.intervals(bootstrap_spec(ci, n_boot, seed))
    frame = pd.DataFrame(
        {
            "annotator_a": first,
            "annotator_b": second,
            "n_items": table["n_items"][0].astype(np.int64),
            "observed_agreement": table["observed_agreement"][0],
            "chance_agreement": table["chance_agreement"][0],
            "kappa": table["kappa"][0],
            "ci_low": low,
            "ci_high": high,
        }
    )
    return metric_frame(frame, "cohen_kappa", pair_heatmap("kappa", "Cohen's kappa by pair"))


def label_agreement(ratings: RatingsLike, *, labels: Sequence[object] | None = None) -> MetricFrame:
    """Agreement on each label, read as present/absent in every rating.

    Per label, over tasks with ≥ 2 ratings: ``specific_agreement`` (of the rater pairs
    where at least one used the label, Σ k(k−1) / Σ k(m−1), the share where the other did
    too), ``kappa`` (Fleiss' kappa of the present/absent split, Fleiss' category-specific
    kappa) and ``alpha`` (nominal Krippendorff alpha of the same split). ``n_ratings`` and
    ``n_items`` count every rating and task that used the label. Pass the config's
    ``labels`` to list the ones nobody used too (their metrics are NaN).
    """
    loaded = load_ratings(ratings, "value")
    patterns = UnitPatterns.of(loaded)
    names, pattern, label, k = patterns.label_cells(loaded.value_kind)
    frame = _label_table(patterns, names, pattern, label, k)
    if labels is not None:
        extra = [name for name in labels if name not in set(frame["label"])]
        if extra:
            empty = pd.DataFrame({"label": extra, "n_ratings": 0, "n_items": 0})
            frame = pd.concat([frame, empty], ignore_index=True)
        order = {name: i for i, name in enumerate(labels)}
        frame = frame.sort_values(
            "label", key=lambda s: s.map(lambda v: order.get(v, len(order))), kind="stable"
        ).reset_index(drop=True)
    return metric_frame(
        frame, "label_agreement", bar_figure("label", "specific_agreement", "Agreement by label")
    )


def _label_table(
    patterns: UnitPatterns,
    names: list[object],
    pattern: np.ndarray,
    label: np.ndarray,
    k: np.ndarray,
) -> pd.DataFrame:
    n_labels = len(names)
    weight = patterns.freq[pattern].astype(np.float64)
    m = patterns.size[pattern].astype(np.float64)
    pairable = m >= 2
    w, kk, mm, lab = weight[pairable], k[pairable], m[pairable], label[pairable]
    units_pairable = patterns.freq[patterns.size >= 2].sum()
    values_pairable = (patterns.freq * patterns.size)[patterns.size >= 2].sum()

    def per_label(values: np.ndarray) -> np.ndarray:
        return np.bincount(lab, values, minlength=n_labels)

    present = per_label(w * kk)
    absent = values_pairable - present
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = per_label(w * 2.0 * kk * (mm - kk) / (mm - 1.0))
        expected = 2.0 * present * absent
        alpha = np.where(expected > 0, 1.0 - (values_pairable - 1.0) * observed / expected, np.nan)
        item_gain = (kk**2 + (mm - kk) ** 2 - mm) / (mm * (mm - 1.0)) - 1.0
        mean_item = (units_pairable + per_label(w * item_gain)) / units_pairable
        share = present / values_pairable
        chance = share**2 + (1.0 - share) ** 2
        kappa = np.where(chance < 1.0, (mean_item - chance) / (1.0 - chance), np.nan)
        mentioned = per_label(w * kk * (mm - 1.0))
        specific = np.where(mentioned > 0, per_label(w * kk * (kk - 1.0)) / mentioned, np.nan)
    return pd.DataFrame(
        {
            "label": names,
            "n_ratings": np.bincount(label, weight * k, minlength=n_labels).astype(np.int64),
            "n_items": np.bincount(label, weight * (k > 0), minlength=n_labels).astype(np.int64),
            "specific_agreement": specific,
            "kappa": kappa,
            "alpha": alpha,
        }
    )


def _scalar(
    metric: str, patterns: UnitPatterns, statistic: Statistic, spec: BootstrapSpec | None
) -> MetricFrame:
    """The one-row frame of a scalar metric, its interval NaN unless ``spec`` asks for one."""
    if len(patterns.freq):
        value = float(statistic(patterns.freq[None, :].astype(np.float64))[0])
        low, high = bootstrap_interval(patterns.freq, statistic, spec, patterns.replicate_cost)
    else:
        value, low, high = np.nan, np.nan, np.nan
    frame = pd.DataFrame(
        [[metric, value, patterns.units, patterns.ratings, patterns.n_annotators, low, high]],
        columns=SCALAR_COLUMNS,
    )
    return metric_frame(frame, metric, scalar_figure(metric.replace("_", " ")))


__all__ = [
    "cohen_kappa_matrix",
    "fleiss_kappa",
    "krippendorff_alpha",
    "label_agreement",
    "percent_agreement",
]
