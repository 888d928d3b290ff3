"""The manager dashboard against the demo database, checked against the raw rows.

Every number the widget puts in its ``figures`` trait is recomputed here straight from
PostgreSQL with psycopg and pandas/numpy (and ``krippendorff`` for agreement), never
through the analytics functions the widget uses; so are the DataFrames those overview
functions (``databrewery_lab.analytics.overview*``) give a notebook without the widget.
Navigation is driven the way ``widgets/dashboard.js`` drives it: the same request
messages, replies captured from ``send``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
import psycopg
import pytest

import databrewery_lab as dbl
from databrewery_lab._resources import resource_path
from databrewery_lab.analytics.overview import Overview, key_figures, overview
from databrewery_lab.analytics.overview_activity import (
    agreement_controls,
    annotations_per_period,
    control_agreement,
    label_counts,
    period_frequency,
)
from databrewery_lab.analytics.overview_billing_workforce import (
    invitations_by_status,
    members_by_activity,
    members_by_role,
    monthly_embeddings,
    orders_by_currency,
)
from databrewery_lab.analytics.overview_drilldown import PLACE_COLUMNS, drill_down
from databrewery_lab.analytics.scope import InvalidSelection
from databrewery_lab.demo import fake_secrets
from databrewery_lab.errors import NotFound
from databrewery_lab.widgets.dashboard import (
    CHARTS,
    LEVELS,
    REPLY_KIND,
    REQUEST_KINDS,
    Dashboard,
)

from .analytics_fixtures import read

NORTHWIND = "Northwind Labs"
SUPPORT_OPS = "Support Ops"
SENTIMENT = "Product review sentiment"
TOPICS = "Ticket topic tagging"
SINCE, UNTIL = "2026-08-15", "2026-09-14"  # a bare until includes that day
UNTIL_EXCLUSIVE = "2026-09-15"


@pytest.fixture(scope="module")
def brewery(demo_db: str) -> Iterator[dbl.Brewery]:
    with dbl.connect(demo_db) as connected:
        yield connected


def one(conninfo: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    return read(conninfo, sql, params).iloc[0, 0]


def project_ids(conninfo: str, where: str, params: tuple[Any, ...] = ()) -> list[int]:
    return read(conninfo, f"SELECT id FROM project WHERE {where} ORDER BY id", params)[
        "id"
    ].tolist()


# --------------------------------------------------------------------------- reference


def in_period(frame: pd.DataFrame, since: str | None, until: str | None) -> pd.DataFrame:
    stamps = pd.to_datetime(frame["created_at"], utc=True)
    keep = pd.Series(True, index=frame.index)
    if since:
        keep &= stamps >= pd.Timestamp(since, tz="UTC")
    if until:
        keep &= stamps < pd.Timestamp(until, tz="UTC")
    return frame[keep]


def reference_key(
    conninfo: str, ids: list[int], since: str | None = None, until: str | None = None
) -> dict[str, Any]:
    """The key figures of these projects from the raw rows (``until`` exclusive)."""
    tasks = read(
        conninfo,
        "SELECT t.id, t.project_id, t.is_labeled, t.overlap, p.skip_queue FROM task t "
        "JOIN project p ON p.id = t.project_id WHERE t.project_id = ANY(%s)",
        (ids,),
    )
    work = read(
        conninfo,
        "SELECT a.task_id, a.project_id, a.completed_by_id, a.created_at, a.was_cancelled, "
        "a.lead_time, p.skip_queue FROM task_completion a JOIN project p ON p.id = a.project_id "
        "WHERE a.project_id = ANY(%s)",
        (ids,),
    )
    active = in_period(work, since, until)
    submitted = active[~active["was_cancelled"]]
    lead = submitted["lead_time"].dropna().to_numpy(dtype=float)
    # Remaining: what each task still needs, over all time; the rate is of the period.
    per_task = work.groupby("task_id").agg(
        submitted=("was_cancelled", lambda s: int((~s).sum())),
        skipped=("was_cancelled", lambda s: int(s.sum())),
    )
    need = tasks.merge(per_task, left_on="id", right_index=True, how="left").fillna(
        {"submitted": 0, "skipped": 0}
    )
    ignores = need["skip_queue"] == "IGNORE_SKIPPED"
    done = need["submitted"] + need["skipped"].where(ignores, 0)
    remaining = int(np.maximum(need["overlap"] - done, 0).sum())
    counts = active[~active["was_cancelled"] | (active["skip_queue"] == "IGNORE_SKIPPED")]
    return {
        "projects": len(ids),
        "tasks": len(tasks),
        "labeled_tasks": int(tasks["is_labeled"].sum()),
        "annotations": len(submitted),
        "skipped": int(active["was_cancelled"].sum()),
        "annotators": int(submitted["completed_by_id"].dropna().nunique()),
        "median_lead_time_s": float(np.percentile(lead, 50)) if len(lead) else None,
        "p90_lead_time_s": float(np.percentile(lead, 90)) if len(lead) else None,
        "remaining_annotations": remaining,
        "recent_annotations": len(counts),
    }


def assert_key_matches(key: dict[str, Any], expected: dict[str, Any]) -> None:
    for name in ("projects", "tasks", "labeled_tasks", "annotations", "skipped", "annotators"):
        assert key[name] == expected[name], name
    assert key["queue"] == expected["tasks"] - expected["labeled_tasks"]
    assert key["progress"] == pytest.approx(expected["labeled_tasks"] / expected["tasks"])
    answered = expected["annotations"] + expected["skipped"]
    assert key["skip_rate"] == pytest.approx(expected["skipped"] / answered)
    for name in ("median_lead_time_s", "p90_lead_time_s"):
        assert key[name] == pytest.approx(expected[name], rel=1e-6), name
    assert key["remaining_annotations"] == expected["remaining_annotations"]


def rows_by_title(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["title"]: row for row in table["rows"]}


def table(figures: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [t for t in figures["tables"] if t["name"] == name]
    return found


# --------------------------------------------------------------------------- levels


def test_all_organizations_level(brewery: dbl.Brewery, demo_db: str) -> None:
    dashboard = brewery.dashboard()
    figures = dashboard.figures
    assert dashboard.level == "all" and figures["level"] == "all"
    assert dashboard.breadcrumb == [{"level": "all", "id": None, "title": "All organizations"}]
    assert_key_matches(figures["key"], reference_key(demo_db, project_ids(demo_db, "TRUE")))
    assert figures["key"]["organizations"] == one(demo_db, "SELECT count(*) FROM organization")
    assert figures["notes"] == {}
    expected = read(
        demo_db,
        "SELECT o.title, count(DISTINCT p.id) AS projects, count(t.id) AS tasks, "
        "count(t.id) FILTER (WHERE t.is_labeled) AS labeled_tasks "
        "FROM organization o LEFT JOIN project p ON p.organization_id = o.id "
        "LEFT JOIN task t ON t.project_id = p.id GROUP BY o.title",
    )
    rows = rows_by_title(table(figures, "organizations"))
    assert set(rows) == set(expected["title"])
    for row in expected.itertuples(index=False):
        got = rows[row.title]
        assert (got["projects"], got["tasks"], got["labeled_tasks"]) == (
            row.projects,
            row.tasks,
            row.labeled_tasks,
        )
    assert set(figures["charts"]) == set(CHARTS["all"])


@pytest.mark.parametrize("period", [(None, None), (SINCE, UNTIL)], ids=["all-time", "period"])
def test_organization_level(
    brewery: dbl.Brewery, demo_db: str, period: tuple[str | None, str | None]
) -> None:
    since, until = period
    dashboard = brewery.dashboard(NORTHWIND, since=since, until=until)
    figures = dashboard.figures
    org_id = int(one(demo_db, "SELECT id FROM organization WHERE title = %s", (NORTHWIND,)))
    ids = project_ids(demo_db, "organization_id = %s", (org_id,))
    expected = reference_key(demo_db, ids, since, UNTIL_EXCLUSIVE if until else None)
    assert_key_matches(figures["key"], expected)
    assert figures["key"]["workspaces"] == one(
        demo_db,
        "SELECT count(*) FROM organization_workspaces WHERE organization_id = %s",
        (org_id,),
    )
    assert [p["title"] for p in dashboard.breadcrumb] == ["All organizations", NORTHWIND]
    assert dashboard.period["label"] == ("all time" if since is None else f"{SINCE} – {UNTIL}")

    spaces = read(
        demo_db,
        "SELECT w.title, count(DISTINCT p.id) AS projects, count(t.id) AS tasks "
        "FROM organization_workspaces ow JOIN workspace w ON w.id = ow.workspace_id "
        "LEFT JOIN project p ON p.workspace_id = w.id LEFT JOIN task t ON t.project_id = p.id "
        "WHERE ow.organization_id = %s GROUP BY w.title",
        (org_id,),
    )
    rows = rows_by_title(table(figures, "workspaces"))
    assert {t: (r["projects"], r["tasks"]) for t, r in rows.items()} == {
        r.title: (r.projects, r.tasks) for r in spaces.itertuples(index=False)
    }
    assert sorted(r["id"] for r in table(figures, "projects")["rows"]) == ids
    if since is not None:  # the rate of the period sets the time to finish
        key = figures["key"]
        days = (pd.Timestamp(UNTIL_EXCLUSIVE) - pd.Timestamp(SINCE)).days
        rate = expected["recent_annotations"] / days
        assert key["annotations_per_day"] == pytest.approx(rate)
        assert key["days_to_finish"] == pytest.approx(expected["remaining_annotations"] / rate)
        assert key["expected_finish"].startswith("20")


def test_organization_billing_and_workforce(brewery: dbl.Brewery, demo_db: str) -> None:
    charts = brewery.dashboard(NORTHWIND).figures["charts"]
    org_id = int(one(demo_db, "SELECT id FROM organization WHERE title = %s", (NORTHWIND,)))
    embeddings = charts["billing"]["embeddings"]
    assert charts["billing"]["ok"] and embeddings["ok"]
    billed = read(
        demo_db,
        "SELECT b.month, b.created_at, b.embeddings_count, b.embeddings_cost "
        "FROM workspaces_workspacebillingembeddings b JOIN organization_workspaces ow "
        "ON ow.workspace_id = b.workspace_id WHERE ow.organization_id = %s",
        (org_id,),
    )
    assert embeddings["total_count"] == int(billed["embeddings_count"].sum())
    assert embeddings["total_cost"] == pytest.approx(float(billed["embeddings_cost"].sum()))
    assert sum(embeddings["count"]) == embeddings["total_count"]
    assert embeddings["months"] == sorted(embeddings["months"])

    orders = read(
        demo_db,
        "SELECT c.code, count(*) AS orders, sum(o.total_cost)::float8 AS cost "
        "FROM workflow_helpers_order o JOIN workflow_helpers_currency c ON c.id = o.currency_id "
        "WHERE o.organization_id = %s GROUP BY c.code",
        (org_id,),
    )
    panels = {p["currency"]: p for p in charts["billing"]["orders"]["currencies"]}
    assert set(panels) == set(orders["code"])
    for row in orders.itertuples(index=False):
        panel = panels[row.code]
        assert panel["total_orders"] == row.orders
        assert panel["total_cost"] == pytest.approx(row.cost)
        assert sum(sum(v) for v in panel["orders"].values()) == row.orders

    workforce = charts["workforce"]
    members = one(
        demo_db,
        "SELECT count(DISTINCT user_id) FROM organizations_organizationmember "
        "WHERE organization_id = %s AND deleted_at IS NULL",
        (org_id,),
    )
    assert workforce["members"]["members"] == members
    assert sum(r["members"] for r in workforce["members"]["roles"]) == members
    assert sum(w["members"] for w in workforce["activity"]["windows"]) == members
    invites = read(
        demo_db,
        "SELECT CASE WHEN expired THEN 'expired' WHEN max_uses IS NOT NULL "
        "AND use_count >= max_uses THEN 'used up' ELSE 'open' END AS status, count(*) AS n "
        "FROM users_invitation WHERE organization_id = %s GROUP BY 1",
        (org_id,),
    )
    statuses = {s["status"]: s["invitations"] for s in workforce["invitations"]["statuses"]}
    assert statuses == dict(zip(invites["status"], invites["n"], strict=True))


def test_workspace_level(brewery: dbl.Brewery, demo_db: str) -> None:
    dashboard = brewery.dashboard(workspace=SUPPORT_OPS)
    space_id = int(one(demo_db, "SELECT id FROM workspace WHERE title = %s", (SUPPORT_OPS,)))
    ids = project_ids(demo_db, "workspace_id = %s", (space_id,))
    assert len(ids) > 1
    assert_key_matches(dashboard.figures["key"], reference_key(demo_db, ids))
    assert [p["title"] for p in dashboard.breadcrumb] == [
        "All organizations",
        NORTHWIND,
        SUPPORT_OPS,
    ]
    projects = table(dashboard.figures, "projects")
    assert [r["id"] for r in projects["rows"]] == ids and projects["level"] == "project"
    embeddings = dashboard.figures["charts"]["billing"]["embeddings"]
    billed = one(
        demo_db,
        "SELECT sum(embeddings_count) FROM workspaces_workspacebillingembeddings "
        "WHERE workspace_id = %s",
        (space_id,),
    )
    assert embeddings["total_count"] == billed
    assert "orders" not in dashboard.figures["charts"]["billing"]


def choice_reference(conninfo: str, project_id: int, control: str) -> pd.DataFrame:
    """task, annotator, first choice of the latest submitted annotation answering or not."""
    rows = read(
        conninfo,
        "SELECT id, task_id, completed_by_id, result FROM task_completion "
        "WHERE project_id = %s AND NOT was_cancelled AND completed_by_id IS NOT NULL",
        (project_id,),
    )
    latest = rows.sort_values("id").groupby(["task_id", "completed_by_id"]).tail(1)
    values = []
    for result in latest["result"]:
        answer = [
            item["value"]["choices"][0]
            for item in result or []
            if item.get("from_name") == control and item.get("type") == "choices"
        ]
        values.append(answer[0] if answer else None)
    return latest.assign(value=values).dropna(subset=["value"])


def choices_given(conninfo: str, project_id: int, control: str) -> pd.Series:
    """How often each choice of ``control`` was given in submitted annotations."""
    results = read(
        conninfo,
        "SELECT result FROM task_completion WHERE project_id = %s AND NOT was_cancelled",
        (project_id,),
    )["result"]
    return pd.Series(
        [
            choice
            for result in results
            for item in result or []
            if item.get("from_name") == control and item.get("type") == "choices"
            for choice in item["value"]["choices"]
        ]
    ).value_counts()


def nominal_alpha(ratings: pd.DataFrame) -> float:
    """Krippendorff's alpha (the reference library) of choice_reference() ratings."""
    matrix = ratings.pivot(index="completed_by_id", columns="task_id", values="value")
    codes = {label: i for i, label in enumerate(sorted(ratings["value"].unique()))}
    numeric = matrix.apply(lambda col: col.map(codes)).to_numpy(dtype=float)
    return float(krippendorff.alpha(reliability_data=numeric, level_of_measurement="nominal"))


def test_project_level_labels_and_agreement(brewery: dbl.Brewery, demo_db: str) -> None:
    dashboard = brewery.dashboard(project=SENTIMENT)
    figures = dashboard.figures
    pid = int(one(demo_db, "SELECT id FROM project WHERE title = %s", (SENTIMENT,)))
    assert_key_matches(figures["key"], reference_key(demo_db, [pid]))
    assert figures["tables"] == []
    assert [p["level"] for p in dashboard.breadcrumb] == [
        "all",
        "organization",
        "workspace",
        "project",
    ]

    # Label distribution: every choice of every submitted annotation.
    given = choices_given(demo_db, pid, "sentiment")
    (control,) = figures["charts"]["labels"]["controls"]
    assert control["control"] == "sentiment" and control["total"] == int(given.sum())
    assert {lab["label"]: lab["count"] for lab in control["labels"] if lab["count"]} == {
        str(k): int(v) for k, v in given.items()
    }

    # Agreement headline: Krippendorff's alpha (the reference library) and pair agreement.
    ratings = choice_reference(demo_db, pid, "sentiment")
    alpha = nominal_alpha(ratings)
    shares = []
    for _task, values in ratings.groupby("task_id")["value"]:
        if len(values) > 1:
            counts = values.value_counts()
            shares.append(float((counts * (counts - 1)).sum() / (len(values) * (len(values) - 1))))
    agreement = figures["charts"]["agreement"]
    assert agreement["ok"] and agreement["applicable"]
    (headline,) = agreement["controls"]
    metrics = {m["metric"]: m for m in headline["metrics"]}
    assert metrics["krippendorff_alpha"]["value"] == pytest.approx(alpha, abs=1e-9)
    assert metrics["krippendorff_alpha"]["n_items"] == len(shares)
    assert metrics["percent_agreement"]["value"] == pytest.approx(np.mean(shares), abs=1e-9)
    assert metrics["percent_agreement"]["n_annotators"] == ratings["completed_by_id"].nunique()


def test_over_time_and_throughput_follow_the_rows(brewery: dbl.Brewery, demo_db: str) -> None:
    figures = brewery.dashboard(project=TOPICS, since=SINCE, until=UNTIL).figures
    pid = int(one(demo_db, "SELECT id FROM project WHERE title = %s", (TOPICS,)))
    work = in_period(
        read(
            demo_db,
            "SELECT a.created_at, a.was_cancelled, u.email FROM task_completion a "
            "JOIN htx_user u ON u.id = a.completed_by_id WHERE a.project_id = %s",
            (pid,),
        ),
        SINCE,
        UNTIL_EXCLUSIVE,
    )
    over = figures["charts"]["over_time"]
    assert over["freq"] == "day"  # a month's period is drawn per day
    days = pd.to_datetime(work["created_at"], utc=True).dt.strftime("%Y-%m-%d")
    per_day = work.assign(day=days).groupby("day")["was_cancelled"]
    expected = {day: int((~flags).sum()) for day, flags in per_day}
    got = dict(zip(over["periods"], over["annotations"], strict=True))
    assert {d: n for d, n in got.items() if n} == {d: n for d, n in expected.items() if n}
    assert sum(over["skips"]) == int(work["was_cancelled"].sum())
    assert over["periods"] == sorted(over["periods"])  # every day, gaps filled with 0
    assert (
        len(over["periods"])
        == (pd.Timestamp(max(over["periods"])) - pd.Timestamp(min(over["periods"]))).days + 1
    )

    throughput = figures["charts"]["throughput"]
    submitted = work[~work["was_cancelled"]]["email"].value_counts()
    assert throughput["total"] == work["email"].nunique()
    top = throughput["rows"][0]
    assert (top["annotator"], top["annotations"]) == (submitted.index[0], int(submitted.iloc[0]))
    assert [r["annotations"] for r in throughput["rows"]] == sorted(
        (r["annotations"] for r in throughput["rows"]), reverse=True
    )


# --------------------------------------------------------------------------- without the widget


def test_the_overview_of_a_place_gives_plain_numbers_and_frames(
    brewery: dbl.Brewery, demo_db: str
) -> None:
    space_id = int(one(demo_db, "SELECT id FROM workspace WHERE title = %s", (SUPPORT_OPS,)))
    space = overview(brewery, workspace=SUPPORT_OPS, since=SINCE, until=UNTIL)
    assert (space.level, space.place_id) == ("workspace", space_id)
    ids = project_ids(demo_db, "workspace_id = %s", (space_id,))
    figures = key_figures(space)
    assert figures.notes == {}
    assert_key_matches(figures.values, reference_key(demo_db, ids, SINCE, UNTIL_EXCLUSIVE))
    assert figures.values["rate_window_end"] == pd.Timestamp(UNTIL_EXCLUSIVE, tz="UTC")
    assert list(drill_down(space)) == ["projects"]
    assert drill_down(space)["projects"]["project_id"].tolist() == ids

    org_id = int(one(demo_db, "SELECT id FROM organization WHERE title = %s", (NORTHWIND,)))
    tables = drill_down(overview(brewery, organization=org_id))
    assert list(tables) == ["workspaces", "projects"]
    spaces = tables["workspaces"]
    assert list(spaces.columns) == list(PLACE_COLUMNS)
    expected = read(
        demo_db,
        "SELECT w.id, w.title, count(DISTINCT p.id) AS projects, count(t.id) AS tasks, "
        "count(t.id) FILTER (WHERE t.is_labeled) AS labeled_tasks "
        "FROM organization_workspaces ow JOIN workspace w ON w.id = ow.workspace_id "
        "LEFT JOIN project p ON p.workspace_id = w.id LEFT JOIN task t ON t.project_id = p.id "
        "WHERE ow.organization_id = %s GROUP BY w.id, w.title ORDER BY w.id",
        (org_id,),
    )
    columns = ["id", "title", "projects", "tasks", "labeled_tasks"]
    assert spaces[columns].to_dict("records") == expected[columns].to_dict("records")
    np.testing.assert_allclose(
        spaces["progress"].astype(float), expected["labeled_tasks"] / expected["tasks"]
    )


def test_the_overview_charts_as_frames(brewery: dbl.Brewery, demo_db: str) -> None:
    topics = overview(brewery, project=TOPICS, since=SINCE, until=UNTIL)
    pid = int(one(demo_db, "SELECT id FROM project WHERE title = %s", (TOPICS,)))
    work = in_period(
        read(
            demo_db,
            "SELECT created_at, was_cancelled FROM task_completion WHERE project_id = %s",
            (pid,),
        ),
        SINCE,
        UNTIL_EXCLUSIVE,
    )
    day = pd.to_datetime(work["created_at"], utc=True).dt.tz_localize(None).dt.floor("D")
    per_day = work.assign(period=day).groupby("period")["was_cancelled"]
    expected = pd.DataFrame(
        {"annotations": per_day.apply(lambda s: int((~s).sum())), "skips": per_day.sum()}
    )
    expected = expected.reindex(
        pd.date_range(expected.index.min(), expected.index.max(), freq="D"), fill_value=0
    )
    assert period_frequency(topics) == "day"
    ours = annotations_per_period(topics)
    assert list(ours.columns) == ["period", "annotations", "skips"]
    assert ours["period"].tolist() == expected.index.tolist()
    assert ours["annotations"].tolist() == expected["annotations"].tolist()
    assert ours["skips"].astype(int).tolist() == expected["skips"].astype(int).tolist()
    weeks = annotations_per_period(topics, "week")
    assert weeks["annotations"].sum() == expected["annotations"].sum()

    sentiment = overview(brewery, project=SENTIMENT)
    sentiment_id = int(one(demo_db, "SELECT id FROM project WHERE title = %s", (SENTIMENT,)))
    counts = label_counts(sentiment)
    given = choices_given(demo_db, sentiment_id, "sentiment")
    assert set(counts["control"]) == {"sentiment"}
    used = counts[counts["count"] > 0]
    assert dict(zip(used["label"], used["count"], strict=True)) == given.to_dict()
    assert counts["in_config"].iloc[0] and counts["position"].iloc[0] == 0
    (control,) = agreement_controls(sentiment)
    headline = control_agreement(sentiment, control).set_index("metric")
    ratings = choice_reference(demo_db, sentiment_id, "sentiment")
    assert headline.loc["krippendorff_alpha", "value"] == pytest.approx(
        nominal_alpha(ratings), abs=1e-9
    )
    assert headline.loc["krippendorff_alpha", "n_annotators"] == (
        ratings["completed_by_id"].nunique()
    )


def test_the_overview_billing_and_workforce_frames(brewery: dbl.Brewery, demo_db: str) -> None:
    org_id = int(one(demo_db, "SELECT id FROM organization WHERE title = %s", (NORTHWIND,)))
    org = overview(brewery, organization=NORTHWIND)
    billed = read(
        demo_db,
        "SELECT b.month, b.embeddings_count, b.embeddings_cost::float8 AS cost "
        "FROM workspaces_workspacebillingembeddings b JOIN organization_workspaces ow "
        "ON ow.workspace_id = b.workspace_id WHERE ow.organization_id = %s",
        (org_id,),
    )
    per_month = billed.assign(month=pd.to_datetime(billed["month"], format="%Y-%m"))
    per_month = per_month.groupby("month")[["embeddings_count", "cost"]].sum()
    months = monthly_embeddings(org)
    assert months["month"].tolist() == per_month.index.tolist()
    assert months["embeddings_count"].tolist() == per_month["embeddings_count"].tolist()
    np.testing.assert_allclose(months["embeddings_cost"], per_month["cost"])

    orders = read(
        demo_db,
        "SELECT c.code, o.status, o.created_at, o.total_cost::float8 AS cost "
        "FROM workflow_helpers_order o JOIN workflow_helpers_currency c ON c.id = o.currency_id "
        "WHERE o.organization_id = %s",
        (org_id,),
    )
    month = pd.to_datetime(orders["created_at"], utc=True).dt.tz_localize(None)
    cells = orders.assign(period=month.dt.to_period("M").dt.start_time)
    cells = cells.groupby(["code", "period", "status"])["cost"].agg(["size", "sum"])
    panels = orders_by_currency(org)
    totals = [panel.total_orders for panel in panels]
    assert totals == sorted(totals, reverse=True)
    for panel in panels:
        counted = panel.orders.stack()
        counted = counted[counted > 0]
        want = cells.loc[panel.currency]
        assert counted.to_dict() == want["size"].to_dict(), panel.currency
        np.testing.assert_allclose(panel.cost.stack()[counted.index], want["sum"][counted.index])
        assert panel.total_orders == int(want["size"].sum())

    members = read(
        demo_db,
        "SELECT id, user_id, role, deleted_at IS NULL AS live "
        "FROM organizations_organizationmember WHERE organization_id = %s",
        (org_id,),
    )
    latest = members.sort_values(["live", "id"]).groupby("user_id").tail(1)  # live ones last
    want_roles = latest.groupby("role")["live"].agg(members="sum", former=lambda s: int((~s).sum()))
    roles = members_by_role(org).set_index("role")
    assert roles["members"].to_dict() == want_roles["members"].to_dict()
    assert roles["former_members"].to_dict() == want_roles["former"].to_dict()
    assert roles["members"].is_monotonic_decreasing
    assert members_by_activity(org)["members"].sum() == int(latest["live"].sum())

    invites = read(
        demo_db, "SELECT use_count FROM users_invitation WHERE organization_id = %s", (org_id,)
    )
    statuses = invitations_by_status(org)
    assert statuses["invitations"].sum() == len(invites)
    assert statuses["uses"].sum() == invites["use_count"].sum()


def test_an_overview_is_of_one_place(brewery: dbl.Brewery) -> None:
    with pytest.raises(InvalidSelection, match="one place"):
        overview(brewery, organization=NORTHWIND, project=SENTIMENT)
    with pytest.raises(InvalidSelection, match="one project"):
        overview(brewery, project=[SENTIMENT, TOPICS])  # type: ignore[arg-type]
    with pytest.raises(NotFound, match=r"No workspace 'Nowhere'.*Support Ops"):
        overview(brewery, workspace="Nowhere")
    with pytest.raises(InvalidSelection, match="swap them"):
        overview(brewery, since="2026-09-30", until="2026-09-01")
    with pytest.raises(InvalidSelection, match="level='galaxy'"):
        Overview(brewery, "galaxy", 1)
    with pytest.raises(InvalidSelection, match="takes the id"):
        Overview(brewery, "project")
    with pytest.raises(InvalidSelection, match="belong to organizations"):
        members_by_role(overview(brewery, project=SENTIMENT))
    every = overview(brewery)
    assert (every.level, every.place_id) == ("all", None) and "all" in repr(every)


# --------------------------------------------------------------------------- navigation


@dataclass
class Driver:
    """Plays the front end: sends requests, keeps the replies."""

    widget: Dashboard
    replies: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0

    def __post_init__(self) -> None:
        self.widget.send = lambda content, buffers=None: self.replies.append(content)  # type: ignore[method-assign]

    def request(self, kind: str, **payload: Any) -> dict[str, Any]:
        self.counter += 1
        request_id = f"r{self.counter}"
        self.widget._handle_message(
            self.widget, {"kind": kind, "request_id": request_id, **payload}, []
        )
        reply = self.replies[-1]
        assert reply["kind"] == REPLY_KIND and reply["request_id"] == request_id
        return reply


def test_drill_down_and_back_up_with_messages(brewery: dbl.Brewery, demo_db: str) -> None:
    driver = Driver(brewery.dashboard())
    w = driver.widget
    orgs = rows_by_title(table(w.figures, "organizations"))
    assert driver.request("open", level="organization", id=orgs[NORTHWIND]["id"])["ok"]
    assert (w.level, w.status, w.error) == ("organization", "ready", "")
    spaces = rows_by_title(table(w.figures, "workspaces"))
    assert driver.request("open", level="workspace", id=spaces[SUPPORT_OPS]["id"])["ok"]
    assert w.location["workspace_id"] == spaces[SUPPORT_OPS]["id"]
    projects = rows_by_title(table(w.figures, "projects"))
    assert driver.request("open", level="project", id=projects[TOPICS]["id"])["ok"]
    assert w.location == {
        "level": "project",
        "organization_id": orgs[NORTHWIND]["id"],
        "workspace_id": spaces[SUPPORT_OPS]["id"],
        "project_id": projects[TOPICS]["id"],
    }
    assert w.computed["level"] == "project" and w.computed["request_id"] == "r3"
    assert set(w.figures["charts"]) == set(CHARTS["project"])

    assert driver.request("up")["ok"] and w.level == "workspace"
    assert driver.request("open", level="organization", id=orgs[NORTHWIND]["id"])["ok"]
    assert w.level == "organization"
    assert driver.request("open", level="all", id=None)["ok"] and w.level == "all"

    assert driver.request("period", since=SINCE, until=UNTIL)["ok"]
    assert w.period == {"since": SINCE, "until": UNTIL, "label": f"{SINCE} – {UNTIL}"}
    assert w.figures["period"] == w.period
    assert driver.request("period", since=None, until=None)["ok"]
    assert w.period["label"] == "all time"


def test_failed_moves_keep_the_page_and_say_why(brewery: dbl.Brewery) -> None:
    driver = Driver(brewery.dashboard(NORTHWIND))
    w = driver.widget
    before = dict(w.figures)
    reply = driver.request("open", level="project", id=987654)
    assert not reply["ok"] and "987654" in reply["error"]
    assert (w.status, w.error) == ("error", reply["error"])
    assert w.level == "organization" and w.figures == before
    assert driver.request("refresh")["ok"]
    assert (w.status, w.error) == ("ready", "")

    reply = driver.request("period", since="2026-09-30", until="2026-09-01")
    assert not reply["ok"] and "swap them" in reply["error"]
    assert w.period["label"] == "all time"
    for bad in (
        {"kind": "open", "level": "galaxy", "id": 1},
        {"kind": "open", "level": "project", "id": True},
        {"kind": "open", "level": "project", "id": "1"},
        {"kind": "period", "since": 20260901},
        {"kind": "explode"},
    ):
        reply = driver.request(**bad)
        assert not reply["ok"] and reply["error"]
    assert w.level == "organization"


def test_unknown_places_raise_clear_errors(brewery: dbl.Brewery, demo_db: str) -> None:
    with pytest.raises(NotFound, match=r"No project 987654"):
        brewery.dashboard(project=987654)
    with pytest.raises(NotFound, match=r"No organization 'Nowhere'.*Northwind Labs"):
        brewery.dashboard("Nowhere")
    with pytest.raises(NotFound, match=r"No workspace 'Nowhere'.*Support Ops"):
        brewery.dashboard(workspace="Nowhere")
    elsewhere = "organization_id <> (SELECT id FROM organization WHERE title = %s)"
    pilot = project_ids(demo_db, elsewhere, (NORTHWIND,))[0]
    with pytest.raises(InvalidSelection, match=r"not in organization 'Northwind Labs'"):
        brewery.dashboard(NORTHWIND, project=pilot)
    with pytest.raises(InvalidSelection, match=r"not in workspace 'Support Ops'"):
        brewery.dashboard(workspace=SUPPORT_OPS, project=SENTIMENT)
    with pytest.raises(InvalidSelection, match=r"one organization"):
        brewery.dashboard([1, 2])  # type: ignore[arg-type]
    with pytest.raises(InvalidSelection, match=r"swap them"):
        brewery.dashboard(since="2026-09-30", until="2026-09-01")
    with pytest.raises(TypeError):
        brewery.dashboard(team="x")  # type: ignore[call-arg]
    dashboard = brewery.dashboard(NORTHWIND)
    with pytest.raises(NotFound):
        dashboard.navigate(project=987654)
    assert dashboard.level == "organization"


def test_state_is_json_and_holds_no_secret(brewery: dbl.Brewery) -> None:
    secrets = fake_secrets()
    assert secrets
    for dashboard in (
        brewery.dashboard(),
        brewery.dashboard(NORTHWIND),
        brewery.dashboard(workspace=SUPPORT_OPS),
        brewery.dashboard(project=SENTIMENT),
    ):
        state = {
            name: getattr(dashboard, name)
            for name in ("location", "breadcrumb", "period", "figures", "computed", "error")
        }
        text = json.dumps(state, allow_nan=False)
        assert [s for s in secrets if s in text] == []
        assert "Dashboard" in repr(dashboard)


# --------------------------------------------------------------------------- odd shapes


EDGE_ROWS = """
INSERT INTO organization (id, title) VALUES (1, 'Empty org'), (2, 'Loose org');
INSERT INTO workspace (id, title) VALUES (1, 'Empty space');
INSERT INTO organization_workspaces (organization_id, workspace_id) VALUES (1, 1);
INSERT INTO project (id, title, organization_id, workspace_id, label_config)
VALUES (1, 'Loose project', 2, NULL, NULL);
"""


@pytest.fixture(scope="module")
def edge_db(make_database: Callable[..., str]) -> str:
    conninfo = make_database(schema=True)
    with psycopg.connect(conninfo) as conn:
        conn.execute(EDGE_ROWS)
    return conninfo


def test_empty_organization_and_project_without_workspace(edge_db: str) -> None:
    with dbl.connect(edge_db) as brewery:
        empty = brewery.dashboard("Empty org").figures
        assert empty["key"]["projects"] == 0 and empty["key"]["tasks"] == 0
        assert empty["key"]["progress"] is None and empty["key"]["annotators"] == 0
        assert table(empty, "projects")["rows"] == []
        (space,) = table(empty, "workspaces")["rows"]
        assert (space["title"], space["projects"], space["tasks"]) == ("Empty space", 0, 0)
        assert empty["charts"]["over_time"]["periods"] == []

        dashboard = brewery.dashboard(project="Loose project")
        assert [p["title"] for p in dashboard.breadcrumb] == [
            "All organizations",
            "Loose org",
            "Loose project",
        ]
        # A project without a label config: that section says so, the rest still shows.
        for section in ("labels", "agreement"):
            chart = dashboard.figures["charts"][section]
            assert not chart["ok"] and "label config is empty" in chart["error"], section
        assert dashboard.figures["charts"]["over_time"]["ok"]
        dashboard.up()
        assert dashboard.level == "organization"
        assert [r["title"] for r in table(dashboard.figures, "projects")["rows"]] == [
            "Loose project"
        ]


# --------------------------------------------------------------------------- the front end

JS = resource_path("widgets/dashboard.js")
CSS = resource_path("widgets/dashboard.css")


def test_protocol_twins_are_declared_on_both_sides() -> None:
    source = JS.read_text()
    found = re.search(r"const REQUEST = Object\.freeze\(\{(.*?)\}\);", source, re.S)
    assert found, "REQUEST is not declared in dashboard.js"
    assert sorted(re.findall(r'\w+: "([a-z_]+)"', found.group(1))) == sorted(REQUEST_KINDS)
    assert re.search(rf'const REPLY = "{REPLY_KIND}";', source)
    levels = re.search(r"const LEVELS = \[(.*?)\];", source)
    assert levels and re.findall(r'"(\w+)"', levels.group(1)) == list(LEVELS)
    renderers = source[source.index("const CHART_RENDERERS = {") :]
    for chart in {c for charts in CHARTS.values() for c in charts}:
        assert re.search(rf"^  {chart}: \{{", renderers, re.M), chart
    handlers = {name[len("_on_") :] for name in vars(Dashboard) if name.startswith("_on_")}
    assert handlers == set(REQUEST_KINDS)


def test_the_front_end_is_offline_plain_javascript() -> None:
    source = JS.read_text()
    assert str(Dashboard._esm).strip() == source.strip()
    assert str(Dashboard._css).strip() == CSS.read_text().strip()
    assert "export default" in source
    assert not re.search(r"^\s*import\s", source, re.M) and "import(" not in source
    assert not re.search(r"\bfetch\(|XMLHttpRequest|WebSocket\(|innerHTML", source)
    urls = set(re.findall(r"https?://[^\s\"']+", source + CSS.read_text()))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace name, never fetched
    node = shutil.which("node")
    if node is not None:  # the browser tests load the module for real either way
        checked = subprocess.run([node, "--check", str(JS)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
