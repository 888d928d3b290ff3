"""The demo organization on a real PostgreSQL: complete, coherent, deterministic, atomic.

Read-only checks use the session's shared ``demo_db`` (scale 1, seed 0); tests that
build, refuse or fail a build get their own databases from ``make_database``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from defusedxml import ElementTree
from psycopg import sql

from databrewery_lab.demo import DemoReport, build_demo, fake_secrets
from databrewery_lab.demo.tables import ALL_TABLES
from databrewery_lab.errors import DemoError, SchemaError
from databrewery_lab.secret_columns import SECRET_COLUMNS

pytestmark = pytest.mark.integration

#: Tables whose full contents must be identical for equal seeds (and differ otherwise).
FINGERPRINT_TABLES = ("htx_user", "project", "task", "task_completion", "prediction", "tasks_notes")


def _tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    counts = {}
    for table in _tables(conn):
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        counts[table] = conn.execute(query).fetchone()[0]
    return counts


def _fingerprint(conninfo: str) -> dict[str, str]:
    with psycopg.connect(conninfo) as conn:
        out = {}
        for table in FINGERPRINT_TABLES:
            query = sql.SQL("SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {} t").format(
                sql.Identifier(table)
            )
            out[table] = conn.execute(query).fetchone()[0]
        return out


# ------------------------------------------------------------------ completeness


def test_every_table_the_schema_created_has_rows(demo_db: str) -> None:
    with psycopg.connect(demo_db) as conn:
        counts = _counts(conn)
    assert set(counts) == set(ALL_TABLES)
    assert [t for t, n in counts.items() if n == 0] == []
    assert 8_000 <= counts["task_completion"] <= 12_000  # scale 1 ≈ 10,000 annotations


def test_report_matches_the_database_and_images_are_written(
    make_database: Callable[..., str], demo_db: str, tmp_path: Path
) -> None:
    conninfo = make_database(schema=True)
    report = build_demo(conninfo, scale=1.0, seed=0, media_dir=tmp_path, progress=False)
    assert isinstance(report, DemoReport)
    with psycopg.connect(conninfo) as conn:
        assert report.rows == _counts(conn)
        assert report.database == conn.info.dbname
        root = conn.execute("SELECT path FROM io_storages_localfilesimportstorage").fetchone()[0]
        urls = [r[0] for r in conn.execute("SELECT DISTINCT data->>'image' FROM task "
                                           "WHERE data ? 'image'")]  # fmt: skip
    assert (report.scale, report.seed) == (1.0, 0) and report.seconds > 0
    assert report.database in str(report) and "task_completion" in str(report)
    assert Path(root) == tmp_path.resolve()
    files = sorted((tmp_path / "demo-images").glob("*.png"))
    assert 0 < len(files) <= 300
    assert len(urls) == len(files)
    for url in urls:
        name = url.removeprefix("/data/local-files/?d=")
        data = (Path(root) / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (320, 240)
    # Same seed and scale in another database (with media) gives identical rows.
    assert _fingerprint(conninfo) == _fingerprint(demo_db)


def test_a_different_seed_gives_different_data(
    make_database: Callable[..., str], demo_db: str
) -> None:
    conninfo = make_database(schema=True)
    build_demo(conninfo, scale=1.0, seed=1, progress=False)
    ours, theirs = _fingerprint(conninfo), _fingerprint(demo_db)
    assert all(ours[t] != theirs[t] for t in ("task", "task_completion", "prediction"))


def test_sequences_continue_after_the_generated_ids(demo_db: str) -> None:
    with psycopg.connect(demo_db) as conn:
        sequences = conn.execute(
            "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), 'id') "
            "FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name = 'id'"
        ).fetchall()
        assert len(sequences) == len(ALL_TABLES) - 2  # token-keyed: authtoken, magic link
        for table, seq in sequences:
            query = sql.SQL("SELECT max(id) FROM {}").format(sql.Identifier(table))
            top = conn.execute(query).fetchone()[0]
            state = sql.SQL("SELECT last_value, is_called FROM {}").format(
                sql.Identifier(*seq.split("."))
            )
            assert conn.execute(state).fetchone() == (top, True), table


# --------------------------------------------------------------------- coherence

TASK_COUNTER_MISMATCHES = """
SELECT t.id FROM task t
JOIN project p ON p.id = t.project_id
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE NOT c.was_cancelled) AS done,
           count(*) FILTER (WHERE c.was_cancelled) AS skipped,
           avg(c.lead_time) FILTER (WHERE NOT c.was_cancelled) AS lead
    FROM task_completion c WHERE c.task_id = t.id) a ON true
LEFT JOIN LATERAL (SELECT count(*) AS n FROM prediction r WHERE r.task_id = t.id) r ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n, count(*) FILTER (WHERE NOT n.is_resolved) AS open,
           count(DISTINCT n.user_id) AS authors, max(n.updated_at) AS last
    FROM tasks_notes n WHERE n.task_id = t.id) n ON true
WHERE t.total_annotations <> a.done
   OR t.cancelled_annotations <> a.skipped
   OR t.total_predictions <> r.n
   OR t.is_labeled <> (a.done + CASE WHEN p.skip_queue = 'IGNORE_SKIPPED' THEN a.skipped
                                     ELSE 0 END >= p.maximum_annotations)
   OR t.comment_count <> n.n
   OR t.unresolved_comment_count <> n.open
   OR t.comment_authors <> n.authors
   OR t.comment_authors <> (SELECT count(*) FROM task_comment_authors x WHERE x.task_id = t.id)
   OR t.last_comment_updated_at IS DISTINCT FROM n.last
   OR t.draft_exists <> EXISTS (SELECT 1 FROM tasks_annotationdraft d WHERE d.task_id = t.id)
   OR (a.lead IS NULL) <> (t.avg_lead_time IS NULL)
   OR abs(t.avg_lead_time - a.lead) > 1e-4 * greatest(a.lead, 1)
   OR t.overlap <> p.maximum_annotations
"""

PROJECT_COUNTERS = """
SELECT p.id,
  p.task_number, (SELECT count(*) FROM task t WHERE t.project_id = p.id),
  p.total_annotations_number,
  (SELECT count(*) FROM task_completion c WHERE c.project_id = p.id AND NOT c.was_cancelled),
  p.skipped_annotations_number,
  (SELECT count(*) FROM task_completion c WHERE c.project_id = p.id AND c.was_cancelled),
  p.total_predictions_number, (SELECT count(*) FROM prediction r WHERE r.project_id = p.id),
  p.num_tasks_with_annotations,
  (SELECT count(*) FROM task t WHERE t.project_id = p.id AND t.total_annotations > 0),
  p.finished_task_number,
  (SELECT count(*) FROM task t WHERE t.project_id = p.id AND t.is_labeled),
  p.ground_truth_number,
  (SELECT count(*) FROM task_completion c WHERE c.project_id = p.id AND c.ground_truth),
  p.useful_annotation_number,
  (SELECT count(*) FROM task_completion c WHERE c.project_id = p.id AND NOT c.was_cancelled
     AND NOT c.ground_truth AND c.result_count > 0)
FROM project p ORDER BY p.id
"""


def test_task_counters_equal_what_they_count(demo_db: str) -> None:
    with psycopg.connect(demo_db) as conn:
        assert conn.execute(TASK_COUNTER_MISMATCHES).fetchall() == []


def test_project_counters_equal_what_they_count(demo_db: str) -> None:
    with psycopg.connect(demo_db) as conn:
        rows = conn.execute(PROJECT_COUNTERS).fetchall()
    assert len(rows) >= 5
    for project_id, *pairs in rows:
        stored, counted = pairs[0::2], pairs[1::2]
        assert stored == counted, f"project {project_id}"
    assert any(r[13] > 0 for r in rows), "some ground-truth annotations"


def test_no_task_over_overlap_and_no_user_twice_on_a_task(demo_db: str) -> None:
    with psycopg.connect(demo_db) as conn:
        over = conn.execute(
            "SELECT c.task_id FROM task_completion c JOIN project p ON p.id = c.project_id "
            "WHERE NOT c.was_cancelled GROUP BY c.task_id, p.maximum_annotations "
            "HAVING count(*) > p.maximum_annotations"
        ).fetchall()
        twice = conn.execute(
            "SELECT task_id, completed_by_id FROM task_completion GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
        inconsistent = conn.execute(
            "SELECT c.id FROM task_completion c JOIN task t ON t.id = c.task_id "
            "WHERE c.project_id <> t.project_id OR c.created_at < t.created_at "
            "OR (c.was_cancelled AND c.result_count <> 0) "
            "OR jsonb_array_length(c.result) <> c.result_count"
        ).fetchall()
    assert over == [] and twice == [] and inconsistent == []


def test_activity_spans_eight_weeks_of_mostly_weekdays(demo_db: str) -> None:
    with psycopg.connect(demo_db) as conn:
        first, last, weekend = conn.execute(
            "SELECT min(created_at), max(created_at), "
            "avg((extract(isodow FROM created_at) >= 6)::int) FROM task_completion "
            "WHERE NOT ground_truth"
        ).fetchone()
        agreement = conn.execute(
            "SELECT avg((a.result->0->'value' = b.result->0->'value')::int) "
            "FROM task_completion a JOIN task_completion b ON a.task_id = b.task_id "
            "AND a.id < b.id JOIN project p ON p.id = a.project_id "
            "WHERE p.label_config LIKE '%choice=\"single\"%' "
            "AND NOT a.was_cancelled AND NOT b.was_cancelled"
        ).fetchone()[0]
    assert 50 <= (last - first).days <= 57
    assert weekend < 0.15
    assert 0.5 < agreement < 0.95  # annotators disagree, but not at random


def _controls(label_config: str) -> dict[str, tuple[str, str, set[str]]]:
    """from_name -> (result type, to_name, allowed labels) straight from the XML."""
    root = ElementTree.fromstring(label_config)
    out = {}
    for el in root.iter():
        if el.get("toName"):
            labels = {c.get("value") for c in el if c.tag in ("Choice", "Label")}
            out[el.get("name")] = (el.tag.lower(), el.get("toName"), labels)
    return out


def _check_items(items: list[dict[str, Any]], controls: dict[str, Any], text: str | None) -> None:
    for item in items:
        kind, to_name, labels = controls[item["from_name"]]
        assert item["type"] == kind and item["to_name"] == to_name
        value = item["value"]
        if kind in ("choices", "labels", "rectanglelabels"):
            assert value[kind] and set(value[kind]) <= labels
        if kind == "labels":
            assert text is not None and text[value["start"] : value["end"]] == value["text"]
        if kind == "rectanglelabels":
            assert value["width"] > 0 and value["height"] > 0
            assert value["x"] >= 0 and value["y"] >= 0
            assert value["x"] + value["width"] <= 100 + 1e-6
            assert value["y"] + value["height"] <= 100 + 1e-6
            assert (item["original_width"], item["original_height"]) == (320, 240)
        if kind == "rating":
            assert 1 <= value["rating"] <= 5
        if kind == "textarea":
            assert value["text"] and all(isinstance(t, str) and t for t in value["text"])


def test_results_match_their_projects_label_config(demo_db: str) -> None:
    with psycopg.connect(demo_db) as conn:
        configs = dict(conn.execute("SELECT id, label_config FROM project").fetchall())
        parsed = dict(conn.execute("SELECT id, parsed_label_config FROM project").fetchall())
        rows = conn.execute(
            "SELECT t.project_id, t.data->>'text', c.result FROM task_completion c "
            "JOIN task t ON t.id = c.task_id UNION ALL "
            "SELECT t.project_id, t.data->>'text', r.result FROM prediction r "
            "JOIN task t ON t.id = r.task_id"
        ).fetchall()
    controls = {pid: _controls(xml) for pid, xml in configs.items()}
    for pid, controls_of in controls.items():
        assert set(json.loads(parsed[pid])) == set(controls_of)
    seen_types = set()
    for project_id, text, result in rows:
        _check_items(result, controls[project_id], text)
        seen_types.update(item["type"] for item in result)
    assert {"choices", "labels", "rectanglelabels", "textarea", "rating"} <= seen_types


def test_predictions_come_from_two_versions_and_v2_is_better(demo_db: str) -> None:
    with psycopg.connect(demo_db) as conn:
        rows = conn.execute(
            """
            WITH gold AS (
                SELECT task_id, result->0->'value'->'choices' AS label FROM task_completion
                WHERE ground_truth AND project_id IN (
                    SELECT id FROM project WHERE label_config LIKE '%choice="single"%'))
            SELECT r.model_version, avg((r.result->0->'value'->'choices' = g.label)::int),
                   min(r.score), max(r.score)
            FROM prediction r JOIN gold g USING (task_id) GROUP BY 1 ORDER BY 1
            """
        ).fetchall()
        versions = conn.execute(
            "SELECT project_id, count(DISTINCT model_version) FROM prediction GROUP BY 1"
        ).fetchall()
    accuracy = {version: acc for version, acc, _, _ in rows}
    assert accuracy["bert-v2"] > accuracy["bert-v1"]
    assert all(0 <= lo <= hi <= 1 for _, _, lo, hi in rows)
    assert sum(1 for _, n in versions if n == 2) >= 4


# ------------------------------------------------------------------ preconditions


def test_refuses_a_database_that_holds_data_and_changes_nothing(
    make_database: Callable[..., str],
) -> None:
    conninfo = make_database(schema=True)
    with psycopg.connect(conninfo) as conn:
        conn.execute("INSERT INTO workflow_helpers_currency (code, name) VALUES ('CHF', 'Franc')")
        conn.execute("INSERT INTO tasks_flag (title) VALUES ('mine')")
    with psycopg.connect(conninfo) as conn:
        before = _counts(conn)
        name = conn.info.dbname
    with pytest.raises(DemoError) as caught:
        build_demo(conninfo, progress=False)
    message = str(caught.value)
    assert name in message and "workflow_helpers_currency" in message
    assert "databrewery-lab demo --reset" in message
    with psycopg.connect(conninfo) as conn:
        assert _counts(conn) == before


def test_missing_schema_is_a_schema_error(make_database: Callable[..., str]) -> None:
    bare = make_database(schema=False)
    with pytest.raises(SchemaError, match=r"lacks 96 of the 96 .*`databrewery-lab init`"):
        build_demo(bare, progress=False)
    partial = make_database(schema=True)
    with psycopg.connect(partial) as conn:
        conn.execute("DROP TABLE task_comment_authors")
    with pytest.raises(SchemaError, match=r"lacks 1 of the 96 .*\(task_comment_authors\)"):
        build_demo(partial, progress=False)


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("databrewery_lab.demo.billing.write_billing", RuntimeError),  # a late phase
        ("databrewery_lab.demo.kinds.NerKind.answer", RuntimeError),  # inside the task worker
        ("databrewery_lab.demo.annotations.write_side_tables", KeyboardInterrupt),  # Ctrl-C
    ],
)
def test_a_failure_mid_build_leaves_the_database_empty(
    make_database: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    error: type[BaseException],
) -> None:
    conninfo = make_database(schema=True)

    def boom(*args: object, **kwargs: object) -> None:
        raise error("injected")

    monkeypatch.setattr(target, boom)
    with pytest.raises(error, match="injected"):
        build_demo(conninfo, scale=0.2, progress=False)
    with psycopg.connect(conninfo) as conn:
        assert set(_counts(conn).values()) == {0}
    monkeypatch.undo()
    report = build_demo(conninfo, scale=0.2, progress=False)  # and it can be built afterwards
    assert report.rows["task_completion"] > 0


# ------------------------------------------------------------------------ secrets


def _column_text(conn: psycopg.Connection[Any], table: str, column: str) -> str:
    query = sql.SQL("SELECT string_agg({}::text, E'\\n') FROM {}").format(
        sql.Identifier(column), sql.Identifier(table)
    )
    return conn.execute(query).fetchone()[0] or ""


def test_fake_secrets_are_written_only_to_secret_columns(demo_db: str) -> None:
    secrets = fake_secrets()
    assert secrets and all("fake" in s.lower() for s in secrets)
    with psycopg.connect(demo_db) as conn:
        secret_text = "\n".join(_column_text(conn, t, c) for t, c in sorted(SECRET_COLUMNS))
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() "
            "AND data_type IN ('text', 'character varying', 'jsonb') ORDER BY 1, 2"
        ).fetchall()
        other_text = "\n".join(
            _column_text(conn, t, c) for t, c in columns if (t, c) not in SECRET_COLUMNS
        )
    assert sorted(s for s in secrets if s not in secret_text) == []
    assert sorted(s for s in secrets if s in other_text) == []
    # and every secret column holds only fake values
    for table, column in sorted(SECRET_COLUMNS):
        with psycopg.connect(demo_db) as conn:
            query = sql.SQL("SELECT DISTINCT {}::text FROM {} WHERE {} IS NOT NULL").format(
                sql.Identifier(column), sql.Identifier(table), sql.Identifier(column)
            )
            values = [r[0] for r in conn.execute(query)]
        assert values, f"{table}.{column} is empty"
        assert all("fake" in v.lower() for v in values if v != "{}"), f"{table}.{column}"
