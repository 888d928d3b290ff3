"""Pure pieces of the demo build: secrets, report text, sizes, the work-time sampler."""

from __future__ import annotations

import numpy as np

from databrewery_lab.demo import DemoReport, fake_secrets
from databrewery_lab.demo.people import user_count
from databrewery_lab.demo.projects import PROJECTS, task_count
from databrewery_lab.demo.rng import ANCHOR_S, WINDOW_START_S, streams, uuid4_strings
from databrewery_lab.demo.tables import ALL_TABLES
from databrewery_lab.demo.worktime import sample_times


def test_fake_secrets_are_constant_distinct_and_obviously_fake() -> None:
    secrets = fake_secrets()
    assert isinstance(secrets, frozenset) and len(secrets) > 50
    assert secrets == fake_secrets()
    assert all("fake" in s.lower() for s in secrets)
    assert all(len(s) >= 10 for s in secrets)


def test_report_reads_well() -> None:
    rows = dict.fromkeys(ALL_TABLES, 1) | {"task_completion": 10_123, "task": 5_000}
    report = DemoReport("demo", 1.0, 0, 2.5, rows)
    text = str(report)
    assert "'demo'" in text and "10,123 annotations" in text and "5,000 tasks" in text
    assert "2.5 s" in text and "96 tables" in text
    assert report.annotations == 10_123


def test_sizes_follow_scale() -> None:
    assert user_count(1.0) == 30 and 250 <= user_count(100.0) <= 400
    one = sum(task_count(p, 1.0) for p in PROJECTS)
    hundred = sum(task_count(p, 100.0) for p in PROJECTS)
    assert 95 * one <= hundred <= 105 * one
    assert all(task_count(p, 0.001) >= 12 for p in PROJECTS)


def test_seeded_streams_and_uuids_are_reproducible() -> None:
    a = uuid4_strings(streams(7, "x")[1], 5)
    assert a == uuid4_strings(streams(7, "x")[1], 5)
    assert a != uuid4_strings(streams(8, "x")[1], 5)
    assert all(len(u) == 36 and u[14] == "4" and u[19] in "89ab" for u in a)


def test_work_times_respect_bounds_and_office_hours() -> None:
    gen = np.random.default_rng(0)
    n = 20_000
    bound = np.full(n, WINDOW_START_S + 10 * 86400.0)
    times = sample_times(gen, np.full(n, 1.0), bound)
    assert (times >= bound).all() and (times < ANCHOR_S).all()
    local = times + 3600
    hours = (local % 86400) // 3600
    weekday = ((local // 86400).astype(int) + 3) % 7
    assert ((hours >= 8) & (hours < 19)).mean() > 0.8
    assert (weekday >= 5).mean() < 0.1
