"""Shared by the analytics tests: the reference path (psycopg → pandas) and the secret check."""

from __future__ import annotations

from typing import Any

import pandas as pd
import psycopg

from databrewery_lab.analytics.frames import MetricFrame
from databrewery_lab.demo import fake_secrets


def read(conninfo: str, query: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """Raw rows as pandas, straight from psycopg (the reference path)."""
    with psycopg.connect(conninfo) as conn:
        cursor = conn.execute(query, params)
        names = [c.name for c in cursor.description or ()]
        return pd.DataFrame(cursor.fetchall(), columns=names)


def assert_no_secrets(frame: MetricFrame) -> None:
    """No fake credential of the demo appears in the frame or in its figure."""
    text = frame.to_csv() + frame.plot().to_json()
    assert [s for s in fake_secrets() if s in text] == []
