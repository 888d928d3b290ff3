"""Workforce metrics against an independent psycopg + pandas computation over the raw rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest

import databrewery_lab as dbl
from databrewery_lab.analytics import workforce
from databrewery_lab.analytics.frames import MetricFrame
from databrewery_lab.analytics.scope import InvalidSelection

from .analytics_fixtures import assert_no_secrets as assert_no_demo_secrets
from .analytics_fixtures import read

AS_OF = datetime(2026, 10, 1, tzinfo=UTC)
SECRET_COLUMN_NAMES = {"password", "token", "uuid", "invitation_link", "key", "account_number"}


@pytest.fixture(scope="module")
def brewery(demo_db: str) -> Iterator[dbl.Brewery]:
    with dbl.connect(demo_db) as connected:
        yield connected


def assert_no_secrets(frame: MetricFrame) -> None:
    assert_no_demo_secrets(frame)
    assert SECRET_COLUMN_NAMES.isdisjoint(frame.columns)


def same(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """Equal as tables: same rows (by ``keys``) and values, whatever the order."""
    columns = list(expected.columns)
    left = actual[columns].sort_values(keys).reset_index(drop=True)
    right = expected.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False, check_exact=False, rtol=1e-9)


# --------------------------------------------------------------------------- members


def test_organization_members_equal_the_raw_rows(brewery: dbl.Brewery, demo_db: str) -> None:
    raw = read(
        demo_db,
        "SELECT m.id, m.organization_id, o.title AS organization, m.user_id, m.role, "
        "m.role_type, m.deleted_at, u.is_active FROM organizations_organizationmember m "
        "JOIN organization o ON o.id = m.organization_id JOIN htx_user u ON u.id = m.user_id",
    )
    raw["current"] = raw["deleted_at"].isna()
    latest = raw.sort_values(["current", "id"]).groupby(["organization_id", "user_id"]).last()
    latest["active"] = latest["current"] & latest["is_active"]
    latest["former"] = ~latest["current"]
    expected = latest.groupby(
        ["organization_id", "organization", "role", "role_type"], as_index=False
    ).agg(
        members=("current", "sum"),
        active_accounts=("active", "sum"),
        former_members=("former", "sum"),
    )
    frame = workforce.organization_members(brewery)
    same(frame, expected, ["organization_id", "role", "role_type"])
    assert frame["former_members"].sum() == 1  # the demo's annotator who left

    pilot = workforce.organization_members(brewery, "Bluefin Analytics")
    assert set(pilot["organization_id"]) == {2} and pilot["members"].sum() == 5

    figure = frame.plot()
    assert [t.name for t in figure.data] == sorted(frame["role"].unique())
    assert sum(sum(t.y) for t in figure.data) == frame["members"].sum()
    assert_no_secrets(frame)


def test_group_members_equal_the_raw_rows(brewery: dbl.Brewery, demo_db: str) -> None:
    raw = read(
        demo_db,
        'SELECT g.organization_id, o.title AS organization, g.id AS group_id, g.title AS "group", '
        "gm.role, gm.user_id FROM user_group g JOIN organization o ON o.id = g.organization_id "
        "JOIN user_group_membership gm ON gm.group_id = g.id",
    )
    expected = raw.groupby(
        ["organization_id", "organization", "group_id", "group", "role"], as_index=False
    ).agg(members=("user_id", "nunique"))
    frame = workforce.group_members(brewery)
    same(frame, expected, ["group_id", "role"])

    main = workforce.group_members(brewery, 1)
    assert "Pilot crew" not in set(main["group"]) and len(main) == len(frame) - 1
    figure = frame.plot()
    assert [t.name for t in figure.data] == sorted(frame["role"].unique())
    assert_no_secrets(frame)


def test_an_empty_group_keeps_a_row(make_database: Callable[..., str]) -> None:
    conninfo = make_database(schema=True)
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "INSERT INTO organization (id, title) VALUES (1, 'O');"
            "INSERT INTO user_group (id, title, organization_id) VALUES (1, 'Nobody yet', 1)"
        )
    with dbl.connect(conninfo) as brewery:
        frame = workforce.group_members(brewery)
    assert frame[["group", "members"]].values.tolist() == [["Nobody yet", 0]]
    assert pd.isna(frame["role"].iloc[0])
    assert list(frame.plot().data) == []


# --------------------------------------------------------------------------- activity


def _activity_reference(
    demo_db: str, work_where: str = "TRUE", params: tuple[Any, ...] = ()
) -> pd.DataFrame:
    members = read(
        demo_db,
        "SELECT m.id, m.organization_id, o.title AS organization, m.user_id, m.role "
        "FROM organizations_organizationmember m JOIN organization o "
        "ON o.id = m.organization_id WHERE m.deleted_at IS NULL",
    )
    members = (
        members.sort_values("id").groupby(["organization_id", "user_id"], as_index=False).last()
    )
    users = read(
        demo_db,
        "SELECT u.id AS user_id, u.username, u.is_active, u.last_login, u.last_activity, "
        "u.consecutive_login_days, p.annotations_time_spent FROM htx_user u "
        "LEFT JOIN user_profile_newuserprofile p ON p.user_id = u.id",
    )
    work = read(
        demo_db,
        "SELECT a.completed_by_id AS user_id, p.organization_id FROM task_completion a "
        f"JOIN project p ON p.id = a.project_id WHERE NOT a.was_cancelled AND {work_where}",
        params,
    )
    counts = work.groupby(["user_id", "organization_id"]).size().rename("annotations")
    frame = members.drop(columns="id").merge(users, on="user_id")
    frame = frame.merge(
        counts, left_on=["user_id", "organization_id"], right_index=True, how="left"
    )
    frame["annotations"] = frame["annotations"].fillna(0).astype(int)
    age = pd.Timestamp(AS_OF) - frame["last_activity"]
    frame["days_since_activity"] = np.maximum(age.dt.total_seconds() / 86400, 0)
    frame["activity_window"] = np.select(
        [age <= pd.Timedelta(days=d) for _, d in workforce.ACTIVITY_WINDOWS],
        [label for label, _ in workforce.ACTIVITY_WINDOWS],
        workforce.OLDER_ACTIVITY,
    )
    frame["annotations_time_spent"] = frame["annotations_time_spent"].astype(float)
    return frame


def test_member_activity_equals_the_raw_rows(brewery: dbl.Brewery, demo_db: str) -> None:
    expected = _activity_reference(demo_db)
    frame = workforce.member_activity(brewery, as_of=AS_OF)
    columns = [
        "organization_id",
        "user_id",
        "username",
        "role",
        "is_active",
        "days_since_activity",
        "activity_window",
        "consecutive_login_days",
        "annotations_time_spent",
        "annotations",
    ]
    same(frame, expected[columns], ["organization_id", "user_id"])
    assert (
        frame["last_activity"]
        == expected.sort_values(["organization_id", "user_id"])["last_activity"].to_numpy()
    ).all()
    assert len(frame) == 30  # 31 memberships, one of them deleted
    assert set(frame["activity_window"]) <= {w for w, _ in workforce.ACTIVITY_WINDOWS}
    # the default reference instant is the database's now: later than the demo's anchor
    later = workforce.member_activity(brewery)
    assert (later["days_since_activity"] > frame["days_since_activity"]).all()


def test_member_activity_follows_the_selection(brewery: dbl.Brewery, demo_db: str) -> None:
    expected = _activity_reference(
        demo_db,
        "a.project_id = %s AND a.created_at >= %s AND a.created_at < %s",
        (1, "2026-09-01T00:00:00+00:00", "2026-09-08T00:00:00+00:00"),
    )
    people = ["zoe.kaur", "tara.ali", 28]
    frame = workforce.member_activity(
        brewery, 1, since="2026-09-01", until="2026-09-07", annotators=people, as_of=AS_OF
    )
    # project 1 belongs to Northwind Labs: user 28 (Bluefin) is not one of its members
    wanted = expected[expected["username"].isin(["zoe.kaur", "tara.ali"])]
    same(frame, wanted[["user_id", "annotations", "activity_window"]], ["user_id"])
    assert frame["annotations"].sum() > 0
    pilot = workforce.member_activity(brewery, organization="Bluefin Analytics", as_of=AS_OF)
    assert set(pilot["organization_id"]) == {2} and len(pilot) == 5


def test_member_activity_figure_has_a_trace_per_role(brewery: dbl.Brewery) -> None:
    frame = workforce.member_activity(brewery, as_of=AS_OF)
    figure = frame.plot()
    assert [t.name for t in figure.data] == sorted(frame["role"].unique())
    assert all(t.type == "scatter" for t in figure.data)
    annotators = next(t for t in figure.data if t.name == "annotator")
    assert len(annotators.x) == (frame["role"] == "annotator").sum()
    assert max(annotators.y) == pytest.approx(
        frame.query("role == 'annotator'")["annotations_time_spent"].max() / 3600
    )
    assert_no_secrets(frame)


# --------------------------------------------------------------------------- invitations


def test_invitations_equal_the_raw_rows(brewery: dbl.Brewery, demo_db: str) -> None:
    raw = read(
        demo_db,
        "SELECT i.id AS invitation_id, i.organization_id, i.created_at, i.expired, "
        "i.max_uses, i.use_count, i.defaults, i.can_manage_billing, u.username AS created_by, "
        "(SELECT count(*) FROM users_invitationgroupmember x WHERE x.invitation_id = i.id) "
        "  AS groups, "
        "(SELECT count(*) FROM users_invitationprojectmember x WHERE x.invitation_id = i.id) "
        "  AS projects, "
        "(SELECT count(*) FROM users_invitationworkspacemember x WHERE x.invitation_id = i.id) "
        "  AS workspaces "
        "FROM users_invitation i LEFT JOIN htx_user u ON u.id = i.created_by_id",
    )
    raw["role"] = raw["defaults"].map(lambda d: d.get("role"))
    raw["remaining_uses"] = (raw["max_uses"] - raw["use_count"]).clip(lower=0)
    raw["usage"] = raw["use_count"] / raw["max_uses"]
    raw["status"] = np.where(
        raw["expired"], "expired", np.where(raw["use_count"] >= raw["max_uses"], "used up", "open")
    )
    expected = raw.drop(columns="defaults")
    frame = workforce.invitations(brewery)
    same(frame, expected, ["invitation_id"])
    assert set(frame["status"]) == {"expired", "used up", "open"}

    recent = workforce.invitations(brewery, "Northwind Labs", since="2026-08-01")
    assert recent["invitation_id"].tolist() == [4, 3, 2, 1]  # oldest first
    figure = frame.plot()
    assert [t.name for t in figure.data] == ["used", "remaining"]
    assert list(figure.data[0].y) == frame["use_count"].tolist()
    assert_no_secrets(frame)


# --------------------------------------------------------------------------- bad input


def test_bad_selections_are_refused_with_the_fix(brewery: dbl.Brewery) -> None:
    with pytest.raises(dbl.NotFound, match=r"No organization 'Acme'.*exact title"):
        workforce.organization_members(brewery, "Acme")
    with pytest.raises(dbl.NotFound, match="No organization 7"):
        workforce.group_members(brewery, [1, 7])
    with pytest.raises(InvalidSelection, match="as_of='yesterday' is not a date"):
        workforce.member_activity(brewery, as_of="yesterday")
    with pytest.raises(InvalidSelection, match="is not before"):
        workforce.invitations(brewery, since="2026-09-02", until="2026-09-01")
    with pytest.raises(InvalidSelection, match="organization list is empty"):
        workforce.invitations(brewery, [])
    with pytest.raises(dbl.NotFound, match="No user 'nobody'"):
        workforce.member_activity(brewery, annotators="nobody")


LABEL_STUDIO_DDL = """
CREATE TABLE organization (id serial PRIMARY KEY, title varchar NOT NULL);
CREATE TABLE htx_user (
    id serial PRIMARY KEY, username varchar, email varchar, is_active boolean DEFAULT true,
    last_login timestamptz, last_activity timestamptz DEFAULT now()
);
CREATE TABLE organizations_organizationmember (
    id serial PRIMARY KEY, organization_id integer, user_id integer, deleted_at timestamptz
);
CREATE TABLE project (id serial PRIMARY KEY, title varchar, organization_id integer);
CREATE TABLE task_completion (
    id serial PRIMARY KEY, task_id integer, project_id integer, completed_by_id integer,
    was_cancelled boolean DEFAULT false, created_at timestamptz DEFAULT now()
);
INSERT INTO organization (title) VALUES ('LS org');
INSERT INTO htx_user (username, email) VALUES ('a', 'a@x.org'), ('b', 'b@x.org');
INSERT INTO organizations_organizationmember (organization_id, user_id) VALUES (1, 1), (1, 2);
"""


def test_a_label_studio_database(make_database: Callable[..., str]) -> None:
    conninfo = make_database(schema=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute(LABEL_STUDIO_DDL)
    with dbl.connect(conninfo) as brewery:
        members = workforce.organization_members(brewery)
        assert members[["organization", "role", "members"]].values.tolist() == [
            ["LS org", "unknown", 2]
        ]
        with pytest.raises(dbl.MissingSchemaError, match="Table 'user_group' does not exist"):
            workforce.group_members(brewery)
        with pytest.raises(dbl.MissingSchemaError, match="'users_invitation' does not exist"):
            workforce.invitations(brewery)
        with pytest.raises(
            dbl.MissingSchemaError, match=r"'htx_user' .* no column\(s\) consecutive_login_days"
        ):
            workforce.member_activity(brewery)
