"""The secret-column registry and the schema's 'secret:' column comments agree."""

from __future__ import annotations

import psycopg

from databrewery_lab.schema import Schema
from databrewery_lab.secret_columns import SECRET_COLUMNS


def test_registry_equals_the_columns_commented_secret(schema_db: str) -> None:
    with psycopg.connect(schema_db) as conn:
        rows = conn.execute(
            """
            SELECT c.relname, a.attname
            FROM pg_description d
            JOIN pg_class c ON c.oid = d.objoid
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
            WHERE c.relnamespace = current_schema()::regnamespace
              AND d.description LIKE 'secret:%'
            """
        ).fetchall()
    assert set(rows) == set(SECRET_COLUMNS)


def test_visible_columns_never_include_a_secret() -> None:
    columns = {
        table: {col: "text" for (t, col) in SECRET_COLUMNS if t == table}
        for table, _ in SECRET_COLUMNS
    }
    for table in columns:
        columns[table]["id"] = "integer"
    schema = Schema(columns, "db")
    for table in columns:
        assert schema.visible_columns(table) == ["id"]
        selected = {c.name for c in schema.select_visible(table).selected_columns}
        assert selected == {"id"}
