"""Django admin log entries and the platform's async data migrations."""

from __future__ import annotations

import json
from datetime import timedelta

from databrewery_lab.demo.copy import columns
from databrewery_lab.demo.rng import ANCHOR, iso, streams
from databrewery_lab.demo.state import Demo

ADDITION, CHANGE, DELETION = 1, 2, 3

MIGRATIONS = (
    ("0001_fill_task_inner_ids", "FINISHED", 100, 160),
    ("0002_recalculate_annotation_counters", "FINISHED", 100, 90),
    ("0003_backfill_labels_library", "FINISHED", 100, 40),
    ("0004_rebuild_prediction_scores", "STARTED", 63, 1),
    ("0005_migrate_storage_links", "ERROR", 12, 20),
)


def write_admin_log(demo: Demo) -> None:
    """django_admin_log: users added, projects changed, uploads deleted ..."""
    rnd, _ = streams(demo.seed, "admin-log")
    ct = demo.content_types
    admins = [u for u in demo.users if u.role in ("owner", "administrator") and u.org == 0]
    rows = []
    for u in demo.users:
        if u.role == "owner":
            continue
        actor = demo.orgs[u.org].owner_id
        rows.append(
            (
                iso(u.date_joined),
                str(u.id),
                u.email,
                ADDITION,
                json.dumps([{"added": {}}]),
                ct["users.user"],
                actor,
            )
        )
    for p in demo.projects:
        actor = rnd.choice(admins).id if p.spec.org == 0 else demo.orgs[1].owner_id
        changed = [["Maximum annotations", "Sampling"], ["Expert instruction"], ["Label config"]]
        for k, fields in enumerate(changed):
            when = p.created_at + timedelta(days=2 + 9 * k, hours=rnd.randint(0, 8))
            rows.append(
                (
                    iso(when),
                    str(p.id),
                    p.spec.title,
                    CHANGE,
                    json.dumps([{"changed": {"fields": fields}}]),
                    ct["projects.project"],
                    actor,
                )
            )
    owner = demo.owner
    rows.append(
        (
            iso(ANCHOR - timedelta(days=20)),
            "9999",
            "upload/1/broken-reviews.csv",
            DELETION,
            "",
            ct["data_import.fileupload"],
            owner.id,
        )
    )
    rows.append(
        (
            iso(ANCHOR - timedelta(days=3)),
            str(demo.users_of(0, "annotator")[0].id),
            "organization member",
            CHANGE,
            json.dumps([{"changed": {"fields": ["Role"]}}]),
            ct["organizations.organizationmember"],
            owner.id,
        )
    )
    rows.sort(key=lambda r: r[0])
    demo.writer.copy(
        "django_admin_log",
        columns(
            "id action_time object_id object_repr action_flag change_message content_type_id "
            "user_id"
        ),
        [(demo.next_id("django_admin_log"), *row) for row in rows],
    )
    statuses = []
    for k, (name, status, progress, minutes) in enumerate(MIGRATIONS):
        created = demo.orgs[0].created_at + timedelta(days=30 * (k + 1))
        started = created + timedelta(minutes=2)
        finished = started + timedelta(minutes=minutes) if status != "STARTED" else None
        statuses.append(
            (
                demo.next_id("core_asyncmigrationstatus"),
                name,
                status,
                iso(created),
                iso(started),
                iso(finished) if finished else None,
                progress,
                owner.id,
            )
        )
    demo.writer.copy(
        "core_asyncmigrationstatus",
        columns("id migration_name status created_at started_at finished_at progress user_id"),
        statuses,
    )
