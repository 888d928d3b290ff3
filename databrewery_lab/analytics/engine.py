"""DuckDB over the Brewery's PostgreSQL: the one engine every analytics module queries.

``brewery.analytics`` opens (lazily, once) an in-memory DuckDB that ATTACHes the database
READ_ONLY through DuckDB's postgres extension. The extension is loaded from the
``duckdb-extension-postgres`` wheel, never downloaded. Nothing is copied: every query
reads the live tables.

Two DuckDB connections share that database:

- the *user* connection runs :meth:`AnalyticsEngine.sql` (``brewery.sql``): one read-only
  ``SELECT`` over views named like the tables, each listing only the table's visible
  columns, so a casual ``SELECT * FROM htx_user`` never returns a password hash. Scans use
  the binary COPY protocol and push ``project_id = ...`` style filters down to PostgreSQL.
- the *scoped* cursor runs our own metric queries. Their selection (projects, tasks,
  dates, annotators), aggregations and JSON label extraction run inside PostgreSQL
  through ``postgres_query('pg', sql, params := row(...))`` with every value bound as
  ``$n``. DuckDB binds such parameters only over the text protocol, which that cursor
  uses.

Why extract inside PostgreSQL, measured on the demo at scale 60 on 2 shared cores (best
of 3–5 runs): for a Choices control over 195k annotations, shipping the jsonb ``result``
as text and extracting in DuckDB took 410–730 ms, extracting in PostgreSQL and shipping
(task, annotator, label) 250–440 ms whether bound over the text protocol or not, and
psycopg → Python objects 2,500 ms; ``extract_annotations`` end to end takes 0.36 s. For
region controls the output is as large as the input (103k NER annotations → 558k span
rows; 96k box annotations → 219k rows) and DuckDB's JSON reader was 1.2–1.5× faster
(1.3 s against 1.6–1.9 s for spans); one code path with every value bound in
PostgreSQL was kept for all kinds.

The package's own queries run with PostgreSQL's JIT compiler off (``SET LOCAL jit = off``
in the transaction of each :meth:`AnalyticsEngine.run`, only where the server has JIT on).
Its cost thresholds treat a million-row scan as expensive: on PostgreSQL 15 with JIT on
(the Debian default) the Choices extraction over 930k annotations spent 1.1–1.3 s of CPU
compiling (EXPLAIN ANALYZE, leader and 2 workers) for a query that runs in 1.4 s, and took
1.6–1.9 s instead of 1.4 s; through DuckDB, interleaved on 2 cores shared with other work,
``extract_annotations`` took best 2.2 s / median 3.3 s with it off, 3.0 s / 3.5 s with it
on. It is set per transaction, not in the connection's startup options, which poolers
such as pgbouncer refuse.

The guard in :meth:`sql` keeps honest queries away from raw tables and pass-through
functions; it is not a sandbox. Connect as a role that may not read the secret columns
for a boundary PostgreSQL itself enforces.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import os
import re
import shutil
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import platformdirs
import psutil
import pyarrow as pa
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from databrewery_lab import dsn as dsn_tools
from databrewery_lab.errors import DatabreweryError

if TYPE_CHECKING:
    from databrewery_lab.connection import Brewery

#: Name of the attached PostgreSQL catalog inside DuckDB (raw tables: ``pg.<schema>.<t>``).
CATALOG = "pg"
#: DuckDB loads a local extension only when the file carries the extension's own name.
EXTENSION_FILE = "postgres_scanner.duckdb_extension"
_WHEEL = "duckdb-extension-postgres"
_SECRET = "brewery_pg"
_MIB = 1024 * 1024

#: Table functions that reach PostgreSQL or other catalogs around the secret-free views.
_PASS_THROUGH = frozenset(
    {
        "postgres_query",
        "postgres_scan",
        "postgres_scan_pushdown",
        "postgres_execute",
        "postgres_attach",
        "query",
        "query_table",
    }
)
#: Run inside :meth:`AnalyticsEngine.run`'s transaction on a server with JIT on.
_JIT_OFF = f"SELECT * FROM postgres_execute('{CATALOG}', 'SET LOCAL jit = off')"  # noqa: S608 - constants
_PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

PgValue = int | float | str | bool


class AnalyticsUnavailable(DatabreweryError):
    """DuckDB or its postgres extension cannot be loaded, or cannot attach the database."""


class QueryRefused(DatabreweryError, PermissionError):
    """``brewery.sql`` runs one read-only SELECT over the secret-free views, nothing else."""


@dataclass(frozen=True)
class EngineSettings:
    """DuckDB resources: the machine is shared with PostgreSQL, so stay modest."""

    threads: int
    memory_limit_mib: int
    temp_directory: Path

    @classmethod
    def default(cls) -> EngineSettings:
        """Up to 4 threads; a quarter of RAM, between 256 MiB and 2 GiB; spill to the cache."""
        threads = max(1, min(os.cpu_count() or 1, 4))
        quarter = psutil.virtual_memory().total // 4 // _MIB
        return cls(threads, int(min(max(quarter, 256), 2048)), cache_dir() / "duckdb-spill")


def cache_dir() -> Path:
    """Per-user cache of databrewery-lab (the extension link, DuckDB spill files)."""
    return Path(platformdirs.user_cache_dir("databrewery-lab", appauthor=False))


def postgres_extension(cache: Path | None = None) -> Path:
    """A path DuckDB can ``LOAD``: the wheel's extension, linked under its required name.

    The wheel stores ``extensions/v<duckdb version>/postgres.duckdb_extension``; DuckDB
    only loads it as ``postgres_scanner.duckdb_extension``, so it is symlinked (copied
    where symlinks are not allowed) into the per-user cache.
    """
    version = duckdb.__version__
    fix = f"pip install '{_WHEEL}=={version}'"
    try:
        root = Path(str(importlib.resources.files("duckdb_extension_postgres"))) / "extensions"
    except ModuleNotFoundError:
        raise AnalyticsUnavailable(
            f"The {_WHEEL} package is not installed, so DuckDB cannot read PostgreSQL "
            f"(analytics never download extensions). Install it: {fix}."
        ) from None
    source = root / f"v{version}" / "postgres.duckdb_extension"
    if not source.is_file():
        shipped = sorted(p.name.lstrip("v") for p in root.glob("v*")) if root.is_dir() else []
        raise AnalyticsUnavailable(
            f"{_WHEEL} ships the postgres extension for DuckDB {', '.join(shipped) or '(none)'}"
            f", but DuckDB {version} is installed; the two versions must match. Fix: {fix}."
        )
    target = (cache or cache_dir()) / "duckdb-extensions" / f"v{version}" / EXTENSION_FILE
    try:
        return _link(source, target)
    except OSError as err:
        raise AnalyticsUnavailable(
            f"Cannot place the DuckDB postgres extension at {target} ({err.strerror}); make "
            "that directory writable or set XDG_CACHE_HOME to a writable directory."
        ) from None


def _link(source: Path, target: Path) -> Path:
    """Make ``target`` a symlink to (or copy of) ``source``, atomically; reuse a good one."""
    if target.is_symlink() and target.resolve() == source.resolve():
        return target
    if (
        target.is_file()
        and not target.is_symlink()
        and target.stat().st_size == source.stat().st_size
        and target.stat().st_mtime >= source.stat().st_mtime
    ):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    staging.unlink(missing_ok=True)
    try:
        os.symlink(source, staging)
    except OSError:
        shutil.copyfile(source, staging)
    os.replace(staging, target)
    return target


def quote_identifier(name: str) -> str:
    """A DuckDB/PostgreSQL quoted identifier (only for names taken from the schema)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """A SQL string literal, for the few statements DuckDB cannot parameterise (LOAD, ATTACH)."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class PgQuery:
    """A query PostgreSQL runs itself: values travel as ``$1..$n``, never inside ``sql``.

    ``sql`` is composed only from constants of this package and identifiers checked
    against the reflected schema.
    """

    sql: str
    params: tuple[PgValue, ...] = ()

    def source(self, name: str) -> tuple[str, dict[str, Any]]:
        """A DuckDB FROM-clause item running this query, and the DuckDB parameters it needs.

        ``name`` prefixes the DuckDB parameter names, so several sources can share a query.
        Every value travels as text and the SQL casts it (``$1::bigint``): DuckDB sends
        numbers in its own binary width, which PostgreSQL rejects for a wider type.
        """
        if not _PARAM_NAME.match(name):
            raise ValueError(f"source name {name!r} must be a lower-case identifier")
        params: dict[str, Any] = {f"{name}_sql": self.sql}
        for index, value in enumerate(self.params, start=1):
            params[f"{name}_{index}"] = _as_text(value, index)
        if not self.params:
            return f"postgres_query('{CATALOG}', ${name}_sql)", params
        bound = ", ".join(f"${name}_{i}" for i in range(1, len(self.params) + 1))
        return f"postgres_query('{CATALOG}', ${name}_sql, params := row({bound}))", params


def _as_text(value: PgValue, index: int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise TypeError(f"PostgreSQL parameter ${index} must be str, int, float or bool")


class AnalyticsEngine:
    """DuckDB attached read-only to one Brewery's PostgreSQL; opened on first use.

    Obtain it as ``brewery.analytics``; ``brewery.close()`` closes it.
    """

    def __init__(self, brewery: Brewery, settings: EngineSettings | None = None) -> None:
        self._brewery = brewery
        self.settings = settings or EngineSettings.default()
        self._lock = threading.RLock()
        self._user: duckdb.DuckDBPyConnection | None = None
        self._scoped: duckdb.DuckDBPyConnection | None = None
        self._jit_off = False
        self.pg_schema: str | None = None

    # -- lifecycle --------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._user is not None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The user-side DuckDB connection (opened on first use)."""
        with self._lock:
            if self._user is None:
                self._open()
            assert self._user is not None
            return self._user

    def close(self) -> None:
        """Close DuckDB and its PostgreSQL connections; the next query reopens it."""
        with self._lock:
            for con in (self._scoped, self._user):
                if con is not None:
                    con.close()
            self._user = self._scoped = None

    def _open(self) -> None:
        extension = postgres_extension()
        s = self.settings
        s.temp_directory.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            ":memory:",
            config={
                "threads": s.threads,
                "memory_limit": f"{s.memory_limit_mib}MB",
                "temp_directory": str(s.temp_directory),
                "preserve_insertion_order": False,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "allow_community_extensions": False,
            },
        )
        try:
            con.execute("SET GLOBAL TimeZone = 'UTC'")
            con.execute(f"LOAD {_literal(str(extension))}")
            self._attach(con)
            self.pg_schema = self._current_schema(con)
            self._jit_off = self._server_jit_is_on(con)
            self._create_views(con, self.pg_schema)
            scoped = con.cursor()
            scoped.execute("SET SESSION pg_use_text_protocol = true")
            con.execute("SET GLOBAL enable_external_access = false")
            con.execute("SET GLOBAL lock_configuration = true")
        except duckdb.Error as err:
            con.close()
            raise AnalyticsUnavailable(
                f"DuckDB could not open {dsn_tools.describe(self._brewery.conninfo)} for "
                f"analytics: {_first_line(err)}. Check that the server is reachable with "
                "brewery.query('SELECT 1')."
            ) from None
        self._user, self._scoped = con, scoped

    def _attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """ATTACH read-only; a password goes into a temporary secret, not the visible path."""
        params = conninfo_to_dict(self._brewery.conninfo)
        password = params.pop("password", None)
        options = "TYPE postgres, READ_ONLY"
        if password:
            con.execute(
                f"CREATE TEMPORARY SECRET {_SECRET} (TYPE postgres, PASSWORD $password)",
                {"password": str(password)},
            )
            options += f", SECRET {_SECRET}"
        con.execute(f"ATTACH {_literal(make_conninfo(**params))} AS {CATALOG} ({options})")

    @staticmethod
    def _current_schema(con: duckdb.DuckDBPyConnection) -> str:
        row = con.execute(
            f"SELECT s FROM postgres_query('{CATALOG}', 'SELECT current_schema()::text AS s')"  # noqa: S608 - constants
        ).fetchone()
        if row is None or row[0] is None:
            raise AnalyticsUnavailable("The database has no current schema (empty search_path).")
        return str(row[0])

    @staticmethod
    def _server_jit_is_on(con: duckdb.DuckDBPyConnection) -> bool:
        """Whether PostgreSQL would JIT-compile our queries: ``jit`` is on and a provider loads.

        Two queries: ``pg_jit_available()`` does not exist before PostgreSQL 11, where
        ``current_setting('jit', true)`` is NULL.
        """

        def ask(sql: str) -> object:
            row = con.execute(
                f"SELECT v FROM postgres_query('{CATALOG}', $sql)",  # noqa: S608 - constants
                {"sql": sql},
            ).fetchone()
            return row[0] if row else None

        if ask("SELECT current_setting('jit', true) AS v") != "on":
            return False
        return ask("SELECT pg_jit_available() AS v") is True

    def _create_views(self, con: duckdb.DuckDBPyConnection, pg_schema: str) -> None:
        """One view per reflected table, listing only its visible (non-secret) columns."""
        schema = self._brewery.schema
        for table in sorted(schema.tables):
            columns = schema.visible_columns(table)
            if not columns:
                continue
            listed = ", ".join(quote_identifier(c) for c in columns)
            raw = f"{CATALOG}.{quote_identifier(pg_schema)}.{quote_identifier(table)}"
            try:
                con.execute(
                    f"CREATE VIEW main.{quote_identifier(table)} AS SELECT {listed} FROM {raw}"  # noqa: S608 - schema-reflected identifiers
                )
            except duckdb.Error as err:
                warnings.warn(
                    f"analytics: table {table!r} is not queryable from DuckDB "
                    f"({_first_line(err)}); brewery.sql() will not see it.",
                    stacklevel=3,
                )

    # -- user queries -----------------------------------------------------------------
    def sql(self, query: str, **params: Any) -> pd.DataFrame:
        """Run one read-only DuckDB ``SELECT`` with bound ``$name`` parameters → DataFrame.

        Tables are the database's, by name, with their visible columns only; DuckDB SQL
        (``QUALIFY``, ``quantile_cont``, ``date_trunc`` ...) is available.
        """
        with self._lock:
            con = self.connection
            self._refuse_unless_read_only(con, query)
            table = con.execute(query, params or None).to_arrow_table()
        return table.to_pandas()

    @staticmethod
    def _refuse_unless_read_only(con: duckdb.DuckDBPyConnection, query: str) -> None:
        if not isinstance(query, str):
            raise TypeError(f"brewery.sql() takes SQL text, not {type(query).__name__}")
        statements = con.extract_statements(query)
        if len(statements) != 1:
            raise QueryRefused(
                f"brewery.sql() runs exactly one statement; got {len(statements)}. "
                "Send the statements one call at a time."
            )
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise QueryRefused(
                f"brewery.sql() is read-only and runs SELECT queries only, not {kind.name}. "
                "Write to the database through the package's labeling and import APIs."
            )
        serialized = con.execute("SELECT json_serialize_sql($q)", {"q": query}).fetchone()
        tree = json.loads(serialized[0]) if serialized else {"error": True}
        if tree.get("error"):
            raise QueryRefused(
                "brewery.sql() runs plain SELECT queries only (this statement cannot be "
                f"checked: {tree.get('error_message', 'not a SELECT')})."
            )
        for reference in _references(tree):
            raise QueryRefused(
                f"brewery.sql() reads the tables through secret-free views; {reference} "
                "bypasses them. Query the table by its plain name (e.g. FROM task)."
            )

    # -- internal, trusted queries ------------------------------------------------------
    def run(self, query: str, **params: Any) -> pa.Table:
        """Run one of the package's own DuckDB queries (it may read :class:`PgQuery` sources).

        An explicit transaction: the ``SET LOCAL jit = off`` sent first lasts until its end
        on the connection the query's PostgreSQL sources run on (see the module doc).
        """
        with self._lock:
            self.connection  # noqa: B018 - opens the engine on first use
            cursor = self._scoped
            assert cursor is not None
            cursor.execute("BEGIN TRANSACTION")
            try:
                if self._jit_off:
                    cursor.execute(_JIT_OFF)
                table = cursor.execute(query, params or None).to_arrow_table()
            except BaseException:
                with contextlib.suppress(duckdb.Error):  # the query's own error is the one to see
                    cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
            return table

    def relation(self, table: pa.Table) -> duckdb.DuckDBPyRelation:
        """A DuckDB relation over an Arrow table (kept alive by the relation)."""
        with self._lock:
            return self.connection.from_arrow(table)

    def __repr__(self) -> str:
        state = "open" if self.is_open else "not opened yet"
        return f"<AnalyticsEngine DuckDB {duckdb.__version__} on {self._brewery.dsn} ({state})>"


def _references(tree: Any) -> Iterator[str]:
    """Raw-catalog tables and pass-through table functions a serialized query uses."""
    if isinstance(tree, Mapping):
        kind = tree.get("type")
        if kind == "BASE_TABLE" and CATALOG in (tree.get("catalog_name"), tree.get("schema_name")):
            yield f"the raw catalog reference {CATALOG}...{tree.get('table_name')}"
        if kind == "TABLE_FUNCTION":
            function = tree.get("function") or {}
            name = str(function.get("function_name", "")).lower()
            if name in _PASS_THROUGH:
                yield f"the table function {name}()"
        for value in tree.values():
            yield from _references(value)
    elif isinstance(tree, Sequence) and not isinstance(tree, str):
        for value in tree:
            yield from _references(value)


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__
