"""SQLAlchemy Core statements run straight on one psycopg connection, prepared server-side.

A labeling click must cost a millisecond or two, and SQLAlchemy's per-execute work
(cache key, result metadata, row processing) was most of that. So the label stream builds
its statements with SQLAlchemy Core from the reflected schema as everywhere else, but runs
them here: each statement is compiled once by the engine's own dialect (identical SQL and
bind casts), keeps its bind processors (JSON values become ``Jsonb``), and executes as a
server-side prepared statement on a connection the caller owns.

Transactions are explicit and can be pipelined: :meth:`StatementRunner.transaction`
sends ``BEGIN`` with the first statement and ``COMMIT`` with the last, so a write that
takes a hot row lock (project counters) holds it only while the server works.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import psycopg
import sqlalchemy as sa

Params = Mapping[str, Any]
#: Session settings of a runner's connection. Its statements are point lookups by key,
#: built for one generic plan (constant shapes, partial-index predicates as literals):
#: - left to choose, the planner re-plans some of them on every execution once a project
#:   is large (2 ms of planning for a 0.2 ms pick at 100k tasks);
#: - statistics taken when the lock table was empty make it pick sequential scans of a
#:   table that churns a row per click, its dead rows growing until autovacuum comes.
_SESSION_SETTINGS = "SET enable_seqscan = off"
#: PostgreSQL 12 added ``plan_cache_mode``.
_GENERIC_PLANS = "SET plan_cache_mode = force_generic_plan"
_PLAN_CACHE_MODE_SINCE = 120000


_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_ ]*")


def constant(value: str | int | bool | timedelta) -> sa.ColumnElement[Any]:
    """A constant of our own code written into the SQL text, not bound.

    A bound literal (``sa.literal``) is sent, converted and parsed on every execution of a
    prepared statement; JSON keys, settings and the lock TTL never change. Text is limited
    to letters, digits, ``_`` and spaces, so it needs no escaping; never pass user input.
    """
    if isinstance(value, bool):
        return sa.true() if value else sa.false()
    if isinstance(value, int):
        return sa.literal_column(str(int(value)), sa.Integer)
    if isinstance(value, timedelta):
        return sa.literal_column(f"interval '{value.total_seconds()!r} seconds'", sa.Interval)
    if not _PLAIN_TEXT.fullmatch(value):
        raise ValueError(f"not a plain constant: {value!r}")
    return sa.literal_column(f"'{value}'", sa.Text)


class Prepared:
    """A statement built once and compiled on first use; reuse it for every execution."""

    __slots__ = ("_compiled", "names", "statement")

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None
        #: Result column names, learnt from the first result.
        self.names: tuple[str, ...] | None = None

    def compiled(self, dialect: sa.Dialect) -> _Compiled:
        if self._compiled is None:
            self._compiled = _Compiled(self.statement, dialect)
        return self._compiled


class _Compiled:
    """SQL text, constant bind values, required names and bind processors of a statement."""

    __slots__ = ("defaults", "processors", "required", "sql")

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        self.sql: str = compiled.string
        self.defaults: dict[str, Any] = dict(compiled.params)
        self.processors: dict[str, Callable[[Any], Any]] = {}
        self.required: frozenset[str] = frozenset(
            name for bind, name in compiled.bind_names.items() if bind.required
        )
        for bind, name in compiled.bind_names.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.processors[name] = process

    def bind(self, params: Params | None) -> dict[str, Any]:
        values = dict(self.defaults)
        if params:
            values.update(params)
        missing = [name for name in self.required if name not in (params or {})]
        if missing:
            raise KeyError(f"a value is required for the bind parameter(s) {sorted(missing)}")
        for name, process in self.processors.items():
            values[name] = process(values[name])
        return values


class StatementRunner:
    """Executes statements on one autocommit psycopg connection (opened lazily)."""

    def __init__(self, connect: Callable[[], psycopg.Connection], dialect: sa.Dialect) -> None:
        self._connect = connect
        self.dialect = dialect
        self._conn: psycopg.Connection | None = None
        self._committed = False

    @property
    def connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            conn = self._connect()
            conn.autocommit = True
            conn.execute(_SESSION_SETTINGS)
            if conn.info.server_version >= _PLAN_CACHE_MODE_SINCE:
                conn.execute(_GENERIC_PLANS)
            self._conn = conn
        return self._conn

    def execute(self, statement: Prepared | sa.Executable, params: Params | None = None) -> Any:
        """Run one statement; returns the psycopg cursor (rows are tuples)."""
        if isinstance(statement, Prepared):
            compiled = statement.compiled(self.dialect)
            prepare = True
        else:  # built for this call only: not worth a server-side prepared statement
            compiled = _Compiled(statement, self.dialect)
            prepare = False
        return self.connection.execute(compiled.sql, compiled.bind(params), prepare=prepare)

    def first(self, statement: Prepared | sa.Executable, params: Params | None = None) -> Any:
        """The first row as a tuple, or None."""
        return self.execute(statement, params).fetchone()

    def first_mapping(
        self, statement: Prepared | sa.Executable, params: Params | None = None
    ) -> dict[str, Any] | None:
        """The first row as a dict keyed by column name, or None."""
        cursor = self.execute(statement, params)
        row = cursor.fetchone()
        if row is None:
            return None
        names = statement.names if isinstance(statement, Prepared) else None
        if names is None:
            names = tuple(column.name for column in cursor.description)
            if isinstance(statement, Prepared):
                statement.names = names
        return dict(zip(names, row, strict=True))

    def scalar(self, statement: Prepared | sa.Executable, params: Params | None = None) -> Any:
        """The first column of the first row, or None."""
        row = self.first(statement, params)
        return None if row is None else row[0]

    def all(self, statement: Prepared | sa.Executable, params: Params | None = None) -> list[Any]:
        return self.execute(statement, params).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StatementRunner]:
        """One transaction, pipelined: BEGIN travels with the first statement.

        Statements whose cursors are read inside the block cost a round trip each; the
        ``COMMIT`` goes out on exit together with any statements not yet read (see
        :meth:`execute_then_commit`). Any error rolls back and re-raises.
        """
        conn = self.connection
        self._committed = False
        try:
            with conn.pipeline():  # (the transaction status is only known after a sync)
                conn.execute("BEGIN")
                yield self
                if not self._committed:
                    conn.execute("COMMIT")
        except BaseException:
            self._rollback_quietly()
            raise

    def execute_then_commit(
        self, statement: Prepared | sa.Executable, params: Params | None = None
    ) -> Any:
        """Inside :meth:`transaction`: run the last statement and COMMIT in one round trip.

        Returns the statement's first row. Row locks the statement takes are held only
        until the server has committed, never while the client is scheduled out.
        """
        conn = self.connection
        cursor = self.execute(statement, params)
        conn.execute("COMMIT")
        self._committed = True
        return cursor.fetchone()

    def _rollback_quietly(self) -> None:
        conn = self._conn
        if conn is None or conn.closed:
            return
        with contextlib.suppress(psycopg.Error):
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def closed(self) -> bool:
        return self._conn is None or self._conn.closed
