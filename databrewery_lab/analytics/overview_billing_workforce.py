"""Billing and workforce of an overview: embedding costs, orders, members and invitations.

Summaries, for one organization (or workspace, for embedding costs) or for every one, of
the metrics in :mod:`.billing` and :mod:`.workforce`, in the overview's period where the
metric has one. Money is never added across currencies.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .billing import embedding_costs, orders_over_time
from .overview import Overview
from .scope import InvalidSelection
from .workforce import (
    ACTIVITY_WINDOWS,
    NO_ACTIVITY,
    OLDER_ACTIVITY,
    invitations,
    member_activity,
    organization_members,
)


def _organization(place: Overview) -> int | None:
    """The organization whose billing and workforce an overview shows (None: every one)."""
    if place.level not in ("all", "organization"):
        raise InvalidSelection(
            f"Billing and workforce belong to organizations; this overview is of a {place.level}."
        )
    return place.place_id


# --------------------------------------------------------------------------- billing


def monthly_embeddings(place: Overview) -> pd.DataFrame:
    """Embeddings billed per month over the workspaces here: ``month, embeddings_count,
    embeddings_cost`` (months overlapping the period, oldest first)."""
    if place.level == "workspace":
        frame = embedding_costs(place.brewery, workspace=place.place_id, **place.times)
    else:
        frame = embedding_costs(place.brewery, _organization(place), **place.times)
    months = frame.groupby("month")[["embeddings_count", "embeddings_cost"]].sum()
    return months.sort_index().reset_index()


@dataclass(frozen=True)
class CurrencyOrders:
    """Orders of one currency: ``cost`` and ``orders`` are period × status tables (0 where
    none), periods oldest first and statuses sorted; totals over all of them."""

    currency: str
    cost: pd.DataFrame
    orders: pd.DataFrame
    total_cost: float
    total_orders: int


def orders_by_currency(place: Overview) -> list[CurrencyOrders]:
    """Orders per month and status, one entry per currency, most orders first."""
    frame = orders_over_time(place.brewery, _organization(place), freq="month", **place.times)
    panels = []
    for currency, rows in frame.groupby("currency", sort=True):
        panels.append(
            CurrencyOrders(
                currency=str(currency),
                cost=_per_period_and_status(rows, "total_cost"),
                orders=_per_period_and_status(rows, "orders"),
                total_cost=float(rows["total_cost"].sum()),
                total_orders=int(rows["orders"].sum()),
            )
        )
    panels.sort(key=lambda panel: -panel.total_orders)
    return panels


def _per_period_and_status(rows: pd.DataFrame, values: str) -> pd.DataFrame:
    """``values`` summed per period × status: every period and status of ``rows``, 0 where none."""
    periods = sorted(rows["period"].unique())
    statuses = sorted(rows["status"].astype(str).unique())
    return rows.pivot_table(
        index="period", columns="status", values=values, aggfunc="sum", fill_value=0
    ).reindex(index=periods, columns=statuses, fill_value=0)


# --------------------------------------------------------------------------- workforce


def members_by_role(place: Overview) -> pd.DataFrame:
    """Members and former members per role, most members first: ``role, members,
    former_members``."""
    frame = organization_members(place.brewery, _organization(place))
    roles = frame.groupby("role")[["members", "former_members"]].sum()
    return roles.sort_values("members", ascending=False).reset_index()


def members_by_activity(place: Overview) -> pd.DataFrame:
    """Current members per activity window (:data:`~.workforce.ACTIVITY_WINDOWS`, then
    older and never), most recent first: ``window, members``."""
    frame = member_activity(place.brewery, organization=_organization(place))
    counts = frame["activity_window"].value_counts()
    windows = [label for label, _days in ACTIVITY_WINDOWS] + [OLDER_ACTIVITY, NO_ACTIVITY]
    return pd.DataFrame({"window": windows, "members": [int(counts.get(w, 0)) for w in windows]})


def invitations_by_status(place: Overview) -> pd.DataFrame:
    """Invitations created in the period per status, and how often they were used:
    ``status, invitations, uses``."""
    frame = invitations(place.brewery, _organization(place), **place.times)
    per = frame.groupby("status").agg(
        invitations=("invitation_id", "size"), uses=("use_count", "sum")
    )
    return per.reset_index()
