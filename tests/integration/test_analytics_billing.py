"""Billing metrics against an independent psycopg + pandas computation over the raw rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pandas as pd
import psycopg
import pytest

import databrewery_lab as dbl
from databrewery_lab.analytics import billing
from databrewery_lab.analytics.scope import InvalidSelection

from .analytics_fixtures import assert_no_secrets, read

ACCEPTED_FLOWS = {"accept", "fix_and_accept"}
ACCEPTED_ACTIONS = {"accepted", "fixed_and_accepted"}


@pytest.fixture(scope="module")
def brewery(demo_db: str) -> Iterator[dbl.Brewery]:
    with dbl.connect(demo_db) as connected:
        yield connected


def money(values: pd.Series) -> pd.Series:
    return values.map(lambda v: float(v) if isinstance(v, Decimal) else v).astype(float)


def same(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """Equal as tables: same rows (by ``keys``) and values, whatever the order."""
    columns = list(expected.columns)
    left = actual[columns].sort_values(keys).reset_index(drop=True)
    right = expected.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False, check_exact=False, rtol=1e-9)


# --------------------------------------------------------------------------- embeddings


def _embeddings_reference(demo_db: str) -> pd.DataFrame:
    raw = read(
        demo_db,
        "SELECT b.workspace_id, w.title AS workspace, b.month, b.created_at, "
        "b.embeddings_count, b.embeddings_cost FROM workspaces_workspacebillingembeddings b "
        "JOIN workspace w ON w.id = b.workspace_id",
    )
    raw["month"] = pd.to_datetime(raw["month"], format="%Y-%m")
    raw["embeddings_cost"] = money(raw["embeddings_cost"])
    return raw.groupby(["workspace_id", "workspace", "month"], as_index=False).agg(
        embeddings_count=("embeddings_count", "sum"), embeddings_cost=("embeddings_cost", "sum")
    )


def test_embedding_costs_equal_the_raw_rows(brewery: dbl.Brewery, demo_db: str) -> None:
    expected = _embeddings_reference(demo_db)
    frame = billing.embedding_costs(brewery)
    assert len(frame) == len(expected) > 0
    frame["month"] = frame["month"].astype("datetime64[ns]")
    expected["month"] = expected["month"].astype("datetime64[ns]")
    same(frame, expected, ["workspace_id", "month"])

    recent = billing.embedding_costs(brewery, since="2026-08-15", until="2026-09-10")
    months = recent["month"].dt.strftime("%Y-%m")
    assert sorted(set(months)) == ["2026-08", "2026-09"]
    assert len(recent) == len(expected[expected["month"] >= "2026-08-01"])

    pilot = billing.embedding_costs(brewery, "Bluefin Analytics")
    assert set(pilot["workspace"]) == {"Pilot"}
    assert (
        pilot["embeddings_count"].sum()
        == expected.query("workspace == 'Pilot'")["embeddings_count"].sum()
    )
    assert set(billing.embedding_costs(brewery, workspace="Support Ops")["workspace_id"]) == {4}


def test_embedding_costs_figure_has_one_trace_per_workspace(brewery: dbl.Brewery) -> None:
    frame = billing.embedding_costs(brewery)
    figure = frame.plot()
    assert sorted(t.name for t in figure.data) == sorted(frame["workspace"].unique())
    assert all(t.type == "bar" for t in figure.data)
    assert figure.layout.barmode == "stack"
    assert sum(sum(t.y) for t in figure.data) == pytest.approx(frame["embeddings_cost"].sum())
    assert_no_secrets(frame)


# --------------------------------------------------------------------------- orders


def test_orders_over_time_equal_the_raw_rows(brewery: dbl.Brewery, demo_db: str) -> None:
    raw = read(
        demo_db,
        "SELECT o.created_at, o.status, c.code AS currency, o.total_cost, o.organization_id "
        "FROM workflow_helpers_order o LEFT JOIN workflow_helpers_currency c "
        "ON c.id = o.currency_id",
    )
    raw["period"] = (
        raw["created_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W").dt.start_time
    )
    raw["total_cost"] = money(raw["total_cost"])
    expected = raw.groupby(["period", "status", "currency"], as_index=False).agg(
        orders=("status", "size"), total_cost=("total_cost", "sum")
    )
    frame = billing.orders_over_time(brewery, freq="week")
    frame["period"] = frame["period"].astype("datetime64[ns]")
    expected["period"] = expected["period"].astype("datetime64[ns]")
    same(frame, expected, ["period", "status", "currency"])
    assert set(frame["currency"]) == {"USD", "EUR"}

    pilot = billing.orders_over_time(brewery, 2)
    assert set(pilot["currency"]) == {"EUR"} and pilot["orders"].sum() == 1


def test_orders_figure_has_a_panel_per_currency(brewery: dbl.Brewery) -> None:
    frame = billing.orders_over_time(brewery)
    figure = frame.plot()
    expected = {f"{s} ({c})" for s, c in zip(frame["status"], frame["currency"], strict=True)}
    assert {t.name for t in figure.data} == expected
    assert sorted(a.text for a in figure.layout.annotations) == ["EUR", "USD"]
    usd = [t for t in figure.data if t.name.endswith("(USD)")]
    eur = [t for t in figure.data if t.name.endswith("(EUR)")]
    assert {t.yaxis for t in usd}.isdisjoint({t.yaxis for t in eur})
    assert_no_secrets(frame)


def test_invoices_are_summed_within_one_organization(brewery: dbl.Brewery, demo_db: str) -> None:
    raw = read(
        demo_db,
        "SELECT i.organization_id, g.title AS organization, i.created_at, i.status, "
        "i.total_amount FROM orders_order i JOIN organization g ON g.id = i.organization_id",
    )
    stamps = raw["created_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    raw["period"] = stamps.dt.to_period("Q").dt.start_time
    raw["total_amount"] = money(raw["total_amount"])
    expected = raw.groupby(
        ["organization_id", "organization", "period", "status"], as_index=False
    ).agg(invoices=("status", "size"), total_amount=("total_amount", "sum"))
    frame = billing.invoices(brewery, freq="quarter")
    frame["period"] = frame["period"].astype("datetime64[ns]")
    expected["period"] = expected["period"].astype("datetime64[ns]")
    same(frame, expected, ["organization_id", "period", "status"])
    assert (frame["total_amount"] < 0).any()  # the refund stays negative

    figure = frame.plot()
    assert sorted(a.text for a in figure.layout.annotations) == sorted(
        frame["organization"].unique()
    )
    assert {t.name for t in figure.data} == {
        f"{s} ({o})" for s, o in zip(frame["status"], frame["organization"], strict=True)
    }
    assert_no_secrets(frame)


# --------------------------------------------------------------------------- payouts


def _payouts_reference(
    demo_db: str, where: str = "TRUE", params: tuple[Any, ...] = ()
) -> pd.DataFrame:
    """Accepted annotations priced with pandas merge_asof (the rate in force)."""
    annotations = read(
        demo_db,
        "SELECT a.completed_by_id AS annotator_id, u.username, p.organization_id, "
        "g.title AS organization, a.created_at, a.reviewed, a.was_cancelled, "
        "a.review_flow_type, a.last_action FROM task_completion a "
        "JOIN project p ON p.id = a.project_id JOIN organization g ON g.id = p.organization_id "
        f"JOIN htx_user u ON u.id = a.completed_by_id WHERE {where}",
        params,
    )
    flow = annotations["review_flow_type"]
    outcome = flow.isin(ACCEPTED_FLOWS) | (
        flow.isna() & annotations["last_action"].isin(ACCEPTED_ACTIONS)
    )
    accepted = annotations[annotations["reviewed"] & ~annotations["was_cancelled"] & outcome]
    rates = read(
        demo_db,
        "SELECT id, organization_id, created_at, amount, upper(btrim(currency)) AS currency "
        "FROM payment_rate ORDER BY created_at, id",
    )
    priced = pd.merge_asof(
        accepted.sort_values("created_at"),
        rates.rename(columns={"created_at": "rate_from"}).sort_values("rate_from"),
        left_on="created_at",
        right_on="rate_from",
        by="organization_id",
        direction="backward",
    )
    priced["amount"] = money(priced["amount"])
    return priced.groupby(
        ["annotator_id", "username", "organization_id", "organization", "currency"],
        as_index=False,
        dropna=False,
    ).agg(accepted_annotations=("amount", "size"), payout=("amount", "sum"))


def test_payouts_are_accepted_annotations_times_the_rate_in_force(
    brewery: dbl.Brewery, demo_db: str
) -> None:
    expected = _payouts_reference(demo_db)
    frame = billing.annotator_payouts(brewery)
    same(frame, expected, ["annotator_id", "organization_id", "currency"])
    # the pilot changed from a EUR to a GBP rate: its annotators have a row per currency
    pilot = frame[frame["organization"] == "Bluefin Analytics"]
    assert set(pilot["currency"]) == {"EUR", "GBP"}
    assert pilot.groupby("annotator_id")["currency"].nunique().eq(2).all()
    assert frame.duplicated(["annotator_id", "organization_id", "currency"]).sum() == 0


def test_payouts_follow_the_selection(brewery: dbl.Brewery, demo_db: str) -> None:
    where = (
        "a.project_id = %s AND a.created_at >= %s AND a.created_at < %s "
        "AND a.completed_by_id = ANY(%s)"
    )
    people = [11, 19, 24]
    expected = _payouts_reference(
        demo_db, where, (1, "2026-09-01T00:00:00+00:00", "2026-09-16T00:00:00+00:00", people)
    )
    frame = billing.annotator_payouts(
        brewery, 1, since="2026-09-01", until="2026-09-15", annotators=people
    )
    assert len(frame) == len(expected) > 0
    same(frame, expected, ["annotator_id", "organization_id", "currency"])

    by_org = billing.annotator_payouts(brewery, organization="Bluefin Analytics")
    assert set(by_org["organization_id"]) == {2}
    by_workspace = billing.annotator_payouts(brewery, workspace="Support Ops")
    support = _payouts_reference(demo_db, "p.workspace_id = %s", (4,))
    same(by_workspace, support, ["annotator_id", "organization_id", "currency"])


def test_payouts_figure_keeps_currencies_apart(brewery: dbl.Brewery) -> None:
    frame = billing.annotator_payouts(brewery)
    figure = frame.plot()
    assert sorted(t.name for t in figure.data) == ["EUR", "GBP", "USD"]
    assert figure.layout.barmode == "group"
    gbp = next(t for t in figure.data if t.name == "GBP")
    assert sum(gbp.y) == pytest.approx(frame.query("currency == 'GBP'")["payout"].sum())
    assert_no_secrets(frame)


# --------------------------------------------------------------------------- productions


def test_data_productions_compare_ordered_and_delivered(brewery: dbl.Brewery, demo_db: str) -> None:
    productions = read(
        demo_db,
        "SELECT d.id AS production_id, d.project_id, d.total_annotations AS ordered_annotations "
        "FROM workflow_helpers_dataproduction d",
    )
    work = read(
        demo_db,
        "SELECT project_id, was_cancelled, reviewed, review_flow_type, last_action "
        "FROM task_completion",
    )
    flow = work["review_flow_type"]
    work["accepted"] = (
        work["reviewed"]
        & ~work["was_cancelled"]
        & (flow.isin(ACCEPTED_FLOWS) | (flow.isna() & work["last_action"].isin(ACCEPTED_ACTIONS)))
    )
    work["delivered"] = ~work["was_cancelled"]
    per_project = work.groupby("project_id", as_index=False)[["delivered", "accepted"]].sum()
    orders = read(
        demo_db,
        "SELECT o.data_production_id AS production_id, o.status, o.created_at, o.id, "
        "o.total_cost, c.code FROM workflow_helpers_order o "
        "LEFT JOIN workflow_helpers_currency c ON c.id = o.currency_id",
    ).sort_values(["created_at", "id"])
    history = orders.groupby("production_id").agg(
        orders=("status", "size"),
        status_history=("status", " -> ".join),
        latest_status=("status", "last"),
        latest_cost=("total_cost", "last"),
        currency=("code", "last"),
    )
    expected = productions.merge(per_project, on="project_id", how="left").merge(
        history, on="production_id", how="left"
    )
    expected = expected.rename(
        columns={"delivered": "delivered_annotations", "accepted": "accepted_annotations"}
    )
    expected["latest_cost"] = money(expected["latest_cost"])
    frame = billing.data_productions(brewery)
    same(frame, expected, ["production_id"])
    assert frame["delivered_share"].tolist() == pytest.approx(
        (
            expected.sort_values("production_id")["delivered_annotations"]
            / expected.sort_values("production_id")["ordered_annotations"]
        ).tolist()
    )
    assert "rejected -> completed" in set(frame["status_history"])

    assert billing.data_productions(brewery, "Ticket topic tagging")["project_id"].tolist() == [5]
    assert set(billing.data_productions(brewery, organization=2)["organization_id"]) == {2}
    assert billing.data_productions(brewery, since="2026-07-25")["production_id"].tolist() == [
        5,
        6,
    ]

    figure = frame.plot()
    assert [t.name for t in figure.data] == ["ordered", "delivered", "accepted"]
    assert list(figure.data[0].y) == frame["ordered_annotations"].tolist()
    assert_no_secrets(frame)


# --------------------------------------------------------------------------- bad input


def test_bad_selections_are_refused_with_the_fix(brewery: dbl.Brewery) -> None:
    with pytest.raises(dbl.NotFound, match=r"No organization 'Acme'.*'Northwind Labs' \(id 1\)"):
        billing.orders_over_time(brewery, "Acme")
    with pytest.raises(dbl.NotFound, match=r"No workspace 999 .*exact title"):
        billing.embedding_costs(brewery, workspace=999)
    with pytest.raises(InvalidSelection, match=r"Workspace\(s\) \[6\] do not belong"):
        billing.embedding_costs(brewery, "Northwind Labs", workspace="Pilot")
    with pytest.raises(InvalidSelection, match=r"freq='fortnight'.*month"):
        billing.invoices(brewery, freq="fortnight")
    with pytest.raises(InvalidSelection, match="is not before"):
        billing.annotator_payouts(brewery, since="2026-09-02", until="2026-09-01")
    with pytest.raises(InvalidSelection, match=r"Project\(s\) \[1\] are outside"):
        billing.annotator_payouts(brewery, 1, organization="Bluefin Analytics")
    with pytest.raises(dbl.NotFound, match="No project 'Nope'"):
        billing.data_productions(brewery, "Nope")
    with pytest.raises(InvalidSelection, match="by id or title"):
        billing.embedding_costs(brewery, True)


# --------------------------------------------------------------------------- edge cases

EDGE_ROWS = """
INSERT INTO organization (id, title) VALUES (1, 'Org A');
INSERT INTO htx_user (id, username, email) VALUES
    (1, 'ann', 'ann@example.org'), (2, 'bob', 'bob@example.org');
INSERT INTO project (id, title, organization_id) VALUES (1, 'P', 1);
INSERT INTO task (id, data, project_id) VALUES (1, '{}', 1);
INSERT INTO payment_rate (id, amount, currency, created_at, organization_id) VALUES
    (1, 0.10, 'USD', '2026-01-10', 1),
    (2, 0.20, ' usd ', '2026-02-01', 1),
    (4, 5.00, 'GBP', '2026-03-01', 1),
    (3, 3.00, 'EUR', '2026-03-01', 1),
    (5, 9.99, NULL, '2026-04-01', 1);
INSERT INTO task_completion
    (task_id, project_id, completed_by_id, created_at, reviewed, was_cancelled,
     review_flow_type, last_action) VALUES
    (1, 1, 1, '2026-01-05', true, false, 'accept', 'accepted'),           -- before any rate
    (1, 1, 1, '2026-01-20', true, false, 'accept', 'accepted'),           -- USD 0.10
    (1, 1, 1, '2026-02-05', true, false, NULL, 'fixed_and_accepted'),     -- USD 0.20
    (1, 1, 1, '2026-02-06', true, false, 'reject', 'accepted'),           -- rejected
    (1, 1, 1, '2026-02-07', false, false, NULL, 'accepted'),              -- never reviewed
    (1, 1, 1, '2026-02-08', true, true, 'accept', 'accepted'),            -- a skip
    (1, 1, 2, '2026-03-02', true, false, 'fix_and_accept', 'updated'),    -- GBP (tie, id 4)
    (1, 1, 2, '2026-04-02', true, false, 'accept', 'accepted'),           -- rate w/o currency
    (1, 1, NULL, '2026-03-03', true, false, 'accept', 'accepted');        -- deleted user
INSERT INTO workspace (id, title) VALUES (1, 'W');
INSERT INTO organization_workspaces (organization_id, workspace_id) VALUES (1, 1);
INSERT INTO workspaces_workspacebillingembeddings
    (workspace_id, month, created_at, embeddings_count, embeddings_cost) VALUES
    (1, '2026-05', '2026-05-31', 10, 0.5),
    (1, '2026-05', '2026-06-01', 5, 0.25),
    (1, 'May 2026', '2026-06-03', 7, 0.75);
"""


@pytest.fixture(scope="module")
def edge_db(make_database: Callable[..., str]) -> str:
    conninfo = make_database(schema=True)
    with psycopg.connect(conninfo) as conn:
        conn.execute(EDGE_ROWS)
    return conninfo


def test_payout_rules_on_hand_made_rows(edge_db: str) -> None:
    with dbl.connect(edge_db) as brewery:
        frame = billing.annotator_payouts(brewery)
    rows = {
        (r.username, None if pd.isna(r.currency) else r.currency): (
            r.accepted_annotations,
            r.payout,
        )
        for r in frame.itertuples()
    }
    assert set(rows) == {("ann", None), ("ann", "USD"), ("bob", "GBP"), ("bob", None)}
    assert rows["ann", "USD"] == (2, pytest.approx(0.30))  # 0.10 + 0.20, ' usd ' is USD
    assert rows["bob", "GBP"] == (1, pytest.approx(5.00))  # the tie goes to the higher id
    assert rows["ann", None][0] == 1 and pd.isna(rows["ann", None][1])  # no rate yet
    assert rows["bob", None][0] == 1 and pd.isna(rows["bob", None][1])  # rate has no currency
    assert [t.name for t in frame.plot().data] == ["GBP", "USD"]


def test_embedding_months_fall_back_to_the_row_date(edge_db: str) -> None:
    with dbl.connect(edge_db) as brewery:
        frame = billing.embedding_costs(brewery, "Org A")
    assert frame["month"].dt.strftime("%Y-%m").tolist() == ["2026-05", "2026-06"]
    assert frame["embeddings_count"].tolist() == [15, 7]
    assert frame["embeddings_cost"].tolist() == pytest.approx([0.75, 0.75])


LABEL_STUDIO_DDL = """
CREATE TABLE organization (id serial PRIMARY KEY, title varchar NOT NULL);
CREATE TABLE htx_user (id serial PRIMARY KEY, username varchar, email varchar);
CREATE TABLE project (
    id serial PRIMARY KEY, title varchar, label_config text,
    organization_id integer REFERENCES organization
);
CREATE TABLE task (id serial PRIMARY KEY, data jsonb, project_id integer REFERENCES project);
CREATE TABLE task_completion (
    id serial PRIMARY KEY, result jsonb, task_id integer, project_id integer,
    completed_by_id integer, was_cancelled boolean DEFAULT false,
    created_at timestamptz DEFAULT now()
);
INSERT INTO organization (title) VALUES ('LS org');
"""


def test_a_label_studio_database_names_the_missing_billing_table(
    make_database: Callable[..., str],
) -> None:
    conninfo = make_database(schema=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute(LABEL_STUDIO_DDL)
    calls = {
        "workspaces_workspacebillingembeddings": billing.embedding_costs,
        "workflow_helpers_order": billing.orders_over_time,
        "orders_order": billing.invoices,
        "payment_rate": billing.annotator_payouts,
        "workflow_helpers_dataproduction": billing.data_productions,
    }
    with dbl.connect(conninfo) as brewery:
        for table, call in calls.items():
            with pytest.raises(dbl.MissingSchemaError, match=f"Table '{table}' does not exist"):
                call(brewery)
