"""Build the demo organization: check the database, run every phase in one transaction.

The database must have the Databrewery schema and no rows in any of its 96 tables.
All phases write through one connection and one transaction; an error or Ctrl-C
anywhere rolls everything back, so the database is exactly as it was. Ids are
assigned by the generator and the serial sequences advanced to match at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from tqdm.auto import tqdm

from databrewery_lab.demo import (
    admin_log,
    annotations,
    billing,
    exports,
    images,
    ml,
    people,
    projects,
    storage,
    views,
    webhooks,
)
from databrewery_lab.demo.copy import RowWriter, advance_sequences
from databrewery_lab.demo.state import Demo
from databrewery_lab.demo.tables import ALL_TABLES
from databrewery_lab.errors import ConnectionFailed, DemoError, SchemaError

#: Arbitrary advisory-lock key: one demo build per database at a time.
_LOCK_KEY = 0x0DB1_DE30


@dataclass(frozen=True)
class DemoReport:
    """What a build wrote: where, with which settings, how long it took, rows per table."""

    database: str
    scale: float
    seed: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def annotations(self) -> int:
        return self.rows.get("task_completion", 0)

    def __str__(self) -> str:
        headline = (
            f"Demo organization built in database {self.database!r} "
            f"(scale {self.scale:g}, seed {self.seed}) in {self.seconds:.1f} s"
        )
        summary = ", ".join(
            f"{self.rows.get(t, 0):,} {label}"
            for t, label in (
                ("task_completion", "annotations"),
                ("task", "tasks"),
                ("prediction", "predictions"),
                ("project", "projects"),
                ("htx_user", "users"),
            )
        )
        width = max(len(t) for t in self.rows) if self.rows else 0
        lines = [
            headline,
            f"  {summary}",
            f"  {sum(self.rows.values()):,} rows in "
            f"{sum(1 for n in self.rows.values() if n)} tables:",
        ]
        lines += [f"    {t:<{width}}  {n:>10,}" for t, n in self.rows.items()]
        return "\n".join(lines)


def _database_name(conninfo: str) -> str:
    try:
        return psycopg.conninfo.conninfo_to_dict(conninfo).get("dbname", "") or "(default)"
    except psycopg.ProgrammingError:
        return "(unparseable DSN)"


def _present_tables(cur: psycopg.Cursor[Any]) -> set[str]:
    cur.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (current_schemas(false))"
    )
    return {row[0] for row in cur.fetchall()}


def _non_empty_tables(cur: psycopg.Cursor[Any]) -> list[str]:
    parts = [
        sql.SQL("SELECT {} WHERE EXISTS (SELECT 1 FROM {})").format(
            sql.Literal(i), sql.Identifier(table)
        )
        for i, table in enumerate(ALL_TABLES)
    ]
    cur.execute(sql.SQL(" UNION ALL ").join(parts))
    return [ALL_TABLES[row[0]] for row in sorted(cur.fetchall())]


def check_database(cur: psycopg.Cursor[Any], database: str) -> None:
    """Raise unless the schema is there, every table is empty, and no build is running."""
    missing = [t for t in ALL_TABLES if t not in _present_tables(cur)]
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        raise SchemaError(
            f"database {database!r} lacks {len(missing)} of the {len(ALL_TABLES)} Databrewery "
            f"tables ({shown}); apply the schema first with `databrewery-lab init`"
        )
    cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (_LOCK_KEY,))
    row = cur.fetchone()
    if not row or not row[0]:
        raise DemoError(
            f"another demo build is running in database {database!r}; wait for it to finish"
        )
    busy = _non_empty_tables(cur)
    if busy:
        shown = ", ".join(busy[:5]) + (", ..." if len(busy) > 5 else "")
        raise DemoError(
            f"database {database!r} already holds Databrewery data ({len(busy)} non-empty "
            f"tables: {shown}); the demo only fills an empty database: use an empty database, "
            "or `databrewery-lab demo --reset` for the embedded one"
        )


def _phases(demo: Demo, tick: Callable[[int], None]) -> list[tuple[str, Callable[[], Any]]]:
    """(description, action) in dependency order; the task phase reports per task."""

    def identity() -> None:
        people.create_people(demo)
        people.write_auth_catalog(demo)
        people.write_users(demo)
        people.write_organizations(demo)
        people.write_memberships(demo)
        people.write_credentials(demo)
        people.write_teams(demo)

    def setup() -> None:
        projects.write_workspaces(demo)
        projects.create_projects(demo)
        storage.plan_storages(demo)
        projects.write_projects(demo)
        projects.write_members(demo)
        projects.write_catalogs(demo)
        projects.write_project_extras(demo)
        projects.write_imports(demo)
        projects.write_invitations(demo)
        projects.write_group_access(demo)
        projects.write_label_library(demo)

    side: list[annotations.SideRows] = []

    def bulk() -> None:
        side.append(annotations.write_tasks(demo, tick))

    def finish() -> None:
        annotations.write_side_tables(demo, side[0])
        projects.write_project_counters(demo)
        projects.write_summaries(demo)
        people.finish_users(demo)

    def media() -> None:
        if demo.media_dir is not None:
            bbox = next(p for p in demo.projects if p.spec.kind == "bbox")
            images.write_images(demo.seed, annotations.image_count(bbox), Path(demo.media_dir))

    return [
        ("users and permissions", identity),
        ("workspaces and projects", setup),
        ("ML backends and prompts", lambda: ml.write_ml(demo)),
        ("storages", lambda: storage.write_storages(demo)),
        ("data manager views", lambda: views.write_views(demo)),
        ("tasks, predictions, annotations", bulk),
        ("drafts, comments, counters", finish),
        ("exports", lambda: exports.write_exports(demo)),
        ("billing and orders", lambda: billing.write_billing(demo)),
        (
            "webhooks and admin log",
            lambda: (webhooks.write_webhooks(demo), admin_log.write_admin_log(demo)),
        ),
        ("images", media),
    ]


def build_demo(
    conninfo: str,
    *,
    scale: float = 1.0,
    seed: int = 0,
    media_dir: Path | None = None,
    progress: bool = True,
) -> DemoReport:
    """Fill an empty Databrewery database with a coherent demo organization.

    ``scale`` 1.0 gives about 10,000 annotations (tasks and annotations grow
    linearly, users like its square root); the same ``seed`` and ``scale`` always
    give identical rows. With ``media_dir`` the shelf images are written there as
    PNG files (``demo-images/img_00001.png`` ...). Raises :class:`SchemaError` if
    tables are missing and :class:`DemoError` if any holds rows; in every failure
    the database is left untouched.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    started = time.perf_counter()
    try:
        conn = psycopg.connect(conninfo)
    except psycopg.Error as exc:
        raise ConnectionFailed(
            f"cannot connect to the database {_database_name(conninfo)!r} for the demo: "
            f"{str(exc).strip()}; check the DSN and that the server is running"
        ) from None
    with conn, conn.cursor() as cur:
        database = conn.info.dbname
        check_database(cur, database)
        writer = RowWriter(cur)
        demo = Demo(seed=seed, scale=scale, media_dir=media_dir, writer=writer)
        planned = sum(projects.task_count(spec, scale) for spec in projects.PROJECTS)
        bar = tqdm(total=planned, desc="demo", unit=" tasks", disable=not progress)
        try:
            for name, action in _phases(demo, bar.update):
                bar.set_description(f"demo: {name}")
                action()
            bar.set_description("demo: sequences")
            advance_sequences(cur, ALL_TABLES)
            bar.set_description("demo: committing")
        except psycopg.errors.UndefinedColumn as exc:
            raise SchemaError(
                f"table {writer.current_table!r} in database {database!r} does not match the "
                f"Databrewery schema ({exc.diag.message_primary}); nothing was written - "
                "apply the schema with `databrewery-lab init` on an empty database"
            ) from exc
        except psycopg.Error as exc:
            raise DemoError(
                f"building the demo in database {database!r} failed while writing "
                f"{writer.current_table or 'rows'}: {exc.diag.message_primary or exc}; "
                "nothing was written (the transaction was rolled back)"
            ) from exc
        finally:
            bar.close()
    rows = {t: writer.rows.get(t, 0) for t in ALL_TABLES}
    return DemoReport(database, float(scale), seed, time.perf_counter() - started, rows)
