"""The tables a manager drills down through: the places one level below an overview.

Every project → its organizations (and the projects outside any organization);
an organization → its workspaces and all its projects; a workspace → its projects;
a project has none. A place row sums the :func:`~.summaries.project_summaries` of its
projects, so every number agrees with the overview's key figures; a place without
projects shows zeros.
"""

from __future__ import annotations

import pandas as pd

from .overview import Overview

#: Columns of a place row; ``progress`` is labeled tasks / tasks (NaN without tasks).
PLACE_COLUMNS = (
    "id",
    "title",
    "projects",
    "tasks",
    "labeled_tasks",
    "progress",
    "annotations",
    "skipped",
)
_SUMMED = ["tasks", "labeled_tasks", "annotations", "skipped"]


def drill_down(place: Overview) -> dict[str, pd.DataFrame]:
    """The tables below ``place`` by name: ``organizations``/``workspaces`` (place rows)
    and ``projects`` (its project summaries), in the order a page shows them."""
    frame = place.summaries
    if place.level == "all":
        if "organization_id" not in frame:  # a database without organizations
            return {"projects": frame}
        tables = {"organizations": place_rows(frame, "organization_id", place.places_below)}
        outside = frame[frame["organization_id"].isna()]
        if not outside.empty:
            tables["projects"] = outside
        return tables
    if place.level == "organization":
        tables = {}
        if "workspace_id" in frame:
            tables["workspaces"] = place_rows(frame, "workspace_id", place.places_below)
        return {**tables, "projects": frame}
    if place.level == "workspace":
        return {"projects": frame}
    return {}


def place_rows(summaries: pd.DataFrame, column: str, places: list[tuple[int, str]]) -> pd.DataFrame:
    """One row per place of ``places`` (``(id, title)``), summing the summaries of its
    projects (``column`` names their place); :data:`PLACE_COLUMNS`."""
    groups = summaries.dropna(subset=[column]).groupby(column)
    sums = groups[_SUMMED].sum()
    counts = groups.size()
    ids = [place_id for place_id, _title in places]
    rows = pd.DataFrame(
        {
            "id": pd.Series(ids, dtype="int64"),
            "title": [title for _place_id, title in places],
            "projects": [int(counts.get(place_id, 0)) for place_id in ids],
        }
    )
    for name in _SUMMED:
        rows[name] = [int(sums[name].get(place_id, 0)) for place_id in ids]
    rows["progress"] = rows["labeled_tasks"] / rows["tasks"].where(rows["tasks"] > 0)
    return rows[list(PLACE_COLUMNS)]
