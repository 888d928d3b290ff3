"""The connected database as it really is: which tables and columns exist, and their types.

Every query in databrewery-lab takes its tables from here. Identifiers therefore come only
from the reflected catalog (a whitelist), never from user input, and a feature that needs a
column a plain Label Studio database lacks gets a :class:`MissingSchemaError` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ._resources import resource_path
from .errors import MissingSchemaError
from .secret_columns import is_secret

_REFLECT_SQL = sa.text(
    """
    SELECT c.table_name, c.column_name, c.data_type
    FROM information_schema.columns AS c
    JOIN information_schema.tables AS t
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name, c.ordinal_position
    """
)

_SA_TYPES: Mapping[str, sa.types.TypeEngine] = {
    "integer": sa.Integer(),
    "bigint": sa.BigInteger(),
    "smallint": sa.SmallInteger(),
    "text": sa.Text(),
    "character varying": sa.String(),
    "jsonb": pg.JSONB(),
    "json": sa.JSON(),
    "timestamp with time zone": sa.DateTime(timezone=True),
    "timestamp without time zone": sa.DateTime(),
    "date": sa.Date(),
    "boolean": sa.Boolean(),
    "double precision": sa.Float(),
    "real": sa.REAL(),
    "numeric": sa.Numeric(),
    "uuid": pg.UUID(),
}


@cache
def databrewery_tables() -> tuple[str, ...]:
    """The tables ``sql/schema.sql`` creates, in the order it creates them."""
    text = resource_path("sql/schema.sql").read_text()
    names = re.findall(r"CREATE TABLE IF NOT EXISTS\s+\"?(\w+)\"?", text, flags=re.IGNORECASE)
    return tuple(dict.fromkeys(names))


class Schema:
    """A snapshot of the tables and columns in the connected database's current schema."""

    def __init__(self, columns: Mapping[str, Mapping[str, str]], database: str) -> None:
        self._columns = {table: dict(cols) for table, cols in columns.items()}
        self.database = database
        self._metadata = sa.MetaData()

    @classmethod
    def reflect(cls, connection: sa.Connection) -> Schema:
        database = connection.execute(sa.text("SELECT current_database()")).scalar_one()
        columns: dict[str, dict[str, str]] = {}
        for table, column, data_type in connection.execute(_REFLECT_SQL):
            columns.setdefault(table, {})[column] = data_type
        return cls(columns, database)

    # -- questions --------------------------------------------------------------------
    @property
    def tables(self) -> frozenset[str]:
        return frozenset(self._columns)

    def has_table(self, table: str) -> bool:
        return table in self._columns

    def has_column(self, table: str, column: str) -> bool:
        return column in self._columns.get(table, {})

    def columns(self, table: str) -> dict[str, str]:
        """Column name → PostgreSQL data type, in table order."""
        self.require(table)
        return dict(self._columns[table])

    def visible_columns(self, table: str) -> list[str]:
        """Columns of ``table`` that may be shown to a user: all but the secret ones."""
        return [col for col in self.columns(table) if not is_secret(table, col)]

    def missing_databrewery_tables(self) -> list[str]:
        return [t for t in databrewery_tables() if t not in self._columns]

    def require(self, table: str, *columns: str, feature: str | None = None) -> None:
        """Raise :class:`MissingSchemaError` unless ``table`` has all ``columns``."""
        what = f" (needed by {feature})" if feature else ""
        if table not in self._columns:
            raise MissingSchemaError(
                f"Table {table!r} does not exist in database {self.database!r}{what}. "
                "If this is a new or Label Studio database, create the Databrewery schema "
                "with brewery.init_schema() or `databrewery-lab init --dsn ...`."
            )
        missing = [c for c in columns if c not in self._columns[table]]
        if missing:
            raise MissingSchemaError(
                f"Table {table!r} in database {self.database!r} has no column(s) "
                f"{', '.join(missing)}{what}. This looks like an older or plain Label Studio "
                "schema; the feature needs the Databrewery schema."
            )

    # -- SQLAlchemy objects -------------------------------------------------------------
    def table(self, name: str) -> sa.Table:
        """A Core ``Table`` with exactly the columns the database has."""
        if name in self._metadata.tables:
            return self._metadata.tables[name]
        self.require(name)
        cols = [
            sa.Column(col, _SA_TYPES.get(data_type, sa.types.NullType()))
            for col, data_type in self._columns[name].items()
        ]
        return sa.Table(name, self._metadata, *cols)

    def select_visible(self, name: str, exclude: Iterable[str] = ()) -> sa.Select:
        """``SELECT`` every visible column of ``name`` (secrets are never among them)."""
        table = self.table(name)
        skip = set(exclude)
        return sa.select(*(table.c[c] for c in self.visible_columns(name) if c not in skip))

    def __repr__(self) -> str:
        return f"<Schema {self.database!r}: {len(self._columns)} tables>"
