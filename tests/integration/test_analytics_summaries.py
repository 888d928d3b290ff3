"""Project summaries against an independent psycopg + pandas computation over the raw rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest

import databrewery_lab as dbl
from databrewery_lab.analytics import summaries
from databrewery_lab.analytics.scope import InvalidSelection

from .analytics_fixtures import assert_no_secrets, read

#: The demo's labelled controls: (project, control) → result type.
DEMO_CONTROLS = {
    (1, "sentiment"): "choices",
    (2, "label"): "labels",
    (3, "label"): "rectanglelabels",
    (4, "urgency"): "rating",
    (5, "topic"): "choices",
    (6, "sentiment"): "choices",
}


@pytest.fixture(scope="module")
def brewery(demo_db: str) -> Iterator[dbl.Brewery]:
    with dbl.connect(demo_db) as connected:
        yield connected


def same(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """Equal as tables: same rows (by ``keys``) and values, whatever the order."""
    columns = list(expected.columns)
    left = actual[columns].sort_values(keys).reset_index(drop=True)
    right = expected.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False, check_exact=False, rtol=1e-9)


# --------------------------------------------------------------------------- summaries


def _summaries_reference(
    demo_db: str,
    projects: list[int],
    since: str | None = None,
    until: str | None = None,
    annotators: list[int] | None = None,
) -> pd.DataFrame:
    tasks = read(
        demo_db,
        "SELECT id AS task_id, project_id, is_labeled, overlap FROM task "
        "WHERE project_id = ANY(%s)",
        (projects,),
    )
    work = read(
        demo_db,
        "SELECT task_id, project_id, completed_by_id, created_at, was_cancelled, ground_truth "
        "FROM task_completion WHERE project_id = ANY(%s)",
        (projects,),
    )
    notes = read(
        demo_db,
        "SELECT project_id, created_at, is_resolved FROM tasks_notes WHERE project_id = ANY(%s)",
        (projects,),
    )
    flags = read(
        demo_db,
        "SELECT DISTINCT t.project_id, f.task_id FROM task_flags f JOIN task t ON t.id = f.task_id",
    )
    submitted = work[~work["was_cancelled"]].groupby("task_id").size().rename("submitted")
    tasks = tasks.merge(submitted, left_on="task_id", right_index=True, how="left")
    tasks["submitted"] = tasks["submitted"].fillna(0)
    tasks["multi"] = tasks["overlap"] > 1
    tasks["complete"] = tasks["multi"] & (tasks["submitted"] >= tasks["overlap"])
    state = tasks.groupby("project_id").agg(
        tasks=("task_id", "size"),
        labeled_tasks=("is_labeled", "sum"),
        overlap_tasks=("multi", "sum"),
        overlap_complete=("complete", "sum"),
    )
    in_range = pd.Series(True, index=work.index)
    note_range = pd.Series(True, index=notes.index)
    if since:
        in_range &= work["created_at"] >= pd.Timestamp(since, tz="UTC")
        note_range &= notes["created_at"] >= pd.Timestamp(since, tz="UTC")
    if until:
        in_range &= work["created_at"] < pd.Timestamp(until, tz="UTC")
        note_range &= notes["created_at"] < pd.Timestamp(until, tz="UTC")
    if annotators is not None:
        in_range &= work["completed_by_id"].isin(annotators)
    work = work[in_range].assign(done=lambda w: ~w["was_cancelled"])
    work["truth"] = work["done"] & work["ground_truth"]
    activity = work.groupby("project_id").agg(
        annotations=("done", "sum"),
        skipped=("was_cancelled", "sum"),
        ground_truth=("truth", "sum"),
    )
    activity["annotators"] = work[work["done"]].groupby("project_id")["completed_by_id"].nunique()
    notes = notes[note_range].assign(open=lambda n: ~n["is_resolved"])
    talk = notes.groupby("project_id").agg(
        comments=("open", "size"), unresolved_comments=("open", "sum")
    )
    flagged = flags.groupby("project_id").size().rename("flagged_tasks")
    expected = pd.DataFrame(index=pd.Index(projects, name="project_id"))
    expected = expected.join([state, activity, talk, flagged]).fillna(0).reset_index()
    expected["progress"] = expected["labeled_tasks"] / expected["tasks"]
    expected["queue"] = expected["tasks"] - expected["labeled_tasks"]
    expected["overlap_coverage"] = expected["overlap_complete"] / expected["overlap_tasks"].replace(
        0, np.nan
    )
    return expected


def test_project_summaries_equal_the_raw_rows(brewery: dbl.Brewery, demo_db: str) -> None:
    expected = _summaries_reference(demo_db, [1, 2, 3, 4, 5, 6])
    frame = summaries.project_summaries(brewery)
    same(frame, expected, ["project_id"])
    assert frame["organization"].tolist()[-1] == "Bluefin Analytics"
    assert frame["workspace"].tolist()[0] == "Customer Insights"
    # counted from rows, they agree with the platform's own counters in the demo
    counters = read(
        demo_db, "SELECT id, task_number, finished_task_number FROM project ORDER BY id"
    )
    assert frame["tasks"].tolist() == counters["task_number"].tolist()
    assert frame["labeled_tasks"].tolist() == counters["finished_task_number"].tolist()


def test_project_summaries_follow_the_selection(brewery: dbl.Brewery, demo_db: str) -> None:
    expected = _summaries_reference(
        demo_db, [4, 5], since="2026-09-01", until="2026-09-15", annotators=[21, 22, 24]
    )
    frame = summaries.project_summaries(
        brewery,
        workspace="Support Ops",
        since="2026-09-01",
        until="2026-09-14",
        annotators=[21, "paulo.costa", "chloe.brown@northwind-labs.example"],
    )
    same(frame, expected, ["project_id"])
    assert frame["project_id"].tolist() == [4, 5]
    org = summaries.project_summaries(brewery, organization="Bluefin Analytics")
    assert org["project_id"].tolist() == [6]
    some = summaries.project_summaries(brewery, tasks=[1, 2, 3])
    assert some[["project_id", "tasks"]].values.tolist() == [[1, 3]]


def test_project_summaries_figure(brewery: dbl.Brewery) -> None:
    frame = summaries.project_summaries(brewery)
    figure = frame.plot()
    assert [t.name for t in figure.data] == ["labeled", "in queue"]
    assert list(figure.data[0].x) == frame["labeled_tasks"].tolist()
    assert list(figure.data[1].x) == frame["queue"].tolist()
    assert figure.layout.barmode == "stack"
    assert_no_secrets(frame)


# --------------------------------------------------------------------------- labels


def _labels_reference(demo_db: str, where: str = "TRUE", params: tuple[Any, ...] = ()):
    rows = read(
        demo_db,
        f"SELECT id, project_id, result FROM task_completion WHERE NOT was_cancelled AND {where}",
        params,
    )
    given = []
    for annotation, project, result in rows.itertuples(index=False):
        for item in result or []:
            kind = DEMO_CONTROLS.get((project, item.get("from_name")))
            if kind is None or str(item.get("type", "")).lower() != kind:
                continue
            value = item.get("value", {}).get(kind)
            labels = value if isinstance(value, list) else [] if value is None else [value]
            given += [(project, item["from_name"], str(label), annotation) for label in labels]
    frame = pd.DataFrame(given, columns=["project_id", "control", "label", "annotation"])
    counted = frame.groupby(["project_id", "control", "label"], as_index=False).agg(
        count=("annotation", "size")
    )
    totals = counted.groupby(["project_id", "control"])["count"].transform("sum")
    counted["share"] = counted["count"] / totals
    return counted


def test_label_distribution_equals_the_raw_results(brewery: dbl.Brewery, demo_db: str) -> None:
    expected = _labels_reference(demo_db)
    frame = summaries.label_distribution(brewery)
    same(frame, expected, ["project_id", "control", "label"])
    assert set(zip(frame["project_id"], frame["control"], strict=True)) == set(DEMO_CONTROLS)
    assert frame["in_config"].all()
    ratings = frame[frame["control"] == "urgency"]
    assert ratings["label"].tolist() == ["1", "2", "3", "4", "5"]
    mixed = frame[(frame["project_id"] == 1)]
    assert mixed["label"].tolist() == ["Positive", "Negative", "Neutral", "Mixed"]  # config order
    assert frame.groupby(["project_id", "control"])["share"].sum().tolist() == pytest.approx(
        [1.0] * len(DEMO_CONTROLS)
    )


def test_label_distribution_follows_the_selection(brewery: dbl.Brewery, demo_db: str) -> None:
    expected = _labels_reference(
        demo_db,
        "project_id = ANY(%s) AND created_at >= %s AND completed_by_id = ANY(%s)",
        ([2, 3], "2026-09-20T00:00:00+00:00", [11, 12, 16, 19]),
    )
    frame = summaries.label_distribution(
        brewery, [2, 3], since="2026-09-20", annotators=[11, 12, 16, 19]
    )
    same(frame, expected, ["project_id", "control", "label"])
    assert set(summaries.label_distribution(brewery, organization=2)["project_id"]) == {6}


def test_label_distribution_figure(brewery: dbl.Brewery) -> None:
    frame = summaries.label_distribution(brewery)
    figure = frame.plot()
    titles = frame.drop_duplicates(["project_id", "control"])
    assert [t.name for t in figure.data] == [
        f"{p} · {c}" for p, c in zip(titles["project"], titles["control"], strict=True)
    ]
    sentiment = figure.data[0]
    assert list(sentiment.x) == ["Positive", "Negative", "Neutral", "Mixed"]
    assert_no_secrets(frame)


# --------------------------------------------------------------------------- flags


def test_flag_counts_equal_the_raw_rows(brewery: dbl.Brewery, demo_db: str) -> None:
    raw = read(
        demo_db,
        "SELECT t.project_id, p.title AS project, f.flag_id, fl.title AS flag, f.task_id "
        "FROM task_flags f JOIN task t ON t.id = f.task_id JOIN project p ON p.id = t.project_id "
        "JOIN tasks_flag fl ON fl.id = f.flag_id",
    )
    expected = raw.groupby(["project_id", "project", "flag_id", "flag"], as_index=False).agg(
        flagged_tasks=("task_id", "nunique")
    )
    frame = summaries.flag_counts(brewery)
    same(frame, expected, ["project_id", "flag_id"])
    figure = frame.plot()
    assert [t.name for t in figure.data] == sorted(frame["flag"].unique())
    assert sum(sum(t.y) for t in figure.data) == frame["flagged_tasks"].sum()
    assert summaries.flag_counts(brewery, tasks=[1])[["project_id", "flag"]].values.tolist() == [
        [1, "Ambiguous"]
    ]
    assert_no_secrets(frame)


# --------------------------------------------------------------------------- bad input


def test_bad_selections_are_refused_with_the_fix(brewery: dbl.Brewery) -> None:
    with pytest.raises(dbl.NotFound, match=r"No workspace 'Nowhere'.*'Support Ops' \(id 4\)"):
        summaries.project_summaries(brewery, workspace="Nowhere")
    with pytest.raises(InvalidSelection, match=r"Project\(s\) \[6\] are outside"):
        summaries.label_distribution(brewery, 6, workspace="Support Ops")
    with pytest.raises(dbl.NotFound, match="No project 'Nope'"):
        summaries.flag_counts(brewery, "Nope")
    with pytest.raises(InvalidSelection, match="outside the selected project"):
        summaries.project_summaries(brewery, 2, tasks=[1])
    with pytest.raises(InvalidSelection, match="is not before"):
        summaries.label_distribution(brewery, since="2026-09-02", until="2026-09-01")


CONFIG = (
    '<View><Text name="text" value="$text"/><Choices name="mood" toName="text">'
    '<Choice value="Happy"/><Choice value="Sad"/><Choice value="Unused"/></Choices></View>'
)
EDGE_ROWS = """
INSERT INTO organization (id, title) VALUES (1, 'O');
INSERT INTO htx_user (id, username, email) VALUES (1, 'ann', 'ann@example.org');
INSERT INTO project (id, title, organization_id, label_config) VALUES
    (1, 'Good', 1, %(config)s), (2, 'Broken', 1, '<View><Choices');
INSERT INTO task (id, data, project_id, overlap) VALUES (1, '{}', 1, 2), (2, '{}', 2, 1);
INSERT INTO task_completion (task_id, project_id, completed_by_id, was_cancelled, result)
VALUES
    (1, 1, 1, false, %(happy)s),
    (1, 1, 1, false, %(stray)s),
    (1, 1, 1, true, %(happy)s),
    (2, 2, 1, false, %(happy)s);
"""


def run_script(conn: psycopg.Connection[Any], script: str, values: dict[str, str]) -> None:
    """Statements one by one (psycopg binds parameters in single statements only)."""
    for statement in filter(str.strip, script.split(";\n")):
        conn.execute(statement, {k: v for k, v in values.items() if f"%({k})s" in statement})


def _choice(label: str) -> str:
    item = {"from_name": "mood", "to_name": "text", "type": "choices"}
    return json.dumps([{**item, "value": {"choices": [label]}}])


def test_labels_outside_the_config_and_broken_configs(make_database: Callable[..., str]) -> None:
    conninfo = make_database(schema=True)
    with psycopg.connect(conninfo) as conn:
        run_script(
            conn,
            EDGE_ROWS,
            {"config": CONFIG, "happy": _choice("Happy"), "stray": _choice("Angry")},
        )
    with dbl.connect(conninfo) as brewery:
        with pytest.warns(UserWarning, match=r"'Broken' \(id 2\)"):
            frame = summaries.label_distribution(brewery)
        table = frame[["label", "count", "in_config"]].values.tolist()
        assert table == [
            ["Happy", 1, True],
            ["Sad", 0, True],
            ["Unused", 0, True],
            ["Angry", 1, False],
        ]
        summary = summaries.project_summaries(brewery, 1)
    row = summary.iloc[0]
    assert (row["annotations"], row["skipped"], row["overlap_tasks"], row["overlap_complete"]) == (
        2,
        1,
        1,
        1,
    )


LABEL_STUDIO_DDL = """
CREATE TABLE organization (id serial PRIMARY KEY, title varchar NOT NULL);
CREATE TABLE project (
    id serial PRIMARY KEY, title varchar, label_config text,
    organization_id integer REFERENCES organization
);
CREATE TABLE task (
    id serial PRIMARY KEY, data jsonb NOT NULL, project_id integer REFERENCES project,
    is_labeled boolean DEFAULT false, overlap integer DEFAULT 1
);
CREATE TABLE task_completion (
    id serial PRIMARY KEY, result jsonb, task_id integer REFERENCES task,
    project_id integer REFERENCES project, completed_by_id integer,
    was_cancelled boolean DEFAULT false, created_at timestamptz DEFAULT now()
);
INSERT INTO organization (title) VALUES ('LS org');
INSERT INTO project (title, organization_id, label_config) VALUES ('Birds', 1, %(config)s);
INSERT INTO task (data, project_id, is_labeled) VALUES ('{}', 1, true), ('{}', 1, false);
INSERT INTO task_completion (result, task_id, project_id, completed_by_id)
VALUES (%(happy)s, 1, 1, 7);
"""


def test_a_label_studio_database(make_database: Callable[..., str]) -> None:
    conninfo = make_database(schema=False)
    with psycopg.connect(conninfo) as conn:
        run_script(conn, LABEL_STUDIO_DDL, {"config": CONFIG, "happy": _choice("Happy")})
    with dbl.connect(conninfo) as brewery:
        frame = summaries.project_summaries(brewery, organization="LS org")
        assert frame[
            ["project", "organization", "tasks", "progress", "annotations"]
        ].values.tolist() == [["Birds", "LS org", 2, 0.5, 1]]
        assert "comments" not in frame and "workspace" not in frame
        labels = summaries.label_distribution(brewery)
        assert labels[["label", "count"]].values.tolist() == [
            ["Happy", 1],
            ["Sad", 0],
            ["Unused", 0],
        ]
        with pytest.raises(dbl.MissingSchemaError, match="Table 'task_flags' does not exist"):
            summaries.flag_counts(brewery)
        with pytest.raises(dbl.MissingSchemaError, match="Table 'workspace' does not exist"):
            summaries.project_summaries(brewery, workspace=1)
