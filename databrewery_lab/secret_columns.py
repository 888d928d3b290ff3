"""The one registry of columns that hold secrets or personal finance data.

Nothing in databrewery-lab selects these into a DataFrame, widget, export, log or repr:
:meth:`databrewery_lab.schema.Schema.visible_columns` leaves them out, and every query that
lists columns goes through it. ``sql/schema.sql`` marks the same columns with a
``COMMENT ... IS 'secret: ...'``, and a test keeps the two in step.
"""

from __future__ import annotations

_STORAGE_SECRETS: dict[str, tuple[str, ...]] = {
    "io_storages_s3importstorage": (
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
    ),
    "io_storages_s3exportstorage": (
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
    ),
    "io_storages_gcsimportstorage": ("google_application_credentials",),
    "io_storages_gcsexportstorage": ("google_application_credentials",),
    "io_storages_gcsstoragemixin": ("google_application_credentials",),
    "io_storages_azureblobimportstorage": ("account_name", "account_key"),
    "io_storages_azureblobexportstorage": ("account_name", "account_key"),
    "io_storages_azureblobstoragemixin": ("account_name", "account_key"),
    "io_storages_redisimportstorage": ("password",),
    "io_storages_redisexportstorage": ("password",),
    "io_storages_redisstoragemixin": ("password",),
}

_ACCOUNT_SECRETS: dict[str, tuple[str, ...]] = {
    "htx_user": ("password",),
    "authtoken_token": ("key",),
    "users_magiclink": ("token",),
    "organization": ("token",),
    "ml_model_providers_modelproviderconnection": ("api_key",),
    "webhook": ("headers",),
    # Invitation uuids and links are bearer credentials: whoever holds one can join.
    "users_invitation": ("uuid",),
    "user_group_membership": ("invitation_link",),
    "users_userbankdetails": (
        "account_holder_name",
        "bank_name",
        "account_number",
        "ifsc_code",
        "branch_name",
        "upi_id",
        "pancard_number",
        "address",
    ),
}

SECRET_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    (table, column)
    for registry in (_STORAGE_SECRETS, _ACCOUNT_SECRETS)
    for table, columns in registry.items()
    for column in columns
)


def is_secret(table: str, column: str) -> bool:
    """True when ``table.column`` must never reach a user-facing result."""
    return (table, column) in SECRET_COLUMNS
