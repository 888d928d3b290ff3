"""sql/schema.sql against a real PostgreSQL: every drawn table, column, key and index.

The expectations come from tests/schema/seed_facts.json (extracted from the seed ER
diagrams) plus the foreign-key targets below, which restate the naming rules that
sql/README.md documents, so a change to either side shows up here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from databrewery_lab.secret_columns import SECRET_COLUMNS

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_SQL = REPO_ROOT / "sql" / "schema.sql"
FACTS = json.loads((REPO_ROOT / "tests" / "schema" / "seed_facts.json").read_text())
TABLES: dict[str, Any] = FACTS["tables"]

# Seed type -> information_schema.columns.data_type
DATA_TYPES = {
    "serial": "integer",
    "integer": "integer",
    "smallint": "smallint",
    "varchar": "character varying",
    "text": "text",
    "jsonb": "jsonb",
    "timestamptz": "timestamp with time zone",
    "date": "date",
    "boolean": "boolean",
    "real": "real",
    "double precision": "double precision",
    "numeric": "numeric",
}

# Foreign-key targets: by column name, then per-table exceptions.
USER_COLUMNS = {"user_id", "created_by_id", "updated_by_id", "completed_by_id", "reviewed_by_id"}
TARGET_BY_COLUMN = {
    "organization_id": "organization",
    "active_organization_id": "organization",
    "project_id": "project",
    "task_id": "task",
    "workspace_id": "workspace",
    "group_id": "user_group",
    "tag_id": "projects_tag",
    "flag_id": "tasks_flag",
    "invitation_id": "users_invitation",
    "permission_id": "auth_permission",
    "content_type_id": "django_content_type",
    "ml_backend_id": "ml_mlbackend",
    "webhook_id": "webhook",
    "order_id": "workflow_helpers_order",
    "export_id": "data_export_export",
    "label_id": "labels_manager_label",
    "filter_id": "data_manager_filter",
    "filtergroup_id": "data_manager_filtergroup",
    "filter_group_id": "data_manager_filtergroup",
    "projectgroup_id": "projects_projectgroup",
    "modelinterface_id": "ml_models_modelinterface",
    "model_interface_id": "ml_models_modelinterface",
    "model_run_id": "ml_models_modelrun",
    "connection_id": "ml_model_providers_modelproviderconnection",
    "currency_id": "workflow_helpers_currency",
    "data_production_id": "workflow_helpers_dataproduction",
    "file_upload_id": "data_import_fileupload",
    "step_id": "projects_projectonboardingsteps",
    "annotation_id": "task_completion",
    "task_completion_id": "task_completion",
    "parent_annotation_id": "task_completion",
    "parent_prediction_id": "prediction",
    "draft_id": "tasks_annotationdraft",
}
TARGET_EXCEPTIONS = {
    ("htx_user_groups", "group_id"): "auth_group",
    ("auth_group_permissions", "group_id"): "auth_group",
}
# Drawn as FK, but the document names no table they could reference.
FK_WITHOUT_TARGET = {("task_completion", "fixed_annotation_history_id")}


def expected_fk_target(table: str, column: str) -> str | None:
    """The table a drawn FK column references (its id), per sql/README.md."""
    if (table, column) in FK_WITHOUT_TARGET:
        return None
    if (table, column) in TARGET_EXCEPTIONS:
        return TARGET_EXCEPTIONS[(table, column)]
    if column in USER_COLUMNS:
        return "htx_user"
    if column == "storage_id":
        return table.removesuffix("link")
    return TARGET_BY_COLUMN[column]


def drawn_columns(flag: str) -> list[tuple[str, str]]:
    """(table, column) pairs whose seed drawing carries `flag` (pk, fk or uk)."""
    return [
        (table, col)
        for table, info in TABLES.items()
        for col, column in info["columns"].items()
        if column[flag]
    ]


def rows(conn: psycopg.Connection, query: str) -> list[tuple[Any, ...]]:
    return conn.execute(query).fetchall()


# -- catalog queries (all limited to the schema the script was applied to) ---------

COLUMNS_SQL = """
    SELECT table_name, column_name, data_type, column_default, is_nullable
    FROM information_schema.columns
    WHERE table_schema = current_schema()
"""
# (table, kind, constraint name, column list, referenced table, ON DELETE, definition)
CONSTRAINTS_SQL = """
    SELECT c.conrelid::regclass::text, c.contype, c.conname,
           ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                 ORDER BY k.n)::text[],
           c.confrelid::regclass::text, c.confdeltype::text, pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    WHERE c.connamespace = current_schema()::regnamespace
"""
# (table, index name, first column)
INDEX_FIRST_COLUMNS_SQL = """
    SELECT t.relname, i.relname, a.attname
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
    WHERE t.relnamespace = current_schema()::regnamespace
"""
COMMENTS_SQL = """
    SELECT c.relname, a.attname, d.description
    FROM pg_description d
    JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
    WHERE c.relnamespace = current_schema()::regnamespace
"""


def catalog_snapshot(conn: psycopg.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Everything schema.sql defines, in a comparable form (no OIDs)."""
    return {
        "relations": sorted(
            rows(
                conn,
                "SELECT relname, relkind::text FROM pg_class"
                " WHERE relnamespace = current_schema()::regnamespace",
            )
        ),
        "columns": sorted(rows(conn, COLUMNS_SQL), key=repr),
        "constraints": sorted(rows(conn, CONSTRAINTS_SQL), key=repr),
        "indexes": sorted(
            rows(
                conn,
                "SELECT tablename, indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = current_schema()",
            )
        ),
        "comments": sorted(rows(conn, COMMENTS_SQL)),
        "sequences": sorted(
            rows(
                conn,
                "SELECT sequencename, data_type::text, start_value, increment_by"
                " FROM pg_sequences WHERE schemaname = current_schema()",
            )
        ),
    }


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema_conn(make_database: Callable[..., str]) -> Iterator[psycopg.Connection]:
    """One database with schema.sql applied, shared by the read-only checks."""
    with psycopg.connect(make_database(schema=True), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def constraints(schema_conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    return rows(schema_conn, CONSTRAINTS_SQL)


# -- 1. tables, columns, types, keys -------------------------------------------------


def test_every_drawn_column_exists_with_its_type(schema_conn: psycopg.Connection) -> None:
    actual = {(t, c): (dt, default) for t, c, dt, default, _ in rows(schema_conn, COLUMNS_SQL)}
    expected = {(t, c) for t, info in TABLES.items() for c in info["columns"]}
    assert set(actual) == expected, "columns differ from the seed drawing"
    for table, info in TABLES.items():
        for col, column in info["columns"].items():
            data_type, default = actual[(table, col)]
            assert data_type == DATA_TYPES[column["type"]], (table, col)
            if column["type"] == "serial":
                assert default is not None and default.startswith("nextval("), (table, col)


def test_varchar_and_numeric_are_unconstrained(schema_conn: psycopg.Connection) -> None:
    """The seed writes plain `varchar`/`numeric`: no length, precision or scale."""
    limited = rows(
        schema_conn,
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = current_schema()
             AND (character_maximum_length IS NOT NULL
                  OR (data_type = 'numeric' AND numeric_precision IS NOT NULL))""",
    )
    assert limited == []


def test_primary_keys_are_the_drawn_pk_columns(constraints: list[tuple[Any, ...]]) -> None:
    actual = {(t, tuple(cols)) for t, kind, _, cols, *_ in constraints if kind == "p"}
    assert actual == {(t, (c,)) for t, c in drawn_columns("pk")}


def test_drawn_unique_columns_have_a_unique_constraint(
    constraints: list[tuple[Any, ...]],
) -> None:
    single = {
        (t, cols[0]) for t, kind, _, cols, *_ in constraints if kind == "u" and len(cols) == 1
    }
    assert set(drawn_columns("uk")) == single


def test_drawn_fk_columns_have_their_foreign_key(constraints: list[tuple[Any, ...]]) -> None:
    foreign = [(t, cols, ref) for t, kind, _, cols, ref, *_ in constraints if kind == "f"]
    assert all(len(cols) == 1 for _, cols, _ in foreign)
    actual = {(t, cols[0]): ref for t, cols, ref in foreign}
    expected = {
        (t, c): expected_fk_target(t, c)
        for t, c in drawn_columns("fk")
        if expected_fk_target(t, c) is not None
    }
    assert actual == expected


def test_fk_definitions_reference_id(constraints: list[tuple[Any, ...]]) -> None:
    for table, kind, name, _cols, ref, _, definition in constraints:
        if kind == "f":
            assert f"REFERENCES {ref}(id)" in definition, (table, name, definition)
            assert "DEFERRABLE" not in definition, name


def test_on_delete_follows_label_studio(constraints: list[tuple[Any, ...]]) -> None:
    """Children cascade with their parent; authorship references are cleared."""
    action = {(t, cols[0]): act for t, kind, _, cols, _, act, _ in constraints if kind == "f"}
    for key in [
        ("task", "project_id"),
        ("task_completion", "task_id"),
        ("task_completion", "project_id"),
        ("prediction", "task_id"),
        ("tasks_annotationdraft", "task_id"),
        ("tasks_tasklock", "task_id"),
        ("io_storages_s3importstoragelink", "task_id"),
        ("io_storages_s3importstoragelink", "storage_id"),
    ]:
        assert action[key] == "c", key
    for (table, col), act in action.items():
        if col in {"created_by_id", "updated_by_id", "completed_by_id", "reviewed_by_id"}:
            assert act == "n", (table, col)


def test_set_null_foreign_keys_are_nullable(
    schema_conn: psycopg.Connection, constraints: list[tuple[Any, ...]]
) -> None:
    """ON DELETE SET NULL on a NOT NULL column would make the parent undeletable."""
    nullable = {(t, c): n for t, c, _, _, n in rows(schema_conn, COLUMNS_SQL)}
    for table, kind, name, cols, _, act, _ in constraints:
        if kind == "f" and act == "n":
            assert nullable[(table, cols[0])] == "YES", name


def test_constraint_and_index_names_are_explicit(schema_conn: psycopg.Connection) -> None:
    """Every name is spelled out in schema.sql (none generated or truncated by PostgreSQL)."""
    text = SCHEMA_SQL.read_text()
    names = rows(
        schema_conn,
        """SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
           UNION ALL
           SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()""",
    )
    for (name,) in names:
        assert name.endswith(("_pkey", "_key", "_fkey", "_idx")), name
        assert f"{name}'" in text or f"{name} " in text or f"{name}\n" in text, name


def test_secret_comments_match_the_registry(schema_conn: psycopg.Connection) -> None:
    """schema.sql marks exactly the columns databrewery_lab.secret_columns hides."""
    comments = {(t, c): d for t, c, d in rows(schema_conn, COMMENTS_SQL)}
    secret = {key for key, text in comments.items() if text.startswith("secret: ")}
    assert secret == SECRET_COLUMNS


# -- 2. indexes ------------------------------------------------------------------------


def test_every_fk_column_leads_an_index(schema_conn: psycopg.Connection) -> None:
    leading = {(t, col) for t, _, col in rows(schema_conn, INDEX_FIRST_COLUMNS_SQL)}
    missing = sorted(set(drawn_columns("fk")) - leading)
    assert missing == []


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("task", "project_id, id"),
        ("task", "project_id, inner_id"),
        ("task_completion", "task_id, completed_by_id"),
        ("task_completion", "project_id, created_at"),
        ("task_completion", "completed_by_id, created_at"),
        ("prediction", "project_id, model_version"),
        ("prediction", "task_id, model_version"),
    ],
)
def test_hot_path_indexes_exist(schema_conn: psycopg.Connection, table: str, columns: str) -> None:
    defs = schema_conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
        (table,),
    ).fetchall()
    assert any(d.endswith(f"({columns})") for (d,) in defs), (table, columns, defs)


# -- 3-5. idempotency and no strays ---------------------------------------------------


def test_reapplying_changes_nothing(make_database: Callable[..., str]) -> None:
    with psycopg.connect(make_database(schema=True), autocommit=True) as conn:
        before = catalog_snapshot(conn)
        conn.execute(SCHEMA_SQL.read_text())
        after = catalog_snapshot(conn)
    assert before["constraints"] and before["indexes"] and before["comments"]
    assert after == before


def test_applies_twice_to_an_empty_database(make_database: Callable[..., str]) -> None:
    with psycopg.connect(make_database(schema=False)) as conn:
        assert (
            rows(conn, "SELECT 1 FROM pg_class WHERE relnamespace = current_schema()::regnamespace")
            == []
        )
        conn.execute(SCHEMA_SQL.read_text())
        conn.commit()
        first = catalog_snapshot(conn)
        conn.execute(SCHEMA_SQL.read_text())
        conn.commit()
        assert catalog_snapshot(conn) == first


def test_creates_the_drawn_tables_and_nothing_else(make_database: Callable[..., str]) -> None:
    with psycopg.connect(make_database(schema=False), autocommit=True) as conn:
        conn.execute(SCHEMA_SQL.read_text())
        kinds = rows(
            conn,
            """SELECT relkind::text, count(*) FROM pg_class
               WHERE relnamespace = current_schema()::regnamespace GROUP BY 1""",
        )
        tables = {
            name
            for (name,) in rows(
                conn,
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
            )
        }
        functions = rows(
            conn, "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace"
        )
        unowned_sequences = rows(
            conn,
            """SELECT s.relname FROM pg_class s
               WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                 WHERE d.objid = s.oid AND d.deptype IN ('a', 'i'))""",
        )
    assert len(tables) == len(TABLES) == 96
    assert tables == set(TABLES)
    serials = sum(c["type"] == "serial" for t in TABLES.values() for c in t["columns"].values())
    assert dict(kinds).keys() <= {"r", "i", "S"}  # tables, indexes, serial sequences only
    assert dict(kinds)["S"] == serials
    assert functions == []
    assert unowned_sequences == []
