"""Ratings tables out of result JSON, per control of the label config, on real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import psycopg
import pytest
from psycopg.types.json import Jsonb

import databrewery_lab as dbl
from databrewery_lab.analytics import (
    InvalidSelection,
    extract_annotations,
    extract_predictions,
    find_control,
)
from databrewery_lab.demo.projects import PROJECTS
from databrewery_lab.label_config import parse_label_config
from databrewery_lab.projects import Project

from .labeling_fixtures import make_project, seed_people

TITLES = {spec.key: spec.title for spec in PROJECTS}

# The contract the agreement and prediction metrics read.
ANNOTATION_COLUMNS = {
    "choices": [("value", "VARCHAR")],
    "multichoices": [("value", "VARCHAR[]")],
    "rating": [("value", "DOUBLE")],
    "number": [("value", "DOUBLE")],
    "textarea": [("text", "VARCHAR")],
    "labels": [
        ("region_id", "VARCHAR"),
        ("start", "INTEGER"),
        ("end", "INTEGER"),
        ("label", "VARCHAR"),
    ],
    "rectanglelabels": [
        ("region_id", "VARCHAR"),
        ("x", "DOUBLE"),
        ("y", "DOUBLE"),
        ("width", "DOUBLE"),
        ("height", "DOUBLE"),
        ("label", "VARCHAR"),
    ],
}


def shape(relation: duckdb.DuckDBPyRelation) -> list[tuple[str, str]]:
    return [(name, str(kind)) for name, kind in zip(relation.columns, relation.types, strict=True)]


# --------------------------------------------------------------------------- reference


def _items(result: Any, control: str, result_type: str) -> list[dict[str, Any]]:
    if not isinstance(result, list):
        return []
    return [
        item
        for item in result
        if isinstance(item, dict)
        and item.get("from_name") == control
        and str(item.get("type", "")).lower() == result_type
    ]


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def _offset(value: dict[str, Any], key: str) -> int | None:
    own, spread = value.get(key), (value.get("globalOffsets") or {}).get(key)
    for candidate in (own, spread):
        if isinstance(candidate, int | float) and not isinstance(candidate, bool):
            return round(candidate)
    return None


def _labels(value: dict[str, Any], key: str) -> list[str | None]:
    labels = value.get(key)
    return list(labels) if isinstance(labels, list) and labels else [None]


def reference_values(key: str, items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What one annotation (or prediction) contributes, decoded in Python."""
    if key in ("labels", "rectanglelabels"):
        if not items:
            return [(None,) * len(ANNOTATION_COLUMNS[key])]
        rows = []
        for item in items:
            value = item.get("value") or {}
            if key == "labels":
                geometry = (_offset(value, "start"), _offset(value, "end"))
            else:
                geometry = tuple(_number(value.get(k)) for k in ("x", "y", "width", "height"))
            rows += [(item.get("id"), *geometry, label) for label in _labels(value, key)]
        return rows
    if not items:
        return []
    value = items[0].get("value") or {}
    if key == "choices":
        choices = value.get("choices")
        found = choices[0] if isinstance(choices, list) and choices else None
    elif key == "multichoices":
        choices = value.get("choices")
        found = sorted(set(choices)) if isinstance(choices, list) else None
    elif key in ("rating", "number"):
        found = _number(value.get(key))
    else:
        texts = value.get("text")
        found = "\n".join(texts) if isinstance(texts, list) and texts else None
        found = texts if isinstance(texts, str) else found
    return [] if found is None else [(found,)]


def reference_annotations(
    conninfo: str, project_id: int, control: str, result_type: str, key: str
) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT id, task_id, completed_by_id, ground_truth, result FROM task_completion "
            "WHERE project_id = %s AND NOT was_cancelled",
            (project_id,),
        ).fetchall()
    latest: dict[tuple[int, int], tuple[Any, ...]] = {}
    for row in rows:
        annotation_id, task_id, user, truth, _ = row
        if user is None and not truth:
            continue
        rater = (task_id, user if user is not None else -annotation_id)
        if rater not in latest or annotation_id > latest[rater][0]:
            latest[rater] = row
    expected = []
    for annotation_id, task_id, user, truth, result in latest.values():
        for values in reference_values(key, _items(result, control, result_type)):
            expected.append((task_id, user, *values, annotation_id, truth))
    return expected


def reference_predictions(
    conninfo: str, project_id: int, control: str, result_type: str, key: str
) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT id, task_id, model_version, score, result FROM prediction "
            "WHERE project_id = %s",
            (project_id,),
        ).fetchall()
    return [
        (task_id, prediction_id, version, score, *values)
        for prediction_id, task_id, version, score, result in rows
        for values in reference_values(key, _items(result, control, result_type))
    ]


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda row: json.dumps(row, default=str))


# --------------------------------------------------------------------------- demo


@pytest.fixture(scope="module")
def demo(demo_db: str) -> Iterator[dbl.Brewery]:
    with dbl.connect(demo_db) as connected:
        yield connected


DEMO_CONTROLS = [
    ("sentiment", "sentiment", "choices"),
    ("topics", "topic", "multichoices"),
    ("summary", "urgency", "rating"),
    ("summary", "summary", "textarea"),
    ("ner", "label", "labels"),
    ("bbox", "label", "rectanglelabels"),
]


@pytest.mark.parametrize(("project_key", "control", "key"), DEMO_CONTROLS)
def test_demo_annotations_equal_a_python_decoding_of_the_rows(
    demo: dbl.Brewery, demo_db: str, project_key: str, control: str, key: str
) -> None:
    project = demo.project(TITLES[project_key])
    relation = extract_annotations(demo, project, control)
    columns = ANNOTATION_COLUMNS[key]
    assert shape(relation) == [
        ("task_id", "BIGINT"),
        ("annotator_id", "BIGINT"),
        *columns,
        ("annotation_id", "BIGINT"),
        ("ground_truth", "BOOLEAN"),
    ]
    result_type = parse_label_config(project.label_config or "").control(control).result_type
    expected = reference_annotations(demo_db, project.id, control, result_type, key)
    ours = relation.fetchall()
    assert len(ours) > 100
    assert _sorted(ours) == _sorted(expected)
    if key not in ("labels", "rectanglelabels"):
        pairs = [(row[0], row[1]) for row in ours]
        assert len(pairs) == len(set(pairs)), "one row per (task, annotator)"


@pytest.mark.parametrize(("project_key", "control", "key"), DEMO_CONTROLS)
def test_demo_predictions_equal_a_python_decoding_of_the_rows(
    demo: dbl.Brewery, demo_db: str, project_key: str, control: str, key: str
) -> None:
    project = demo.project(TITLES[project_key])
    relation = extract_predictions(demo, project.id, control)
    assert shape(relation) == [
        ("task_id", "BIGINT"),
        ("prediction_id", "BIGINT"),
        ("model_version", "VARCHAR"),
        ("score", "DOUBLE"),
        *ANNOTATION_COLUMNS[key],
    ]
    result_type = parse_label_config(project.label_config or "").control(control).result_type
    expected = reference_predictions(demo_db, project.id, control, result_type, key)
    assert expected, "the demo predicts every project"
    assert _sorted(relation.fetchall()) == _sorted(expected)


def test_demo_model_version_and_date_filters(demo: dbl.Brewery, demo_db: str) -> None:
    project = demo.project(TITLES["sentiment"])
    versions = demo.sql(
        "SELECT DISTINCT model_version FROM prediction WHERE project_id = $p ORDER BY 1",
        p=project.id,
    )["model_version"].tolist()
    assert len(versions) >= 2
    only = extract_predictions(demo, project, "sentiment", model_versions=versions[-1]).df()
    assert set(only["model_version"]) == {versions[-1]}
    since, until = "2026-09-01", "2026-09-10"
    window = extract_annotations(demo, project, since=since, until=until).df()
    with psycopg.connect(demo_db) as conn:
        ids = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM task_completion WHERE project_id = %s AND NOT was_cancelled "
                "AND created_at >= '2026-09-01' AND created_at < '2026-09-11'",
                (project.id,),
            )
        }
    assert 0 < len(window) <= len(ids)
    assert set(window["annotation_id"]) <= ids


def test_the_only_control_of_a_kind_is_found_by_kind(demo: dbl.Brewery) -> None:
    summaries = demo.project(TITLES["summary"])
    assert find_control(demo, summaries, kind="Rating").name == "urgency"
    assert find_control(demo, summaries, kind="textarea").name == "summary"
    assert find_control(demo, TITLES["sentiment"]).name == "sentiment"
    with pytest.raises(InvalidSelection, match=r"several control tags .*summary .*urgency"):
        find_control(demo, summaries)


# --------------------------------------------------------------------------- edge cases

FORM = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
  <Choices name="topic" toName="text" choice="multiple">
    <Choice value="A"/><Choice value="B"/><Choice value="C"/>
  </Choices>
  <Rating name="stars" toName="text" maxRating="5"/>
  <Number name="score" toName="text" min="0" max="10"/>
  <TextArea name="note" toName="text"/>
</View>"""

SPANS = """<View>
  <Text name="text" value="$text"/>
  <Labels name="ents" toName="text">
    <Label value="PER"/><Label value="ORG"/><Label value="LOC"/>
  </Labels>
  <HyperText name="html" value="$html"/>
  <Labels name="marks" toName="html"><Label value="Key"/></Labels>
</View>"""

PER_REGION = """<View>
  <Text name="text" value="$text"/>
  <Labels name="ents" toName="text"><Label value="PER"/></Labels>
  <Choices name="kind" toName="text" perRegion="true">
    <Choice value="a"/><Choice value="b"/>
  </Choices>
</View>"""


def item(name: str, kind: str, value: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"from_name": name, "to_name": "text", "type": kind, "value": value, **extra}


class Lab:
    """A fresh database with people and projects to write crafted annotations into."""

    def __init__(self, conninfo: str, emails: list[str]) -> None:
        self.conninfo = conninfo
        self.emails = emails
        self.brewery = dbl.connect(conninfo)
        with psycopg.connect(conninfo) as conn:
            self.ids = dict(conn.execute("SELECT email, id FROM htx_user").fetchall())
        self.users = [self.ids[email] for email in emails]

    def project(self, config: str, tasks: int = 3) -> tuple[Project, list[int]]:
        project = make_project(self.brewery.as_user(self.emails[0]), tasks, config=config)
        with psycopg.connect(self.conninfo) as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM task WHERE project_id = %s ORDER BY id", (project.id,)
                )
            ]
        return project, ids

    def annotate(
        self,
        project: Project,
        task: int,
        user: int | None,
        result: Any,
        *,
        at: str = "2026-03-01T10:00:00+00:00",
        cancelled: bool = False,
        truth: bool = False,
    ) -> int:
        with psycopg.connect(self.conninfo) as conn:
            row = conn.execute(
                "INSERT INTO task_completion (result, task_id, project_id, completed_by_id, "
                "was_cancelled, ground_truth, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "RETURNING id",
                (Jsonb(result), task, project.id, user, cancelled, truth, at),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def predict(self, project: Project, task: int, version: str, score: float, result: Any) -> int:
        with psycopg.connect(self.conninfo) as conn:
            row = conn.execute(
                "INSERT INTO prediction (result, task_id, project_id, model_version, score) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (Jsonb(result), task, project.id, version, score),
            ).fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture(scope="module")
def lab(make_database: Callable[..., str]) -> Iterator[Lab]:
    conninfo = make_database(schema=True)
    made = Lab(conninfo, seed_people(conninfo, annotators=3))
    yield made
    made.brewery.close()


@pytest.fixture(scope="module")
def form(lab: Lab) -> dict[str, Any]:
    """A project with every single-valued control, and annotations that test the rules."""
    project, (t1, t2, t3) = lab.project(FORM)
    u0, u1, u2 = lab.users
    full = [
        item("sentiment", "choices", {"choices": ["Positive"]}),
        item("topic", "choices", {"choices": ["B", "A", "B"]}),
        item("stars", "rating", {"rating": 4}),
        item("score", "number", {"number": 2.5}),
        item("note", "textarea", {"text": ["first", "second"]}),
    ]
    ids = {
        "u0_old": lab.annotate(project, t1, u0, full, at="2026-03-01T09:00:00+00:00"),
        "u0_new": lab.annotate(
            project, t1, u0, [item("sentiment", "Choices", {"choices": ["Negative"]})]
        ),
        "u1_skip": lab.annotate(
            project,
            t1,
            u1,
            [item("sentiment", "choices", {"choices": ["Neutral"]})],
            cancelled=True,
        ),
        "u1": lab.annotate(
            project,
            t1,
            u1,
            [
                item("sentiment", "choices", {"choices": ["Neutral"]}),
                item("stars", "rating", {"rating": "5"}),
                item("score", "number", {"number": 7}),
                item("note", "textarea", {"text": "just one"}),
            ],
            at="2026-03-05T10:00:00+00:00",
        ),
        "u2_object": lab.annotate(project, t2, u2, {"not": "a list"}),
        "u0_junk": lab.annotate(
            project, t2, u0, ["junk", item("sentiment", "choices", {"choices": "Positive"})]
        ),
        "truth": lab.annotate(
            project, t3, None, [item("sentiment", "choices", {"choices": ["Positive"]})], truth=True
        ),
        "deleted": lab.annotate(
            project, t3, None, [item("sentiment", "choices", {"choices": ["Negative"]})]
        ),
    }
    preds = {
        "v1": lab.predict(
            project, t1, "v1", 0.9, [item("sentiment", "choices", {"choices": ["Positive"]})]
        ),
        "v2": lab.predict(
            project, t1, "v2", 0.4, [item("sentiment", "choices", {"choices": ["Negative"]})]
        ),
        "empty": lab.predict(project, t2, "v2", 0.1, []),
    }
    return {"project": project, "tasks": (t1, t2, t3), "ids": ids, "preds": preds}


def rows(relation: duckdb.DuckDBPyRelation) -> list[tuple[Any, ...]]:
    return relation.fetchall()


def test_single_choice_keeps_the_latest_submitted_answer(lab: Lab, form: dict[str, Any]) -> None:
    t1, _, t3 = form["tasks"]
    u0, u1, _ = lab.users
    ids = form["ids"]
    assert rows(extract_annotations(lab.brewery, form["project"], "sentiment")) == [
        (t1, u0, "Negative", ids["u0_new"], False),
        (t1, u1, "Neutral", ids["u1"], False),
        (t3, None, "Positive", ids["truth"], True),
    ]


def test_multiple_choice_is_a_sorted_distinct_list(lab: Lab, form: dict[str, Any]) -> None:
    # u0's latest annotation on t1 has no topic: a missing rating, not the older answer.
    assert rows(extract_annotations(lab.brewery, form["project"], "topic")) == []
    t1 = form["tasks"][0]
    older = extract_annotations(lab.brewery, form["project"], "topic", until="2026-03-01T09:30")
    assert rows(older) == [(t1, lab.users[0], ["A", "B"], form["ids"]["u0_old"], False)]
    assert shape(older)[2] == ("value", "VARCHAR[]")


def test_numbers_and_texts_skip_malformed_values(lab: Lab, form: dict[str, Any]) -> None:
    t1 = form["tasks"][0]
    u0, u1, _ = lab.users
    ids = form["ids"]
    assert rows(extract_annotations(lab.brewery, form["project"], kind="rating")) == []
    assert rows(extract_annotations(lab.brewery, form["project"], kind="Number")) == [
        (t1, u1, 7.0, ids["u1"], False)
    ]
    assert rows(extract_annotations(lab.brewery, form["project"], "note")) == [
        (t1, u1, "just one", ids["u1"], False)
    ]
    early = extract_annotations(lab.brewery, form["project"], "note", until="2026-03-01T09:30Z")
    assert rows(early) == [(t1, u0, "first\nsecond", ids["u0_old"], False)]


def test_filters_by_annotator_task_and_date(lab: Lab, form: dict[str, Any]) -> None:
    t1, t2, t3 = form["tasks"]
    u1 = lab.users[1]
    by_email = extract_annotations(
        lab.brewery, form["project"], "sentiment", annotators=lab.emails[1]
    )
    assert [(r[0], r[1]) for r in rows(by_email)] == [(t1, u1)]
    by_task = extract_annotations(lab.brewery, form["project"], "sentiment", tasks=[t3])
    assert [(r[0], r[1]) for r in rows(by_task)] == [(t3, None)]
    later = extract_annotations(lab.brewery, form["project"], "sentiment", since="2026-03-02")
    assert [(r[0], r[1]) for r in rows(later)] == [(t1, u1)]
    assert rows(extract_annotations(lab.brewery, form["project"], "sentiment", tasks=[t2])) == []


def test_predictions_keep_version_and_score(lab: Lab, form: dict[str, Any]) -> None:
    t1 = form["tasks"][0]
    preds = form["preds"]
    assert rows(extract_predictions(lab.brewery, form["project"], "sentiment")) == [
        (t1, preds["v1"], "v1", 0.9, "Positive"),
        (t1, preds["v2"], "v2", 0.4, "Negative"),
    ]
    only = extract_predictions(lab.brewery, form["project"], "sentiment", model_versions=["v1"])
    assert rows(only) == [(t1, preds["v1"], "v1", 0.9, "Positive")]


def test_regions_one_row_per_label_and_a_null_row_for_nothing_marked(lab: Lab) -> None:
    project, (t1, t2, _) = lab.project(SPANS)
    u0, u1, _ = lab.users
    first = lab.annotate(
        project,
        t1,
        u0,
        [
            item("ents", "labels", {"start": 0, "end": 4, "labels": ["PER", "ORG"]}, id="r1"),
            item("ents", "labels", {"start": 10, "end": 12, "labels": ["LOC"]}, id="r2"),
            item(
                "marks",
                "labels",
                {
                    "start": "/p[1]/text()[1]",
                    "end": "/p[1]/text()[1]",
                    "startOffset": 3,
                    "endOffset": 9,
                    "globalOffsets": {"start": 3, "end": 9},
                    "labels": ["Key"],
                },
                id="h1",
                to_name="html",
            ),
        ],
    )
    empty = lab.annotate(project, t1, u1, [])
    lab.annotate(
        project,
        t2,
        u0,
        [item("ents", "labels", {"start": 1, "end": 2, "labels": ["PER"]})],
        cancelled=True,
    )
    ents = extract_annotations(lab.brewery, project, "ents")
    assert rows(ents) == [
        (t1, u0, "r1", 0, 4, "ORG", first, False),
        (t1, u0, "r1", 0, 4, "PER", first, False),
        (t1, u0, "r2", 10, 12, "LOC", first, False),
        (t1, u1, None, None, None, None, empty, False),
    ]
    marks = extract_annotations(lab.brewery, project, "marks")
    assert (t1, u0, "h1", 3, 9, "Key", first, False) in rows(marks)
    with pytest.raises(InvalidSelection, match=r"several labels tags .*ents .*marks"):
        extract_annotations(lab.brewery, project, kind="labels")


def test_bad_selections_name_the_thing_and_the_fix(lab: Lab, form: dict[str, Any]) -> None:
    brewery, project = lab.brewery, form["project"]
    with pytest.raises(InvalidSelection, match=r"several control tags .*control='<name>'"):
        extract_annotations(brewery, project)
    with pytest.raises(InvalidSelection, match="several choices tags"):
        extract_annotations(brewery, project, kind="choices")
    with pytest.raises(dbl.NotFound, match=r"no control named 'nope'.*sentiment"):
        extract_annotations(brewery, project, "nope")
    with pytest.raises(InvalidSelection, match="is Choices, not rating"):
        extract_annotations(brewery, project, "sentiment", kind="rating")
    with pytest.raises(InvalidSelection, match="kind='bogus' is not a control tag"):
        extract_annotations(brewery, project, kind="bogus")
    with pytest.raises(InvalidSelection, match="name the project"):
        extract_annotations(brewery, None, "sentiment")
    with pytest.raises(dbl.NotFound, match="No project 'Nowhere'"):
        extract_annotations(brewery, "Nowhere", "sentiment")
    with pytest.raises(dbl.NotFound, match=r"No user 'ghost@example\.org'"):
        extract_annotations(brewery, project, "sentiment", annotators=["ghost@example.org"])
    with pytest.raises(InvalidSelection, match="not before until"):
        extract_annotations(brewery, project, "sentiment", since="2026-03-02", until="2026-03-01")
    with pytest.raises(InvalidSelection, match="model_versions"):
        extract_predictions(brewery, project, "sentiment", model_versions=[])


def test_per_region_controls_and_mixed_configs_are_refused(lab: Lab, form: dict[str, Any]) -> None:
    regional, _ = lab.project(PER_REGION)
    with pytest.raises(InvalidSelection, match="per-region"):
        extract_annotations(lab.brewery, regional, "kind")
    assert rows(extract_annotations(lab.brewery, regional, "ents")) == []
    spans, _ = lab.project(SPANS)
    with pytest.raises(dbl.NotFound, match="no control named 'sentiment'"):
        extract_annotations(lab.brewery, [form["project"], spans], "sentiment")
    twin, (twin_task, _, _) = lab.project(FORM)
    lab.annotate(
        twin, twin_task, lab.users[2], [item("sentiment", "choices", {"choices": ["Neutral"]})]
    )
    both = rows(extract_annotations(lab.brewery, [form["project"], twin], "sentiment"))
    assert len(both) == 4 and both[-1][:3] == (twin_task, lab.users[2], "Neutral")


def test_a_broken_label_config_names_its_project(lab: Lab) -> None:
    broken, _ = lab.project(FORM)
    with psycopg.connect(lab.conninfo) as conn:
        conn.execute(
            "UPDATE project SET label_config = '<View><Bogus/></View>' WHERE id = %s", (broken.id,)
        )
    with pytest.raises(dbl.LabelConfigError, match=rf"Project '{broken.title}' \(id {broken.id}\)"):
        extract_annotations(lab.brewery, broken.id, "sentiment")


def test_an_extracted_table_is_fetched_once(lab: Lab) -> None:
    project, (task, _, _) = lab.project(FORM)
    answer = [item("sentiment", "choices", {"choices": ["Positive"]})]
    annotation = lab.annotate(project, task, lab.users[0], answer)
    relation = extract_annotations(lab.brewery, project, "sentiment")
    with psycopg.connect(lab.conninfo) as conn:
        conn.execute("DELETE FROM task_completion WHERE id = %s", (annotation,))
    expected = [(task, lab.users[0], "Positive", annotation, False)]
    assert rows(relation) == expected and rows(relation) == expected  # no PostgreSQL re-read
    assert rows(extract_annotations(lab.brewery, project, "sentiment")) == []
