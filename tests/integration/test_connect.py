"""connect() against a real server: schema reflection, refusals, never altering a DSN's schema."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

import databrewery_lab as dbl
from databrewery_lab.schema import databrewery_tables


def test_connect_reflects_the_schema_and_masks_the_password(schema_db: str) -> None:
    with dbl.connect(make_conninfo(schema_db, password="s3cret-pw")) as brewery:
        assert not brewery.is_embedded
        assert brewery.schema.missing_databrewery_tables() == []
        assert len(databrewery_tables()) == 96
        assert "s3cret-pw" not in repr(brewery)
        assert "s3cret-pw" not in brewery.dsn
        assert brewery.projects().empty


def test_refused_connection_names_host_and_cause() -> None:
    with pytest.raises(dbl.ConnectionFailed) as caught:
        dbl.connect("postgresql://someone:pw@127.0.0.1:1/brew")
    message = str(caught.value)
    assert "database 'brew' on 127.0.0.1:1" in message
    assert "connection refused" in message
    assert "pw@" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_unknown_database_and_unknown_user_are_named(schema_db: str) -> None:
    with pytest.raises(dbl.ConnectionFailed, match="database 'no_such_db' does not exist"):
        dbl.connect(make_conninfo(schema_db, dbname="no_such_db"))
    with pytest.raises(dbl.ConnectionFailed, match="'no_such_role' does not exist"):
        dbl.connect(make_conninfo(schema_db, user="no_such_role"))


def test_env_dsn_is_used_when_no_dsn_is_given(
    schema_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABREWERY_DSN", schema_db)
    with dbl.connect() as brewery:
        assert not brewery.is_embedded
        assert brewery.database == psycopg.conninfo.conninfo_to_dict(schema_db)["dbname"]


def test_a_dsn_database_is_not_altered_until_asked(make_database: Callable[..., str]) -> None:
    conninfo = make_database(schema=False)
    with dbl.connect(conninfo) as brewery:
        assert brewery.schema.tables == frozenset()
        with pytest.raises(dbl.MissingSchemaError, match="init_schema"):
            brewery.projects()
        report = brewery.init_schema()
        assert len(report.created) == 96
        assert brewery.projects().empty
        again = brewery.init_schema()
        assert again.created == () and len(again.already_present) == 96


def test_other_tables_are_left_untouched(make_database: Callable[..., str]) -> None:
    conninfo = make_database(schema=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE lab_notes (id int primary key, body text)")
        conn.execute("INSERT INTO lab_notes VALUES (1, 'keep me')")
    with dbl.connect(conninfo) as brewery:
        report = brewery.init_schema()
    assert report.other_tables == ("lab_notes",)
    assert len(report.created) == 96
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT body FROM lab_notes").fetchall() == [("keep me",)]


def test_a_conflicting_table_aborts_without_changing_anything(
    make_database: Callable[..., str],
) -> None:
    conninfo = make_database(schema=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE task (id serial primary key, payload text)")
        conn.execute("INSERT INTO task (payload) VALUES ('legacy row')")
    with dbl.connect(conninfo) as brewery, pytest.raises(dbl.SchemaError) as caught:
        brewery.init_schema()
    message = str(caught.value)
    assert "Nothing was changed" in message
    assert "task" in message
    with psycopg.connect(conninfo) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
        assert tables == [("task",)]
        assert conn.execute("SELECT payload FROM task").fetchall() == [("legacy row",)]


def test_query_is_read_only_and_binds_values(schema_db: str) -> None:
    with dbl.connect(schema_db) as brewery:
        frame = brewery.query("SELECT :who AS who, 1 + :n AS n", who="x'; drop table task;--", n=1)
        assert frame.to_dict("records") == [{"who": "x'; drop table task;--", "n": 2}]
        with pytest.raises(Exception, match="read-only transaction"):
            brewery.query("DELETE FROM task")


def test_an_explicit_data_dir_wins_over_the_env_dsn(
    schema_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("DATABREWERY_DSN", schema_db)
    with dbl.connect(data_dir=tmp_path) as brewery:
        assert brewery.is_embedded
        assert brewery.data_dir == tmp_path.resolve()
    with pytest.raises(TypeError, match="not both"):
        dbl.connect(schema_db, data_dir=tmp_path)
