"""The activity charts of an overview: annotations over time, labels given, agreement.

Each function takes an :class:`~.overview.Overview` and returns plain data (a DataFrame)
built from the standard metrics (:mod:`.throughput`, :mod:`.summaries`,
:mod:`.agreement`); per-annotator throughput is the overview's own ``throughput``.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from databrewery_lab.errors import DatabreweryError
from databrewery_lab.label_config import ControlTag

from .agreement import agreement_metrics
from .extraction import extract_annotations
from .overview import Overview
from .scope import InvalidSelection
from .summaries import label_distribution
from .throughput import Freq, annotations_over_time

#: Agreement headline per control type: (metric in AGREEMENT_METRICS, label shown).
AGREEMENT_HEADLINES: dict[str, tuple[tuple[str, str], ...]] = {
    "choices": (
        ("krippendorff_alpha", "Krippendorff's α (nominal)"),
        ("percent_agreement", "Percent agreement"),
    ),
    "rating": (("krippendorff_alpha_ordinal", "Krippendorff's α (ordinal)"),),
    "number": (("krippendorff_alpha_interval", "Krippendorff's α (interval)"),),
}

#: Bucket size of annotations over time, by the days the period spans (months beyond).
_FREQ_BY_SPAN: tuple[tuple[int, Freq], ...] = ((62, "day"), (731, "week"))
_PANDAS_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}
_PERIOD_COLUMNS = ["period", "annotations", "skips"]


# --------------------------------------------------------------------------- over time


def period_frequency(place: Overview) -> Freq:
    """Days for a couple of months, weeks for up to two years, months beyond.

    An open side of the period is taken from the first or last annotation here.
    """
    start: datetime | None = place.since
    end: datetime | None = place.until
    if start is None or end is None:
        try:
            frame = place.throughput
        except DatabreweryError:
            return "day"
        if frame.empty:
            return "day"
        start = start or pd.Timestamp(frame["first_at"].min()).to_pydatetime()
        end = end or pd.Timestamp(frame["last_at"].max()).to_pydatetime()
    days = (end - start).total_seconds() / 86400.0
    for limit, freq in _FREQ_BY_SPAN:
        if days <= limit:
            return freq
    return "month"


def annotations_per_period(place: Overview, freq: Freq | None = None) -> pd.DataFrame:
    """Annotations and skips of everyone per ``freq`` (day, week or month; default
    :func:`period_frequency`), from the first period with activity to the last, with
    zeros in between. Columns: ``period, annotations, skips``."""
    freq = freq or period_frequency(place)
    if freq not in _PANDAS_FREQ:
        raise InvalidSelection(f"freq={freq!r}; use one of {', '.join(_PANDAS_FREQ)}.")
    if place.scope is None:
        return pd.DataFrame(columns=_PERIOD_COLUMNS)
    frame = annotations_over_time(place.brewery, place.scope, freq=freq)
    if frame.empty:
        return pd.DataFrame(columns=_PERIOD_COLUMNS)
    per = frame.groupby("period")[["annotations", "skips"]].sum()
    full = pd.date_range(per.index.min(), per.index.max(), freq=_PANDAS_FREQ[freq])
    per = per.reindex(full, fill_value=0)
    return per.rename_axis("period").reset_index()


# --------------------------------------------------------------------------- labels


def label_counts(place: Overview) -> pd.DataFrame:
    """How often each label of each labelled control of the project was given.

    The columns of :func:`~.summaries.label_distribution`; controls in config order, and
    within one its config's labels in their order, then labels only results hold (most
    given first). An unusable label config raises LabelConfigError.
    """
    place.label_config  # noqa: B018 - an unusable config is an error here, not a warning
    frame = label_distribution(place.brewery, place.place_id, **place.times)
    ordered = [
        rows.assign(known=rows["position"].notna())
        .sort_values(["known", "position", "count"], ascending=[False, True, False])
        .drop(columns="known")
        for _control, rows in frame.groupby("control", sort=False)
    ]
    return pd.concat(ordered, ignore_index=True) if ordered else pd.DataFrame(frame)


# --------------------------------------------------------------------------- agreement


def agreement_controls(place: Overview) -> list[ControlTag]:
    """The project's controls with an agreement headline (Choices, Rating, Number per task)."""
    return [
        control
        for control in place.label_config.controls
        if control.result_type in AGREEMENT_HEADLINES and not control.per_region
    ]


def control_agreement(place: Overview, control: ControlTag) -> pd.DataFrame:
    """The headline agreement of one control: ``metric, label, value, n_items,
    n_annotators`` per :data:`AGREEMENT_HEADLINES` metric of its type.

    Raises a DatabreweryError (e.g. AgreementInputError) when its ratings allow none.
    """
    ratings = extract_annotations(place.brewery, place.project_scope, control.name)
    metrics = agreement_metrics(control.result_type)
    rows = []
    for name, label in AGREEMENT_HEADLINES[control.result_type]:
        row = metrics[name](ratings).iloc[0]
        rows.append(
            {
                "metric": name,
                "label": label,
                "value": row["value"],
                "n_items": row["n_items"],
                "n_annotators": row["n_annotators"],
            }
        )
    return pd.DataFrame(rows)
