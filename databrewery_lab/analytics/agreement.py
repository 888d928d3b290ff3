"""Inter-annotator agreement for every control tag type, computed set-based in DuckDB.

Each function takes a long ratings table — a DuckDB relation, or a pandas DataFrame — in the
shape the extractor produces for one control tag (see :mod:`.agreement_input`) and returns
a :class:`~databrewery_lab.analytics.frames.MetricFrame` whose ``.plot()`` draws it:

=================  ===========================================================
control type       metrics (``agreement_metrics(kind)`` lists them by name)
=================  ===========================================================
choices            Cohen's kappa per pair, Fleiss' kappa, Krippendorff's alpha
                   (nominal), percent agreement, per-label agreement
rating, number     Krippendorff's alpha ordinal and interval
labels             span F1, exact and overlap matching
rectanglelabels    IoU-matched box F1 at a threshold
textarea           exact match and normalised edit similarity
=================  ===========================================================

and for all of them agreement per task (for review ordering), per annotator against the
others, against the majority of the others (choices, numbers) and against ground truth
(a ``ground_truth`` table, or the rows a ``ground_truth`` column flags). Scalar metrics
take ``ci=0.95`` for a seeded percentile bootstrap over tasks. The definitions — missing
ratings, multi-choice, Fleiss with unequal raters, undefined cases — are in the docstrings
of the modules that compute them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType

from ..errors import NotFound
from . import agreement_choices, agreement_numbers
from .agreement_boxes import box_agreement
from .agreement_coefficients import (
    cohen_kappa_matrix,
    fleiss_kappa,
    krippendorff_alpha,
    label_agreement,
    percent_agreement,
)
from .agreement_input import (
    AgreementInputError,
    AgreementTypeError,
    RatingsLike,
    load_ratings,
)
from .agreement_spans import span_agreement
from .agreement_text import text_agreement
from .frames import MetricFrame

#: A metric over one ratings table.
MetricFunction = Callable[..., MetricFrame]


def task_agreement(ratings: RatingsLike) -> MetricFrame:
    """Agreement of each task: pair agreement for choices, spread for numbers."""
    loaded = load_ratings(ratings, "value")
    module = agreement_numbers if loaded.value_kind == "number" else agreement_choices
    return module.task_agreement(loaded)


def annotator_agreement(ratings: RatingsLike) -> MetricFrame:
    """Each annotator against the others on shared tasks (choices: agreement and kappa;
    numbers: mean absolute difference)."""
    loaded = load_ratings(ratings, "value")
    module = agreement_numbers if loaded.value_kind == "number" else agreement_choices
    return module.annotator_agreement(loaded)


def majority_vote(ratings: RatingsLike) -> MetricFrame:
    """The majority value of each task (NULL on a tie), with its votes and share."""
    return agreement_choices.majority_vote(load_ratings(ratings, "value"))


def consensus_agreement(ratings: RatingsLike) -> MetricFrame:
    """Each annotator against the leave-one-out consensus of the others: majority value
    for choices (accuracy, kappa), mean for numbers (MAE, RMSE, bias)."""
    loaded = load_ratings(ratings, "value")
    module = agreement_numbers if loaded.value_kind == "number" else agreement_choices
    return module.consensus_agreement(loaded)


def ground_truth_agreement(
    ratings: RatingsLike, ground_truth: RatingsLike | None = None
) -> MetricFrame:
    """Each annotator against the ground truth (choices: accuracy, kappa, macro F1;
    numbers: MAE, RMSE, bias). ``ground_truth`` is a ``task_id, value`` table; without
    it the rows flagged by a ``ground_truth`` column are the truth."""
    loaded = load_ratings(ratings, "value")
    module = agreement_numbers if loaded.value_kind == "number" else agreement_choices
    return module.ground_truth_agreement(loaded, ground_truth)


def _value_metrics(**extra: MetricFunction) -> Mapping[str, MetricFunction]:
    common: dict[str, MetricFunction] = {
        "task_agreement": task_agreement,
        "annotator_agreement": annotator_agreement,
        "consensus_agreement": consensus_agreement,
        "ground_truth_agreement": ground_truth_agreement,
    }
    return MappingProxyType({**extra, **common})


def _region_metrics(function: MetricFunction, name: str) -> Mapping[str, MetricFunction]:
    return MappingProxyType(
        {
            name: function,
            "task_agreement": partial(function, by="task"),
            "annotator_agreement": partial(function, by="annotator"),
            "ground_truth_agreement": partial(function, by="ground_truth"),
        }
    )


_NUMBER_METRICS = _value_metrics(
    krippendorff_alpha_ordinal=partial(krippendorff_alpha, level="ordinal"),
    krippendorff_alpha_interval=partial(krippendorff_alpha, level="interval"),
)

#: Control type (lower-case Label Studio tag) → metric name → function over its table.
AGREEMENT_METRICS: Mapping[str, Mapping[str, MetricFunction]] = MappingProxyType(
    {
        "choices": _value_metrics(
            cohen_kappa=cohen_kappa_matrix,
            fleiss_kappa=fleiss_kappa,
            krippendorff_alpha=partial(krippendorff_alpha, level="nominal"),
            percent_agreement=percent_agreement,
            label_agreement=label_agreement,
        ),
        "rating": _NUMBER_METRICS,
        "number": _NUMBER_METRICS,
        "labels": _region_metrics(span_agreement, "span_f1"),
        "rectanglelabels": _region_metrics(box_agreement, "box_f1"),
        "textarea": _region_metrics(text_agreement, "text_agreement"),
    }
)


def agreement_metrics(kind: str) -> Mapping[str, MetricFunction]:
    """The agreement metrics that apply to a control type (``"Choices"``, ``"labels"`` …)."""
    metrics = AGREEMENT_METRICS.get(kind.lower())
    if metrics is None:
        raise NotFound(
            f"no agreement metrics for control type {kind!r}; supported: "
            f"{', '.join(AGREEMENT_METRICS)}"
        )
    return metrics


__all__ = [
    "AGREEMENT_METRICS",
    "AgreementInputError",
    "AgreementTypeError",
    "MetricFunction",
    "agreement_metrics",
    "annotator_agreement",
    "box_agreement",
    "cohen_kappa_matrix",
    "consensus_agreement",
    "fleiss_kappa",
    "ground_truth_agreement",
    "krippendorff_alpha",
    "label_agreement",
    "majority_vote",
    "percent_agreement",
    "span_agreement",
    "task_agreement",
    "text_agreement",
]
