"""Test fixtures: one place picks the PostgreSQL server, every test gets real databases.

The server is the embedded one (a throwaway cluster in the session's tmp dir, fsync off),
or the one ``DATABREWERY_TEST_DSN`` names. Tests ask for brand-new databases with
``make_database`` and never share one they write to.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from databrewery_lab.embedded import EmbeddedPostgres
from databrewery_lab.schema_init import apply_schema

TEST_DSN_ENV = "DATABREWERY_TEST_DSN"
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class DatabaseFactory:
    """Creates uniquely named databases on one server and drops them all at the end."""

    def __init__(self, admin_conninfo: str) -> None:
        self.admin_conninfo = admin_conninfo
        self.created: list[str] = []

    def server_version(self) -> str:
        with psycopg.connect(self.admin_conninfo) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]

    def __call__(self, schema: bool = True) -> str:
        name = f"dbl_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        conninfo = make_conninfo(self.admin_conninfo, dbname=name)
        if schema:
            with psycopg.connect(conninfo) as conn:
                apply_schema(conn)
        return conninfo

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def _where() -> str:
    dsn = os.environ.get(TEST_DSN_ENV)
    if not dsn:
        return "embedded PostgreSQL (pgserver wheel)"
    params = conninfo_to_dict(dsn)
    return f"{TEST_DSN_ENV}: {params.get('host', 'socket')}:{params.get('port', 5432)}"


def pytest_report_header() -> str:
    return f"databrewery-lab test database: {_where()}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in item.nodeid:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def make_database() -> Iterator[Callable[..., str]]:
    """``make_database(schema=True)`` → conninfo of a brand-new database on the test server.

    The embedded server lives in its own temp dir, not under pytest's basetemp: another
    pytest run on the machine prunes old basetemps and would pull the data dir away.
    """
    dsn = os.environ.get(TEST_DSN_ENV)
    server: EmbeddedPostgres | None = None
    home = None
    if dsn:
        admin = dsn
    else:
        home = tempfile.mkdtemp(prefix="dbl-test-pg-")
        server = EmbeddedPostgres(Path(home), settings=FAST_SETTINGS)
        server.acquire()
        admin = server.conninfo("postgres")
    factory = DatabaseFactory(admin)
    try:
        yield factory
    finally:
        try:
            factory.drop_all()
        finally:
            if server is not None:
                server.release()
            if home is not None:
                shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def schema_db(make_database: Callable[..., str]) -> str:
    """A database with the schema and no rows, shared: tests must not write to it."""
    return make_database(schema=True)


@pytest.fixture(scope="session")
def demo_db(make_database: Callable[..., str]) -> str:
    """A database holding the demo organization (scale 1, seed 0), shared read-only."""
    from databrewery_lab.demo import build_demo

    conninfo = make_database(schema=True)
    build_demo(conninfo, scale=1.0, seed=0, progress=False)
    return conninfo
