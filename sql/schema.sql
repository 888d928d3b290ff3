-- ============================================================================
-- databrewery-lab: sql/schema.sql
--
-- The Databrewery annotation database (a Label Studio-derived, multi-tenant
-- platform) as drawn in the seed document's five mermaid ER diagrams: all 96
-- drawn tables with every drawn column and type, primary keys, unique keys,
-- foreign keys, defaults and the indexes the label stream, data manager and
-- analytics rely on. The 7 Django system tables the document only counts
-- (django_migrations, django_session, ...) are not created.
--
-- This file is the single source of truth for the DDL: Python code reflects
-- the connected database and never creates tables itself. Every choice the
-- seed leaves open is listed in sql/README.md.
--
-- Idempotent: CREATE ... IF NOT EXISTS everywhere, foreign keys added by name
-- only when missing, COMMENTs re-set to the same text. Applying it twice leaves
-- the catalog unchanged. It runs as one script in one transaction (psycopg
-- conn.execute(text)) on PostgreSQL 15 and 16, needs no extension, and creates
-- everything in the current schema (first schema on search_path).
--
-- Layout: tables in module order, each followed by its indexes and column
-- comments; all foreign keys at the end (so circular references such as
-- htx_user.active_organization_id <-> organization.created_by_id need no
-- ordering). Naming: <table>_pkey, <table>_<cols>_key, <table>_<cols>_idx,
-- <table>_<col>_fkey. Columns holding credentials or personal finance data
-- carry COMMENT 'secret: ...' (the secret-column registry is checked against it).
-- ============================================================================

-- ============================================================================
-- Module 1. User & Authentication
-- ============================================================================

-- htx_user
CREATE TABLE IF NOT EXISTS htx_user (
    id                       serial,
    username                 varchar      NOT NULL,
    email                    varchar      NOT NULL,
    password                 varchar      NOT NULL DEFAULT '!',
    last_login               timestamptz,
    is_superuser             boolean      NOT NULL DEFAULT false,
    is_staff                 boolean      NOT NULL DEFAULT false,
    is_active                boolean      NOT NULL DEFAULT true,
    date_joined              timestamptz  NOT NULL DEFAULT now(),
    avatar                   varchar,
    phone                    varchar,
    allow_newsletters        boolean,
    active_organization_id   integer,
    last_activity            timestamptz  NOT NULL DEFAULT now(),
    email_user_type          varchar,
    consecutive_login_days   integer      NOT NULL DEFAULT 0,
    consecutive_login_start  date,
    data                     jsonb        DEFAULT '{}'::jsonb,
    created_by_id            integer,
    CONSTRAINT htx_user_pkey PRIMARY KEY (id),
    CONSTRAINT htx_user_username_key UNIQUE (username),
    CONSTRAINT htx_user_email_key UNIQUE (email)
);
CREATE INDEX IF NOT EXISTS htx_user_active_organization_id_idx ON htx_user (active_organization_id);
CREATE INDEX IF NOT EXISTS htx_user_created_by_id_idx ON htx_user (created_by_id);
COMMENT ON COLUMN htx_user.password IS 'secret: password hash';

-- users_userprofile
CREATE TABLE IF NOT EXISTS users_userprofile (
    id                 serial,
    bio                text,
    profile_image      varchar,
    gender             varchar,
    ethnicity          varchar,
    country_of_origin  varchar,
    user_id            integer  NOT NULL,
    company_name       varchar,
    role               varchar,
    CONSTRAINT users_userprofile_pkey PRIMARY KEY (id),
    CONSTRAINT users_userprofile_user_id_key UNIQUE (user_id)
);

-- user_profile_newuserprofile
CREATE TABLE IF NOT EXISTS user_profile_newuserprofile (
    id                      serial,
    data                    jsonb             DEFAULT '{}'::jsonb,
    created_at              timestamptz       NOT NULL DEFAULT now(),
    updated_at              timestamptz       NOT NULL DEFAULT now(),
    user_id                 integer           NOT NULL,
    annotations_time_spent  double precision  NOT NULL DEFAULT 0,
    last_sync_count         timestamptz,
    CONSTRAINT user_profile_newuserprofile_pkey PRIMARY KEY (id),
    CONSTRAINT user_profile_newuserprofile_user_id_key UNIQUE (user_id)
);

-- authtoken_token
CREATE TABLE IF NOT EXISTS authtoken_token (
    key      varchar      NOT NULL,
    created  timestamptz  NOT NULL DEFAULT now(),
    user_id  integer      NOT NULL,
    CONSTRAINT authtoken_token_pkey PRIMARY KEY (key),
    CONSTRAINT authtoken_token_user_id_key UNIQUE (user_id)
);
COMMENT ON COLUMN authtoken_token.key IS 'secret: API authentication token';

-- users_userbankdetails
CREATE TABLE IF NOT EXISTS users_userbankdetails (
    id                   serial,
    account_holder_name  varchar,
    bank_name            varchar,
    account_number       varchar,
    ifsc_code            varchar,
    branch_name          varchar,
    upi_id               varchar,
    created_at           timestamptz  NOT NULL DEFAULT now(),
    updated_at           timestamptz  NOT NULL DEFAULT now(),
    user_id              integer      NOT NULL,
    pancard_number       varchar,
    address              text,
    CONSTRAINT users_userbankdetails_pkey PRIMARY KEY (id),
    CONSTRAINT users_userbankdetails_user_id_key UNIQUE (user_id)
);
COMMENT ON COLUMN users_userbankdetails.account_holder_name
    IS 'secret: bank details (personal finance data)';
COMMENT ON COLUMN users_userbankdetails.bank_name IS 'secret: bank details (personal finance data)';
COMMENT ON COLUMN users_userbankdetails.account_number
    IS 'secret: bank details (personal finance data)';
COMMENT ON COLUMN users_userbankdetails.ifsc_code IS 'secret: bank details (personal finance data)';
COMMENT ON COLUMN users_userbankdetails.branch_name
    IS 'secret: bank details (personal finance data)';
COMMENT ON COLUMN users_userbankdetails.upi_id IS 'secret: bank details (personal finance data)';
COMMENT ON COLUMN users_userbankdetails.pancard_number
    IS 'secret: bank details (personal finance data)';
COMMENT ON COLUMN users_userbankdetails.address IS 'secret: bank details (personal finance data)';

-- users_magiclink
CREATE TABLE IF NOT EXISTS users_magiclink (
    token       varchar      NOT NULL,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    user_id     integer      NOT NULL,
    CONSTRAINT users_magiclink_pkey PRIMARY KEY (token)
);
CREATE INDEX IF NOT EXISTS users_magiclink_user_id_idx ON users_magiclink (user_id);
COMMENT ON COLUMN users_magiclink.token IS 'secret: magic-link login token';

-- auth_group
CREATE TABLE IF NOT EXISTS auth_group (
    id    serial,
    name  varchar  NOT NULL,
    CONSTRAINT auth_group_pkey PRIMARY KEY (id),
    CONSTRAINT auth_group_name_key UNIQUE (name)
);

-- auth_permission
CREATE TABLE IF NOT EXISTS auth_permission (
    id               serial,
    name             varchar  NOT NULL,
    content_type_id  integer  NOT NULL,
    codename         varchar  NOT NULL,
    CONSTRAINT auth_permission_pkey PRIMARY KEY (id),
    CONSTRAINT auth_permission_content_type_id_codename_key UNIQUE (content_type_id, codename)
);

-- django_content_type
CREATE TABLE IF NOT EXISTS django_content_type (
    id         serial,
    app_label  varchar  NOT NULL,
    model      varchar  NOT NULL,
    CONSTRAINT django_content_type_pkey PRIMARY KEY (id),
    CONSTRAINT django_content_type_app_label_model_key UNIQUE (app_label, model)
);

-- htx_user_groups
CREATE TABLE IF NOT EXISTS htx_user_groups (
    id        serial,
    user_id   integer  NOT NULL,
    group_id  integer  NOT NULL,
    CONSTRAINT htx_user_groups_pkey PRIMARY KEY (id),
    CONSTRAINT htx_user_groups_user_id_group_id_key UNIQUE (user_id, group_id)
);
CREATE INDEX IF NOT EXISTS htx_user_groups_group_id_idx ON htx_user_groups (group_id);

-- htx_user_user_permissions
CREATE TABLE IF NOT EXISTS htx_user_user_permissions (
    id             serial,
    user_id        integer  NOT NULL,
    permission_id  integer  NOT NULL,
    CONSTRAINT htx_user_user_permissions_pkey PRIMARY KEY (id),
    CONSTRAINT htx_user_user_permissions_user_id_permission_id_key UNIQUE (user_id, permission_id)
);
CREATE INDEX IF NOT EXISTS htx_user_user_permissions_permission_id_idx
    ON htx_user_user_permissions (permission_id);

-- auth_group_permissions
CREATE TABLE IF NOT EXISTS auth_group_permissions (
    id             serial,
    group_id       integer  NOT NULL,
    permission_id  integer  NOT NULL,
    CONSTRAINT auth_group_permissions_pkey PRIMARY KEY (id),
    CONSTRAINT auth_group_permissions_group_id_permission_id_key UNIQUE (group_id, permission_id)
);
CREATE INDEX IF NOT EXISTS auth_group_permissions_permission_id_idx
    ON auth_group_permissions (permission_id);

-- organization
CREATE TABLE IF NOT EXISTS organization (
    id             serial,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    title          text,
    contact_info   jsonb,
    created_by_id  integer,
    token          varchar      DEFAULT replace(gen_random_uuid()::text, '-', ''),
    CONSTRAINT organization_pkey PRIMARY KEY (id),
    CONSTRAINT organization_token_key UNIQUE (token)
);
CREATE INDEX IF NOT EXISTS organization_created_by_id_idx ON organization (created_by_id);
COMMENT ON COLUMN organization.token IS 'secret: organization invite token (lets anyone join)';

-- organizations_organizationmember
CREATE TABLE IF NOT EXISTS organizations_organizationmember (
    id               serial,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    organization_id  integer      NOT NULL,
    user_id          integer      NOT NULL,
    role             varchar,
    role_type        varchar,
    CONSTRAINT organizations_organizationmember_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS organizations_organizationmember_organization_id_user_id_idx
    ON organizations_organizationmember (organization_id, user_id);
CREATE INDEX IF NOT EXISTS organizations_organizationmember_user_id_idx
    ON organizations_organizationmember (user_id);

-- users_invitation
CREATE TABLE IF NOT EXISTS users_invitation (
    id                  serial,
    uuid                varchar      NOT NULL DEFAULT gen_random_uuid()::text,
    expired             boolean      NOT NULL DEFAULT false,
    created_at          timestamptz  NOT NULL DEFAULT now(),
    use_count           integer      NOT NULL DEFAULT 0,
    defaults            jsonb        DEFAULT '{}'::jsonb,
    can_manage_billing  boolean      NOT NULL DEFAULT false,
    created_by_id       integer,
    organization_id     integer      NOT NULL,
    groups_to_join      varchar,
    max_uses            integer,
    CONSTRAINT users_invitation_pkey PRIMARY KEY (id),
    CONSTRAINT users_invitation_uuid_key UNIQUE (uuid)
);
CREATE INDEX IF NOT EXISTS users_invitation_created_by_id_idx ON users_invitation (created_by_id);
CREATE INDEX IF NOT EXISTS users_invitation_organization_id_idx
    ON users_invitation (organization_id);
COMMENT ON COLUMN users_invitation.uuid IS 'secret: invitation link token (lets its holder join)';

-- user_group
CREATE TABLE IF NOT EXISTS user_group (
    id               serial,
    title            varchar,
    description      text,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    created_by_id    integer,
    organization_id  integer      NOT NULL,
    CONSTRAINT user_group_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS user_group_created_by_id_idx ON user_group (created_by_id);
CREATE INDEX IF NOT EXISTS user_group_organization_id_idx ON user_group (organization_id);

-- user_group_membership
CREATE TABLE IF NOT EXISTS user_group_membership (
    id               serial,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    created_by_id    integer,
    group_id         integer      NOT NULL,
    user_id          integer      NOT NULL,
    role             varchar,
    role_type        varchar,
    email_user_type  varchar,
    invitation_link  varchar,
    invited_at       timestamptz,
    CONSTRAINT user_group_membership_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS user_group_membership_group_id_user_id_idx
    ON user_group_membership (group_id, user_id);
CREATE INDEX IF NOT EXISTS user_group_membership_created_by_id_idx
    ON user_group_membership (created_by_id);
CREATE INDEX IF NOT EXISTS user_group_membership_user_id_idx ON user_group_membership (user_id);
COMMENT ON COLUMN user_group_membership.invitation_link
    IS 'secret: invitation link (embeds the invite token)';

-- users_invitationgroupmember
CREATE TABLE IF NOT EXISTS users_invitationgroupmember (
    id             serial,
    group_id       integer  NOT NULL,
    invitation_id  integer  NOT NULL,
    CONSTRAINT users_invitationgroupmember_pkey PRIMARY KEY (id),
    CONSTRAINT users_invitationgroupmember_group_id_invitation_id_key
        UNIQUE (group_id, invitation_id)
);
CREATE INDEX IF NOT EXISTS users_invitationgroupmember_invitation_id_idx
    ON users_invitationgroupmember (invitation_id);

-- users_invitationprojectmember
CREATE TABLE IF NOT EXISTS users_invitationprojectmember (
    id             serial,
    project_id     integer  NOT NULL,
    invitation_id  integer  NOT NULL,
    role           varchar,
    CONSTRAINT users_invitationprojectmember_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS users_invitationprojectmember_project_id_idx
    ON users_invitationprojectmember (project_id);
CREATE INDEX IF NOT EXISTS users_invitationprojectmember_invitation_id_idx
    ON users_invitationprojectmember (invitation_id);

-- users_invitationworkspacemember
CREATE TABLE IF NOT EXISTS users_invitationworkspacemember (
    id             serial,
    workspace_id   integer  NOT NULL,
    invitation_id  integer  NOT NULL,
    role           varchar,
    CONSTRAINT users_invitationworkspacemember_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS users_invitationworkspacemember_workspace_id_idx
    ON users_invitationworkspacemember (workspace_id);
CREATE INDEX IF NOT EXISTS users_invitationworkspacemember_invitation_id_idx
    ON users_invitationworkspacemember (invitation_id);

-- ============================================================================
-- Module 2. Projects & Tasks
-- ============================================================================

-- project
CREATE TABLE IF NOT EXISTS project (
    id                                   serial,
    title                                text         DEFAULT '',
    description                          text         DEFAULT '',
    label_config                         text         DEFAULT '<View></View>',
    expert_instruction                   text         DEFAULT '',
    show_instruction                     boolean      NOT NULL DEFAULT false,
    show_skip_button                     boolean      NOT NULL DEFAULT true,
    enable_empty_annotation              boolean      NOT NULL DEFAULT true,
    show_annotation_history              boolean      NOT NULL DEFAULT false,
    organization_id                      integer      NOT NULL,
    color                                varchar      DEFAULT '#FFFFFF',
    maximum_annotations                  integer      NOT NULL DEFAULT 1,
    is_published                         boolean      NOT NULL DEFAULT false,
    model_version                        text         DEFAULT '',
    is_draft                             boolean      NOT NULL DEFAULT false,
    created_by_id                        integer,
    created_at                           timestamptz  NOT NULL DEFAULT now(),
    min_annotations_to_start_training    integer      NOT NULL DEFAULT 0,
    show_collab_predictions              boolean      NOT NULL DEFAULT true,
    num_tasks_with_annotations           integer      NOT NULL DEFAULT 0,
    task_number                          integer      NOT NULL DEFAULT 0,
    useful_annotation_number             integer      NOT NULL DEFAULT 0,
    ground_truth_number                  integer      NOT NULL DEFAULT 0,
    skipped_annotations_number           integer      NOT NULL DEFAULT 0,
    total_annotations_number             integer      NOT NULL DEFAULT 0,
    total_predictions_number             integer      NOT NULL DEFAULT 0,
    sampling                             varchar      DEFAULT 'Sequential sampling',
    show_ground_truth_first              boolean      NOT NULL DEFAULT false,
    show_overlap_first                   boolean      NOT NULL DEFAULT false,
    overlap_cohort_percentage            integer      NOT NULL DEFAULT 100,
    control_weights                      jsonb        DEFAULT '{}'::jsonb,
    parsed_label_config                  text,
    evaluate_predictions_automatically   boolean      NOT NULL DEFAULT false,
    config_has_control_tags              boolean      NOT NULL DEFAULT false,
    skip_queue                           varchar      DEFAULT 'REQUEUE_FOR_OTHERS',
    reveal_preannotations_interactively  boolean      NOT NULL DEFAULT false,
    data_types                           jsonb        DEFAULT '{}'::jsonb,
    pinned_at                            timestamptz,
    finished_task_number                 integer      NOT NULL DEFAULT 0,
    queue_total                          integer      NOT NULL DEFAULT 0,
    queue_done                           integer      NOT NULL DEFAULT 0,
    summary                              jsonb,
    workspace_id                         integer,
    CONSTRAINT project_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS project_organization_id_idx ON project (organization_id);
CREATE INDEX IF NOT EXISTS project_created_by_id_idx ON project (created_by_id);
CREATE INDEX IF NOT EXISTS project_workspace_id_idx ON project (workspace_id);

-- task
CREATE TABLE IF NOT EXISTS task (
    id                          serial,
    data                        jsonb             NOT NULL,
    meta                        jsonb             DEFAULT '{}'::jsonb,
    created_at                  timestamptz       NOT NULL DEFAULT now(),
    updated_at                  timestamptz       NOT NULL DEFAULT now(),
    is_labeled                  boolean           NOT NULL DEFAULT false,
    overlap                     integer           NOT NULL DEFAULT 1,
    project_id                  integer           NOT NULL,
    file_upload_id              integer,
    comment_count               integer           NOT NULL DEFAULT 0,
    unresolved_comment_count    integer           NOT NULL DEFAULT 0,
    last_comment_updated_at     timestamptz,
    updated_by_id               integer,
    inner_id                    integer,
    total_annotations           integer           NOT NULL DEFAULT 0,
    cancelled_annotations       integer           NOT NULL DEFAULT 0,
    total_predictions           integer           NOT NULL DEFAULT 0,
    comment_authors             integer           NOT NULL DEFAULT 0,
    annotations_results         text,
    predictions_results         text,
    predictions_score           double precision,
    predictions_model_versions  text,
    avg_lead_time               real,
    draft_exists                boolean           NOT NULL DEFAULT false,
    CONSTRAINT task_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS task_project_id_id_idx ON task (project_id, id);
CREATE INDEX IF NOT EXISTS task_project_id_inner_id_idx ON task (project_id, inner_id);
CREATE INDEX IF NOT EXISTS task_project_id_is_labeled_id_idx ON task (project_id, is_labeled, id);
CREATE INDEX IF NOT EXISTS task_file_upload_id_idx ON task (file_upload_id);
CREATE INDEX IF NOT EXISTS task_updated_by_id_idx ON task (updated_by_id);
-- The label stream's queues. Partial on unfinished tasks, so labeling a task removes it
-- from them instead of adding index entries: uncertainty sampling (lowest score first)
-- and breadth first (tasks others started, when the overlap is above one).
CREATE INDEX IF NOT EXISTS task_unlabeled_score_idx
    ON task (project_id, predictions_score, id) WHERE NOT is_labeled;
CREATE INDEX IF NOT EXISTS task_started_unlabeled_idx
    ON task (project_id, id) WHERE NOT is_labeled AND total_annotations > 0;

-- task_completion
CREATE TABLE IF NOT EXISTS task_completion (
    id                           serial,
    result                       jsonb,
    created_at                   timestamptz  NOT NULL DEFAULT now(),
    updated_at                   timestamptz  NOT NULL DEFAULT now(),
    lead_time                    real,
    completed_by_id              integer,
    task_id                      integer      NOT NULL,
    project_id                   integer      NOT NULL,
    parent_prediction_id         integer,
    parent_annotation_id         integer,
    was_cancelled                boolean      NOT NULL DEFAULT false,
    ground_truth                 boolean      NOT NULL DEFAULT false,
    result_count                 integer      NOT NULL DEFAULT 0,
    unique_id                    varchar      NOT NULL DEFAULT gen_random_uuid()::text,
    import_id                    integer,
    last_action                  varchar,
    draft_id                     integer,
    honeypot                     boolean      NOT NULL DEFAULT false,
    reviewed                     boolean      NOT NULL DEFAULT false,
    reviewed_by_id               integer,
    was_submitted                boolean      NOT NULL DEFAULT false,
    review_flow_type             varchar,
    fixed_annotation_history_id  integer,
    CONSTRAINT task_completion_pkey PRIMARY KEY (id),
    CONSTRAINT task_completion_unique_id_key UNIQUE (unique_id)
);
CREATE INDEX IF NOT EXISTS task_completion_task_id_completed_by_id_idx
    ON task_completion (task_id, completed_by_id);
CREATE INDEX IF NOT EXISTS task_completion_project_id_created_at_idx
    ON task_completion (project_id, created_at);
CREATE INDEX IF NOT EXISTS task_completion_completed_by_id_created_at_idx
    ON task_completion (completed_by_id, created_at);
CREATE INDEX IF NOT EXISTS task_completion_project_id_ground_truth_idx
    ON task_completion (project_id) WHERE ground_truth;
CREATE INDEX IF NOT EXISTS task_completion_parent_prediction_id_idx
    ON task_completion (parent_prediction_id) WHERE parent_prediction_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS task_completion_parent_annotation_id_idx
    ON task_completion (parent_annotation_id) WHERE parent_annotation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS task_completion_draft_id_idx
    ON task_completion (draft_id) WHERE draft_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS task_completion_reviewed_by_id_idx
    ON task_completion (reviewed_by_id) WHERE reviewed_by_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS task_completion_fixed_annotation_history_id_idx
    ON task_completion (fixed_annotation_history_id) WHERE fixed_annotation_history_id IS NOT NULL;
COMMENT ON COLUMN task_completion.fixed_annotation_history_id
    IS 'references an annotation-history table the seed does not draw; indexed, no FK constraint';

-- tasks_annotationdraft
CREATE TABLE IF NOT EXISTS tasks_annotationdraft (
    id                serial,
    result            jsonb        NOT NULL DEFAULT '[]'::jsonb,
    lead_time         real,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now(),
    annotation_id     integer,
    task_id           integer      NOT NULL,
    user_id           integer      NOT NULL,
    created_username  varchar,
    created_ago       varchar,
    CONSTRAINT tasks_annotationdraft_pkey PRIMARY KEY (id),
    CONSTRAINT tasks_annotationdraft_annotation_id_key UNIQUE (annotation_id)
);
CREATE INDEX IF NOT EXISTS tasks_annotationdraft_task_id_user_id_idx
    ON tasks_annotationdraft (task_id, user_id);
CREATE INDEX IF NOT EXISTS tasks_annotationdraft_user_id_idx ON tasks_annotationdraft (user_id);

-- tasks_tasklock
CREATE TABLE IF NOT EXISTS tasks_tasklock (
    id          serial,
    expire_at   timestamptz  NOT NULL,
    task_id     integer      NOT NULL,
    user_id     integer      NOT NULL,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT tasks_tasklock_pkey PRIMARY KEY (id),
    CONSTRAINT tasks_tasklock_task_id_key UNIQUE (task_id)
);
CREATE INDEX IF NOT EXISTS tasks_tasklock_user_id_expire_at_idx
    ON tasks_tasklock (user_id, expire_at);

-- tasks_notes
CREATE TABLE IF NOT EXISTS tasks_notes (
    id           serial,
    text         text,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    updated_at   timestamptz  NOT NULL DEFAULT now(),
    is_resolved  boolean      NOT NULL DEFAULT false,
    project_id   integer      NOT NULL,
    task_id      integer      NOT NULL,
    user_id      integer,
    CONSTRAINT tasks_notes_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS tasks_notes_task_id_created_at_idx ON tasks_notes (task_id, created_at);
CREATE INDEX IF NOT EXISTS tasks_notes_project_id_idx ON tasks_notes (project_id);
CREATE INDEX IF NOT EXISTS tasks_notes_user_id_idx ON tasks_notes (user_id);

-- task_comment_authors
CREATE TABLE IF NOT EXISTS task_comment_authors (
    id       serial,
    task_id  integer  NOT NULL,
    user_id  integer  NOT NULL,
    CONSTRAINT task_comment_authors_pkey PRIMARY KEY (id),
    CONSTRAINT task_comment_authors_task_id_user_id_key UNIQUE (task_id, user_id)
);
CREATE INDEX IF NOT EXISTS task_comment_authors_user_id_idx ON task_comment_authors (user_id);

-- task_flags
CREATE TABLE IF NOT EXISTS task_flags (
    id       serial,
    task_id  integer  NOT NULL,
    flag_id  integer  NOT NULL,
    CONSTRAINT task_flags_pkey PRIMARY KEY (id),
    CONSTRAINT task_flags_task_id_flag_id_key UNIQUE (task_id, flag_id)
);
CREATE INDEX IF NOT EXISTS task_flags_flag_id_idx ON task_flags (flag_id);

-- tasks_flag
CREATE TABLE IF NOT EXISTS tasks_flag (
    id           serial,
    title        varchar,
    description  text,
    color        varchar,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT tasks_flag_pkey PRIMARY KEY (id)
);

-- projects_projectmember
CREATE TABLE IF NOT EXISTS projects_projectmember (
    id          serial,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now(),
    enabled     boolean      NOT NULL DEFAULT true,
    user_id     integer      NOT NULL,
    project_id  integer      NOT NULL,
    role        varchar,
    user_role   varchar,
    CONSTRAINT projects_projectmember_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS projects_projectmember_project_id_user_id_idx
    ON projects_projectmember (project_id, user_id);
CREATE INDEX IF NOT EXISTS projects_projectmember_user_id_idx ON projects_projectmember (user_id);

-- projects_projectimport
CREATE TABLE IF NOT EXISTS projects_projectimport (
    id                        serial,
    preannotated_from_fields  text,
    commit_to_project         boolean      NOT NULL DEFAULT true,
    return_task_ids           boolean      NOT NULL DEFAULT false,
    status                    varchar      DEFAULT 'created',
    url                       varchar,
    traceback                 text,
    created_at                timestamptz  NOT NULL DEFAULT now(),
    updated_at                timestamptz  NOT NULL DEFAULT now(),
    task_count                integer      NOT NULL DEFAULT 0,
    annotation_count          integer      NOT NULL DEFAULT 0,
    prediction_count          integer      NOT NULL DEFAULT 0,
    duration                  integer      NOT NULL DEFAULT 0,
    file_upload_ids           integer,
    could_be_tasks_list       boolean      NOT NULL DEFAULT false,
    found_formats             jsonb        DEFAULT '[]'::jsonb,
    data_columns              jsonb        DEFAULT '[]'::jsonb,
    project_id                integer      NOT NULL,
    serialize_json_as_string  boolean      NOT NULL DEFAULT false,
    CONSTRAINT projects_projectimport_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS projects_projectimport_project_id_idx
    ON projects_projectimport (project_id);

-- projects_projectsummary
CREATE TABLE IF NOT EXISTS projects_projectsummary (
    id                   serial,
    created_at           timestamptz  NOT NULL DEFAULT now(),
    updated_at           timestamptz  NOT NULL DEFAULT now(),
    all_data_columns     jsonb        DEFAULT '{}'::jsonb,
    common_data_columns  jsonb        DEFAULT '[]'::jsonb,
    project_id           integer      NOT NULL,
    created_labels       jsonb        DEFAULT '{}'::jsonb,
    created_annotations  integer      NOT NULL DEFAULT 0,
    CONSTRAINT projects_projectsummary_pkey PRIMARY KEY (id),
    CONSTRAINT projects_projectsummary_project_id_key UNIQUE (project_id)
);

-- projects_projectonboarding
CREATE TABLE IF NOT EXISTS projects_projectonboarding (
    id          serial,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now(),
    finished    boolean      NOT NULL DEFAULT false,
    project_id  integer      NOT NULL,
    step_id     integer      NOT NULL,
    CONSTRAINT projects_projectonboarding_pkey PRIMARY KEY (id),
    CONSTRAINT projects_projectonboarding_project_id_key UNIQUE (project_id)
);
CREATE INDEX IF NOT EXISTS projects_projectonboarding_step_id_idx
    ON projects_projectonboarding (step_id);

-- projects_projectonboardingsteps
CREATE TABLE IF NOT EXISTS projects_projectonboardingsteps (
    id           serial,
    title        text,
    description  text,
    link         varchar,
    video        varchar,
    "order"      integer  NOT NULL,
    enabled      boolean  NOT NULL DEFAULT true,
    CONSTRAINT projects_projectonboardingsteps_pkey PRIMARY KEY (id),
    CONSTRAINT projects_projectonboardingsteps_order_key UNIQUE ("order")
);

-- projects_projectclientapiconfiguration
CREATE TABLE IF NOT EXISTS projects_projectclientapiconfiguration (
    id                serial,
    review_period     integer,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now(),
    public_data_link  text,
    status            varchar,
    project_id        integer      NOT NULL,
    CONSTRAINT projects_projectclientapiconfiguration_pkey PRIMARY KEY (id),
    CONSTRAINT projects_projectclientapiconfiguration_project_id_key UNIQUE (project_id)
);

-- projects_projectopsmanager
CREATE TABLE IF NOT EXISTS projects_projectopsmanager (
    id            serial,
    is_processed  boolean      NOT NULL DEFAULT false,
    requested_at  timestamptz  NOT NULL DEFAULT now(),
    processed_at  timestamptz,
    request_type  varchar,
    project_id    integer      NOT NULL,
    CONSTRAINT projects_projectopsmanager_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS projects_projectopsmanager_project_id_idx
    ON projects_projectopsmanager (project_id);

-- projects_labelstreamhistory
CREATE TABLE IF NOT EXISTS projects_labelstreamhistory (
    id          serial,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    project_id  integer      NOT NULL,
    user_id     integer      NOT NULL,
    CONSTRAINT projects_labelstreamhistory_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS projects_labelstreamhistory_project_id_user_id_idx
    ON projects_labelstreamhistory (project_id, user_id);
CREATE INDEX IF NOT EXISTS projects_labelstreamhistory_user_id_idx
    ON projects_labelstreamhistory (user_id);

-- projects_projectreimport
CREATE TABLE IF NOT EXISTS projects_projectreimport (
    id                        serial,
    status                    varchar      DEFAULT 'created',
    traceback                 text,
    created_at                timestamptz  NOT NULL DEFAULT now(),
    updated_at                timestamptz  NOT NULL DEFAULT now(),
    task_count                integer      NOT NULL DEFAULT 0,
    annotation_count          integer      NOT NULL DEFAULT 0,
    prediction_count          integer      NOT NULL DEFAULT 0,
    duration                  integer      NOT NULL DEFAULT 0,
    preannotated_from_fields  text,
    project_id                integer      NOT NULL,
    commit_to_project         boolean      NOT NULL DEFAULT true,
    CONSTRAINT projects_projectreimport_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS projects_projectreimport_project_id_idx
    ON projects_projectreimport (project_id);

-- projects_projecttag
CREATE TABLE IF NOT EXISTS projects_projecttag (
    id          serial,
    project_id  integer  NOT NULL,
    tag_id      integer  NOT NULL,
    CONSTRAINT projects_projecttag_pkey PRIMARY KEY (id),
    CONSTRAINT projects_projecttag_project_id_tag_id_key UNIQUE (project_id, tag_id)
);
CREATE INDEX IF NOT EXISTS projects_projecttag_tag_id_idx ON projects_projecttag (tag_id);

-- projects_tag
CREATE TABLE IF NOT EXISTS projects_tag (
    id           serial,
    title        varchar,
    description  text,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT projects_tag_pkey PRIMARY KEY (id)
);

-- projects_projectgroup
CREATE TABLE IF NOT EXISTS projects_projectgroup (
    id               serial,
    title            varchar,
    description      text,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    created_by_id    integer,
    organization_id  integer      NOT NULL,
    CONSTRAINT projects_projectgroup_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS projects_projectgroup_created_by_id_idx
    ON projects_projectgroup (created_by_id);
CREATE INDEX IF NOT EXISTS projects_projectgroup_organization_id_idx
    ON projects_projectgroup (organization_id);

-- projects_projectgroup_projects
CREATE TABLE IF NOT EXISTS projects_projectgroup_projects (
    id               serial,
    projectgroup_id  integer  NOT NULL,
    project_id       integer  NOT NULL,
    CONSTRAINT projects_projectgroup_projects_pkey PRIMARY KEY (id),
    CONSTRAINT projects_projectgroup_projects_projectgroup_id_project_id_key
        UNIQUE (projectgroup_id, project_id)
);
CREATE INDEX IF NOT EXISTS projects_projectgroup_projects_project_id_idx
    ON projects_projectgroup_projects (project_id);

-- ============================================================================
-- Module 3. ML Models & Data Management
-- ============================================================================

-- ml_mlbackend
CREATE TABLE IF NOT EXISTS ml_mlbackend (
    id              serial,
    url             varchar,
    name            varchar,
    title           text,
    description     text,
    model_version   text,
    is_interactive  boolean      NOT NULL DEFAULT false,
    created_at      timestamptz  NOT NULL DEFAULT now(),
    updated_at      timestamptz  NOT NULL DEFAULT now(),
    timeout         real         NOT NULL DEFAULT 100,
    state           varchar      DEFAULT 'DI',
    error_message   text,
    traceback       text,
    auto_update     boolean      NOT NULL DEFAULT true,
    project_id      integer      NOT NULL,
    setup_args      jsonb        DEFAULT '{}'::jsonb,
    auth_method     varchar      DEFAULT 'NONE',
    CONSTRAINT ml_mlbackend_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ml_mlbackend_project_id_idx ON ml_mlbackend (project_id);

-- ml_mlbackendpredictionjob
CREATE TABLE IF NOT EXISTS ml_mlbackendpredictionjob (
    id             serial,
    job_id         varchar,
    model_version  varchar,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    error_message  text,
    traceback      text,
    ml_backend_id  integer      NOT NULL,
    CONSTRAINT ml_mlbackendpredictionjob_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ml_mlbackendpredictionjob_ml_backend_id_idx
    ON ml_mlbackendpredictionjob (ml_backend_id);

-- ml_mlbackendtrainjob
CREATE TABLE IF NOT EXISTS ml_mlbackendtrainjob (
    id             serial,
    job_id         varchar,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    error_message  text,
    traceback      text,
    ml_backend_id  integer      NOT NULL,
    CONSTRAINT ml_mlbackendtrainjob_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ml_mlbackendtrainjob_ml_backend_id_idx
    ON ml_mlbackendtrainjob (ml_backend_id);

-- ml_model_providers_modelproviderconnection
CREATE TABLE IF NOT EXISTS ml_model_providers_modelproviderconnection (
    id               serial,
    provider         varchar,
    api_key          varchar,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    organization_id  integer      NOT NULL,
    project_id       integer,
    is_active        boolean      NOT NULL DEFAULT true,
    CONSTRAINT ml_model_providers_modelproviderconnection_pkey PRIMARY KEY (id),
    CONSTRAINT ml_model_providers_modelproviderconnection_project_id_key UNIQUE (project_id)
);
CREATE INDEX IF NOT EXISTS ml_model_providers_modelproviderconnection_organization_id_idx
    ON ml_model_providers_modelproviderconnection (organization_id);
COMMENT ON COLUMN ml_model_providers_modelproviderconnection.api_key
    IS 'secret: model provider API key';

-- ml_models_modelinterface
CREATE TABLE IF NOT EXISTS ml_models_modelinterface (
    id               serial,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    organization_id  integer      NOT NULL,
    project_id       integer,
    CONSTRAINT ml_models_modelinterface_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ml_models_modelinterface_organization_id_idx
    ON ml_models_modelinterface (organization_id);
CREATE INDEX IF NOT EXISTS ml_models_modelinterface_project_id_idx
    ON ml_models_modelinterface (project_id);

-- ml_models_modelinterface_associated_projects
CREATE TABLE IF NOT EXISTS ml_models_modelinterface_associated_projects (
    id                 serial,
    modelinterface_id  integer  NOT NULL,
    project_id         integer  NOT NULL,
    CONSTRAINT ml_models_modelinterface_associated_projects_pkey PRIMARY KEY (id),
    CONSTRAINT ml_models_mi_assoc_projects_modelinterface_id_project_id_key
        UNIQUE (modelinterface_id, project_id)
);
CREATE INDEX IF NOT EXISTS ml_models_modelinterface_associated_projects_project_id_idx
    ON ml_models_modelinterface_associated_projects (project_id);

-- ml_models_modelrun
CREATE TABLE IF NOT EXISTS ml_models_modelrun (
    id                  serial,
    model_version       varchar,
    status              varchar,
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now(),
    error_message       text,
    traceback           text,
    model_interface_id  integer      NOT NULL,
    project_id          integer      NOT NULL,
    task_id             integer,
    task_completion_id  integer,
    timeout             real,
    is_interactive      boolean      NOT NULL DEFAULT false,
    retries             integer      NOT NULL DEFAULT 0,
    data                jsonb        DEFAULT '{}'::jsonb,
    CONSTRAINT ml_models_modelrun_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ml_models_modelrun_model_interface_id_idx
    ON ml_models_modelrun (model_interface_id);
CREATE INDEX IF NOT EXISTS ml_models_modelrun_project_id_idx ON ml_models_modelrun (project_id);
CREATE INDEX IF NOT EXISTS ml_models_modelrun_task_id_idx ON ml_models_modelrun (task_id);
CREATE INDEX IF NOT EXISTS ml_models_modelrun_task_completion_id_idx
    ON ml_models_modelrun (task_completion_id);

-- ml_models_thirdpartymodelversion
CREATE TABLE IF NOT EXISTS ml_models_thirdpartymodelversion (
    id               serial,
    provider         varchar,
    model_name       varchar,
    model_version    varchar,
    is_default       boolean      NOT NULL DEFAULT false,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    connection_id    integer,
    organization_id  integer      NOT NULL,
    project_id       integer,
    model_metadata   jsonb        DEFAULT '{}'::jsonb,
    CONSTRAINT ml_models_thirdpartymodelversion_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ml_models_thirdpartymodelversion_connection_id_idx
    ON ml_models_thirdpartymodelversion (connection_id);
CREATE INDEX IF NOT EXISTS ml_models_thirdpartymodelversion_organization_id_idx
    ON ml_models_thirdpartymodelversion (organization_id);
CREATE INDEX IF NOT EXISTS ml_models_thirdpartymodelversion_project_id_idx
    ON ml_models_thirdpartymodelversion (project_id);

-- prediction
CREATE TABLE IF NOT EXISTS prediction (
    id             serial,
    result         jsonb             NOT NULL DEFAULT '[]'::jsonb,
    score          double precision,
    model_version  text              DEFAULT '',
    created_at     timestamptz       NOT NULL DEFAULT now(),
    updated_at     timestamptz       NOT NULL DEFAULT now(),
    task_id        integer           NOT NULL,
    cluster        integer,
    neighbors      jsonb,
    mislabeling    real              NOT NULL DEFAULT 0,
    project_id     integer           NOT NULL,
    model_run_id   integer,
    import_id      integer,
    CONSTRAINT prediction_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS prediction_task_id_model_version_idx
    ON prediction (task_id, model_version);
CREATE INDEX IF NOT EXISTS prediction_project_id_model_version_idx
    ON prediction (project_id, model_version);
CREATE INDEX IF NOT EXISTS prediction_model_run_id_idx
    ON prediction (model_run_id) WHERE model_run_id IS NOT NULL;

-- data_manager_view
CREATE TABLE IF NOT EXISTS data_manager_view (
    id               serial,
    data             jsonb        DEFAULT '{}'::jsonb,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    filter_group_id  integer,
    project_id       integer      NOT NULL,
    user_id          integer,
    view_type        varchar,
    CONSTRAINT data_manager_view_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS data_manager_view_project_id_id_idx
    ON data_manager_view (project_id, id);
CREATE INDEX IF NOT EXISTS data_manager_view_filter_group_id_idx
    ON data_manager_view (filter_group_id);
CREATE INDEX IF NOT EXISTS data_manager_view_user_id_idx ON data_manager_view (user_id);

-- data_manager_filter
CREATE TABLE IF NOT EXISTS data_manager_filter (
    id          serial,
    "column"    varchar      NOT NULL,
    operator    varchar      NOT NULL,
    type        varchar      NOT NULL,
    value       jsonb,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT data_manager_filter_pkey PRIMARY KEY (id)
);

-- data_manager_filtergroup
CREATE TABLE IF NOT EXISTS data_manager_filtergroup (
    id           serial,
    conjunction  varchar  NOT NULL DEFAULT 'and',
    CONSTRAINT data_manager_filtergroup_pkey PRIMARY KEY (id)
);

-- data_manager_filtergroup_filters
CREATE TABLE IF NOT EXISTS data_manager_filtergroup_filters (
    id              serial,
    filtergroup_id  integer  NOT NULL,
    filter_id       integer  NOT NULL,
    CONSTRAINT data_manager_filtergroup_filters_pkey PRIMARY KEY (id),
    CONSTRAINT data_manager_filtergroup_filters_filtergroup_id_filter_id_key
        UNIQUE (filtergroup_id, filter_id)
);
CREATE INDEX IF NOT EXISTS data_manager_filtergroup_filters_filter_id_idx
    ON data_manager_filtergroup_filters (filter_id);

-- labels_manager_label
CREATE TABLE IF NOT EXISTS labels_manager_label (
    id               serial,
    title            varchar,
    description      text,
    color            varchar,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    organization_id  integer      NOT NULL,
    project_id       integer,
    user_id          integer,
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    is_active        boolean      NOT NULL DEFAULT true,
    is_system        boolean      NOT NULL DEFAULT false,
    CONSTRAINT labels_manager_label_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS labels_manager_label_organization_id_idx
    ON labels_manager_label (organization_id);
CREATE INDEX IF NOT EXISTS labels_manager_label_project_id_idx ON labels_manager_label (project_id);
CREATE INDEX IF NOT EXISTS labels_manager_label_user_id_idx ON labels_manager_label (user_id);

-- labels_manager_labellink
CREATE TABLE IF NOT EXISTS labels_manager_labellink (
    id          serial,
    object_id   integer,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    label_id    integer      NOT NULL,
    task_id     integer      NOT NULL,
    CONSTRAINT labels_manager_labellink_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS labels_manager_labellink_label_id_task_id_idx
    ON labels_manager_labellink (label_id, task_id);
CREATE INDEX IF NOT EXISTS labels_manager_labellink_task_id_idx
    ON labels_manager_labellink (task_id);

-- data_import_fileupload
CREATE TABLE IF NOT EXISTS data_import_fileupload (
    id             serial,
    file           varchar,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    project_id     integer      NOT NULL,
    user_id        integer,
    format         varchar,
    size           integer,
    status         varchar,
    error_message  text,
    traceback      text,
    CONSTRAINT data_import_fileupload_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS data_import_fileupload_project_id_idx
    ON data_import_fileupload (project_id);
CREATE INDEX IF NOT EXISTS data_import_fileupload_user_id_idx ON data_import_fileupload (user_id);

-- data_export_export
CREATE TABLE IF NOT EXISTS data_export_export (
    id             serial,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    status         varchar      DEFAULT 'created',
    md5            text,
    counters       integer      NOT NULL DEFAULT 0,
    created_by_id  integer,
    project_id     integer      NOT NULL,
    CONSTRAINT data_export_export_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS data_export_export_created_by_id_idx
    ON data_export_export (created_by_id);
CREATE INDEX IF NOT EXISTS data_export_export_project_id_idx ON data_export_export (project_id);

-- data_export_convertedformat
CREATE TABLE IF NOT EXISTS data_export_convertedformat (
    id              serial,
    export_type     varchar,
    file            varchar,
    traceback       text,
    created_at      timestamptz  NOT NULL DEFAULT now(),
    export_id       integer      NOT NULL,
    project_id      integer      NOT NULL,
    created_by_id   integer,
    status          varchar      DEFAULT 'created',
    md5             varchar,
    finished_at     timestamptz,
    status_message  text,
    CONSTRAINT data_export_convertedformat_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS data_export_convertedformat_export_id_idx
    ON data_export_convertedformat (export_id);
CREATE INDEX IF NOT EXISTS data_export_convertedformat_project_id_idx
    ON data_export_convertedformat (project_id);
CREATE INDEX IF NOT EXISTS data_export_convertedformat_created_by_id_idx
    ON data_export_convertedformat (created_by_id);

-- ============================================================================
-- Module 4. Storage Systems
-- ============================================================================

-- io_storages_s3importstorage
CREATE TABLE IF NOT EXISTS io_storages_s3importstorage (
    id                     serial,
    bucket                 varchar,
    prefix                 varchar,
    regex_filter           varchar,
    use_blob_urls          boolean      NOT NULL DEFAULT false,
    aws_access_key_id      varchar,
    aws_secret_access_key  varchar,
    aws_session_token      varchar,
    region_name            varchar,
    s3_endpoint            varchar,
    presign                boolean      NOT NULL DEFAULT true,
    presign_ttl            timestamptz,
    last_sync              timestamptz,
    last_sync_count        integer,
    last_sync_errors       jsonb,
    status                 varchar      DEFAULT 'initialized',
    traceback              text,
    description            text,
    created_at             timestamptz  NOT NULL DEFAULT now(),
    updated_at             timestamptz  NOT NULL DEFAULT now(),
    project_id             integer      NOT NULL,
    title                  varchar,
    recursive_scan         boolean      NOT NULL DEFAULT false,
    glob_pattern           varchar,
    presign_urls           boolean      NOT NULL DEFAULT true,
    CONSTRAINT io_storages_s3importstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_s3importstorage_project_id_key UNIQUE (project_id)
);
COMMENT ON COLUMN io_storages_s3importstorage.aws_access_key_id IS 'secret: AWS storage credential';
COMMENT ON COLUMN io_storages_s3importstorage.aws_secret_access_key
    IS 'secret: AWS storage credential';
COMMENT ON COLUMN io_storages_s3importstorage.aws_session_token IS 'secret: AWS storage credential';

-- io_storages_s3exportstorage
CREATE TABLE IF NOT EXISTS io_storages_s3exportstorage (
    id                     serial,
    bucket                 varchar,
    prefix                 varchar,
    aws_access_key_id      varchar,
    aws_secret_access_key  varchar,
    aws_session_token      varchar,
    region_name            varchar,
    s3_endpoint            varchar,
    created_at             timestamptz  NOT NULL DEFAULT now(),
    updated_at             timestamptz  NOT NULL DEFAULT now(),
    project_id             integer      NOT NULL,
    title                  varchar,
    description            text,
    can_delete_objects     boolean      NOT NULL DEFAULT false,
    last_sync              timestamptz,
    last_sync_count        integer,
    last_sync_errors       jsonb,
    status                 varchar      DEFAULT 'initialized',
    traceback              text,
    serialization_options  jsonb        DEFAULT '{}'::jsonb,
    is_default             boolean      NOT NULL DEFAULT false,
    CONSTRAINT io_storages_s3exportstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_s3exportstorage_project_id_key UNIQUE (project_id)
);
COMMENT ON COLUMN io_storages_s3exportstorage.aws_access_key_id IS 'secret: AWS storage credential';
COMMENT ON COLUMN io_storages_s3exportstorage.aws_secret_access_key
    IS 'secret: AWS storage credential';
COMMENT ON COLUMN io_storages_s3exportstorage.aws_session_token IS 'secret: AWS storage credential';

-- io_storages_s3importstoragelink
CREATE TABLE IF NOT EXISTS io_storages_s3importstoragelink (
    id             serial,
    key            varchar      NOT NULL,
    storage_id     integer      NOT NULL,
    task_id        integer      NOT NULL,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    object_exists  varchar,
    CONSTRAINT io_storages_s3importstoragelink_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS io_storages_s3importstoragelink_storage_id_key_idx
    ON io_storages_s3importstoragelink (storage_id, key);
CREATE INDEX IF NOT EXISTS io_storages_s3importstoragelink_task_id_idx
    ON io_storages_s3importstoragelink (task_id);

-- io_storages_gcsimportstorage
CREATE TABLE IF NOT EXISTS io_storages_gcsimportstorage (
    id                              serial,
    bucket                          varchar,
    prefix                          varchar,
    regex_filter                    varchar,
    use_blob_urls                   boolean      NOT NULL DEFAULT false,
    google_application_credentials  text,
    google_project_id               varchar,
    last_sync                       timestamptz,
    last_sync_count                 integer,
    last_sync_errors                jsonb,
    status                          varchar      DEFAULT 'initialized',
    traceback                       text,
    description                     text,
    created_at                      timestamptz  NOT NULL DEFAULT now(),
    updated_at                      timestamptz  NOT NULL DEFAULT now(),
    project_id                      integer      NOT NULL,
    title                           varchar,
    recursive_scan                  boolean      NOT NULL DEFAULT false,
    glob_pattern                    varchar,
    presign_urls                    boolean      NOT NULL DEFAULT true,
    presign_ttl                     integer      NOT NULL DEFAULT 1,
    CONSTRAINT io_storages_gcsimportstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_gcsimportstorage_project_id_key UNIQUE (project_id)
);
COMMENT ON COLUMN io_storages_gcsimportstorage.google_application_credentials
    IS 'secret: GCS service-account credentials';

-- io_storages_gcsexportstorage
CREATE TABLE IF NOT EXISTS io_storages_gcsexportstorage (
    id                              serial,
    bucket                          varchar,
    prefix                          varchar,
    google_application_credentials  text,
    google_project_id               varchar,
    created_at                      timestamptz  NOT NULL DEFAULT now(),
    updated_at                      timestamptz  NOT NULL DEFAULT now(),
    project_id                      integer      NOT NULL,
    title                           varchar,
    description                     text,
    can_delete_objects              boolean      NOT NULL DEFAULT false,
    last_sync                       timestamptz,
    last_sync_count                 integer,
    last_sync_errors                jsonb,
    CONSTRAINT io_storages_gcsexportstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_gcsexportstorage_project_id_key UNIQUE (project_id)
);
COMMENT ON COLUMN io_storages_gcsexportstorage.google_application_credentials
    IS 'secret: GCS service-account credentials';

-- io_storages_gcsimportstoragelink
CREATE TABLE IF NOT EXISTS io_storages_gcsimportstoragelink (
    id             serial,
    key            varchar      NOT NULL,
    storage_id     integer      NOT NULL,
    task_id        integer      NOT NULL,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    object_exists  varchar,
    CONSTRAINT io_storages_gcsimportstoragelink_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS io_storages_gcsimportstoragelink_storage_id_key_idx
    ON io_storages_gcsimportstoragelink (storage_id, key);
CREATE INDEX IF NOT EXISTS io_storages_gcsimportstoragelink_task_id_idx
    ON io_storages_gcsimportstoragelink (task_id);

-- io_storages_azureblobimportstorage
CREATE TABLE IF NOT EXISTS io_storages_azureblobimportstorage (
    id             serial,
    container      varchar,
    prefix         varchar,
    regex_filter   varchar,
    account_name   varchar,
    account_key    varchar,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    project_id     integer      NOT NULL,
    title          varchar,
    description    text,
    use_blob_urls  boolean      NOT NULL DEFAULT false,
    glob_pattern   varchar,
    presign_urls   boolean      NOT NULL DEFAULT true,
    presign_ttl    integer      NOT NULL DEFAULT 1,
    CONSTRAINT io_storages_azureblobimportstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_azureblobimportstorage_project_id_key UNIQUE (project_id)
);
COMMENT ON COLUMN io_storages_azureblobimportstorage.account_name
    IS 'secret: Azure storage credential';
COMMENT ON COLUMN io_storages_azureblobimportstorage.account_key
    IS 'secret: Azure storage credential';

-- io_storages_azureblobexportstorage
CREATE TABLE IF NOT EXISTS io_storages_azureblobexportstorage (
    id                  serial,
    container           varchar,
    prefix              varchar,
    account_name        varchar,
    account_key         varchar,
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now(),
    project_id          integer      NOT NULL,
    title               varchar,
    description         text,
    can_delete_objects  boolean      NOT NULL DEFAULT false,
    last_sync           timestamptz,
    last_sync_count     integer,
    last_sync_errors    jsonb,
    CONSTRAINT io_storages_azureblobexportstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_azureblobexportstorage_project_id_key UNIQUE (project_id)
);
COMMENT ON COLUMN io_storages_azureblobexportstorage.account_name
    IS 'secret: Azure storage credential';
COMMENT ON COLUMN io_storages_azureblobexportstorage.account_key
    IS 'secret: Azure storage credential';

-- io_storages_azureblobimportstoragelink
CREATE TABLE IF NOT EXISTS io_storages_azureblobimportstoragelink (
    id             serial,
    key            varchar      NOT NULL,
    storage_id     integer      NOT NULL,
    task_id        integer      NOT NULL,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    object_exists  varchar,
    CONSTRAINT io_storages_azureblobimportstoragelink_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS io_storages_azureblobimportstoragelink_storage_id_key_idx
    ON io_storages_azureblobimportstoragelink (storage_id, key);
CREATE INDEX IF NOT EXISTS io_storages_azureblobimportstoragelink_task_id_idx
    ON io_storages_azureblobimportstoragelink (task_id);

-- io_storages_redisimportstorage
CREATE TABLE IF NOT EXISTS io_storages_redisimportstorage (
    id             serial,
    host           varchar,
    port           integer,
    path           varchar,
    password       varchar,
    db             integer      NOT NULL DEFAULT 1,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    project_id     integer      NOT NULL,
    title          varchar,
    description    text,
    use_blob_urls  boolean      NOT NULL DEFAULT false,
    regex_filter   varchar,
    CONSTRAINT io_storages_redisimportstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_redisimportstorage_project_id_key UNIQUE (project_id)
);
COMMENT ON COLUMN io_storages_redisimportstorage.password IS 'secret: Redis storage password';

-- io_storages_redisexportstorage
CREATE TABLE IF NOT EXISTS io_storages_redisexportstorage (
    id                  serial,
    host                varchar,
    port                integer,
    path                varchar,
    password            varchar,
    db                  integer      NOT NULL DEFAULT 1,
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now(),
    project_id          integer      NOT NULL,
    title               varchar,
    description         text,
    can_delete_objects  boolean      NOT NULL DEFAULT false,
    CONSTRAINT io_storages_redisexportstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_redisexportstorage_project_id_key UNIQUE (project_id)
);
COMMENT ON COLUMN io_storages_redisexportstorage.password IS 'secret: Redis storage password';

-- io_storages_redisimportstoragelink
CREATE TABLE IF NOT EXISTS io_storages_redisimportstoragelink (
    id             serial,
    key            varchar      NOT NULL,
    storage_id     integer      NOT NULL,
    task_id        integer      NOT NULL,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    object_exists  varchar,
    CONSTRAINT io_storages_redisimportstoragelink_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS io_storages_redisimportstoragelink_storage_id_key_idx
    ON io_storages_redisimportstoragelink (storage_id, key);
CREATE INDEX IF NOT EXISTS io_storages_redisimportstoragelink_task_id_idx
    ON io_storages_redisimportstoragelink (task_id);

-- io_storages_localfilesimportstorage
CREATE TABLE IF NOT EXISTS io_storages_localfilesimportstorage (
    id             serial,
    path           varchar,
    regex_filter   varchar,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    project_id     integer      NOT NULL,
    title          varchar,
    description    text,
    use_blob_urls  boolean      NOT NULL DEFAULT false,
    glob_pattern   varchar,
    CONSTRAINT io_storages_localfilesimportstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_localfilesimportstorage_project_id_key UNIQUE (project_id)
);

-- io_storages_localfilesexportstorage
CREATE TABLE IF NOT EXISTS io_storages_localfilesexportstorage (
    id                     serial,
    path                   varchar,
    created_at             timestamptz  NOT NULL DEFAULT now(),
    updated_at             timestamptz  NOT NULL DEFAULT now(),
    project_id             integer      NOT NULL,
    title                  varchar,
    description            text,
    can_delete_objects     boolean      NOT NULL DEFAULT false,
    last_sync              timestamptz,
    last_sync_count        integer,
    last_sync_errors       jsonb,
    status                 varchar      DEFAULT 'initialized',
    traceback              text,
    serialization_options  jsonb        DEFAULT '{}'::jsonb,
    CONSTRAINT io_storages_localfilesexportstorage_pkey PRIMARY KEY (id),
    CONSTRAINT io_storages_localfilesexportstorage_project_id_key UNIQUE (project_id)
);

-- io_storages_localfilesimportstoragelink
CREATE TABLE IF NOT EXISTS io_storages_localfilesimportstoragelink (
    id             serial,
    key            varchar      NOT NULL,
    storage_id     integer      NOT NULL,
    task_id        integer      NOT NULL,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    object_exists  varchar,
    CONSTRAINT io_storages_localfilesimportstoragelink_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS io_storages_localfilesimportstoragelink_storage_id_key_idx
    ON io_storages_localfilesimportstoragelink (storage_id, key);
CREATE INDEX IF NOT EXISTS io_storages_localfilesimportstoragelink_task_id_idx
    ON io_storages_localfilesimportstoragelink (task_id);

-- io_storages_gcsstoragemixin
CREATE TABLE IF NOT EXISTS io_storages_gcsstoragemixin (
    id                              serial,
    bucket                          varchar,
    prefix                          varchar,
    google_application_credentials  text,
    google_project_id               varchar,
    created_at                      timestamptz  NOT NULL DEFAULT now(),
    updated_at                      timestamptz  NOT NULL DEFAULT now(),
    project_id                      integer,
    CONSTRAINT io_storages_gcsstoragemixin_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS io_storages_gcsstoragemixin_project_id_idx
    ON io_storages_gcsstoragemixin (project_id);
COMMENT ON COLUMN io_storages_gcsstoragemixin.google_application_credentials
    IS 'secret: GCS service-account credentials';

-- io_storages_azureblobstoragemixin
CREATE TABLE IF NOT EXISTS io_storages_azureblobstoragemixin (
    id            serial,
    container     varchar,
    prefix        varchar,
    account_name  varchar,
    account_key   varchar,
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now(),
    project_id    integer,
    CONSTRAINT io_storages_azureblobstoragemixin_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS io_storages_azureblobstoragemixin_project_id_idx
    ON io_storages_azureblobstoragemixin (project_id);
COMMENT ON COLUMN io_storages_azureblobstoragemixin.account_name
    IS 'secret: Azure storage credential';
COMMENT ON COLUMN io_storages_azureblobstoragemixin.account_key
    IS 'secret: Azure storage credential';

-- io_storages_redisstoragemixin
CREATE TABLE IF NOT EXISTS io_storages_redisstoragemixin (
    id          serial,
    host        varchar,
    port        integer,
    path        varchar,
    password    varchar,
    db          integer      NOT NULL DEFAULT 1,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT io_storages_redisstoragemixin_pkey PRIMARY KEY (id)
);
COMMENT ON COLUMN io_storages_redisstoragemixin.password IS 'secret: Redis storage password';

-- io_storages_localfilesmixin
CREATE TABLE IF NOT EXISTS io_storages_localfilesmixin (
    id          serial,
    path        varchar,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT io_storages_localfilesmixin_pkey PRIMARY KEY (id)
);

-- ============================================================================
-- Module 5. Organization & Workflows
-- ============================================================================
-- organization is drawn here again, identical to Module 1; created there.

-- organization_workspaces
CREATE TABLE IF NOT EXISTS organization_workspaces (
    id               serial,
    organization_id  integer  NOT NULL,
    workspace_id     integer  NOT NULL,
    CONSTRAINT organization_workspaces_pkey PRIMARY KEY (id),
    CONSTRAINT organization_workspaces_organization_id_workspace_id_key
        UNIQUE (organization_id, workspace_id)
);
CREATE INDEX IF NOT EXISTS organization_workspaces_workspace_id_idx
    ON organization_workspaces (workspace_id);

-- workspace
CREATE TABLE IF NOT EXISTS workspace (
    id             serial,
    title          text,
    description    text,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    is_public      boolean      NOT NULL DEFAULT false,
    is_personal    boolean      NOT NULL DEFAULT false,
    color          varchar      DEFAULT '#FFFFFF',
    created_by_id  integer,
    CONSTRAINT workspace_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS workspace_created_by_id_idx ON workspace (created_by_id);

-- workspaces_workspacemember
CREATE TABLE IF NOT EXISTS workspaces_workspacemember (
    id            serial,
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now(),
    enabled       boolean      NOT NULL DEFAULT true,
    user_id       integer      NOT NULL,
    workspace_id  integer      NOT NULL,
    role          varchar,
    CONSTRAINT workspaces_workspacemember_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS workspaces_workspacemember_workspace_id_user_id_idx
    ON workspaces_workspacemember (workspace_id, user_id);
CREATE INDEX IF NOT EXISTS workspaces_workspacemember_user_id_idx
    ON workspaces_workspacemember (user_id);

-- workspaces_workspacebillingembeddings
CREATE TABLE IF NOT EXISTS workspaces_workspacebillingembeddings (
    id                serial,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now(),
    month             varchar,
    embeddings_count  integer      NOT NULL DEFAULT 0,
    embeddings_cost   numeric      NOT NULL DEFAULT 0,
    workspace_id      integer      NOT NULL,
    CONSTRAINT workspaces_workspacebillingembeddings_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS workspaces_workspacebillingembeddings_workspace_id_month_idx
    ON workspaces_workspacebillingembeddings (workspace_id, month);

-- workflow_helpers_order
CREATE TABLE IF NOT EXISTS workflow_helpers_order (
    id                  serial,
    project_name        varchar,
    status              varchar,
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now(),
    user_id             integer,
    organization_id     integer      NOT NULL,
    total_cost          numeric,
    currency_id         integer,
    data_production_id  integer,
    timeline            varchar,
    project_type        varchar,
    complexity          varchar,
    additional_notes    text,
    is_submitted        boolean      NOT NULL DEFAULT false,
    approved_at         timestamptz,
    rejected_at         timestamptz,
    completed_at        timestamptz,
    CONSTRAINT workflow_helpers_order_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS workflow_helpers_order_user_id_idx ON workflow_helpers_order (user_id);
CREATE INDEX IF NOT EXISTS workflow_helpers_order_organization_id_idx
    ON workflow_helpers_order (organization_id);
CREATE INDEX IF NOT EXISTS workflow_helpers_order_currency_id_idx
    ON workflow_helpers_order (currency_id);
CREATE INDEX IF NOT EXISTS workflow_helpers_order_data_production_id_idx
    ON workflow_helpers_order (data_production_id);

-- workflow_helpers_dataproduction
CREATE TABLE IF NOT EXISTS workflow_helpers_dataproduction (
    id                        serial,
    data_collection_required  boolean      NOT NULL DEFAULT false,
    estimated_data_volume     integer,
    data_format               varchar,
    quality_metrics           text,
    created_at                timestamptz  NOT NULL DEFAULT now(),
    updated_at                timestamptz  NOT NULL DEFAULT now(),
    user_id                   integer,
    organization_id           integer      NOT NULL,
    data_type                 varchar,
    annotation_type           varchar,
    total_annotations         integer,
    project_id                integer,
    CONSTRAINT workflow_helpers_dataproduction_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS workflow_helpers_dataproduction_user_id_idx
    ON workflow_helpers_dataproduction (user_id);
CREATE INDEX IF NOT EXISTS workflow_helpers_dataproduction_organization_id_idx
    ON workflow_helpers_dataproduction (organization_id);
CREATE INDEX IF NOT EXISTS workflow_helpers_dataproduction_project_id_idx
    ON workflow_helpers_dataproduction (project_id);

-- workflow_helpers_currency
CREATE TABLE IF NOT EXISTS workflow_helpers_currency (
    id    serial,
    code  varchar  NOT NULL,
    name  varchar,
    CONSTRAINT workflow_helpers_currency_pkey PRIMARY KEY (id),
    CONSTRAINT workflow_helpers_currency_code_key UNIQUE (code)
);

-- workflow_helpers_ordercontract
CREATE TABLE IF NOT EXISTS workflow_helpers_ordercontract (
    id                    serial,
    contract_document     varchar,
    signed_at             timestamptz,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    order_id              integer      NOT NULL,
    terms_and_conditions  text,
    CONSTRAINT workflow_helpers_ordercontract_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS workflow_helpers_ordercontract_order_id_idx
    ON workflow_helpers_ordercontract (order_id);

-- workflow_helpers_ordersubmission
CREATE TABLE IF NOT EXISTS workflow_helpers_ordersubmission (
    id                 serial,
    submitted_at       timestamptz  NOT NULL DEFAULT now(),
    submission_notes   text,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    order_id           integer      NOT NULL,
    admin_response     text,
    responded_at       timestamptz,
    submission_status  varchar,
    rejection_reason   text,
    approval_notes     text,
    CONSTRAINT workflow_helpers_ordersubmission_pkey PRIMARY KEY (id),
    CONSTRAINT workflow_helpers_ordersubmission_order_id_key UNIQUE (order_id)
);

-- orders_order
CREATE TABLE IF NOT EXISTS orders_order (
    id               serial,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    total_amount     numeric,
    status           varchar,
    user_id          integer,
    payment_method   varchar,
    transaction_id   varchar,
    organization_id  integer      NOT NULL,
    CONSTRAINT orders_order_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS orders_order_user_id_idx ON orders_order (user_id);
CREATE INDEX IF NOT EXISTS orders_order_organization_id_idx ON orders_order (organization_id);

-- payment_rate
CREATE TABLE IF NOT EXISTS payment_rate (
    id               serial,
    amount           numeric,
    currency         varchar,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    organization_id  integer      NOT NULL,
    CONSTRAINT payment_rate_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS payment_rate_organization_id_idx ON payment_rate (organization_id);

-- webhook
CREATE TABLE IF NOT EXISTS webhook (
    id                    serial,
    url                   varchar      NOT NULL,
    send_payload          boolean      NOT NULL DEFAULT true,
    send_for_all_actions  boolean      NOT NULL DEFAULT true,
    headers               jsonb        DEFAULT '{}'::jsonb,
    is_active             boolean      NOT NULL DEFAULT true,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    organization_id       integer      NOT NULL,
    project_id            integer,
    CONSTRAINT webhook_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS webhook_organization_id_idx ON webhook (organization_id);
CREATE INDEX IF NOT EXISTS webhook_project_id_idx ON webhook (project_id);
COMMENT ON COLUMN webhook.headers
    IS 'secret: webhook HTTP headers (carry Authorization credentials)';

-- webhook_action
CREATE TABLE IF NOT EXISTS webhook_action (
    id          serial,
    action      varchar  NOT NULL,
    webhook_id  integer  NOT NULL,
    CONSTRAINT webhook_action_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS webhook_action_webhook_id_idx ON webhook_action (webhook_id);

-- user_group_project
CREATE TABLE IF NOT EXISTS user_group_project (
    id          serial,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    group_id    integer      NOT NULL,
    project_id  integer      NOT NULL,
    role        varchar,
    CONSTRAINT user_group_project_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS user_group_project_group_id_project_id_idx
    ON user_group_project (group_id, project_id);
CREATE INDEX IF NOT EXISTS user_group_project_project_id_idx ON user_group_project (project_id);

-- user_group_tag
CREATE TABLE IF NOT EXISTS user_group_tag (
    id          serial,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    group_id    integer      NOT NULL,
    tag_id      integer      NOT NULL,
    role        varchar,
    CONSTRAINT user_group_tag_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS user_group_tag_group_id_tag_id_idx ON user_group_tag (group_id, tag_id);
CREATE INDEX IF NOT EXISTS user_group_tag_tag_id_idx ON user_group_tag (tag_id);

-- django_admin_log
CREATE TABLE IF NOT EXISTS django_admin_log (
    id               serial,
    action_time      timestamptz  NOT NULL DEFAULT now(),
    object_id        text,
    object_repr      varchar      NOT NULL,
    action_flag      smallint     NOT NULL,
    change_message   text         NOT NULL,
    content_type_id  integer,
    user_id          integer      NOT NULL,
    CONSTRAINT django_admin_log_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS django_admin_log_content_type_id_idx
    ON django_admin_log (content_type_id);
CREATE INDEX IF NOT EXISTS django_admin_log_user_id_idx ON django_admin_log (user_id);

-- core_asyncmigrationstatus
CREATE TABLE IF NOT EXISTS core_asyncmigrationstatus (
    id              serial,
    migration_name  varchar      NOT NULL,
    status          varchar,
    created_at      timestamptz  NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    progress        integer      NOT NULL DEFAULT 0,
    user_id         integer,
    CONSTRAINT core_asyncmigrationstatus_pkey PRIMARY KEY (id),
    CONSTRAINT core_asyncmigrationstatus_migration_name_key UNIQUE (migration_name)
);
CREATE INDEX IF NOT EXISTS core_asyncmigrationstatus_user_id_idx
    ON core_asyncmigrationstatus (user_id);

-- ============================================================================
-- Foreign keys
-- ============================================================================
-- One row per constraint: table, column, referenced table (always its id), ON
-- DELETE action, constraint name. Children die with their parent (CASCADE);
-- authorship and other optional references are cleared (SET NULL); a currency
-- in use cannot be deleted (RESTRICT). Plain immediate constraints: loaders
-- insert parents first.
-- A constraint already present under its name is left alone, so re-running the
-- script changes nothing.
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN
        SELECT *
        FROM (VALUES
            -- htx_user
            ('htx_user', 'active_organization_id', 'organization', 'SET NULL', 'htx_user_active_organization_id_fkey'),
            ('htx_user', 'created_by_id',          'htx_user',     'SET NULL', 'htx_user_created_by_id_fkey'),
            -- users_userprofile
            ('users_userprofile', 'user_id', 'htx_user', 'CASCADE', 'users_userprofile_user_id_fkey'),
            -- user_profile_newuserprofile
            ('user_profile_newuserprofile', 'user_id', 'htx_user', 'CASCADE', 'user_profile_newuserprofile_user_id_fkey'),
            -- authtoken_token
            ('authtoken_token', 'user_id', 'htx_user', 'CASCADE', 'authtoken_token_user_id_fkey'),
            -- users_userbankdetails
            ('users_userbankdetails', 'user_id', 'htx_user', 'CASCADE', 'users_userbankdetails_user_id_fkey'),
            -- users_magiclink
            ('users_magiclink', 'user_id', 'htx_user', 'CASCADE', 'users_magiclink_user_id_fkey'),
            -- auth_permission
            ('auth_permission', 'content_type_id', 'django_content_type', 'CASCADE', 'auth_permission_content_type_id_fkey'),
            -- htx_user_groups
            ('htx_user_groups', 'user_id',  'htx_user',   'CASCADE', 'htx_user_groups_user_id_fkey'),
            ('htx_user_groups', 'group_id', 'auth_group', 'CASCADE', 'htx_user_groups_group_id_fkey'),
            -- htx_user_user_permissions
            ('htx_user_user_permissions', 'user_id',       'htx_user',        'CASCADE', 'htx_user_user_permissions_user_id_fkey'),
            ('htx_user_user_permissions', 'permission_id', 'auth_permission', 'CASCADE', 'htx_user_user_permissions_permission_id_fkey'),
            -- auth_group_permissions
            ('auth_group_permissions', 'group_id',      'auth_group',      'CASCADE', 'auth_group_permissions_group_id_fkey'),
            ('auth_group_permissions', 'permission_id', 'auth_permission', 'CASCADE', 'auth_group_permissions_permission_id_fkey'),
            -- organization
            ('organization', 'created_by_id', 'htx_user', 'SET NULL', 'organization_created_by_id_fkey'),
            -- organizations_organizationmember
            ('organizations_organizationmember', 'organization_id', 'organization', 'CASCADE', 'organizations_organizationmember_organization_id_fkey'),
            ('organizations_organizationmember', 'user_id',         'htx_user',     'CASCADE', 'organizations_organizationmember_user_id_fkey'),
            -- users_invitation
            ('users_invitation', 'created_by_id',   'htx_user',     'SET NULL', 'users_invitation_created_by_id_fkey'),
            ('users_invitation', 'organization_id', 'organization', 'CASCADE',  'users_invitation_organization_id_fkey'),
            -- user_group
            ('user_group', 'created_by_id',   'htx_user',     'SET NULL', 'user_group_created_by_id_fkey'),
            ('user_group', 'organization_id', 'organization', 'CASCADE',  'user_group_organization_id_fkey'),
            -- user_group_membership
            ('user_group_membership', 'created_by_id', 'htx_user',   'SET NULL', 'user_group_membership_created_by_id_fkey'),
            ('user_group_membership', 'group_id',      'user_group', 'CASCADE',  'user_group_membership_group_id_fkey'),
            ('user_group_membership', 'user_id',       'htx_user',   'CASCADE',  'user_group_membership_user_id_fkey'),
            -- users_invitationgroupmember
            ('users_invitationgroupmember', 'group_id',      'user_group',       'CASCADE', 'users_invitationgroupmember_group_id_fkey'),
            ('users_invitationgroupmember', 'invitation_id', 'users_invitation', 'CASCADE', 'users_invitationgroupmember_invitation_id_fkey'),
            -- users_invitationprojectmember
            ('users_invitationprojectmember', 'project_id',    'project',          'CASCADE', 'users_invitationprojectmember_project_id_fkey'),
            ('users_invitationprojectmember', 'invitation_id', 'users_invitation', 'CASCADE', 'users_invitationprojectmember_invitation_id_fkey'),
            -- users_invitationworkspacemember
            ('users_invitationworkspacemember', 'workspace_id',  'workspace',        'CASCADE', 'users_invitationworkspacemember_workspace_id_fkey'),
            ('users_invitationworkspacemember', 'invitation_id', 'users_invitation', 'CASCADE', 'users_invitationworkspacemember_invitation_id_fkey'),
            -- project
            ('project', 'organization_id', 'organization', 'CASCADE',  'project_organization_id_fkey'),
            ('project', 'created_by_id',   'htx_user',     'SET NULL', 'project_created_by_id_fkey'),
            ('project', 'workspace_id',    'workspace',    'SET NULL', 'project_workspace_id_fkey'),
            -- task
            ('task', 'project_id',     'project',                'CASCADE',  'task_project_id_fkey'),
            ('task', 'file_upload_id', 'data_import_fileupload', 'SET NULL', 'task_file_upload_id_fkey'),
            ('task', 'updated_by_id',  'htx_user',               'SET NULL', 'task_updated_by_id_fkey'),
            -- task_completion
            ('task_completion', 'completed_by_id',      'htx_user',              'SET NULL', 'task_completion_completed_by_id_fkey'),
            ('task_completion', 'task_id',              'task',                  'CASCADE',  'task_completion_task_id_fkey'),
            ('task_completion', 'project_id',           'project',               'CASCADE',  'task_completion_project_id_fkey'),
            ('task_completion', 'parent_prediction_id', 'prediction',            'SET NULL', 'task_completion_parent_prediction_id_fkey'),
            ('task_completion', 'parent_annotation_id', 'task_completion',       'SET NULL', 'task_completion_parent_annotation_id_fkey'),
            ('task_completion', 'draft_id',             'tasks_annotationdraft', 'SET NULL', 'task_completion_draft_id_fkey'),
            ('task_completion', 'reviewed_by_id',       'htx_user',              'SET NULL', 'task_completion_reviewed_by_id_fkey'),
            -- tasks_annotationdraft
            ('tasks_annotationdraft', 'annotation_id', 'task_completion', 'CASCADE', 'tasks_annotationdraft_annotation_id_fkey'),
            ('tasks_annotationdraft', 'task_id',       'task',            'CASCADE', 'tasks_annotationdraft_task_id_fkey'),
            ('tasks_annotationdraft', 'user_id',       'htx_user',        'CASCADE', 'tasks_annotationdraft_user_id_fkey'),
            -- tasks_tasklock
            ('tasks_tasklock', 'task_id', 'task',     'CASCADE', 'tasks_tasklock_task_id_fkey'),
            ('tasks_tasklock', 'user_id', 'htx_user', 'CASCADE', 'tasks_tasklock_user_id_fkey'),
            -- tasks_notes
            ('tasks_notes', 'project_id', 'project',  'CASCADE',  'tasks_notes_project_id_fkey'),
            ('tasks_notes', 'task_id',    'task',     'CASCADE',  'tasks_notes_task_id_fkey'),
            ('tasks_notes', 'user_id',    'htx_user', 'SET NULL', 'tasks_notes_user_id_fkey'),
            -- task_comment_authors
            ('task_comment_authors', 'task_id', 'task',     'CASCADE', 'task_comment_authors_task_id_fkey'),
            ('task_comment_authors', 'user_id', 'htx_user', 'CASCADE', 'task_comment_authors_user_id_fkey'),
            -- task_flags
            ('task_flags', 'task_id', 'task',       'CASCADE', 'task_flags_task_id_fkey'),
            ('task_flags', 'flag_id', 'tasks_flag', 'CASCADE', 'task_flags_flag_id_fkey'),
            -- projects_projectmember
            ('projects_projectmember', 'user_id',    'htx_user', 'CASCADE', 'projects_projectmember_user_id_fkey'),
            ('projects_projectmember', 'project_id', 'project',  'CASCADE', 'projects_projectmember_project_id_fkey'),
            -- projects_projectimport
            ('projects_projectimport', 'project_id', 'project', 'CASCADE', 'projects_projectimport_project_id_fkey'),
            -- projects_projectsummary
            ('projects_projectsummary', 'project_id', 'project', 'CASCADE', 'projects_projectsummary_project_id_fkey'),
            -- projects_projectonboarding
            ('projects_projectonboarding', 'project_id', 'project',                         'CASCADE', 'projects_projectonboarding_project_id_fkey'),
            ('projects_projectonboarding', 'step_id',    'projects_projectonboardingsteps', 'CASCADE', 'projects_projectonboarding_step_id_fkey'),
            -- projects_projectclientapiconfiguration
            ('projects_projectclientapiconfiguration', 'project_id', 'project', 'CASCADE', 'projects_projectclientapiconfiguration_project_id_fkey'),
            -- projects_projectopsmanager
            ('projects_projectopsmanager', 'project_id', 'project', 'CASCADE', 'projects_projectopsmanager_project_id_fkey'),
            -- projects_labelstreamhistory
            ('projects_labelstreamhistory', 'project_id', 'project',  'CASCADE', 'projects_labelstreamhistory_project_id_fkey'),
            ('projects_labelstreamhistory', 'user_id',    'htx_user', 'CASCADE', 'projects_labelstreamhistory_user_id_fkey'),
            -- projects_projectreimport
            ('projects_projectreimport', 'project_id', 'project', 'CASCADE', 'projects_projectreimport_project_id_fkey'),
            -- projects_projecttag
            ('projects_projecttag', 'project_id', 'project',      'CASCADE', 'projects_projecttag_project_id_fkey'),
            ('projects_projecttag', 'tag_id',     'projects_tag', 'CASCADE', 'projects_projecttag_tag_id_fkey'),
            -- projects_projectgroup
            ('projects_projectgroup', 'created_by_id',   'htx_user',     'SET NULL', 'projects_projectgroup_created_by_id_fkey'),
            ('projects_projectgroup', 'organization_id', 'organization', 'CASCADE',  'projects_projectgroup_organization_id_fkey'),
            -- projects_projectgroup_projects
            ('projects_projectgroup_projects', 'projectgroup_id', 'projects_projectgroup', 'CASCADE', 'projects_projectgroup_projects_projectgroup_id_fkey'),
            ('projects_projectgroup_projects', 'project_id',      'project',               'CASCADE', 'projects_projectgroup_projects_project_id_fkey'),
            -- ml_mlbackend
            ('ml_mlbackend', 'project_id', 'project', 'CASCADE', 'ml_mlbackend_project_id_fkey'),
            -- ml_mlbackendpredictionjob
            ('ml_mlbackendpredictionjob', 'ml_backend_id', 'ml_mlbackend', 'CASCADE', 'ml_mlbackendpredictionjob_ml_backend_id_fkey'),
            -- ml_mlbackendtrainjob
            ('ml_mlbackendtrainjob', 'ml_backend_id', 'ml_mlbackend', 'CASCADE', 'ml_mlbackendtrainjob_ml_backend_id_fkey'),
            -- ml_model_providers_modelproviderconnection
            ('ml_model_providers_modelproviderconnection', 'organization_id', 'organization', 'CASCADE', 'ml_model_providers_modelproviderconnection_organization_id_fkey'),
            ('ml_model_providers_modelproviderconnection', 'project_id',      'project',      'CASCADE', 'ml_model_providers_modelproviderconnection_project_id_fkey'),
            -- ml_models_modelinterface
            ('ml_models_modelinterface', 'organization_id', 'organization', 'CASCADE',  'ml_models_modelinterface_organization_id_fkey'),
            ('ml_models_modelinterface', 'project_id',      'project',      'SET NULL', 'ml_models_modelinterface_project_id_fkey'),
            -- ml_models_modelinterface_associated_projects
            ('ml_models_modelinterface_associated_projects', 'modelinterface_id', 'ml_models_modelinterface', 'CASCADE', 'ml_models_mi_assoc_projects_modelinterface_id_fkey'),
            ('ml_models_modelinterface_associated_projects', 'project_id',        'project',                  'CASCADE', 'ml_models_modelinterface_associated_projects_project_id_fkey'),
            -- ml_models_modelrun
            ('ml_models_modelrun', 'model_interface_id', 'ml_models_modelinterface', 'CASCADE',  'ml_models_modelrun_model_interface_id_fkey'),
            ('ml_models_modelrun', 'project_id',         'project',                  'CASCADE',  'ml_models_modelrun_project_id_fkey'),
            ('ml_models_modelrun', 'task_id',            'task',                     'SET NULL', 'ml_models_modelrun_task_id_fkey'),
            ('ml_models_modelrun', 'task_completion_id', 'task_completion',          'SET NULL', 'ml_models_modelrun_task_completion_id_fkey'),
            -- ml_models_thirdpartymodelversion
            ('ml_models_thirdpartymodelversion', 'connection_id',   'ml_model_providers_modelproviderconnection', 'CASCADE',  'ml_models_thirdpartymodelversion_connection_id_fkey'),
            ('ml_models_thirdpartymodelversion', 'organization_id', 'organization',                               'CASCADE',  'ml_models_thirdpartymodelversion_organization_id_fkey'),
            ('ml_models_thirdpartymodelversion', 'project_id',      'project',                                    'SET NULL', 'ml_models_thirdpartymodelversion_project_id_fkey'),
            -- prediction
            ('prediction', 'task_id',      'task',               'CASCADE', 'prediction_task_id_fkey'),
            ('prediction', 'project_id',   'project',            'CASCADE', 'prediction_project_id_fkey'),
            ('prediction', 'model_run_id', 'ml_models_modelrun', 'CASCADE', 'prediction_model_run_id_fkey'),
            -- data_manager_view
            ('data_manager_view', 'filter_group_id', 'data_manager_filtergroup', 'SET NULL', 'data_manager_view_filter_group_id_fkey'),
            ('data_manager_view', 'project_id',      'project',                  'CASCADE',  'data_manager_view_project_id_fkey'),
            ('data_manager_view', 'user_id',         'htx_user',                 'CASCADE',  'data_manager_view_user_id_fkey'),
            -- data_manager_filtergroup_filters
            ('data_manager_filtergroup_filters', 'filtergroup_id', 'data_manager_filtergroup', 'CASCADE', 'data_manager_filtergroup_filters_filtergroup_id_fkey'),
            ('data_manager_filtergroup_filters', 'filter_id',      'data_manager_filter',      'CASCADE', 'data_manager_filtergroup_filters_filter_id_fkey'),
            -- labels_manager_label
            ('labels_manager_label', 'organization_id', 'organization', 'CASCADE',  'labels_manager_label_organization_id_fkey'),
            ('labels_manager_label', 'project_id',      'project',      'SET NULL', 'labels_manager_label_project_id_fkey'),
            ('labels_manager_label', 'user_id',         'htx_user',     'SET NULL', 'labels_manager_label_user_id_fkey'),
            -- labels_manager_labellink
            ('labels_manager_labellink', 'label_id', 'labels_manager_label', 'CASCADE', 'labels_manager_labellink_label_id_fkey'),
            ('labels_manager_labellink', 'task_id',  'task',                 'CASCADE', 'labels_manager_labellink_task_id_fkey'),
            -- data_import_fileupload
            ('data_import_fileupload', 'project_id', 'project',  'CASCADE',  'data_import_fileupload_project_id_fkey'),
            ('data_import_fileupload', 'user_id',    'htx_user', 'SET NULL', 'data_import_fileupload_user_id_fkey'),
            -- data_export_export
            ('data_export_export', 'created_by_id', 'htx_user', 'SET NULL', 'data_export_export_created_by_id_fkey'),
            ('data_export_export', 'project_id',    'project',  'CASCADE',  'data_export_export_project_id_fkey'),
            -- data_export_convertedformat
            ('data_export_convertedformat', 'export_id',     'data_export_export', 'CASCADE',  'data_export_convertedformat_export_id_fkey'),
            ('data_export_convertedformat', 'project_id',    'project',            'CASCADE',  'data_export_convertedformat_project_id_fkey'),
            ('data_export_convertedformat', 'created_by_id', 'htx_user',           'SET NULL', 'data_export_convertedformat_created_by_id_fkey'),
            -- io_storages_s3importstorage
            ('io_storages_s3importstorage', 'project_id', 'project', 'CASCADE', 'io_storages_s3importstorage_project_id_fkey'),
            -- io_storages_s3exportstorage
            ('io_storages_s3exportstorage', 'project_id', 'project', 'CASCADE', 'io_storages_s3exportstorage_project_id_fkey'),
            -- io_storages_s3importstoragelink
            ('io_storages_s3importstoragelink', 'storage_id', 'io_storages_s3importstorage', 'CASCADE', 'io_storages_s3importstoragelink_storage_id_fkey'),
            ('io_storages_s3importstoragelink', 'task_id',    'task',                        'CASCADE', 'io_storages_s3importstoragelink_task_id_fkey'),
            -- io_storages_gcsimportstorage
            ('io_storages_gcsimportstorage', 'project_id', 'project', 'CASCADE', 'io_storages_gcsimportstorage_project_id_fkey'),
            -- io_storages_gcsexportstorage
            ('io_storages_gcsexportstorage', 'project_id', 'project', 'CASCADE', 'io_storages_gcsexportstorage_project_id_fkey'),
            -- io_storages_gcsimportstoragelink
            ('io_storages_gcsimportstoragelink', 'storage_id', 'io_storages_gcsimportstorage', 'CASCADE', 'io_storages_gcsimportstoragelink_storage_id_fkey'),
            ('io_storages_gcsimportstoragelink', 'task_id',    'task',                         'CASCADE', 'io_storages_gcsimportstoragelink_task_id_fkey'),
            -- io_storages_azureblobimportstorage
            ('io_storages_azureblobimportstorage', 'project_id', 'project', 'CASCADE', 'io_storages_azureblobimportstorage_project_id_fkey'),
            -- io_storages_azureblobexportstorage
            ('io_storages_azureblobexportstorage', 'project_id', 'project', 'CASCADE', 'io_storages_azureblobexportstorage_project_id_fkey'),
            -- io_storages_azureblobimportstoragelink
            ('io_storages_azureblobimportstoragelink', 'storage_id', 'io_storages_azureblobimportstorage', 'CASCADE', 'io_storages_azureblobimportstoragelink_storage_id_fkey'),
            ('io_storages_azureblobimportstoragelink', 'task_id',    'task',                               'CASCADE', 'io_storages_azureblobimportstoragelink_task_id_fkey'),
            -- io_storages_redisimportstorage
            ('io_storages_redisimportstorage', 'project_id', 'project', 'CASCADE', 'io_storages_redisimportstorage_project_id_fkey'),
            -- io_storages_redisexportstorage
            ('io_storages_redisexportstorage', 'project_id', 'project', 'CASCADE', 'io_storages_redisexportstorage_project_id_fkey'),
            -- io_storages_redisimportstoragelink
            ('io_storages_redisimportstoragelink', 'storage_id', 'io_storages_redisimportstorage', 'CASCADE', 'io_storages_redisimportstoragelink_storage_id_fkey'),
            ('io_storages_redisimportstoragelink', 'task_id',    'task',                           'CASCADE', 'io_storages_redisimportstoragelink_task_id_fkey'),
            -- io_storages_localfilesimportstorage
            ('io_storages_localfilesimportstorage', 'project_id', 'project', 'CASCADE', 'io_storages_localfilesimportstorage_project_id_fkey'),
            -- io_storages_localfilesexportstorage
            ('io_storages_localfilesexportstorage', 'project_id', 'project', 'CASCADE', 'io_storages_localfilesexportstorage_project_id_fkey'),
            -- io_storages_localfilesimportstoragelink
            ('io_storages_localfilesimportstoragelink', 'storage_id', 'io_storages_localfilesimportstorage', 'CASCADE', 'io_storages_localfilesimportstoragelink_storage_id_fkey'),
            ('io_storages_localfilesimportstoragelink', 'task_id',    'task',                                'CASCADE', 'io_storages_localfilesimportstoragelink_task_id_fkey'),
            -- io_storages_gcsstoragemixin
            ('io_storages_gcsstoragemixin', 'project_id', 'project', 'CASCADE', 'io_storages_gcsstoragemixin_project_id_fkey'),
            -- io_storages_azureblobstoragemixin
            ('io_storages_azureblobstoragemixin', 'project_id', 'project', 'CASCADE', 'io_storages_azureblobstoragemixin_project_id_fkey'),
            -- organization_workspaces
            ('organization_workspaces', 'organization_id', 'organization', 'CASCADE', 'organization_workspaces_organization_id_fkey'),
            ('organization_workspaces', 'workspace_id',    'workspace',    'CASCADE', 'organization_workspaces_workspace_id_fkey'),
            -- workspace
            ('workspace', 'created_by_id', 'htx_user', 'SET NULL', 'workspace_created_by_id_fkey'),
            -- workspaces_workspacemember
            ('workspaces_workspacemember', 'user_id',      'htx_user',  'CASCADE', 'workspaces_workspacemember_user_id_fkey'),
            ('workspaces_workspacemember', 'workspace_id', 'workspace', 'CASCADE', 'workspaces_workspacemember_workspace_id_fkey'),
            -- workspaces_workspacebillingembeddings
            ('workspaces_workspacebillingembeddings', 'workspace_id', 'workspace', 'CASCADE', 'workspaces_workspacebillingembeddings_workspace_id_fkey'),
            -- workflow_helpers_order
            ('workflow_helpers_order', 'user_id',            'htx_user',                        'SET NULL', 'workflow_helpers_order_user_id_fkey'),
            ('workflow_helpers_order', 'organization_id',    'organization',                    'CASCADE',  'workflow_helpers_order_organization_id_fkey'),
            ('workflow_helpers_order', 'currency_id',        'workflow_helpers_currency',       'RESTRICT', 'workflow_helpers_order_currency_id_fkey'),
            ('workflow_helpers_order', 'data_production_id', 'workflow_helpers_dataproduction', 'SET NULL', 'workflow_helpers_order_data_production_id_fkey'),
            -- workflow_helpers_dataproduction
            ('workflow_helpers_dataproduction', 'user_id',         'htx_user',     'SET NULL', 'workflow_helpers_dataproduction_user_id_fkey'),
            ('workflow_helpers_dataproduction', 'organization_id', 'organization', 'CASCADE',  'workflow_helpers_dataproduction_organization_id_fkey'),
            ('workflow_helpers_dataproduction', 'project_id',      'project',      'SET NULL', 'workflow_helpers_dataproduction_project_id_fkey'),
            -- workflow_helpers_ordercontract
            ('workflow_helpers_ordercontract', 'order_id', 'workflow_helpers_order', 'CASCADE', 'workflow_helpers_ordercontract_order_id_fkey'),
            -- workflow_helpers_ordersubmission
            ('workflow_helpers_ordersubmission', 'order_id', 'workflow_helpers_order', 'CASCADE', 'workflow_helpers_ordersubmission_order_id_fkey'),
            -- orders_order
            ('orders_order', 'user_id',         'htx_user',     'SET NULL', 'orders_order_user_id_fkey'),
            ('orders_order', 'organization_id', 'organization', 'CASCADE',  'orders_order_organization_id_fkey'),
            -- payment_rate
            ('payment_rate', 'organization_id', 'organization', 'CASCADE', 'payment_rate_organization_id_fkey'),
            -- webhook
            ('webhook', 'organization_id', 'organization', 'CASCADE', 'webhook_organization_id_fkey'),
            ('webhook', 'project_id',      'project',      'CASCADE', 'webhook_project_id_fkey'),
            -- webhook_action
            ('webhook_action', 'webhook_id', 'webhook', 'CASCADE', 'webhook_action_webhook_id_fkey'),
            -- user_group_project
            ('user_group_project', 'group_id',   'user_group', 'CASCADE', 'user_group_project_group_id_fkey'),
            ('user_group_project', 'project_id', 'project',    'CASCADE', 'user_group_project_project_id_fkey'),
            -- user_group_tag
            ('user_group_tag', 'group_id', 'user_group',   'CASCADE', 'user_group_tag_group_id_fkey'),
            ('user_group_tag', 'tag_id',   'projects_tag', 'CASCADE', 'user_group_tag_tag_id_fkey'),
            -- django_admin_log
            ('django_admin_log', 'content_type_id', 'django_content_type', 'SET NULL', 'django_admin_log_content_type_id_fkey'),
            ('django_admin_log', 'user_id',         'htx_user',            'CASCADE',  'django_admin_log_user_id_fkey'),
            -- core_asyncmigrationstatus
            ('core_asyncmigrationstatus', 'user_id', 'htx_user', 'SET NULL', 'core_asyncmigrationstatus_user_id_fkey')
        ) AS v (tbl, col, ref, on_delete, conname)
    LOOP
        IF NOT EXISTS (
            SELECT 1
            FROM pg_constraint
            WHERE conname = fk.conname
              AND conrelid = to_regclass(format('%I.%I', current_schema(), fk.tbl))
        ) THEN
            EXECUTE format(
                'ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES %I (id) ON DELETE %s',
                fk.tbl, fk.conname, fk.col, fk.ref, fk.on_delete
            );
        END IF;
    END LOOP;
END
$$;
