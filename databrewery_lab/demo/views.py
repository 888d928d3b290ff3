"""Data-manager tabs: ``data_manager_view`` JSON plus the filter rows mirroring it.

``view.data`` follows Label Studio's data-manager format (title, filters with a
conjunction and items, ordering, hiddenColumns ...); each filter item is also a
``data_manager_filter`` row in the view's ``data_manager_filtergroup``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from databrewery_lab.demo.rng import ANCHOR, iso
from databrewery_lab.demo.state import Demo, ProjectState

HIDDEN_EXPLORE = [
    "tasks:inner_id",
    "tasks:annotations_ids",
    "tasks:predictions_model_versions",
    "tasks:avg_lead_time",
    "tasks:file_upload",
    "tasks:storage_filename",
    "tasks:updated_by",
    "tasks:updated_at",
]
HIDDEN_LABELING = [
    "tasks:id",
    "tasks:inner_id",
    "tasks:completed_at",
    "tasks:cancelled_annotations",
    "tasks:total_predictions",
    "tasks:annotators",
    "tasks:annotations_results",
    "tasks:predictions_score",
    "tasks:predictions_results",
    "tasks:file_upload",
    "tasks:created_at",
    "tasks:updated_at",
    "tasks:avg_lead_time",
]

Filter = dict[str, Any]


def _filter(column: str, operator: str, kind: str, value: Any) -> Filter:
    return {"filter": f"filters:tasks:{column}", "operator": operator, "type": kind, "value": value}


def _views(p: ProjectState) -> list[tuple[str, str, list[Filter], list[str]]]:
    """(title, view_type, filter items, ordering) per tab of a project."""
    since = (ANCHOR - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    views = [
        ("Default", "grid" if p.spec.kind == "bbox" else "list", [], ["-tasks:id"]),
        (
            "Completed this week",
            "list",
            [_filter("completed_at", "greater", "Datetime", since)],
            ["-tasks:completed_at"],
        ),
        (
            "Skipped",
            "list",
            [_filter("cancelled_annotations", "greater", "Number", 0)],
            ["tasks:inner_id"],
        ),
    ]
    if p.spec.model_versions:
        views.append(
            (
                "Active learning: low confidence",
                "list",
                [
                    _filter("total_annotations", "equal", "Number", 0),
                    _filter("predictions_score", "less", "Number", 0.5),
                ],
                ["tasks:predictions_score"],
            )
        )
    if p.spec.kind == "sentiment" and p.spec.org == 0:
        views.append(
            (
                "Mentions refunds",
                "list",
                [_filter("data.text", "contains", "String", "returned")],
                ["-tasks:id"],
            )
        )
    return views


def write_views(demo: Demo) -> None:
    """data_manager_view, _filtergroup, _filter, _filtergroup_filters."""
    views, groups, filters, links = [], [], [], []
    for p in demo.projects:
        made = p.created_at + timedelta(days=1)
        for n, (title, view_type, items, ordering) in enumerate(_views(p)):
            conjunction = "and"
            data = {
                "title": title,
                "type": view_type,
                "target": "tasks",
                "filters": {"conjunction": conjunction, "items": items},
                "ordering": ordering,
                "hiddenColumns": {"explore": HIDDEN_EXPLORE, "labeling": HIDDEN_LABELING},
                "columnsWidth": {},
                "columnsDisplayType": {},
                "gridWidth": 4,
                "semantic_search": [],
            }
            group_id = None
            if items:
                group_id = demo.next_id("data_manager_filtergroup")
                groups.append((group_id, conjunction))
                for item in items:
                    fid = demo.next_id("data_manager_filter")
                    filters.append(
                        (
                            fid,
                            item["filter"],
                            item["operator"],
                            item["type"],
                            json.dumps(item["value"]),
                            iso(made + timedelta(minutes=n)),
                        )
                    )
                    links.append((demo.next_id("data_manager_filtergroup_filters"), group_id, fid))
            author = p.manager_ids[0] if n % 2 == 0 else p.reviewer_ids[0]
            views.append(
                (
                    demo.next_id("data_manager_view"),
                    json.dumps(data),
                    iso(made + timedelta(minutes=n)),
                    group_id,
                    p.id,
                    author,
                    view_type,
                )
            )
    w = demo.writer
    w.copy("data_manager_filtergroup", ("id", "conjunction"), groups)
    w.copy(
        "data_manager_filter", ("id", "column", "operator", "type", "value", "created_at"), filters
    )
    w.copy("data_manager_filtergroup_filters", ("id", "filtergroup_id", "filter_id"), links)
    w.copy(
        "data_manager_view",
        ("id", "data", "created_at", "filter_group_id", "project_id", "user_id", "view_type"),
        views,
    )
