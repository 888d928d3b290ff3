"""A plain Label Studio database (fewer tables and columns) is read as it is."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

import databrewery_lab as dbl

# The shape of Label Studio's own tables, trimmed to what these tests touch.
LABEL_STUDIO_DDL = """
CREATE TABLE organization (id serial PRIMARY KEY, title varchar NOT NULL);
CREATE TABLE project (
    id serial PRIMARY KEY, title varchar, label_config text,
    organization_id integer REFERENCES organization, maximum_annotations integer,
    created_at timestamptz DEFAULT now()
);
CREATE TABLE task (
    id serial PRIMARY KEY, data jsonb NOT NULL, project_id integer REFERENCES project,
    is_labeled boolean DEFAULT false
);
CREATE TABLE task_completion (
    id serial PRIMARY KEY, result jsonb, task_id integer REFERENCES task,
    project_id integer REFERENCES project, completed_by_id integer,
    was_cancelled boolean DEFAULT false, lead_time double precision,
    created_at timestamptz DEFAULT now()
);
INSERT INTO organization (title) VALUES ('LS org');
INSERT INTO project (title, organization_id, maximum_annotations) VALUES ('Birds', 1, 1);
INSERT INTO task (data, project_id, is_labeled) VALUES ('{"image": "a.png"}', 1, true),
                                                       ('{"image": "b.png"}', 1, false);
INSERT INTO task_completion (result, task_id, project_id, completed_by_id, lead_time)
VALUES ('[]', 1, 1, 7, 3.5);
"""


@pytest.fixture(scope="module")
def label_studio_db(make_database: Callable[..., str]) -> str:
    conninfo = make_database(schema=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute(LABEL_STUDIO_DDL)
    return conninfo


def test_projects_are_listed_without_the_missing_parts(label_studio_db: str) -> None:
    with dbl.connect(label_studio_db) as brewery:
        projects = brewery.projects()
        summary = brewery.project("Birds").summary()
    row = projects.loc[1]
    assert (row["title"], row["organization"], row["tasks"], row["labeled_tasks"]) == (
        "Birds",
        "LS org",
        2,
        1,
    )
    assert row["annotations"] == 1 and row["progress"] == 0.5
    assert "workspace" not in projects and "predictions" not in projects
    assert summary["median_lead_time_s"] == 3.5
    assert "model_versions" not in summary


def test_a_missing_column_is_named_with_the_feature(label_studio_db: str) -> None:
    with dbl.connect(label_studio_db) as brewery:
        with pytest.raises(dbl.MissingSchemaError) as caught:
            brewery.schema.require("project", "workspace_id", feature="workspace drill-down")
        assert "has no column(s) workspace_id (needed by workspace drill-down)" in str(caught.value)
        assert len(brewery.schema.missing_databrewery_tables()) == 92
