"""Workspaces, projects and the project-level tables around them.

Six projects, one per kind of Label Studio work: review sentiment (single choice),
news NER (spans), shelf detection (rectangles on images), ticket summaries
(TextArea + Rating), ticket topics (multiple choice) and a small sentiment pilot
in the second organization. Task counts follow ``scale``; the rest stays small.
Project counters are written as zero here and set from the generated rows by
:func:`write_project_counters` once the tasks exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from databrewery_lab.demo import label_configs as lc
from databrewery_lab.demo.copy import columns
from databrewery_lab.demo.people import former_member
from databrewery_lab.demo.rng import ANCHOR, WINDOW_START, hex_string, iso, streams
from databrewery_lab.demo.state import Batch, Demo, ProjectState, Workspace

#: Annotations the whole demo aims for at scale 1.0.
ANNOTATIONS_PER_SCALE = 10_000

#: Per batch: (share of the project's tasks, P(no annotation yet), P(partially annotated)).
BATCH_PLAN = ((0.55, 0.02, 0.06), (0.25, 0.10, 0.14), (0.20, 0.35, 0.22))
#: Days after the window start when batches 2 and 3 arrived (batch 1 precedes the window).
BATCH_DAYS = (None, 18, 34)
#: Mean cancelled (skipped) annotations per task, per unit of overlap.
SKIP_PER_OVERLAP = 0.04
#: Every HONEYPOT_EVERY-th task of the first batch carries an imported ground truth.
HONEYPOT_EVERY = 50


@dataclass(frozen=True)
class ProjectSpec:
    """What a demo project is: its config, workflow settings and share of the work."""

    key: str
    kind: str  # sentiment | ner | bbox | summary | topics
    title: str
    org: int
    workspace: str
    labels: tuple[str, ...]
    config: str
    overlap: int
    sampling: str
    skip_queue: str
    share: float  # of all annotations
    lead_median: float  # seconds an average annotator needs per task
    model_versions: tuple[str, ...]  # two versions (v1, v2) of the project's ML backend
    backend: str | None  # ML backend title
    storage: str | None  # provider the third batch was synced from
    color: str
    description: str
    instruction: str
    tags: tuple[str, ...]


PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec(
        "sentiment",
        "sentiment",
        "Product review sentiment",
        0,
        "customer",
        lc.SENTIMENT_LABELS,
        lc.sentiment_config(),
        3,
        "Uniform sampling",
        "REQUEUE_FOR_OTHERS",
        0.34,
        14.0,
        ("bert-v1", "bert-v2"),
        "BERT sentiment classifier",
        "s3",
        "#4c78a8",
        "Overall sentiment of customer reviews from the web shop.",
        "<p>Pick the <b>overall</b> sentiment. Use <i>Mixed</i> only when the review is clearly "
        "both positive and negative. Sarcasm counts as what the writer means.</p>",
        ("nlp", "customer-data"),
    ),
    ProjectSpec(
        "ner",
        "ner",
        "News entities (CoNLL-style)",
        0,
        "newsroom",
        lc.NER_LABELS,
        lc.ner_config(),
        2,
        "Sequential sampling",
        "REQUEUE_FOR_ME",
        0.18,
        55.0,
        ("spacy-v1", "spacy-v2"),
        "spaCy NER",
        "gcs",
        "#e45756",
        "Persons, organizations, locations and misc entities in wire news.",
        "<p>Mark full names (no titles), organisations without a leading <i>the</i>, places, "
        "and events or nationalities as MISC.</p>",
        ("nlp", "pii-reviewed"),
    ),
    ProjectSpec(
        "bbox",
        "bbox",
        "Retail shelf detection",
        0,
        "vision",
        lc.BOX_LABELS,
        lc.bbox_config(),
        2,
        "Uncertainty sampling",
        "IGNORE_SKIPPED",
        0.16,
        70.0,
        ("yolo-v1", "yolo-v2"),
        "YOLO shelf detector",
        "localfiles",
        "#ff7f0e",
        "Boxes around every product on store shelf photos.",
        "<p>Draw a tight box around each product; one box per item.</p>",
        ("vision",),
    ),
    ProjectSpec(
        "summary",
        "summary",
        "Support ticket summaries",
        0,
        "support",
        (),
        lc.summary_config(),
        1,
        "Sequential sampling",
        "REQUEUE_FOR_OTHERS",
        0.08,
        95.0,
        (),
        None,
        "redis",
        "#54a24b",
        "One-line summaries and urgency ratings for incoming tickets.",
        "<p>Write what the customer wants in one sentence; rate urgency 1 (can wait) to 5 "
        "(blocking).</p>",
        ("customer-data", "llm-assisted"),
    ),
    ProjectSpec(
        "topics",
        "topics",
        "Ticket topic tagging",
        0,
        "support",
        lc.TOPIC_LABELS,
        lc.topics_config(),
        2,
        "Uniform sampling",
        "REQUEUE_FOR_OTHERS",
        0.16,
        18.0,
        ("setfit-v1", "setfit-v2"),
        "SetFit topic tagger",
        "azureblob",
        "#b279a2",
        "Every topic a support ticket touches (several may apply).",
        "<p>Tick every topic the ticket raises.</p>",
        ("customer-data",),
    ),
    ProjectSpec(
        "pilot",
        "sentiment",
        "Pilot: app store reviews",
        1,
        "pilot",
        lc.PILOT_SENTIMENT_LABELS,
        lc.sentiment_config(lc.PILOT_SENTIMENT_LABELS),
        2,
        "Sequential sampling",
        "REQUEUE_FOR_OTHERS",
        0.08,
        16.0,
        ("distilbert-v1", "distilbert-v2"),
        "DistilBERT pilot",
        None,
        "#72b7b2",
        "Bluefin's pilot: sentiment of app store reviews.",
        "<p>Positive, negative or neutral: go with your first impression.</p>",
        ("pilot",),
    ),
)

WORKSPACES = (
    ("customer", 0, "Customer Insights", "Review and survey analysis.", "#4c78a8", False),
    (
        "newsroom",
        0,
        "Newsroom NLP",
        "Entity extraction for the media monitoring team.",
        "#e45756",
        False,
    ),
    (
        "vision",
        0,
        "Computer Vision",
        "Image datasets for the shelf-audit models.",
        "#ff7f0e",
        False,
    ),
    ("support", 0, "Support Ops", "Ticket triage and summarisation.", "#54a24b", False),
    ("sandbox", 0, "Personal sandbox", "Private experiments.", "#9d9d9d", True),
    ("pilot", 1, "Pilot", "Bluefin Analytics pilot workspace.", "#72b7b2", False),
)

TAGS = (
    ("nlp", "Natural-language projects."),
    ("vision", "Image and video projects."),
    ("customer-data", "Contains customer-written text; handle under the data policy."),
    ("pii-reviewed", "Checked for personal data before labeling."),
    ("llm-assisted", "Predictions come from an LLM prompt."),
    ("pilot", "Short-lived evaluation projects."),
)
TASK_FLAGS = (
    ("Ambiguous", "Reasonable annotators could disagree.", "#f58518"),
    ("Offensive content", "Contains abuse; annotate with care.", "#e45756"),
    ("Broken media", "The image or text did not load correctly.", "#9d9d9d"),
    ("Needs expert", "Escalate to a domain expert.", "#4c78a8"),
    ("Duplicate", "Same content as another task.", "#b279a2"),
)
ONBOARDING_STEPS = (
    ("Import data", "Upload files or connect cloud storage.", "/docs/import"),
    ("Set up the labeling interface", "Pick a template or write a label config.", "/docs/setup"),
    ("Invite annotators", "Add members to the project workspace.", "/docs/members"),
    ("Start labeling", "Open the label stream.", "/docs/labeling"),
)
#: Keys of ``task.data`` per project kind.
DATA_COLUMNS = {
    "sentiment": ["text", "product", "stars", "review_id"],
    "ner": ["text", "source", "published"],
    "bbox": ["image", "store", "aisle"],
    "summary": ["ticket", "channel", "ticket_id"],
    "topics": ["ticket", "channel", "ticket_id"],
}
POOL_SHARE = {"sentiment": 0.6, "ner": 0.45, "summary": 0.3, "topics": 0.45}


def expected_annotations_per_task(overlap: int) -> float:
    """Mean annotations (submitted + skipped) per task under BATCH_PLAN."""
    mean = 0.0
    for share, p_empty, p_partial in BATCH_PLAN:
        if overlap == 1:
            done = (1 - p_empty) * 1.0
        else:
            done = (1 - p_empty - p_partial) * overlap + p_partial * overlap / 2
        mean += share * done
    return mean + SKIP_PER_OVERLAP * overlap


def task_count(spec: ProjectSpec, scale: float) -> int:
    """Tasks for a project so that the demo totals ~10,000 * scale annotations."""
    wanted = spec.share * ANNOTATIONS_PER_SCALE * scale
    return max(12, round(wanted / expected_annotations_per_task(spec.overlap)))


def write_workspaces(demo: Demo) -> None:
    """workspace, organization_workspaces (members come with the projects)."""
    w = demo.writer
    rows, links = [], []
    for key, org, title, description, color, personal in WORKSPACES:
        wid = demo.next_id("workspace")
        created = demo.orgs[org].created_at + timedelta(days=2 + wid)
        creator = demo.orgs[org].owner_id
        demo.workspaces.append(Workspace(wid, key, org, title, created, creator))
        rows.append(
            (
                wid,
                title,
                description,
                iso(created),
                iso(created + timedelta(days=5)),
                not personal and org == 0,
                personal,
                color,
                creator,
            )
        )
        links.append((demo.next_id("organization_workspaces"), demo.orgs[org].id, wid))
    w.copy(
        "workspace",
        columns(
            "id title description created_at updated_at is_public is_personal color created_by_id"
        ),
        rows,
    )
    w.copy("organization_workspaces", ("id", "organization_id", "workspace_id"), links)


def _plan_batches(project: ProjectState) -> None:
    n = project.n_tasks
    first = 0
    for b, (share, _, _) in enumerate(BATCH_PLAN):
        count = n - first if b == len(BATCH_PLAN) - 1 else max(2, round(n * share))
        days = BATCH_DAYS[b]
        if days is None:
            created = project.created_at + timedelta(hours=20)
        else:
            created = WINDOW_START + timedelta(days=days, hours=3 + project.id)
        source = "upload"
        if b == len(BATCH_PLAN) - 1 and project.spec.storage:
            source = project.spec.storage
        project.batches.append(Batch(first, count, created, None, None, source))
        first += count


def create_projects(demo: Demo) -> None:
    """Decide each project's size, people and batches (no rows yet)."""
    rnd, _ = streams(demo.seed, "project-people")
    former = former_member(demo)
    workspace = {ws.key: ws for ws in demo.workspaces}
    annotators = [u for u in demo.users_of(0, "annotator") if u is not former]
    managers = demo.users_of(0, "manager")
    reviewers = demo.users_of(0, "reviewer")
    for i, spec in enumerate(PROJECTS, start=1):
        org = demo.orgs[spec.org]
        if spec.org == 0:
            created = WINDOW_START - timedelta(days=14 - 2 * i, hours=rnd.randint(8, 17))
            manager = managers[i % len(managers)]
            if spec.kind == "bbox":
                pool = [u.id for u in annotators if u.id in demo.team_members["Vision squad"]]
            else:
                k = max(spec.overlap + 3, round(len(annotators) * POOL_SHARE[spec.kind]))
                pool = sorted(u.id for u in rnd.sample(annotators, min(k, len(annotators))))
            project_reviewers = sorted(u.id for u in rnd.sample(reviewers, 2))
            manager_ids = [manager.id]
        else:
            created = org.created_at + timedelta(days=12, hours=10)
            pool = [u.id for u in demo.users_of(1, "annotator")]
            manager_ids = [org.owner_id]
            project_reviewers = [org.owner_id]
        project = ProjectState(
            spec=spec,
            id=i,
            org_id=org.id,
            workspace_id=workspace[spec.workspace].id,
            created_at=created.replace(microsecond=0),
            created_by_id=manager_ids[0],
            n_tasks=task_count(spec, demo.scale),
            annotator_ids=pool,
            reviewer_ids=project_reviewers,
            manager_ids=manager_ids,
        )
        _plan_batches(project)
        demo.projects.append(project)
    first_task = 1
    for project in demo.projects:
        project.first_task_id = first_task
        first_task += project.n_tasks
    demo.ids("project", len(demo.projects))


def honeypot_indices(project: ProjectState) -> list[int]:
    """Task indices (0-based) of the project's ground-truth honeypots (first batch)."""
    batch = project.batches[0]
    return list(range(3, batch.count, HONEYPOT_EVERY))


def write_projects(demo: Demo) -> None:
    """project rows (counters zero until the tasks are written)."""
    rows = []
    for p in demo.projects:
        s = p.spec
        summary = {
            "labels": list(s.labels),
            "kind": s.kind,
            "model_versions": list(s.model_versions),
        }
        pinned = iso(p.created_at + timedelta(days=1)) if s.key == "sentiment" else None
        rows.append(
            (
                p.id,
                s.title,
                s.description,
                s.config,
                s.instruction,
                True,
                True,
                s.kind == "summary",
                True,
                p.org_id,
                s.color,
                s.overlap,
                True,
                s.model_versions[-1] if s.model_versions else "",
                False,
                p.created_by_id,
                iso(p.created_at),
                50,
                True,
                0,
                p.n_tasks,
                0,
                0,
                0,
                0,
                0,
                s.sampling,
                s.kind != "summary",
                True,
                100,
                json.dumps(lc.control_weights(s.config)),
                lc.parsed_config_text(s.config),
                False,
                True,
                s.skip_queue,
                s.kind == "bbox",
                json.dumps(lc.data_types(s.config)),
                pinned,
                0,
                p.n_tasks,
                0,
                json.dumps(summary),
                p.workspace_id,
            )
        )
    demo.writer.copy("project", PROJECT_COLUMNS, rows)


PROJECT_COLUMNS = columns(
    "id title description label_config expert_instruction show_instruction show_skip_button "
    "enable_empty_annotation show_annotation_history organization_id color maximum_annotations "
    "is_published model_version is_draft created_by_id created_at "
    "min_annotations_to_start_training show_collab_predictions num_tasks_with_annotations "
    "task_number useful_annotation_number ground_truth_number skipped_annotations_number "
    "total_annotations_number total_predictions_number sampling show_ground_truth_first "
    "show_overlap_first overlap_cohort_percentage control_weights parsed_label_config "
    "evaluate_predictions_automatically config_has_control_tags skip_queue "
    "reveal_preannotations_interactively data_types pinned_at finished_task_number queue_total "
    "queue_done summary workspace_id"
)


def write_members(demo: Demo) -> None:
    """projects_projectmember and workspaces_workspacemember."""
    rnd, _ = streams(demo.seed, "members")
    by_id = {u.id: u for u in demo.users}
    pm_rows = []
    ws_members: dict[int, dict[int, str]] = {ws.id: {} for ws in demo.workspaces}
    for p in demo.projects:
        roles = [(uid, "manager") for uid in p.manager_ids]
        roles += [(uid, "reviewer") for uid in p.reviewer_ids if uid not in p.manager_ids]
        roles += [(uid, "annotator") for uid in p.annotator_ids]
        for uid, role in roles:
            u = by_id[uid]
            added = max(p.created_at, u.date_joined) + timedelta(hours=rnd.randint(1, 48))
            pm_rows.append(
                (
                    demo.next_id("projects_projectmember"),
                    iso(added),
                    iso(added),
                    True,
                    uid,
                    p.id,
                    role,
                    u.role,
                )
            )
            ws_members[p.workspace_id].setdefault(uid, role)
    for ws in demo.workspaces:
        ws_members[ws.id].setdefault(ws.created_by_id, "owner")
    former = former_member(demo)
    vision = next(ws for ws in demo.workspaces if ws.key == "vision")
    ws_members[vision.id][former.id] = "annotator"  # left the team: membership disabled
    ws_rows = []
    for ws in demo.workspaces:
        for uid, role in sorted(ws_members[ws.id].items()):
            added = max(ws.created_at, by_id[uid].date_joined) + timedelta(hours=rnd.randint(1, 30))
            ws_rows.append(
                (
                    demo.next_id("workspaces_workspacemember"),
                    iso(added),
                    iso(added + timedelta(days=rnd.randint(0, 20))),
                    uid != former.id,
                    uid,
                    ws.id,
                    role,
                )
            )
    demo.writer.copy(
        "projects_projectmember",
        ("id", "created_at", "updated_at", "enabled", "user_id", "project_id", "role", "user_role"),
        pm_rows,
    )
    demo.writer.copy(
        "workspaces_workspacemember",
        ("id", "created_at", "updated_at", "enabled", "user_id", "workspace_id", "role"),
        ws_rows,
    )


def write_catalogs(demo: Demo) -> None:
    """projects_tag (+ projecttag), project groups, task flags, onboarding steps."""
    w = demo.writer
    base = demo.orgs[0].created_at
    tag_rows = []
    for title, description in TAGS:
        tid = demo.next_id("projects_tag")
        demo.tags[title] = tid
        tag_rows.append((tid, title, description, iso(base + timedelta(days=tid))))
    w.copy("projects_tag", ("id", "title", "description", "created_at"), tag_rows)
    w.copy(
        "projects_projecttag",
        ("id", "project_id", "tag_id"),
        [
            (demo.next_id("projects_projecttag"), p.id, demo.tags[t])
            for p in demo.projects
            for t in p.spec.tags
        ],
    )
    by_key = {p.spec.key: p for p in demo.projects}
    groups = (
        (
            "Customer insights Q3",
            "Everything feeding the Q3 voice-of-customer report.",
            0,
            ("sentiment", "topics", "summary"),
        ),
        ("Perception", "Image projects for the shelf-audit models.", 0, ("bbox",)),
        (
            "NLP benchmarks",
            "Projects we report inter-annotator agreement on.",
            0,
            ("sentiment", "ner"),
        ),
        ("Bluefin pilot", "The pilot's projects.", 1, ("pilot",)),
    )
    group_rows, member_rows = [], []
    for title, description, org, keys in groups:
        gid = demo.next_id("projects_projectgroup")
        created = max(by_key[k].created_at for k in keys) + timedelta(days=1)
        group_rows.append(
            (
                gid,
                title,
                description,
                iso(created),
                iso(created + timedelta(days=3)),
                demo.orgs[org].owner_id,
                demo.orgs[org].id,
            )
        )
        for k in keys:
            member_rows.append((demo.next_id("projects_projectgroup_projects"), gid, by_key[k].id))
    w.copy(
        "projects_projectgroup",
        columns("id title description created_at updated_at created_by_id organization_id"),
        group_rows,
    )
    w.copy("projects_projectgroup_projects", ("id", "projectgroup_id", "project_id"), member_rows)
    flag_rows = []
    for title, description, color in TASK_FLAGS:
        fid = demo.next_id("tasks_flag")
        demo.flags[title] = fid
        flag_rows.append((fid, title, description, color, iso(base + timedelta(days=40 + fid))))
    w.copy("tasks_flag", ("id", "title", "description", "color", "created_at"), flag_rows)
    step_rows = [
        (
            demo.next_id("projects_projectonboardingsteps"),
            title,
            description,
            link,
            f"https://videos.example/onboarding-{order}.mp4",
            order,
            True,
        )
        for order, (title, description, link) in enumerate(ONBOARDING_STEPS, start=1)
    ]
    w.copy(
        "projects_projectonboardingsteps",
        ("id", "title", "description", "link", "video", "order", "enabled"),
        step_rows,
    )


def write_project_extras(demo: Demo) -> None:
    """Onboarding, client API config, ops requests, label-stream history."""
    rnd, _ = streams(demo.seed, "project-extras")
    w = demo.writer
    onboarding, api, ops, history = [], [], [], []
    n_steps = len(ONBOARDING_STEPS)
    for p in demo.projects:
        done = p.spec.org == 0
        step = n_steps if done else n_steps - 1
        onboarding.append(
            (
                demo.next_id("projects_projectonboarding"),
                iso(p.created_at),
                iso(p.created_at + timedelta(days=2)),
                done,
                p.id,
                step,
            )
        )
        if p.spec.key in ("sentiment", "topics", "pilot"):
            created = p.created_at + timedelta(days=3)
            api.append(
                (
                    demo.next_id("projects_projectclientapiconfiguration"),
                    7 if done else 14,
                    iso(created),
                    iso(created + timedelta(days=10)),
                    f"http://127.0.0.1:8080/public/projects/{p.id}/export.json",
                    "active" if done else "pending_review",
                    p.id,
                )
            )
        for k, kind in enumerate(("recalculate_stats", "rebuild_counters", "export_snapshot")):
            requested = WINDOW_START + timedelta(days=10 + 15 * k, hours=rnd.randint(0, 23))
            processed = k < 2 or p.spec.org == 1
            ops.append(
                (
                    demo.next_id("projects_projectopsmanager"),
                    processed,
                    iso(requested),
                    iso(requested + timedelta(minutes=rnd.randint(1, 40))) if processed else None,
                    kind,
                    p.id,
                )
            )
        for uid in p.annotator_ids:
            for _ in range(rnd.randint(1, 3)):
                seconds = rnd.uniform(0, (ANCHOR - WINDOW_START).total_seconds() - 3600)
                when = WINDOW_START + timedelta(seconds=round(seconds))
                history.append((demo.next_id("projects_labelstreamhistory"), iso(when), p.id, uid))
    w.copy(
        "projects_projectonboarding",
        ("id", "created_at", "updated_at", "finished", "project_id", "step_id"),
        onboarding,
    )
    w.copy(
        "projects_projectclientapiconfiguration",
        columns("id review_period created_at updated_at public_data_link status project_id"),
        api,
    )
    w.copy(
        "projects_projectopsmanager",
        ("id", "is_processed", "requested_at", "processed_at", "request_type", "project_id"),
        ops,
    )
    w.copy("projects_labelstreamhistory", ("id", "created_at", "project_id", "user_id"), history)


def _upload_name(rnd_hex: str, project: ProjectState, b: int) -> tuple[str, str]:
    kind = project.spec.kind
    fmt = "csv" if kind in ("summary", "topics") and b == 1 else "json"
    stem = {
        "sentiment": "reviews",
        "ner": "news",
        "bbox": "shelf-images",
        "summary": "tickets",
        "topics": "tickets",
    }[kind]
    return f"upload/{project.id}/{rnd_hex}-{stem}-batch{b + 1}.{fmt}", fmt


def write_imports(demo: Demo) -> None:
    """data_import_fileupload + projects_projectimport per uploaded batch; a reimport."""
    rnd, _ = streams(demo.seed, "imports")
    w = demo.writer
    uploads, imports, reimports = [], [], []
    for p in demo.projects:
        honeypots = len(honeypot_indices(p))
        for b, batch in enumerate(p.batches):
            if batch.source != "upload":
                continue
            name, fmt = _upload_name(hex_string(rnd, 4), p, b)
            batch.file_upload_id = demo.next_id("data_import_fileupload")
            batch.import_id = demo.next_id("projects_projectimport")
            uploader = p.manager_ids[0]
            uploads.append(
                (
                    batch.file_upload_id,
                    name,
                    iso(batch.created_at - timedelta(minutes=2)),
                    p.id,
                    uploader,
                    fmt,
                    180 * batch.count + rnd.randint(0, 999),
                    "completed",
                    None,
                    None,
                )
            )
            data_columns = DATA_COLUMNS[p.spec.kind]
            imports.append(
                (
                    batch.import_id,
                    "prediction" if b == 0 else None,
                    True,
                    False,
                    "completed",
                    None,
                    None,
                    iso(batch.created_at - timedelta(minutes=1)),
                    iso(batch.created_at),
                    batch.count,
                    honeypots if b == 0 else 0,
                    batch.count,
                    rnd.randint(2, 40),
                    batch.file_upload_id,
                    True,
                    json.dumps({f".{fmt}": 1}),
                    json.dumps(data_columns),
                    p.id,
                    False,
                )
            )
        if p.spec.key == "sentiment":  # an upload that failed: no tasks came from it
            fid = demo.next_id("data_import_fileupload")
            when = WINDOW_START + timedelta(days=5, hours=11)
            error = "Can't parse the file: line 1313 has 3 columns, expected 5"
            uploads.append(
                (
                    fid,
                    f"upload/{p.id}/{hex_string(rnd, 4)}-reviews-broken.csv",
                    iso(when),
                    p.id,
                    p.manager_ids[0],
                    "csv",
                    48213,
                    "failed",
                    error,
                    "Traceback (most recent call last):\n  ...\nValueError: " + error,
                )
            )
            imports.append(
                (
                    demo.next_id("projects_projectimport"),
                    None,
                    False,
                    False,
                    "failed",
                    None,
                    "ValueError: " + error,
                    iso(when),
                    iso(when + timedelta(seconds=4)),
                    0,
                    0,
                    0,
                    4,
                    fid,
                    False,
                    json.dumps({".csv": 1}),
                    json.dumps([]),
                    p.id,
                    False,
                )
            )
        if p.spec.key in ("ner", "pilot"):
            when = p.batches[0].created_at + timedelta(days=2)
            reimports.append(
                (
                    demo.next_id("projects_projectreimport"),
                    "completed",
                    None,
                    iso(when),
                    iso(when + timedelta(seconds=30)),
                    p.batches[0].count,
                    0,
                    0,
                    30,
                    None,
                    p.id,
                    True,
                )
            )
    w.copy(
        "data_import_fileupload",
        columns("id file created_at project_id user_id format size status error_message traceback"),
        uploads,
    )
    w.copy(
        "projects_projectimport",
        columns(
            "id preannotated_from_fields commit_to_project return_task_ids status url traceback "
            "created_at updated_at task_count annotation_count prediction_count duration "
            "file_upload_ids could_be_tasks_list found_formats data_columns project_id "
            "serialize_json_as_string"
        ),
        imports,
    )
    w.copy(
        "projects_projectreimport",
        columns(
            "id status traceback created_at updated_at task_count annotation_count "
            "prediction_count duration preannotated_from_fields project_id commit_to_project"
        ),
        reimports,
    )


def write_invitations(demo: Demo) -> None:
    """users_invitation with its group/project/workspace member rows."""
    rnd, _ = streams(demo.seed, "invitations")
    w = demo.writer
    main_projects = [p for p in demo.projects if p.spec.org == 0]
    main_ws = [ws for ws in demo.workspaces if ws.org == 0 and ws.key != "sandbox"]
    teams = [gid for title, gid in demo.user_groups.items() if title != "Pilot crew"]
    rows, g_rows, p_rows, w_rows = [], [], [], []
    for i, uuid in enumerate(demo.invitation_uuids):
        org = 0 if i < 6 else 1
        iid = demo.next_id("users_invitation")
        created = ANCHOR - timedelta(days=5 + 17 * i, hours=rnd.randint(0, 23))
        expired = i in (2, 5, 7)
        max_uses = rnd.choice((1, 5, 10, 25))
        use_count = max_uses if expired and i != 7 else rnd.randint(0, max_uses)
        role = "reviewer" if i == 1 else "annotator"
        if org == 0:
            projects = rnd.sample(main_projects, 2)
            workspace = rnd.choice(main_ws)
            groups = rnd.sample(teams, 1 + (i % 2))
        else:
            projects = [p for p in demo.projects if p.spec.org == 1]
            workspace = next(ws for ws in demo.workspaces if ws.org == 1)
            groups = [demo.user_groups["Pilot crew"]]
        defaults = {"role": role, "projects": [p.id for p in projects], "send_email": True}
        rows.append(
            (
                iid,
                uuid,
                expired,
                iso(created),
                use_count,
                json.dumps(defaults),
                i == 0,
                demo.orgs[org].owner_id,
                demo.orgs[org].id,
                ",".join(map(str, groups)),
                max_uses,
            )
        )
        g_rows += [(demo.next_id("users_invitationgroupmember"), g, iid) for g in groups]
        p_rows += [
            (demo.next_id("users_invitationprojectmember"), p.id, iid, role) for p in projects
        ]
        w_rows.append((demo.next_id("users_invitationworkspacemember"), workspace.id, iid, role))
    w.copy(
        "users_invitation",
        columns(
            "id uuid expired created_at use_count defaults can_manage_billing created_by_id "
            "organization_id groups_to_join max_uses"
        ),
        rows,
    )
    w.copy("users_invitationgroupmember", ("id", "group_id", "invitation_id"), g_rows)
    w.copy("users_invitationprojectmember", ("id", "project_id", "invitation_id", "role"), p_rows)
    w.copy(
        "users_invitationworkspacemember", ("id", "workspace_id", "invitation_id", "role"), w_rows
    )


def write_group_access(demo: Demo) -> None:
    """user_group_project and user_group_tag: which teams reach which projects."""
    by_key = {p.spec.key: p for p in demo.projects}
    access = (
        ("Vendor team Pune", "sentiment", "annotator"),
        ("Vendor team Pune", "topics", "annotator"),
        ("In-house linguists", "ner", "annotator"),
        ("In-house linguists", "summary", "annotator"),
        ("In-house linguists", "sentiment", "annotator"),
        ("Vision squad", "bbox", "annotator"),
        ("QA reviewers", "sentiment", "reviewer"),
        ("QA reviewers", "ner", "reviewer"),
        ("QA reviewers", "bbox", "reviewer"),
        ("QA reviewers", "summary", "reviewer"),
        ("QA reviewers", "topics", "reviewer"),
        ("Pilot crew", "pilot", "annotator"),
    )
    rows = []
    for team, key, role in access:
        p = by_key[key]
        rows.append(
            (
                demo.next_id("user_group_project"),
                iso(p.created_at + timedelta(hours=6)),
                demo.user_groups[team],
                p.id,
                role,
            )
        )
    demo.writer.copy(
        "user_group_project", ("id", "created_at", "group_id", "project_id", "role"), rows
    )
    tag_access = (
        ("QA reviewers", "pii-reviewed", "reviewer"),
        ("Vision squad", "vision", "annotator"),
        ("In-house linguists", "nlp", "annotator"),
        ("Vendor team Pune", "customer-data", "annotator"),
    )
    base = demo.orgs[0].created_at + timedelta(days=60)
    demo.writer.copy(
        "user_group_tag",
        ("id", "created_at", "group_id", "tag_id", "role"),
        [
            (
                demo.next_id("user_group_tag"),
                iso(base + timedelta(days=i)),
                demo.user_groups[g],
                demo.tags[t],
                role,
            )
            for i, (g, t, role) in enumerate(tag_access)
        ],
    )


def write_label_library(demo: Demo) -> None:
    """labels_manager_label: the organization's label library, per project label."""
    rows = []
    for p in demo.projects:
        colors = {**lc.NER_COLORS, **lc.BOX_COLORS}
        for label in p.spec.labels:
            lid = demo.next_id("labels_manager_label")
            p.label_ids[label] = lid
            created = p.created_at + timedelta(minutes=5)
            rows.append(
                (
                    lid,
                    label,
                    f"{label} in {p.spec.title}",
                    colors.get(label, p.spec.color),
                    iso(created),
                    p.org_id,
                    p.id,
                    p.created_by_id,
                    iso(created),
                    True,
                    False,
                )
            )
    for title, org in (("Needs review", 0), ("Gold standard", 0), ("Needs review", 1)):
        created = demo.orgs[org].created_at + timedelta(days=1)
        rows.append(
            (
                demo.next_id("labels_manager_label"),
                title,
                "Built-in review label",
                "#9d9d9d",
                iso(created),
                demo.orgs[org].id,
                None,
                demo.orgs[org].owner_id,
                iso(created),
                True,
                True,
            )
        )
    demo.writer.copy(
        "labels_manager_label",
        columns(
            "id title description color created_at organization_id project_id user_id updated_at "
            "is_active is_system"
        ),
        rows,
    )


def write_project_counters(demo: Demo) -> None:
    """Set project counters from what the task phase counted (same transaction)."""
    rows = []
    for p in demo.projects:
        c = p.counters
        rows.append(
            (
                c["num_tasks_with_annotations"],
                p.n_tasks,
                c["useful_annotation_number"],
                c["ground_truth_number"],
                c["skipped_annotations_number"],
                c["total_annotations_number"],
                c["total_predictions_number"],
                c["finished_task_number"],
                p.n_tasks,
                c["finished_task_number"],
                p.id,
            )
        )
    demo.writer.executemany(
        "UPDATE project SET num_tasks_with_annotations = %s, task_number = %s, "
        "useful_annotation_number = %s, ground_truth_number = %s, "
        "skipped_annotations_number = %s, total_annotations_number = %s, "
        "total_predictions_number = %s, finished_task_number = %s, queue_total = %s, "
        "queue_done = %s WHERE id = %s",
        rows,
    )


def write_summaries(demo: Demo) -> None:
    """projects_projectsummary: data columns and created labels per project."""
    rows = []
    for p in demo.projects:
        data_columns = DATA_COLUMNS[p.spec.kind]
        created_labels: dict[str, dict[str, int]] = {}
        for key, n in sorted(p.label_counts.items()):
            control, _, label = key.partition("\x1f")
            created_labels.setdefault(control, {})[label] = n
        last = p.counters["last_activity"] or p.created_at.timestamp()
        updated = datetime.fromtimestamp(last, tz=UTC)
        rows.append(
            (
                demo.next_id("projects_projectsummary"),
                iso(p.created_at),
                iso(updated),
                json.dumps({c: p.n_tasks for c in data_columns}),
                json.dumps(data_columns),
                p.id,
                json.dumps(created_labels),
                p.counters["total_annotations_number"],
            )
        )
    demo.writer.copy(
        "projects_projectsummary",
        columns(
            "id created_at updated_at all_data_columns common_data_columns project_id "
            "created_labels created_annotations"
        ),
        rows,
    )
