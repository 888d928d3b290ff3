"""Cloud and local storage configurations: every provider, both directions, mixins.

Import storages belong to the project whose third task batch they synced (their
links are written with the tasks); the local-files import storage of the shelf
project points at ``media_dir`` (Label Studio's local-files document root), where
:mod:`images` writes ``demo-images/img_00001.png`` ... Credentials are the fixed
fakes of :mod:`fake_credentials`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from databrewery_lab.demo import fake_credentials as fake
from databrewery_lab.demo.annotations import image_count
from databrewery_lab.demo.copy import columns
from databrewery_lab.demo.rng import ANCHOR, WINDOW_START, iso
from databrewery_lab.demo.state import Demo, ProjectState

#: Where the images "live" when the build is not asked to write them.
PLACEHOLDER_MEDIA_ROOT = "/srv/databrewery-demo/media"
#: provider -> project key whose third batch came from it.
IMPORT_PROJECTS = {
    "s3": "sentiment",
    "gcs": "ner",
    "azureblob": "topics",
    "redis": "summary",
    "localfiles": "bbox",
}
PREFIXES = {
    "s3": "reviews/2026-09",
    "gcs": "news/wire",
    "azureblob": "tickets/topics",
    "redis": "tickets",
}


def media_root(demo: Demo) -> str:
    """The local-files document root recorded in the database."""
    if demo.media_dir is None:
        return PLACEHOLDER_MEDIA_ROOT
    return Path(demo.media_dir).resolve().as_posix()


def _synced(project: ProjectState, provider: str) -> int:
    """Tasks the storage created links for (= rows its links table gets)."""
    if provider == "localfiles":
        return project.n_tasks
    return sum(b.count for b in project.batches if b.source == provider)


def plan_storages(demo: Demo) -> None:
    """Tell each project which import storage (id, path) its links point at."""
    by_key = {p.spec.key: p for p in demo.projects}
    for provider, key in IMPORT_PROJECTS.items():
        project = by_key[key]
        project.import_storage[provider] = 1  # one import storage per provider table
        project.storage_paths[provider] = (
            media_root(demo) if provider == "localfiles" else PREFIXES[provider]
        )


def write_storages(demo: Demo) -> None:
    """All ten storage tables and the four mixins."""
    w = demo.writer
    by_key = {p.spec.key: p for p in demo.projects}
    sync_at = WINDOW_START + timedelta(days=34, hours=2)
    errors = json.dumps([])

    def times(project: ProjectState, days: int) -> tuple[str, str]:
        made = project.created_at + timedelta(days=days)
        return iso(made), iso(made + timedelta(days=3))

    p = by_key["sentiment"]
    aws_in, aws_out = fake.aws_credentials("import"), fake.aws_credentials("export")
    made, changed = times(p, 1)
    w.copy(
        "io_storages_s3importstorage",
        S3_IMPORT,
        [
            (
                1,
                "northwind-demo-reviews",
                PREFIXES["s3"],
                r".*\.json$",
                False,
                aws_in["aws_access_key_id"],
                aws_in["aws_secret_access_key"],
                aws_in["aws_session_token"],
                "eu-west-1",
                "http://127.0.0.1:9000",
                True,
                iso(ANCHOR + timedelta(hours=1)),
                iso(sync_at),
                _synced(p, "s3"),
                errors,
                "completed",
                None,
                "Nightly review dump (MinIO in the demo)",
                made,
                changed,
                p.id,
                "Review dumps",
                True,
                "*.json",
                True,
            )
        ],
    )
    w.copy(
        "io_storages_s3exportstorage",
        S3_EXPORT,
        [
            (
                1,
                "northwind-demo-exports",
                "sentiment/annotations",
                aws_out["aws_access_key_id"],
                aws_out["aws_secret_access_key"],
                aws_out["aws_session_token"],
                "eu-west-1",
                "http://127.0.0.1:9000",
                made,
                changed,
                p.id,
                "Annotations to the lake",
                "Every submitted annotation as JSON.",
                False,
                iso(ANCHOR - timedelta(hours=5)),
                p.n_tasks,
                errors,
                "completed",
                None,
                json.dumps({"annotations": {"only_id": False}}),
                True,
            )
        ],
    )

    p = by_key["ner"]
    made, changed = times(p, 1)
    w.copy(
        "io_storages_gcsimportstorage",
        GCS_IMPORT,
        [
            (
                1,
                "northwind-demo-news",
                PREFIXES["gcs"],
                r".*\.json$",
                False,
                fake.gcs_credentials("import"),
                "databrewery-demo",
                iso(sync_at),
                _synced(p, "gcs"),
                errors,
                "completed",
                None,
                "Wire feed snapshots",
                made,
                changed,
                p.id,
                "Wire feed",
                True,
                "*.json",
                True,
                15,
            )
        ],
    )
    w.copy(
        "io_storages_gcsexportstorage",
        GCS_EXPORT,
        [
            (
                1,
                "northwind-demo-exports",
                "ner/annotations",
                fake.gcs_credentials("export"),
                "databrewery-demo",
                made,
                changed,
                p.id,
                "NER annotations",
                "Export for training.",
                False,
                iso(ANCHOR - timedelta(days=1)),
                p.n_tasks,
                errors,
            )
        ],
    )

    p = by_key["topics"]
    made, changed = times(p, 1)
    w.copy(
        "io_storages_azureblobimportstorage",
        AZURE_IMPORT,
        [
            (
                1,
                "tickets",
                PREFIXES["azureblob"],
                r".*\.json$",
                fake.azure_account_name("import"),
                fake.azure_account_key("import"),
                made,
                changed,
                p.id,
                "Ticket archive",
                "Helpdesk export",
                False,
                "*.json",
                True,
                15,
            )
        ],
    )
    w.copy(
        "io_storages_azureblobexportstorage",
        AZURE_EXPORT,
        [
            (
                1,
                "labeled-tickets",
                "topics",
                fake.azure_account_name("export"),
                fake.azure_account_key("export"),
                made,
                changed,
                p.id,
                "Labeled tickets",
                "For the routing model.",
                False,
                iso(ANCHOR - timedelta(days=2)),
                p.n_tasks,
                errors,
            )
        ],
    )

    p = by_key["summary"]
    made, changed = times(p, 1)
    w.copy(
        "io_storages_redisimportstorage",
        REDIS_IMPORT,
        [
            (
                1,
                "127.0.0.1",
                6379,
                PREFIXES["redis"],
                fake.redis_password("import"),
                1,
                made,
                changed,
                p.id,
                "Live ticket queue",
                "Tickets waiting for a summary.",
                False,
                r"tickets:\d+",
            )
        ],
    )
    w.copy(
        "io_storages_redisexportstorage",
        REDIS_EXPORT,
        [
            (
                1,
                "127.0.0.1",
                6379,
                "summaries",
                fake.redis_password("export"),
                2,
                made,
                changed,
                p.id,
                "Summaries cache",
                "Summaries read by the helpdesk.",
                True,
            )
        ],
    )

    p = by_key["bbox"]
    made, changed = times(p, 1)
    root = media_root(demo)
    w.copy(
        "io_storages_localfilesimportstorage",
        LOCAL_IMPORT,
        [
            (
                1,
                root,
                r".*\.png$",
                made,
                changed,
                p.id,
                "Shelf photos",
                f"{image_count(p)} camera frames under {root}/demo-images",
                False,
                "demo-images/*.png",
            )
        ],
    )
    w.copy(
        "io_storages_localfilesexportstorage",
        LOCAL_EXPORT,
        [
            (
                1,
                f"{root}/exports",
                made,
                changed,
                p.id,
                "Local COCO exports",
                "Box annotations for the detector.",
                False,
                iso(ANCHOR - timedelta(days=1)),
                p.n_tasks,
                errors,
                "completed",
                None,
                json.dumps({"annotations": {"only_id": False}}),
            )
        ],
    )

    # The mixins are the providers' shared settings, kept by the platform on their own.
    made, changed = iso(demo.orgs[0].created_at), iso(WINDOW_START)
    w.copy(
        "io_storages_gcsstoragemixin",
        columns(
            "id bucket prefix google_application_credentials google_project_id created_at "
            "updated_at project_id"
        ),
        [
            (
                1,
                "northwind-demo-shared",
                "shared",
                fake.gcs_credentials("mixin"),
                "databrewery-demo",
                made,
                changed,
                by_key["ner"].id,
            )
        ],
    )
    w.copy(
        "io_storages_azureblobstoragemixin",
        columns("id container prefix account_name account_key created_at updated_at project_id"),
        [
            (
                1,
                "shared",
                "tickets",
                fake.azure_account_name("mixin"),
                fake.azure_account_key("mixin"),
                made,
                changed,
                by_key["topics"].id,
            )
        ],
    )
    w.copy(
        "io_storages_redisstoragemixin",
        columns("id host port path password db created_at updated_at"),
        [(1, "127.0.0.1", 6379, "shared", fake.redis_password("mixin"), 0, made, changed)],
    )
    w.copy(
        "io_storages_localfilesmixin",
        ("id", "path", "created_at", "updated_at"),
        [(1, root, made, changed)],
    )
    for table in (*STORAGE_TABLES, *MIXIN_TABLES):
        demo.ids(table, 1)


S3_IMPORT = columns(
    "id bucket prefix regex_filter use_blob_urls aws_access_key_id aws_secret_access_key "
    "aws_session_token region_name s3_endpoint presign presign_ttl last_sync last_sync_count "
    "last_sync_errors status traceback description created_at updated_at project_id title "
    "recursive_scan glob_pattern presign_urls"
)
S3_EXPORT = columns(
    "id bucket prefix aws_access_key_id aws_secret_access_key aws_session_token region_name "
    "s3_endpoint created_at updated_at project_id title description can_delete_objects last_sync "
    "last_sync_count last_sync_errors status traceback serialization_options is_default"
)
GCS_IMPORT = columns(
    "id bucket prefix regex_filter use_blob_urls google_application_credentials google_project_id "
    "last_sync last_sync_count last_sync_errors status traceback description created_at updated_at "
    "project_id title recursive_scan glob_pattern presign_urls presign_ttl"
)
GCS_EXPORT = columns(
    "id bucket prefix google_application_credentials google_project_id created_at updated_at "
    "project_id title description can_delete_objects last_sync last_sync_count last_sync_errors"
)
AZURE_IMPORT = columns(
    "id container prefix regex_filter account_name account_key created_at updated_at project_id "
    "title description use_blob_urls glob_pattern presign_urls presign_ttl"
)
AZURE_EXPORT = columns(
    "id container prefix account_name account_key created_at updated_at project_id title "
    "description can_delete_objects last_sync last_sync_count last_sync_errors"
)
REDIS_IMPORT = columns(
    "id host port path password db created_at updated_at project_id title description "
    "use_blob_urls regex_filter"
)
REDIS_EXPORT = columns(
    "id host port path password db created_at updated_at project_id title description "
    "can_delete_objects"
)
LOCAL_IMPORT = columns(
    "id path regex_filter created_at updated_at project_id title description use_blob_urls "
    "glob_pattern"
)
LOCAL_EXPORT = columns(
    "id path created_at updated_at project_id title description can_delete_objects last_sync "
    "last_sync_count last_sync_errors status traceback serialization_options"
)
STORAGE_TABLES = tuple(
    f"io_storages_{provider}{direction}storage"
    for provider in ("s3", "gcs", "azureblob", "redis", "localfiles")
    for direction in ("import", "export")
)
MIXIN_TABLES = columns(
    "io_storages_gcsstoragemixin io_storages_azureblobstoragemixin io_storages_redisstoragemixin "
    "io_storages_localfilesmixin"
)
