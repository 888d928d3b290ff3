"""The analytics engine: DuckDB attached read-only to real PostgreSQL, extension offline."""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import databrewery_lab as dbl
from databrewery_lab.analytics import engine as engine_module
from databrewery_lab.analytics.engine import (
    EXTENSION_FILE,
    AnalyticsEngine,
    AnalyticsUnavailable,
    EngineSettings,
    PgQuery,
    QueryRefused,
    postgres_extension,
)
from databrewery_lab.demo import fake_secrets
from databrewery_lab.secret_columns import SECRET_COLUMNS

WHEEL_FILE = (
    Path(str(importlib.resources.files("duckdb_extension_postgres")))
    / "extensions"
    / f"v{duckdb.__version__}"
    / "postgres.duckdb_extension"
)


@pytest.fixture(scope="module")
def brewery(demo_db: str) -> Iterator[dbl.Brewery]:
    with dbl.connect(demo_db) as connected:
        yield connected


# --------------------------------------------------------------------------- extension


def test_extension_is_linked_from_the_wheel_under_its_loadable_name(tmp_path: Path) -> None:
    linked = postgres_extension(tmp_path)
    assert linked.name == EXTENSION_FILE
    assert linked.parent.name == f"v{duckdb.__version__}"
    assert linked.resolve() == WHEEL_FILE.resolve()
    again = postgres_extension(tmp_path)
    assert again == linked and again.resolve() == WHEEL_FILE.resolve()
    # DuckDB really loads it from there, with downloads switched off.
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    con.execute(f"LOAD '{linked}'")
    loaded = con.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'postgres_scanner'"
    ).fetchone()
    assert loaded == (True,)


def test_a_stale_link_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "duckdb-extensions" / f"v{duckdb.__version__}" / EXTENSION_FILE
    target.parent.mkdir(parents=True)
    target.symlink_to(tmp_path / "gone.duckdb_extension")
    assert postgres_extension(tmp_path).resolve() == WHEEL_FILE.resolve()


def test_a_version_mismatch_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module.duckdb, "__version__", "9.8.7")
    with pytest.raises(AnalyticsUnavailable) as caught:
        postgres_extension(tmp_path)
    message = str(caught.value)
    assert "pip install 'duckdb-extension-postgres==9.8.7'" in message
    monkeypatch.undo()
    assert duckdb.__version__ in message  # the version the wheel does ship


def test_a_missing_wheel_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(engine_module.importlib.resources, "files", missing)
    with pytest.raises(AnalyticsUnavailable, match="duckdb-extension-postgres=="):
        postgres_extension(tmp_path)


# --------------------------------------------------------------------------- queries


def test_sql_counts_equal_postgresql_counts(brewery: dbl.Brewery, demo_db: str) -> None:
    ours = brewery.sql(
        "SELECT project_id, count(*) AS n FROM task_completion "
        "WHERE NOT was_cancelled GROUP BY project_id ORDER BY project_id"
    )
    with psycopg.connect(demo_db) as conn:
        theirs = conn.execute(
            "SELECT project_id, count(*) FROM task_completion WHERE NOT was_cancelled "
            "GROUP BY project_id ORDER BY project_id"
        ).fetchall()
    assert isinstance(ours, pd.DataFrame)
    assert list(ours.itertuples(index=False, name=None)) == theirs


def test_sql_binds_named_parameters(brewery: dbl.Brewery, demo_db: str) -> None:
    project_id = int(brewery.projects().index[0])
    counted = brewery.sql(
        "SELECT count(*) AS n FROM task WHERE project_id = $p AND id >= $low", p=project_id, low=0
    )
    with psycopg.connect(demo_db) as conn:
        expected = conn.execute("SELECT count(*) FROM task WHERE project_id = %s", (project_id,))
        assert int(counted["n"].iloc[0]) == expected.fetchone()[0]  # type: ignore[index]
    hostile = "x' OR '1'='1"
    assert brewery.sql("SELECT count(*) AS n FROM project WHERE title = $t", t=hostile)["n"][0] == 0


def test_timestamps_come_back_in_utc(brewery: dbl.Brewery, demo_db: str) -> None:
    frame = brewery.sql("SELECT id, created_at FROM task_completion ORDER BY id LIMIT 5")
    with psycopg.connect(demo_db) as conn:
        rows = conn.execute("SELECT id, created_at FROM task_completion ORDER BY id LIMIT 5")
        expected = [pd.Timestamp(at) for _, at in rows.fetchall()]
    assert str(frame["created_at"].dt.tz) in ("UTC", "Etc/UTC")
    assert list(frame["created_at"]) == expected


def test_postgres_runs_scoped_queries_with_bound_values(brewery: dbl.Brewery) -> None:
    tricky = "it's; DROP TABLE task; --"
    query = PgQuery("SELECT $1::text AS s, $2::bigint AS n, $3::float8 AS f", (tricky, 7, 0.5))
    source, params = query.source("q")
    table = brewery.analytics.run(f"SELECT * FROM {source}", **params)
    assert table.to_pylist() == [{"s": tricky, "n": 7, "f": 0.5}]
    assert brewery.sql("SELECT count(*) AS n FROM task")["n"][0] > 0  # still there


def test_the_embedded_server_is_reached_over_its_unix_socket(demo_db: str) -> None:
    host = conninfo_to_dict(demo_db).get("host", "")
    if not str(host).startswith("/"):
        pytest.skip("the test server is reached over TCP (DATABREWERY_TEST_DSN)")
    with dbl.connect(demo_db) as connected:
        assert connected.sql("SELECT count(*) AS n FROM project")["n"][0] >= 1
        path = connected.sql("SELECT path FROM duckdb_databases() WHERE database_name = 'pg'")
        assert f"host={host}" in path["path"][0]


# --------------------------------------------------------------------------- lifecycle


def test_the_engine_opens_lazily_once_and_closes_with_the_brewery(demo_db: str) -> None:
    brewery = dbl.connect(demo_db)
    engine = brewery.analytics
    assert isinstance(engine, AnalyticsEngine) and not engine.is_open
    assert brewery.analytics is engine
    brewery.sql("SELECT 1 AS one")
    connection = engine.connection
    brewery.sql("SELECT 2 AS two")
    assert engine.is_open and engine.connection is connection
    member = int(brewery.users().index[0])
    view = brewery.as_user(member)
    assert view.analytics is engine
    view.close()  # a view does not own the engine
    assert engine.is_open and brewery.sql("SELECT 3 AS three")["three"][0] == 3
    brewery.close()
    assert not engine.is_open


def test_a_closed_engine_reopens_on_the_next_query(brewery: dbl.Brewery) -> None:
    brewery.analytics.close()
    assert not brewery.analytics.is_open
    assert brewery.sql("SELECT 41 + 1 AS answer")["answer"][0] == 42
    assert brewery.analytics.is_open


def test_duckdb_is_sized_for_a_small_shared_machine(brewery: dbl.Brewery) -> None:
    settings = brewery.analytics.settings
    assert 1 <= settings.threads <= min(os.cpu_count() or 1, 4)
    assert 256 <= settings.memory_limit_mib <= 2048
    shown = brewery.sql(
        "SELECT current_setting('threads') AS threads, "
        "current_setting('memory_limit') AS memory_limit, "
        "current_setting('enable_external_access') AS external, "
        "current_setting('autoinstall_known_extensions') AS autoinstall"
    ).iloc[0]
    assert int(shown["threads"]) == settings.threads
    assert shown["memory_limit"].endswith(("MiB", "GiB", "MB", "GB"))
    assert not shown["external"] and not shown["autoinstall"]
    assert EngineSettings.default().threads == settings.threads


# --------------------------------------------------------------------------- read-only


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO project (title) VALUES ('x')",
        "CREATE TABLE scratch (a INTEGER)",
        "DELETE FROM task",
        "SELECT 1; SELECT 2",
        "SET threads = 1",
        "DETACH pg",
        "ATTACH ':memory:' AS other",
        "PRAGMA version",
    ],
)
def test_sql_refuses_anything_but_one_select(brewery: dbl.Brewery, statement: str) -> None:
    with pytest.raises(QueryRefused):
        brewery.sql(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM pg.public.htx_user",
        "SELECT password FROM pg.htx_user",
        "SELECT * FROM postgres_query('pg', 'SELECT password FROM htx_user')",
        "SELECT * FROM postgres_scan('host=x', 'public', 'htx_user')",
        "SELECT * FROM query('SELECT 1')",
        "SELECT * FROM query_table('pg.public.htx_user')",
        "WITH x AS (SELECT id FROM pg.public.task) SELECT count(*) FROM x",
    ],
)
def test_sql_refuses_routes_around_the_secret_free_views(
    brewery: dbl.Brewery, statement: str
) -> None:
    with pytest.raises(QueryRefused, match="secret-free views"):
        brewery.sql(statement)


def test_files_and_settings_are_out_of_reach(brewery: dbl.Brewery) -> None:
    with pytest.raises(duckdb.PermissionException):
        brewery.sql("SELECT * FROM read_text('/etc/hostname')")
    with pytest.raises(duckdb.Error, match="locked"):
        brewery.analytics.run("SET enable_external_access = true")


def test_postgresql_cannot_be_written_even_by_trusted_queries(
    make_database: Callable[..., str],
) -> None:
    conninfo = make_database(schema=True)
    with dbl.connect(conninfo) as brewery:
        for attempt in (
            "SELECT * FROM postgres_execute('pg', 'CREATE TABLE intruder (a int)')",
            "SELECT * FROM postgres_query('pg', "
            "'WITH d AS (INSERT INTO organization (title) VALUES (''x'') RETURNING 1) "
            "SELECT count(*) FROM d')",
            "INSERT INTO pg.public.organization (title) VALUES ('x')",
        ):
            with pytest.raises(duckdb.Error):
                brewery.analytics.run(attempt)
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT to_regclass('intruder')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM organization").fetchone() == (0,)


# --------------------------------------------------------------------------- secrets


def test_no_secret_column_or_value_reaches_sql_results(brewery: dbl.Brewery) -> None:
    secrets = fake_secrets()
    assert secrets
    for table in sorted(brewery.schema.tables):
        frame = brewery.sql(f'SELECT * FROM "{table}" LIMIT 100000')
        for column in frame.columns:
            assert (table, column) not in SECRET_COLUMNS, f"{table}.{column} was selected"
        text = frame.to_csv()
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{table} shows secrets: {leaked[:3]}"


def test_the_password_stays_out_of_duckdb_catalogs(demo_db: str) -> None:
    password = "not-shown-4e1f"  # trust authentication accepts and ignores it
    with dbl.connect(make_conninfo(demo_db, password=password)) as connected:
        assert connected.sql("SELECT count(*) AS n FROM project")["n"][0] >= 1
        shown = [
            connected.sql("SELECT * FROM duckdb_databases()").to_csv(),
            connected.sql("SELECT * FROM duckdb_secrets()").to_csv(),
            repr(connected.analytics),
        ]
    assert not [text for text in shown if password in text]
