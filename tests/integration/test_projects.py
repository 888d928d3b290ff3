"""Project listing and summaries on the demo organization; nothing secret leaks."""

from __future__ import annotations

import psycopg
import pytest

import databrewery_lab as dbl
from databrewery_lab.demo import fake_secrets


@pytest.fixture(scope="module")
def brewery(demo_db: str):  # type: ignore[no-untyped-def]
    with dbl.connect(demo_db) as connected:
        yield connected


def test_projects_frame_matches_live_counts(brewery: dbl.Brewery, demo_db: str) -> None:
    projects = brewery.projects()
    assert len(projects) >= 4
    with psycopg.connect(demo_db) as conn:
        expected = dict(
            conn.execute(
                "SELECT project_id, count(*) FROM task_completion "
                "WHERE NOT was_cancelled GROUP BY project_id"
            ).fetchall()
        )
        tasks = dict(conn.execute("SELECT project_id, count(*) FROM task GROUP BY 1").fetchall())
    for project_id, row in projects.iterrows():
        assert row["annotations"] == expected.get(project_id, 0)
        assert row["tasks"] == tasks.get(project_id, 0)
        assert 0.0 <= row["progress"] <= 1.0
    assert {"title", "organization", "workspace", "skipped", "predictions"} <= set(projects)


def test_project_by_id_and_title_and_its_summary(brewery: dbl.Brewery) -> None:
    projects = brewery.projects()
    first_id = int(projects.index[0])
    by_id = brewery.project(first_id)
    by_title = brewery.project(by_id.title)
    assert by_title.id == first_id
    summary = by_id.summary()
    assert summary["id"] == first_id
    assert summary["tasks"] == projects.loc[first_id, "tasks"]
    assert summary["median_lead_time_s"] > 0
    assert "label_config" not in summary


def test_unknown_project_is_a_clear_not_found(brewery: dbl.Brewery) -> None:
    with pytest.raises(dbl.NotFound, match=r"No project 'Nope' .* brewery.projects\(\)"):
        brewery.project("Nope")
    with pytest.raises(dbl.NotFound):
        brewery.project(10**9)


def test_no_fake_secret_reaches_what_a_user_sees(brewery: dbl.Brewery) -> None:
    secrets = fake_secrets()
    assert secrets, "the demo must declare its fake secrets"
    seen = [brewery.projects().to_csv(), repr(brewery)]
    for project_id in brewery.projects().index:
        project = brewery.project(int(project_id))
        seen += [repr(project.row), project.summary().to_csv()]
    text = "\n".join(seen)
    leaked = [s for s in secrets if s in text]
    assert leaked == []
