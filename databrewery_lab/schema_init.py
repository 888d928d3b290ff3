"""Apply ``sql/schema.sql`` to a database: all or nothing, safe to run twice or concurrently."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from ._resources import resource_path
from .errors import SchemaError
from .schema import databrewery_tables

# pg_advisory_xact_lock key: two processes initialising one database take turns.
_SCHEMA_LOCK_KEY = 0x0DB1AB


@dataclass(frozen=True)
class SchemaReport:
    """What :func:`apply_schema` found and did."""

    database: str
    created: tuple[str, ...]
    already_present: tuple[str, ...]
    other_tables: tuple[str, ...]

    def __str__(self) -> str:
        parts = [
            f"database {self.database!r}: created {len(self.created)} Databrewery tables",
            f"{len(self.already_present)} were already present",
        ]
        if self.other_tables:
            parts.append(f"{len(self.other_tables)} other tables left untouched")
        return ", ".join(parts)


def _current_tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    ).fetchall()
    return {name for (name,) in rows}


def apply_schema(conn: psycopg.Connection) -> SchemaReport:
    """Create whatever part of the Databrewery schema is missing, in one transaction.

    Existing tables and their data are never altered. If the database holds a table of the
    same name with a different shape (e.g. a plain Label Studio table lacking a column an
    index needs), nothing is changed and :class:`SchemaError` says which. When every table
    is already there the script is not run at all: it would take locks that wait behind
    writers, and it needs table ownership that an application role may lack.
    """
    ours = set(databrewery_tables())
    database = conn.info.dbname
    before: set[str] = set()
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
            before = _current_tables(conn)
            if ours <= before:
                return SchemaReport(database, (), tuple(sorted(ours)), tuple(sorted(before - ours)))
            conn.execute(resource_path("sql/schema.sql").read_text())
            after = _current_tables(conn)
    except psycopg.Error as err:
        clash = sorted(ours & before)
        detail = (err.diag.message_primary or str(err)).strip()
        hint = (
            f" The database already has {len(clash)} table(s) with Databrewery names "
            f"({', '.join(clash[:6])}{', ...' if len(clash) > 6 else ''}) whose shape differs."
            if clash
            else ""
        )
        raise SchemaError(
            f"Could not create the Databrewery schema in database {database!r}: {detail}."
            f"{hint} Nothing was changed. Use an empty database, or connect without "
            "init_schema() to read it as it is."
        ) from None
    return SchemaReport(
        database=database,
        created=tuple(sorted((after - before) & ours)),
        already_present=tuple(sorted(before & ours)),
        other_tables=tuple(sorted(after - ours)),
    )
