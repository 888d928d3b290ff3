"""What the build phases share: the people, places and projects already written.

Phases run in dependency order (users before projects before tasks ...). Each one
reads the ids its foreign keys need from :class:`Demo` and records what later
phases will need. Ids are assigned here, deterministically, never by sequences.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from databrewery_lab.demo.copy import RowWriter

if TYPE_CHECKING:
    from databrewery_lab.demo.projects import ProjectSpec

ROLES = ("owner", "administrator", "manager", "reviewer", "annotator")


@dataclass
class User:
    """A person in the demo, with the traits that drive their simulated work."""

    id: int
    org: int  # index into Demo.orgs of their home organization
    username: str
    first_name: str
    last_name: str
    email: str
    role: str  # one of ROLES
    role_type: str  # "internal" staff or "vendor" workforce
    tz_name: str
    tz_offset_h: float
    date_joined: datetime
    accuracy: float  # probability of agreeing with the hidden truth on an easy item
    speed: float  # multiplier on a project's median lead time (higher = slower)
    activity: float  # relative share of the work they pick up
    #: Index among paid vendor annotators (bank details), or None.
    bank_index: int | None = None
    last_login: datetime | None = None


@dataclass
class Org:
    id: int
    title: str
    created_at: datetime
    owner_id: int = 0


@dataclass
class Workspace:
    id: int
    key: str
    org: int
    title: str
    created_at: datetime
    created_by_id: int


@dataclass
class Batch:
    """Tasks that arrived together: a file upload or a cloud-storage sync."""

    first: int  # index (0-based) of the first task of the batch within the project
    count: int
    created_at: datetime
    file_upload_id: int | None
    import_id: int | None
    source: str  # "upload" or the storage provider ("s3", "gcs", ...)


@dataclass
class ProjectState:
    """A written project: its spec plus everything the task phase needs."""

    spec: ProjectSpec
    id: int
    org_id: int
    workspace_id: int
    created_at: datetime
    created_by_id: int
    n_tasks: int
    annotator_ids: list[int] = field(default_factory=list)
    reviewer_ids: list[int] = field(default_factory=list)
    manager_ids: list[int] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)
    first_task_id: int = 0
    ml_backend_id: int | None = None
    model_interface_id: int | None = None
    #: provider -> import storage id, for storage links of tasks that came from it.
    import_storage: dict[str, int] = field(default_factory=dict)
    storage_paths: dict[str, str] = field(default_factory=dict)
    #: labels_manager_label id per label value.
    label_ids: dict[str, int] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    label_counts: Counter[str] = field(default_factory=Counter)
    #: Month "YYYY-MM" -> tasks created that month (for embedding billing).
    tasks_per_month: Counter[str] = field(default_factory=Counter)


@dataclass
class Demo:
    """Everything a phase may need: settings, the writer, and what was written."""

    seed: int
    scale: float
    media_dir: Path | None
    writer: RowWriter
    users: list[User] = field(default_factory=list)
    orgs: list[Org] = field(default_factory=list)
    workspaces: list[Workspace] = field(default_factory=list)
    projects: list[ProjectState] = field(default_factory=list)
    content_types: dict[str, int] = field(default_factory=dict)  # "app.model" -> id
    permissions: dict[str, int] = field(default_factory=dict)  # codename -> id
    user_groups: dict[str, int] = field(default_factory=dict)  # team title -> user_group id
    team_members: dict[str, list[int]] = field(default_factory=dict)  # team title -> user ids
    tags: dict[str, int] = field(default_factory=dict)  # projects_tag title -> id
    flags: dict[str, int] = field(default_factory=dict)  # tasks_flag title -> id
    invitation_uuids: list[str] = field(default_factory=list)
    #: Per user: (sum of lead_time, annotation count, last annotation epoch seconds).
    work: dict[int, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0, 0.0]))
    _next: Counter[str] = field(default_factory=Counter)

    def ids(self, table: str, n: int) -> range:
        """Reserve ``n`` consecutive ids of ``table`` (starting at 1)."""
        start = self._next[table] + 1
        self._next[table] += n
        return range(start, start + n)

    def next_id(self, table: str) -> int:
        return self.ids(table, 1)[0]

    def users_of(self, org: int, *roles: str) -> list[User]:
        return [u for u in self.users if u.org == org and (not roles or u.role in roles)]

    @property
    def owner(self) -> User:
        return self.users_of(0, "owner")[0]
