"""The 96 tables of the Databrewery spec, grouped by the spec's five modules.

The demo fills every one of them; the precondition check uses the same list.
"""

from __future__ import annotations

USERS_AUTH = (
    "htx_user",
    "users_userprofile",
    "user_profile_newuserprofile",
    "authtoken_token",
    "users_userbankdetails",
    "users_magiclink",
    "auth_group",
    "auth_permission",
    "django_content_type",
    "htx_user_groups",
    "htx_user_user_permissions",
    "auth_group_permissions",
    "organization",
    "organizations_organizationmember",
    "users_invitation",
    "user_group",
    "user_group_membership",
    "users_invitationgroupmember",
    "users_invitationprojectmember",
    "users_invitationworkspacemember",
)

PROJECTS_TASKS = (
    "project",
    "task",
    "task_completion",
    "tasks_annotationdraft",
    "tasks_tasklock",
    "tasks_notes",
    "task_comment_authors",
    "task_flags",
    "tasks_flag",
    "projects_projectmember",
    "projects_projectimport",
    "projects_projectsummary",
    "projects_projectonboarding",
    "projects_projectonboardingsteps",
    "projects_projectclientapiconfiguration",
    "projects_projectopsmanager",
    "projects_labelstreamhistory",
    "projects_projectreimport",
    "projects_projecttag",
    "projects_tag",
    "projects_projectgroup",
    "projects_projectgroup_projects",
)

ML_DATA = (
    "ml_mlbackend",
    "ml_mlbackendpredictionjob",
    "ml_mlbackendtrainjob",
    "ml_model_providers_modelproviderconnection",
    "ml_models_modelinterface",
    "ml_models_modelinterface_associated_projects",
    "ml_models_modelrun",
    "ml_models_thirdpartymodelversion",
    "prediction",
    "data_manager_view",
    "data_manager_filter",
    "data_manager_filtergroup",
    "data_manager_filtergroup_filters",
    "labels_manager_label",
    "labels_manager_labellink",
    "data_import_fileupload",
    "data_export_export",
    "data_export_convertedformat",
)

STORAGE = (
    "io_storages_s3importstorage",
    "io_storages_s3exportstorage",
    "io_storages_s3importstoragelink",
    "io_storages_gcsimportstorage",
    "io_storages_gcsexportstorage",
    "io_storages_gcsimportstoragelink",
    "io_storages_azureblobimportstorage",
    "io_storages_azureblobexportstorage",
    "io_storages_azureblobimportstoragelink",
    "io_storages_redisimportstorage",
    "io_storages_redisexportstorage",
    "io_storages_redisimportstoragelink",
    "io_storages_localfilesimportstorage",
    "io_storages_localfilesexportstorage",
    "io_storages_localfilesimportstoragelink",
    "io_storages_gcsstoragemixin",
    "io_storages_azureblobstoragemixin",
    "io_storages_redisstoragemixin",
    "io_storages_localfilesmixin",
)

ORG_WORKFLOWS = (
    "organization_workspaces",
    "workspace",
    "workspaces_workspacemember",
    "workspaces_workspacebillingembeddings",
    "workflow_helpers_order",
    "workflow_helpers_dataproduction",
    "workflow_helpers_currency",
    "workflow_helpers_ordercontract",
    "workflow_helpers_ordersubmission",
    "orders_order",
    "payment_rate",
    "webhook",
    "webhook_action",
    "user_group_project",
    "user_group_tag",
    "django_admin_log",
    "core_asyncmigrationstatus",
)

#: Every table the demo fills (``organization`` is drawn twice in the spec, listed once).
ALL_TABLES: tuple[str, ...] = USERS_AUTH + PROJECTS_TASKS + ML_DATA + STORAGE + ORG_WORKFLOWS

assert len(set(ALL_TABLES)) == len(ALL_TABLES) == 96
