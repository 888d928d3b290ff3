"""Throughput, lead times, time to finish and review turnaround against pandas over the rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import psycopg
import pytest

import databrewery_lab as dbl
from databrewery_lab.analytics import (
    InvalidSelection,
    MetricFrame,
    active_annotators,
    annotations_over_time,
    annotator_throughput,
    lead_times,
    resolve_scope,
    review_turnaround,
    time_to_finish,
)
from databrewery_lab.demo.projects import PROJECTS

TITLES = {spec.key: spec.title for spec in PROJECTS}
RTOL = 1e-6  # lead_time is a PostgreSQL real: psycopg shows it rounded, SQL casts it exactly


@pytest.fixture(scope="module")
def demo(demo_db: str) -> Iterator[dbl.Brewery]:
    with dbl.connect(demo_db) as connected:
        yield connected


@pytest.fixture(scope="module")
def rows(demo_db: str) -> pd.DataFrame:
    """Every annotation of the demo, read with psycopg (the independent side)."""
    with psycopg.connect(demo_db) as conn:
        cursor = conn.execute(
            "SELECT tc.id, tc.project_id, tc.task_id, tc.completed_by_id, tc.created_at, "
            "tc.updated_at, tc.lead_time, tc.was_cancelled, tc.reviewed, tc.reviewed_by_id, "
            "tc.review_flow_type, u.email FROM task_completion tc "
            "LEFT JOIN htx_user u ON u.id = tc.completed_by_id"
        )
        names = [column.name for column in cursor.description or ()]
        frame = pd.DataFrame(cursor.fetchall(), columns=names)
    for column in ("created_at", "updated_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["lead_time"] = frame["lead_time"].astype(float)
    return frame


@pytest.fixture(scope="module")
def sentiment(demo: dbl.Brewery) -> dbl.Project:
    return demo.project(TITLES["sentiment"])


def local(times: pd.Series, tz: str) -> pd.Series:
    return times.dt.tz_convert(tz).dt.tz_localize(None)


def bucket(times: pd.Series, freq: str, tz: str) -> pd.Series:
    naive = local(times, tz)
    if freq == "week":
        return naive.dt.to_period("W-SUN").dt.start_time  # ISO weeks start on Monday
    if freq == "month":
        return naive.dt.to_period("M").dt.start_time
    return naive.dt.floor({"hour": "h", "day": "D"}[freq])


def p(values: pd.Series, q: float) -> float:
    return float(np.percentile(values.to_numpy(dtype=float), q))


# --------------------------------------------------------------------------- per period


@pytest.mark.parametrize(
    ("freq", "tz"),
    [("day", "UTC"), ("week", "UTC"), ("hour", "Asia/Kolkata"), ("month", "America/New_York")],
)
def test_annotations_over_time_equal_pandas(
    demo: dbl.Brewery, rows: pd.DataFrame, sentiment: dbl.Project, freq: str, tz: str
) -> None:
    ours = annotations_over_time(demo, sentiment, freq=freq, tz=tz)  # type: ignore[arg-type]
    assert isinstance(ours, MetricFrame)
    mine = rows[rows["project_id"] == sentiment.id].assign(
        period=lambda f: bucket(f["created_at"], freq, tz)
    )
    expected = (
        mine.groupby(["period", "completed_by_id"])
        .agg(
            annotations=("was_cancelled", lambda s: int((~s).sum())),
            skips=("was_cancelled", "sum"),
            annotator=("email", "first"),
        )
        .reset_index()
    )
    assert list(ours.columns) == ["period", "annotator_id", "annotator", "annotations", "skips"]
    got = ours.set_index(["period", "annotator_id"]).sort_index()
    want = expected.set_index(["period", "completed_by_id"]).sort_index()
    assert len(got) == len(want) > 10
    assert got.index.tolist() == want.index.tolist()
    assert got["annotations"].tolist() == want["annotations"].tolist()
    assert got["skips"].tolist() == want["skips"].astype(int).tolist()
    assert got["annotator"].tolist() == want["annotator"].tolist()


def test_active_annotators_equal_pandas(demo: dbl.Brewery, rows: pd.DataFrame) -> None:
    ours = active_annotators(demo, [TITLES["ner"], TITLES["bbox"]], freq="week")
    projects = [demo.project(TITLES[key]).id for key in ("ner", "bbox")]
    mine = rows[rows["project_id"].isin(projects)].assign(
        period=lambda f: bucket(f["created_at"], "week", "UTC")
    )
    expected = mine.groupby("period").agg(
        active_annotators=("completed_by_id", "nunique"),
        annotations=("was_cancelled", lambda s: int((~s).sum())),
        skips=("was_cancelled", "sum"),
    )
    assert ours["period"].tolist() == expected.index.tolist()
    assert ours["active_annotators"].tolist() == expected["active_annotators"].tolist()
    assert ours["annotations"].tolist() == expected["annotations"].tolist()
    assert ours["skips"].tolist() == expected["skips"].astype(int).tolist()


# --------------------------------------------------------------------------- per person


def expected_throughput(mine: pd.DataFrame, tz: str) -> pd.DataFrame:
    out = {}
    for annotator, group in mine.groupby("completed_by_id"):
        done = group[~group["was_cancelled"]]
        timed = done["lead_time"].dropna()
        out[annotator] = {
            "annotations": len(done),
            "skips": int(group["was_cancelled"].sum()),
            "tasks": done["task_id"].nunique(),
            "active_days": local(group["created_at"], tz).dt.date.nunique(),
            "first_at": group["created_at"].min(),
            "last_at": group["created_at"].max(),
            "median_lead_time_s": p(timed, 50) if len(timed) else np.nan,
            "p90_lead_time_s": p(timed, 90) if len(timed) else np.nan,
        }
    return pd.DataFrame.from_dict(out, orient="index").sort_index()


def check_throughput(ours: pd.DataFrame, mine: pd.DataFrame, tz: str = "UTC") -> None:
    want = expected_throughput(mine, tz)
    got = ours.set_index("annotator_id").sort_index()
    assert got.index.tolist() == want.index.tolist()
    for column in ("annotations", "skips", "tasks", "active_days"):
        assert got[column].tolist() == want[column].tolist(), column
    for column in ("first_at", "last_at"):
        assert list(got[column]) == list(want[column]), column
    for column in ("median_lead_time_s", "p90_lead_time_s"):
        np.testing.assert_allclose(got[column], want[column].astype(float), rtol=RTOL)
    np.testing.assert_allclose(
        got["skip_rate"], want["skips"] / (want["annotations"] + want["skips"])
    )
    np.testing.assert_allclose(
        got["annotations_per_active_day"], want["annotations"] / want["active_days"]
    )


def test_annotator_throughput_equals_pandas(
    demo: dbl.Brewery, rows: pd.DataFrame, sentiment: dbl.Project
) -> None:
    ours = annotator_throughput(demo, sentiment.id, tz="Europe/Berlin")
    assert len(ours) > 3
    check_throughput(ours, rows[rows["project_id"] == sentiment.id], tz="Europe/Berlin")
    assert ours["annotations"].is_monotonic_decreasing


def test_filters_narrow_the_rows_exactly(
    demo: dbl.Brewery, rows: pd.DataFrame, sentiment: dbl.Project
) -> None:
    mine = rows[rows["project_id"] == sentiment.id]
    top = mine["email"].value_counts().index[:2].tolist()
    since, until = "2026-08-20", "2026-09-15"
    start, end = pd.Timestamp("2026-08-20", tz="UTC"), pd.Timestamp("2026-09-16", tz="UTC")
    ours = annotator_throughput(demo, sentiment, since=since, until=until, annotators=top)
    chosen = mine[
        mine["email"].isin(top) & (mine["created_at"] >= start) & (mine["created_at"] < end)
    ]
    check_throughput(ours, chosen)
    tasks = sorted(mine["task_id"].unique())[:200]
    by_tasks = annotator_throughput(demo, tasks=tasks)
    check_throughput(by_tasks, rows[rows["task_id"].isin(tasks)])


def test_lead_times_by_project_and_annotator(demo: dbl.Brewery, rows: pd.DataFrame) -> None:
    done = rows[~rows["was_cancelled"] & rows["lead_time"].notna()]
    by_project = lead_times(demo, by="project").set_index("project_id").sort_index()
    titles = {spec.title for spec in PROJECTS}
    assert set(by_project["project"]) == titles
    for project_id, group in done.groupby("project_id"):
        row = by_project.loc[project_id]
        assert row["annotations"] == len(group)
        np.testing.assert_allclose(
            [row["median_s"], row["p90_s"], row["mean_s"]],
            [p(group["lead_time"], 50), p(group["lead_time"], 90), group["lead_time"].mean()],
            rtol=RTOL,
        )
    project = demo.project(TITLES["summary"])
    by_annotator = lead_times(demo, project, by="annotator").set_index("annotator_id")
    mine = done[done["project_id"] == project.id]
    assert sorted(by_annotator.index) == sorted(mine["completed_by_id"].unique())
    for annotator, group in mine.groupby("completed_by_id"):
        assert by_annotator.loc[annotator, "annotations"] == len(group)
        np.testing.assert_allclose(
            by_annotator.loc[annotator, "p90_s"], p(group["lead_time"], 90), rtol=RTOL
        )


def test_lead_times_pooled_into_one_row(demo: dbl.Brewery, rows: pd.DataFrame) -> None:
    """by=None: one median/p90/mean over several projects, not a per-group row."""
    projects = [demo.project(TITLES[key]).id for key in ("ner", "bbox", "summary")]
    since, until = "2026-08-20", "2026-09-15"  # a bare until includes that day
    start, end = pd.Timestamp(since, tz="UTC"), pd.Timestamp("2026-09-16", tz="UTC")
    ours = lead_times(demo, projects, by=None, since=since, until=until)
    assert isinstance(ours, MetricFrame)
    assert list(ours.columns) == ["annotations", "median_s", "p90_s", "mean_s"]
    mine = rows[
        rows["project_id"].isin(projects)
        & ~rows["was_cancelled"]
        & rows["lead_time"].notna()
        & (rows["created_at"] >= start)
        & (rows["created_at"] < end)
    ]
    (row,) = ours.itertuples(index=False)
    assert row.annotations == len(mine) > 100
    np.testing.assert_allclose(
        [row.median_s, row.p90_s, row.mean_s],
        [p(mine["lead_time"], 50), p(mine["lead_time"], 90), mine["lead_time"].mean()],
        rtol=RTOL,
    )
    assert [trace.name for trace in ours.plot().data] == ["median", "p90"]

    nothing = lead_times(demo, projects, by=None, since="2031-01-01")
    assert len(nothing) == 1 and nothing["annotations"].tolist() == [0]
    assert nothing[["median_s", "p90_s", "mean_s"]].isna().all(axis=None)


# --------------------------------------------------------------------------- forecast


def expected_finish(
    demo_db: str, rows: pd.DataFrame, start: datetime, end: datetime
) -> pd.DataFrame:
    with psycopg.connect(demo_db) as conn:
        tasks = pd.DataFrame(
            conn.execute(
                "SELECT t.id, t.project_id, t.overlap, p.skip_queue = 'IGNORE_SKIPPED' "
                "FROM task t JOIN project p ON p.id = t.project_id"
            ).fetchall(),
            columns=["task_id", "project_id", "overlap", "skips_count"],
        )
    per_task = rows.groupby("task_id").agg(
        submitted=("was_cancelled", lambda s: int((~s).sum())), skipped=("was_cancelled", "sum")
    )
    tasks = tasks.join(per_task, on="task_id").fillna({"submitted": 0, "skipped": 0})
    done = tasks["submitted"] + np.where(tasks["skips_count"], tasks["skipped"], 0)
    tasks["remaining"] = (tasks["overlap"] - done).clip(lower=0)
    counts_skips = tasks.groupby("project_id")["skips_count"].first()
    window = rows[(rows["created_at"] >= start) & (rows["created_at"] < end)]
    progress = ~window["was_cancelled"] | window["project_id"].map(counts_skips).astype(bool)
    recent = window[progress].groupby("project_id").size()
    out = tasks.groupby("project_id").agg(
        tasks=("task_id", "size"),
        remaining_tasks=("remaining", lambda r: int((r > 0).sum())),
        target_annotations=("overlap", "sum"),
        remaining_annotations=("remaining", "sum"),
    )
    out["recent_annotations"] = recent.reindex(out.index, fill_value=0)
    days = (end - start).total_seconds() / 86400
    out["days_to_finish"] = out["remaining_annotations"] / (out["recent_annotations"] / days)
    return out


def test_time_to_finish_equals_pandas(demo: dbl.Brewery, demo_db: str, rows: pd.DataFrame) -> None:
    ours = time_to_finish(demo, since="2026-09-01", until="2026-09-07").set_index("project_id")
    start, end = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 9, 8, tzinfo=UTC)
    want = expected_finish(demo_db, rows, start, end)
    assert ours.index.tolist() == want.index.tolist()
    for column in ("tasks", "remaining_tasks", "target_annotations", "remaining_annotations"):
        assert ours[column].tolist() == want[column].astype(int).tolist(), column
    assert ours["recent_annotations"].tolist() == want["recent_annotations"].tolist()
    np.testing.assert_allclose(ours["days_to_finish"], want["days_to_finish"])
    assert (ours["window_start"] == pd.Timestamp(start)).all()
    finish = pd.Timestamp(end) + pd.to_timedelta(ours["days_to_finish"], unit="D")
    assert (ours["expected_finish"] == finish).all()
    with psycopg.connect(demo_db) as conn:
        unlabeled = dict(
            conn.execute(
                "SELECT project_id, count(*) FILTER (WHERE NOT is_labeled) FROM task GROUP BY 1"
            ).fetchall()
        )
    assert ours["remaining_tasks"].to_dict() == unlabeled  # the platform's own counter agrees


def test_time_to_finish_defaults_to_the_week_before_until(
    demo: dbl.Brewery, demo_db: str, rows: pd.DataFrame, sentiment: dbl.Project
) -> None:
    ours = time_to_finish(demo, sentiment, until=datetime(2026, 9, 20, 12, tzinfo=UTC))
    end = datetime(2026, 9, 20, 12, tzinfo=UTC)
    want = expected_finish(demo_db, rows, end - timedelta(days=7), end).loc[[sentiment.id]]
    assert ours["recent_annotations"].tolist() == want["recent_annotations"].tolist()
    np.testing.assert_allclose(ours["annotations_per_day"], want["recent_annotations"] / 7)
    quiet = time_to_finish(demo, sentiment, since="2030-01-01", until="2030-02-01")
    assert quiet["recent_annotations"].tolist() == [0]
    assert quiet["days_to_finish"].isna().all() and quiet["expected_finish"].isna().all()
    assert "no recent work" in quiet.plot().data[1].text


# --------------------------------------------------------------------------- reviews


def test_review_turnaround_equals_pandas(demo: dbl.Brewery, rows: pd.DataFrame) -> None:
    ours = review_turnaround(demo, [TITLES["sentiment"], TITLES["summary"]])
    projects = [demo.project(TITLES[key]).id for key in ("sentiment", "summary")]
    reviewed = rows[rows["project_id"].isin(projects) & rows["reviewed"] & ~rows["was_cancelled"]]
    hours = (reviewed["updated_at"] - reviewed["created_at"]).dt.total_seconds() / 3600
    reviewed = reviewed.assign(hours=hours)
    got = ours.set_index("reviewer_id")
    assert sorted(got.index) == sorted(reviewed["reviewed_by_id"].unique())
    for reviewer, group in reviewed.groupby("reviewed_by_id"):
        row = got.loc[reviewer]
        flows = group["review_flow_type"].value_counts()
        assert row["reviewed"] == len(group)
        assert (row["accepted"], row["rejected"], row["fixed"]) == (
            flows.get("accept", 0),
            flows.get("reject", 0),
            flows.get("fix_and_accept", 0),
        )
        np.testing.assert_allclose(
            [row["median_turnaround_h"], row["p90_turnaround_h"], row["mean_turnaround_h"]],
            [p(group["hours"], 50), p(group["hours"], 90), group["hours"].mean()],
            rtol=1e-9,
        )
        assert "@" in row["reviewer"]


# --------------------------------------------------------------------------- figures


def trace_names(figure: go.Figure) -> list[tuple[str, str]]:
    return [(trace.type, trace.name) for trace in figure.data]


def test_every_metric_draws_its_figure(demo: dbl.Brewery, sentiment: dbl.Project) -> None:
    over_time = annotations_over_time(demo, sentiment, freq="week")
    figure = over_time.plot(height=400)
    assert isinstance(figure, go.Figure) and figure.layout.height == 400
    bars = [trace for trace in figure.data if trace.type == "bar"]
    assert {trace.name for trace in bars} == set(over_time["annotator"])
    assert sum(sum(trace.y) for trace in bars) == over_time["annotations"].sum()
    assert trace_names(figure)[-1] == ("scatter", "skips (all)")
    assert figure.layout.barmode == "stack"

    active = active_annotators(demo, sentiment)
    assert trace_names(active.plot()) == [("bar", "annotations"), ("scatter", "active annotators")]
    assert list(active.plot().data[1].y) == active["active_annotators"].tolist()

    people = annotator_throughput(demo, sentiment)
    figure = people.plot()
    assert trace_names(figure) == [("bar", "annotations"), ("bar", "skips")]
    assert list(figure.data[0].y) == people["annotator"].tolist()
    assert list(figure.data[0].x) == people["annotations"].tolist()

    for by in ("annotator", "project"):
        times = lead_times(demo, sentiment, by=by)  # type: ignore[arg-type]
        figure = times.plot()
        assert trace_names(figure) == [("bar", "median"), ("bar", "p90")]
        assert list(figure.data[1].y) == times["p90_s"].tolist()

    finish = time_to_finish(demo, until="2026-09-20")
    figure = finish.plot()
    assert trace_names(figure) == [("bar", "done"), ("bar", "remaining")]
    assert list(figure.data[1].x) == finish["remaining_annotations"].tolist()

    reviews = review_turnaround(demo, sentiment)
    figure = reviews.plot()
    assert trace_names(figure) == [("bar", "median"), ("bar", "p90")]
    assert list(figure.data[0].y) == reviews["median_turnaround_h"].tolist()


def test_an_empty_selection_gives_empty_frames_that_still_draw(
    demo: dbl.Brewery, sentiment: dbl.Project
) -> None:
    empty = annotations_over_time(demo, sentiment, since="2031-01-01")
    assert empty.empty and list(empty.columns)[:2] == ["period", "annotator_id"]
    assert trace_names(empty.plot()) == [("scatter", "skips (all)")]
    nobody = annotator_throughput(demo, sentiment, since="2031-01-01").plot()
    assert trace_names(nobody) == [("bar", "annotations"), ("bar", "skips")]
    assert len(nobody.data[0].x) == 0


# --------------------------------------------------------------------------- bad input


def test_bad_selections_raise_clear_errors(demo: dbl.Brewery, sentiment: dbl.Project) -> None:
    with pytest.raises(dbl.NotFound, match=r"No project 'No such project'.*brewery\.projects"):
        annotator_throughput(demo, "No such project")
    with pytest.raises(dbl.NotFound, match=r"No user 'nobody@nowhere\.test'.*brewery\.users"):
        annotator_throughput(demo, sentiment, annotators="nobody@nowhere.test")
    with pytest.raises(InvalidSelection, match="since='2026-09-02' is not before until"):
        annotator_throughput(demo, sentiment, since="2026-09-02", until="2026-09-01T00:00")
    with pytest.raises(InvalidSelection, match="since='yesterday' is not a date"):
        annotator_throughput(demo, sentiment, since="yesterday")
    with pytest.raises(InvalidSelection, match="freq='fortnight'"):
        annotations_over_time(demo, sentiment, freq="fortnight")  # type: ignore[arg-type]
    with pytest.raises(InvalidSelection, match="tz='Mars/Olympus'"):
        annotations_over_time(demo, sentiment, tz="Mars/Olympus")
    with pytest.raises(InvalidSelection, match="by='day'"):
        lead_times(demo, sentiment, by="day")  # type: ignore[arg-type]
    with pytest.raises(InvalidSelection, match="window_days"):
        time_to_finish(demo, sentiment, window_days=0)
    with pytest.raises(InvalidSelection, match="project list is empty"):
        annotator_throughput(demo, [])
    with pytest.raises(InvalidSelection, match="annotator list is empty"):
        annotator_throughput(demo, sentiment, annotators=[])
    with pytest.raises(dbl.NotFound, match=r"task id\(s\) do not exist.*\[999999991, 999999992\]"):
        annotator_throughput(demo, tasks=[999999991, 999999992, 1])
    with pytest.raises(InvalidSelection, match="integer ids; True"):
        annotator_throughput(demo, tasks=[True])
    other = demo.project(TITLES["ner"])
    foreign = int(
        demo.sql("SELECT min(id) AS id FROM task WHERE project_id = $p", p=other.id)["id"][0]
    )
    with pytest.raises(InvalidSelection, match="outside the selected project"):
        annotator_throughput(demo, sentiment, tasks=[foreign])
    scope = resolve_scope(demo, sentiment)
    with pytest.raises(InvalidSelection, match="resolved Scope or the filters"):
        annotator_throughput(demo, scope, since="2026-09-01")


def test_a_scope_is_resolved_once_and_reused(demo: dbl.Brewery, sentiment: dbl.Project) -> None:
    scope = resolve_scope(
        demo, [sentiment, sentiment.title, sentiment.id], since="2026-09-01", until="2026-09-07"
    )
    assert scope.project_ids == (sentiment.id,)
    assert scope.until == datetime(2026, 9, 8, tzinfo=UTC)
    assert sentiment.title in scope.label and "2026-09-01" in scope.label
    reused = annotator_throughput(demo, scope)
    direct = annotator_throughput(demo, sentiment, since="2026-09-01", until="2026-09-07")
    pd.testing.assert_frame_equal(pd.DataFrame(reused), pd.DataFrame(direct))
    member = int(reused["annotator_id"].iloc[0])
    by_id = resolve_scope(demo, sentiment, annotators=[member, reused["annotator"].iloc[0]])
    assert by_id.annotator_ids == (member,)


# --------------------------------------------------------------------------- Label Studio

LABEL_STUDIO_DDL = """
CREATE TABLE project (id serial PRIMARY KEY, title varchar, label_config text);
CREATE TABLE task (id serial PRIMARY KEY, data jsonb NOT NULL, project_id integer);
CREATE TABLE task_completion (
    id serial PRIMARY KEY, result jsonb, task_id integer, project_id integer,
    completed_by_id integer, was_cancelled boolean DEFAULT false,
    lead_time double precision, created_at timestamptz DEFAULT now()
);
INSERT INTO project (title) VALUES ('Birds');
INSERT INTO task (data, project_id) VALUES ('{"image": "a.png"}', 1), ('{"image": "b.png"}', 1);
INSERT INTO task_completion (result, task_id, project_id, completed_by_id, lead_time, was_cancelled)
VALUES ('[]', 1, 1, 7, 3.5, false), ('[]', 2, 1, 7, 5.5, false), ('[]', 2, 1, 8, NULL, true);
"""


@pytest.fixture(scope="module")
def label_studio(make_database: Callable[..., str]) -> Iterator[dbl.Brewery]:
    conninfo = make_database(schema=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute(LABEL_STUDIO_DDL)
    with dbl.connect(conninfo) as connected:
        yield connected


def test_a_label_studio_database_without_review_columns(label_studio: dbl.Brewery) -> None:
    with pytest.raises(dbl.MissingSchemaError, match=r"reviewed.*review turnaround"):
        review_turnaround(label_studio, "Birds")
    people = annotator_throughput(label_studio, "Birds").set_index("annotator_id")
    assert people.loc[7, ["annotator", "annotations", "skips"]].tolist() == ["user 7", 2, 0]
    assert people.loc[8, ["annotations", "skips"]].tolist() == [0, 1]
    assert people.loc[7, "median_lead_time_s"] == 4.5
