"""``connect()`` and the Brewery: the one object every feature hangs from."""

from __future__ import annotations

import contextlib
import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import psycopg
import sqlalchemy as sa

from . import dsn as dsn_tools
from .embedded import DATABASE, EmbeddedPostgres
from .errors import ConnectionFailed
from .paths import DSN_ENV, data_home
from .projects import Project, list_projects
from .schema import Schema
from .schema_init import SchemaReport, apply_schema
from .users import User, resolve_user

if TYPE_CHECKING:
    from datetime import date, datetime

    from .analytics.engine import AnalyticsEngine
    from .widgets.dashboard import Dashboard


def connect(
    dsn: str | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> Brewery:
    """Connect to a Databrewery database and return a :class:`Brewery`.

    - ``dsn`` given (or ``$DATABREWERY_DSN`` set): that server. Its schema is never altered
      unless you call :meth:`Brewery.init_schema`.
    - ``data_dir`` given, or neither: the embedded PostgreSQL in ``data_dir`` (default
      ``$DATABREWERY_HOME`` or the platform data dir) is started or reused, and the schema
      is created on first use. An explicit ``data_dir`` wins over ``$DATABREWERY_DSN``.
    """
    if dsn is not None and data_dir is not None:
        raise TypeError("connect() takes a dsn or a data_dir, not both")
    if dsn is None and data_dir is None:
        dsn = os.environ.get(DSN_ENV) or None
    if dsn is not None:
        return Brewery(dsn_tools.normalise(dsn))
    server = EmbeddedPostgres(data_home(data_dir)).acquire()
    try:
        _ensure_embedded_database(server)
        brewery = Brewery(server.conninfo(), embedded=server)
        if brewery.schema.missing_databrewery_tables():
            brewery.init_schema()
    except BaseException:
        server.release()
        raise
    return brewery


def _ensure_embedded_database(server: EmbeddedPostgres) -> None:
    """Create the ``databrewery`` database in the embedded cluster if it is not there."""
    with dsn_tools.open_connection(server.conninfo("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if exists.fetchone() is None:
            # Another process may create it in the meantime; that is fine.
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(f'CREATE DATABASE "{DATABASE}"')  # constant identifier


class Brewery:
    """A connection to one Databrewery database.

    It owns the SQLAlchemy engine, the reflected :class:`Schema` that every query goes
    through, and (for the embedded database) a hold on the embedded server.
    """

    def __init__(self, conninfo: str, *, embedded: EmbeddedPostgres | None = None) -> None:
        self._conninfo = conninfo
        self._embedded = embedded
        probe = dsn_tools.open_connection(conninfo)
        with probe:
            self.database: str = probe.info.dbname
            self.server_version: str = probe.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        self.engine: sa.Engine = sa.create_engine(
            "postgresql+psycopg://",
            creator=lambda: dsn_tools.open_connection(self._conninfo),
            pool_pre_ping=True,
            pool_size=5,
        )
        self._schema: Schema | None = None
        self._user: User | None = None
        self._is_view = False
        # One slot shared (not copied) by as_user views, so they all use one engine.
        self._analytics_slot: list[AnalyticsEngine] = []

    # -- identity -------------------------------------------------------------------------
    @property
    def dsn(self) -> str:
        """The connection string with any password masked."""
        return dsn_tools.masked(self._conninfo)

    @property
    def is_embedded(self) -> bool:
        return self._embedded is not None

    @property
    def data_dir(self) -> Path | None:
        """The embedded server's data directory, or None for a DSN connection."""
        return self._embedded.home if self._embedded else None

    # -- schema ---------------------------------------------------------------------------
    @property
    def schema(self) -> Schema:
        """The reflected schema (cached; :meth:`refresh_schema` re-reads it)."""
        if self._schema is None:
            self.refresh_schema()
        assert self._schema is not None
        return self._schema

    def refresh_schema(self) -> Schema:
        with self.engine.connect() as conn:
            self._schema = Schema.reflect(conn)
        return self._schema

    def init_schema(self) -> SchemaReport:
        """Create the missing parts of the Databrewery schema (existing tables untouched)."""
        with dsn_tools.open_connection(self._conninfo) as conn:
            report = apply_schema(conn)
        self.refresh_schema()
        return report

    # -- who is acting -------------------------------------------------------------------
    def as_user(self, user: int | str) -> Brewery:
        """The same connection acting as ``user`` (id, email or username) for labeling.

        The returned object shares this one's engine and server; closing it is a no-op.
        """
        view = copy.copy(self)
        view._user = resolve_user(self, user)
        view._is_view = True
        return view

    @property
    def user(self) -> User | None:
        """The user this connection acts as (see :meth:`as_user`), or None."""
        return self._user

    def users(self) -> pd.DataFrame:
        """The database's users (identity and activity columns only; never secrets)."""
        self.schema.require("htx_user", "id", "email", "username", feature="listing users")
        wanted = ("id", "email", "username", "is_active", "date_joined", "last_activity")
        users = self.schema.table("htx_user")
        query = sa.select(*[users.c[c] for c in wanted if c in users.c]).order_by(users.c.id)
        with self.engine.connect() as conn:
            result = conn.execute(query)
            return pd.DataFrame(result.all(), columns=list(result.keys())).set_index("id")

    # -- data -----------------------------------------------------------------------------
    def projects(self) -> pd.DataFrame:
        """All projects with live counts of tasks, annotations and predictions."""
        return list_projects(self)

    def project(self, ref: int | str) -> Project:
        """A project by id or exact title."""
        return Project.load(self, ref)

    def query(self, sql: str, **params: Any) -> pd.DataFrame:
        """Run one read-only SQL statement with bound ``:name`` parameters."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            result = conn.execute(sa.text(sql), params)
            return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))

    # -- analytics ------------------------------------------------------------------------
    @property
    def analytics(self) -> AnalyticsEngine:
        """DuckDB attached read-only to this database (opened on first query, then reused).

        Cached on the Brewery and shared with its :meth:`as_user` views.
        """
        if not self._analytics_slot:
            from .analytics.engine import AnalyticsEngine

            self._analytics_slot.append(AnalyticsEngine(self))
        return self._analytics_slot[0]

    def sql(self, query: str, **params: Any) -> pd.DataFrame:
        """Run one read-only DuckDB SELECT over this database with bound ``$name`` parameters."""
        return self.analytics.sql(query, **params)

    # -- widgets --------------------------------------------------------------------------
    def dashboard(
        self,
        organization: int | str | None = None,
        *,
        workspace: int | str | None = None,
        project: int | str | None = None,
        since: date | datetime | str | None = None,
        until: date | datetime | str | None = None,
    ) -> Dashboard:
        """The manager dashboard, opened at the most specific place named (default: all).

        Organizations, workspaces and projects by id or exact title; ``since``/``until``
        limit the activity counted (a bare date as ``until`` includes that day).
        """
        from .widgets.dashboard import Dashboard

        return Dashboard(
            self,
            organization=organization,
            workspace=workspace,
            project=project,
            since=since,
            until=until,
        )

    def raw_connection(self) -> psycopg.Connection:
        """A new psycopg connection to this database (the caller closes it)."""
        return dsn_tools.open_connection(self._conninfo)

    @property
    def conninfo(self) -> str:
        """The full libpq conninfo, password included: for tools such as DuckDB or psql."""
        return self._conninfo

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Close pooled connections and let go of the embedded server."""
        if self._is_view:
            return  # the connection belongs to the Brewery this view came from
        for analytics in self._analytics_slot:
            analytics.close()  # before the server goes: DuckDB holds connections to it
        self._analytics_slot.clear()
        self.engine.dispose()
        if self._embedded is not None:
            self._embedded.release()
            self._embedded = None

    def __enter__(self) -> Brewery:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f"embedded in {self.data_dir}" if self._embedded else self.dsn
        acting = f" as {self._user.email}" if self._user else ""
        return f"<Brewery {self.database!r} ({where}){acting}, PostgreSQL {self.server_version}>"


__all__ = ["Brewery", "ConnectionFailed", "connect"]
