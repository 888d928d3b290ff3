"""Write rows with COPY (bulk) and keep track of how many went into each table.

Identifiers are composed with ``psycopg.sql.Identifier`` (several spec columns are
SQL keywords: ``order``, ``column``, ``key``); values travel in the COPY stream,
never in SQL text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql


class RowWriter:
    """COPY rows into tables of one open transaction, counting rows per table."""

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self.cur = cur
        self.rows: Counter[str] = Counter()
        #: The table being written when something failed (for error messages).
        self.current_table: str | None = None

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Stream ``rows`` (tuples in ``columns`` order) into ``table``; return the count."""
        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        self.current_table = table
        n = 0
        width = len(columns)
        with self.cur.copy(stmt) as cp:
            for row in rows:
                if len(row) != width:  # a generator bug, caught before the server sees it
                    raise ValueError(f"{table}: row has {len(row)} values for {width} columns")
                cp.write_row(row)
                n += 1
        self.rows[table] += n
        self.current_table = None
        return n

    def executemany(self, query: str, params: Iterable[Sequence[Any]]) -> None:
        """Run one statement per parameter row (the few UPDATEs that close FK cycles)."""
        self.cur.executemany(query, params)


def advance_sequences(cur: psycopg.Cursor[Any], tables: Iterable[str]) -> None:
    """Point every ``serial`` (or identity) sequence at max(id), so later inserts work."""
    cur.execute(
        "SELECT c.relname, pg_get_serial_sequence("
        "  quote_ident(n.nspname) || '.' || quote_ident(c.relname), 'id') "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (current_schemas(false)) "
        "AND c.relname = ANY (%s)",
        (list(tables),),
    )
    for table, sequence in cur.fetchall():
        if sequence is None:
            continue
        query = sql.SQL(
            "SELECT setval(%s::regclass, COALESCE(max(id), 1), max(id) IS NOT NULL) FROM {}"
        ).format(sql.Identifier(table))
        cur.execute(query, (sequence,))


def columns(names: str) -> tuple[str, ...]:
    """Column names from one whitespace-separated string (keeps long lists readable)."""
    return tuple(names.split())
