"""Organizations, users and everything that authenticates or authorises them.

Two organizations: "Northwind Labs" (the main one, staff plus a vendor workforce
that grows slowly with ``scale``) and the small "Bluefin Analytics" pilot. Roles
live in ``organizations_organizationmember.role`` as words (owner, administrator,
manager, reviewer, annotator); ``role_type`` says "internal" or "vendor".
Credentials come from :mod:`fake_credentials`, so they are fixed and fake.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

from databrewery_lab.demo import fake_credentials as fake
from databrewery_lab.demo.copy import columns
from databrewery_lab.demo.rng import ANCHOR, WINDOW_START, iso, streams
from databrewery_lab.demo.state import Demo, Org, User

MAIN_ORG = "Northwind Labs"
SECOND_ORG = "Bluefin Analytics"
MAIN_DOMAIN = "northwind-labs.example"
SECOND_DOMAIN = "bluefin-analytics.example"
VENDOR_DOMAIN = "vendor-mail.example"

FIRST = (
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Farah",
    "Gabriel",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Mohammed",
    "Nia",
    "Oscar",
    "Pooja",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
    "Arjun",
    "Bianca",
    "Carlos",
    "Divya",
    "Eli",
    "Fatou",
    "Gita",
    "Hugo",
    "Isha",
    "Jonas",
    "Kavya",
    "Liam",
    "Meera",
    "Nikhil",
    "Olu",
    "Paulo",
    "Riya",
    "Sneha",
    "Tomas",
    "Vikram",
    "Yara",
    "Zoe",
    "Anika",
    "Rohan",
    "Ishaan",
    "Neha",
    "Aditya",
)
LAST = (
    "Patel",
    "Nguyen",
    "Garcia",
    "Smith",
    "Okoye",
    "Sharma",
    "Muller",
    "Silva",
    "Chen",
    "Ali",
    "Kumar",
    "Johnson",
    "Rossi",
    "Haddad",
    "Kowalczyk",
    "Ito",
    "Mensah",
    "Reddy",
    "Brown",
    "Costa",
    "Singh",
    "Larsen",
    "Das",
    "Ahmed",
    "Fischer",
    "Joshi",
    "Moreno",
    "Park",
    "Iyer",
    "Banerjee",
    "Nair",
    "Desai",
    "Kapoor",
    "Mehta",
    "Lopez",
    "Novak",
    "Evans",
    "Kaur",
)

#: (tz name, UTC offset in hours during Aug–Sep): where the demo workforce works from.
STAFF_ZONES = (("Europe/London", 1.0), ("Europe/Berlin", 2.0), ("America/New_York", -4.0))
VENDOR_ZONES = (("Asia/Kolkata", 5.5), ("Asia/Kolkata", 5.5), ("Asia/Manila", 8.0))

#: (app_label, model) for every content type the demo's admin log and permissions use.
CONTENT_TYPES = (
    ("admin", "logentry"),
    ("auth", "group"),
    ("auth", "permission"),
    ("contenttypes", "contenttype"),
    ("authtoken", "token"),
    ("users", "user"),
    ("users", "userprofile"),
    ("organizations", "organization"),
    ("organizations", "organizationmember"),
    ("workspaces", "workspace"),
    ("projects", "project"),
    ("projects", "projectmember"),
    ("projects", "projectimport"),
    ("tasks", "task"),
    ("tasks", "annotation"),
    ("tasks", "prediction"),
    ("tasks", "annotationdraft"),
    ("tasks", "tasklock"),
    ("tasks", "notes"),
    ("data_manager", "view"),
    ("data_manager", "filter"),
    ("data_export", "export"),
    ("data_import", "fileupload"),
    ("ml", "mlbackend"),
    ("ml_models", "modelinterface"),
    ("io_storages", "s3importstorage"),
    ("io_storages", "localfilesimportstorage"),
    ("labels_manager", "label"),
    ("webhooks", "webhook"),
    ("core", "asyncmigrationstatus"),
)
VERBOSE = {
    "logentry": "log entry",
    "contenttype": "content type",
    "userprofile": "user profile",
    "organizationmember": "organization member",
    "projectmember": "project member",
    "projectimport": "project import",
    "annotationdraft": "annotation draft",
    "tasklock": "task lock",
    "fileupload": "file upload",
    "mlbackend": "ML backend",
    "modelinterface": "model interface",
    "s3importstorage": "S3 import storage",
    "localfilesimportstorage": "local files import storage",
    "asyncmigrationstatus": "async migration status",
    "notes": "comment",
}
ACTIONS = ("add", "change", "delete", "view")

#: Django auth groups and the permissions each grants.
GROUP_PERMISSIONS = {
    "Annotators": (
        "view_project",
        "view_task",
        "add_annotation",
        "change_annotation",
        "view_annotation",
        "add_annotationdraft",
        "change_annotationdraft",
        "view_prediction",
        "add_notes",
        "view_notes",
    ),
    "Reviewers": (
        "view_project",
        "view_task",
        "view_annotation",
        "change_annotation",
        "view_prediction",
        "add_notes",
        "change_notes",
        "view_notes",
        "view_view",
        "view_export",
    ),
    "Managers": (
        "view_project",
        "change_project",
        "add_task",
        "change_task",
        "delete_task",
        "view_task",
        "view_annotation",
        "delete_annotation",
        "add_view",
        "change_view",
        "view_view",
        "add_export",
        "view_export",
        "add_fileupload",
        "view_mlbackend",
        "add_projectmember",
        "change_projectmember",
    ),
    "Administrators": "*",
}
ROLE_GROUP = {
    "owner": "Administrators",
    "administrator": "Administrators",
    "manager": "Managers",
    "reviewer": "Reviewers",
    "annotator": "Annotators",
}
JOB_TITLES = {
    "owner": "Head of Data",
    "administrator": "Platform administrator",
    "manager": "Annotation project manager",
    "reviewer": "Quality reviewer",
    "annotator": "Data annotator",
}

SECOND_ORG_USERS = 4  # owner + 3 annotators
FORMER_MEMBERS = 1  # a main-org annotator who left (soft-deleted membership)


def user_count(scale: float) -> int:
    """Users grow like sqrt(scale): ~30 at scale 1, a few hundred at scale 100."""
    return max(26, round(30 * math.sqrt(max(scale, 0.0))))


def _main_roles(n: int) -> list[str]:
    managers, reviewers = 2 + n // 40, 3 + n // 25
    admins = 2 + n // 150
    staff = ["owner"] + ["administrator"] * admins + ["manager"] * managers
    staff += ["reviewer"] * reviewers
    return staff + ["annotator"] * (n - len(staff))


def create_people(demo: Demo) -> None:
    """Decide who exists (no rows yet): names, roles, traits, join dates."""
    rnd, gen = streams(demo.seed, "people")
    main_created = ANCHOR - timedelta(days=213)
    second_created = ANCHOR - timedelta(days=73)
    demo.orgs = [
        Org(1, MAIN_ORG, main_created),
        Org(2, SECOND_ORG, second_created),
    ]
    n_main = user_count(demo.scale) - SECOND_ORG_USERS
    roles = [(0, r) for r in _main_roles(n_main)]
    roles += [(1, "owner")] + [(1, "annotator")] * (SECOND_ORG_USERS - 1)
    taken: set[str] = set()
    vendor_seen = 0
    main_annotators = sum(1 for o, r in roles if o == 0 and r == "annotator")
    vendors_wanted = max(fake.N_BANK_ACCOUNTS, round(main_annotators * 0.6))
    for uid, (org, role) in enumerate(roles, start=1):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        base = f"{first}.{last}".lower()
        username, k = base, 1
        while username in taken:
            k += 1
            username = f"{base}{k}"
        taken.add(username)
        vendor = org == 0 and role == "annotator" and vendor_seen < vendors_wanted
        bank_index = None
        if vendor:
            if vendor_seen < fake.N_BANK_ACCOUNTS:
                bank_index = vendor_seen
            vendor_seen += 1
        domain = VENDOR_DOMAIN if vendor else (MAIN_DOMAIN if org == 0 else SECOND_DOMAIN)
        tz_name, tz_offset = rnd.choice(VENDOR_ZONES if vendor else STAFF_ZONES)
        created = demo.orgs[org].created_at
        if role == "owner":
            joined = created
        else:
            latest = WINDOW_START - timedelta(days=2) if org == 0 else created + timedelta(days=9)
            span = (latest - created).total_seconds() - 7 * 86400
            joined = created + timedelta(days=7, seconds=round(rnd.random() * span))
        accuracy = float(min(0.98, max(0.5, gen.beta(12, 2))))
        if role == "annotator" and uid % 11 == 7:  # a careless annotator or two
            accuracy = float(gen.uniform(0.45, 0.6))
        demo.users.append(
            User(
                id=uid,
                org=org,
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@{domain}",
                role=role,
                role_type="vendor" if vendor else "internal",
                tz_name=tz_name,
                tz_offset_h=tz_offset,
                date_joined=joined.replace(microsecond=0),
                accuracy=accuracy,
                speed=float(gen.lognormal(0.0, 0.35)),
                activity=float(gen.lognormal(0.0, 0.7)),
                bank_index=bank_index,
            )
        )
    demo.invitation_uuids = [fake.invitation_token(i) for i in range(fake.N_INVITATIONS)]
    demo.orgs[0].owner_id = demo.users_of(0, "owner")[0].id
    demo.orgs[1].owner_id = demo.users_of(1, "owner")[0].id
    # One former annotator: soft-deleted membership, inactive, no work in the window.
    former = demo.users_of(0, "annotator")[-1]
    former.activity = 0.0


def former_member(demo: Demo) -> User:
    """The main-org annotator whose membership was soft-deleted."""
    return demo.users_of(0, "annotator")[-1]


def write_auth_catalog(demo: Demo) -> None:
    """django_content_type, auth_permission, auth_group, auth_group_permissions."""
    w = demo.writer
    ct_rows = []
    perm_rows = []
    for app, model in CONTENT_TYPES:
        ct_id = demo.next_id("django_content_type")
        demo.content_types[f"{app}.{model}"] = ct_id
        ct_rows.append((ct_id, app, model))
        for action in ACTIONS:
            codename = f"{action}_{model}"
            pid = demo.next_id("auth_permission")
            demo.permissions[codename] = pid
            perm_rows.append((pid, f"Can {action} {VERBOSE.get(model, model)}", ct_id, codename))
    w.copy("django_content_type", ("id", "app_label", "model"), ct_rows)
    w.copy("auth_permission", ("id", "name", "content_type_id", "codename"), perm_rows)
    group_rows, gp_rows = [], []
    for gid, (name, codenames) in enumerate(GROUP_PERMISSIONS.items(), start=1):
        demo.ids("auth_group", 1)
        group_rows.append((gid, name))
        chosen = list(demo.permissions) if codenames == "*" else list(codenames)
        for codename in chosen:
            gp_rows.append(
                (demo.next_id("auth_group_permissions"), gid, demo.permissions[codename])
            )
    w.copy("auth_group", ("id", "name"), group_rows)
    w.copy("auth_group_permissions", ("id", "group_id", "permission_id"), gp_rows)


def write_users(demo: Demo) -> None:
    """htx_user (active organization filled in once organizations exist) and profiles."""
    rnd, _ = streams(demo.seed, "users")
    w = demo.writer
    former = former_member(demo)
    rows = []
    profiles = []
    for u in demo.users:
        demo.ids("htx_user", 1)
        recent = u.role == "annotator" and u is not former
        last_login = ANCHOR - timedelta(
            seconds=round(rnd.uniform(600, 3 * 86400) if recent else rnd.uniform(3600, 9 * 86400))
        )
        if u is former:
            last_login = WINDOW_START - timedelta(days=12, seconds=rnd.randint(0, 86400))
        u.last_login = last_login
        streak = 0 if u is former else rnd.randint(1, 25)
        data = {
            "first_name": u.first_name,
            "last_name": u.last_name,
            "timezone": u.tz_name,
            "ui": {"theme": rnd.choice(("light", "dark", "auto")), "hotkeys": True},
            "onboarding_completed": True,
        }
        phone = f"+1 555 01{u.id % 100:02d}" if rnd.random() < 0.6 else None
        avatar = f"avatars/{u.username}.png" if rnd.random() < 0.5 else None
        created_by = None if u.role == "owner" else demo.orgs[u.org].owner_id
        rows.append(
            (
                u.id,
                u.username,
                u.email,
                fake.password_hash(u.id % fake.N_PASSWORD_HASHES),
                iso(last_login),
                u.role == "owner" and u.org == 0,
                u.role in ("owner", "administrator"),
                u is not former,
                iso(u.date_joined),
                avatar,
                phone,
                rnd.random() < 0.3,
                None,  # active_organization_id: set after organizations are written
                iso(last_login),
                "personal" if u.role_type == "vendor" else "business",
                streak,
                (last_login - timedelta(days=streak)).date().isoformat(),
                json.dumps(data),
                created_by,
            )
        )
        profiles.append(
            (
                demo.next_id("users_userprofile"),
                f"{JOB_TITLES[u.role]} at {demo.orgs[u.org].title}.",
                f"profile_images/{u.username}.jpg" if avatar else None,
                rnd.choice(("female", "male", "non-binary", "prefer not to say")),
                "prefer not to say",
                {"Asia/Kolkata": "India", "Asia/Manila": "Philippines"}.get(
                    u.tz_name, rnd.choice(("United Kingdom", "Germany", "United States"))
                ),
                u.id,
                "Demo Vendor Services" if u.role_type == "vendor" else demo.orgs[u.org].title,
                JOB_TITLES[u.role],
            )
        )
    w.copy(
        "htx_user",
        columns(
            "id username email password last_login is_superuser is_staff is_active date_joined "
            "avatar phone allow_newsletters active_organization_id last_activity email_user_type "
            "consecutive_login_days consecutive_login_start data created_by_id"
        ),
        rows,
    )
    w.copy(
        "users_userprofile",
        columns(
            "id bio profile_image gender ethnicity country_of_origin user_id company_name role"
        ),
        profiles,
    )


def write_organizations(demo: Demo) -> None:
    """organization, then point every user's active organization at their home one."""
    w = demo.writer
    rows = []
    contacts = (
        {"email": f"ops@{MAIN_DOMAIN}", "phone": "+1 555 0100", "city": "Seattle"},
        {"email": f"hello@{SECOND_DOMAIN}", "phone": "+44 7700 900123", "city": "Bristol"},
    )
    for i, org in enumerate(demo.orgs):
        demo.ids("organization", 1)
        updated = org.created_at + timedelta(days=30 + 11 * i)
        rows.append(
            (
                org.id,
                iso(org.created_at),
                iso(updated),
                org.title,
                json.dumps(contacts[i]),
                org.owner_id,
                fake.organization_token(i),
            )
        )
    w.copy(
        "organization",
        ("id", "created_at", "updated_at", "title", "contact_info", "created_by_id", "token"),
        rows,
    )
    w.executemany(
        "UPDATE htx_user SET active_organization_id = %s WHERE id = %s",
        [(demo.orgs[u.org].id, u.id) for u in demo.users],
    )


def write_memberships(demo: Demo) -> None:
    """organizations_organizationmember, django groups/permissions per user."""
    rnd, _ = streams(demo.seed, "memberships")
    w = demo.writer
    former = former_member(demo)
    rows = []
    for u in demo.users:
        deleted = iso(WINDOW_START - timedelta(days=10)) if u is former else None
        rows.append(
            (
                demo.next_id("organizations_organizationmember"),
                iso(u.date_joined),
                iso(u.date_joined + timedelta(hours=rnd.randint(1, 400))),
                deleted,
                demo.orgs[u.org].id,
                u.id,
                u.role,
                u.role_type,
            )
        )
    # The main owner also administers the pilot organization.
    owner = demo.owner
    joined = demo.orgs[1].created_at + timedelta(days=1)
    rows.append(
        (
            demo.next_id("organizations_organizationmember"),
            iso(joined),
            iso(joined),
            None,
            demo.orgs[1].id,
            owner.id,
            "administrator",
            "internal",
        )
    )
    w.copy(
        "organizations_organizationmember",
        columns("id created_at updated_at deleted_at organization_id user_id role role_type"),
        rows,
    )
    group_ids = {name: i for i, name in enumerate(GROUP_PERMISSIONS, start=1)}
    w.copy(
        "htx_user_groups",
        ("id", "user_id", "group_id"),
        [
            (demo.next_id("htx_user_groups"), u.id, group_ids[ROLE_GROUP[u.role]])
            for u in demo.users
        ],
    )
    direct = []
    for u in demo.users_of(0, "manager"):
        direct += [(u.id, "change_mlbackend"), (u.id, "add_export")]
    for u in demo.users_of(0, "reviewer")[:2]:
        direct.append((u.id, "add_export"))
    for u in demo.users_of(0, "annotator")[:3]:
        direct.append((u.id, "view_export"))
    w.copy(
        "htx_user_user_permissions",
        ("id", "user_id", "permission_id"),
        [
            (demo.next_id("htx_user_user_permissions"), uid, demo.permissions[c])
            for uid, c in direct
        ],
    )


def write_credentials(demo: Demo) -> None:
    """authtoken_token, users_magiclink, users_userbankdetails (all fake)."""
    rnd, _ = streams(demo.seed, "credentials")
    w = demo.writer
    main = demo.users_of(0)
    tokens = [
        (fake.api_token(i), iso(u.date_joined + timedelta(hours=1 + i)), u.id)
        for i, u in enumerate(main[: fake.N_API_TOKENS])
    ]
    w.copy("authtoken_token", ("key", "created", "user_id"), tokens)
    annotators = demo.users_of(0, "annotator")
    holders = [annotators[0], annotators[1], annotators[2], annotators[2], annotators[3]]
    holders.append(demo.users_of(0, "reviewer")[0])
    links = [
        (fake.magic_link_token(i), iso(ANCHOR - timedelta(days=2 + 9 * i, minutes=17 * i)), u.id)
        for i, u in enumerate(holders[: fake.N_MAGIC_LINKS])
    ]
    w.copy("users_magiclink", ("token", "created_at", "user_id"), links)
    bank_rows = []
    for u in demo.users:
        if u.bank_index is None:
            continue
        details = fake.bank_details(u.bank_index)
        created = u.date_joined + timedelta(days=rnd.randint(1, 5))
        bank_rows.append(
            (
                demo.next_id("users_userbankdetails"),
                details["account_holder_name"],
                details["bank_name"],
                details["account_number"],
                details["ifsc_code"],
                details["branch_name"],
                details["upi_id"],
                iso(created),
                iso(created + timedelta(days=rnd.randint(0, 60))),
                u.id,
                details["pancard_number"],
                details["address"],
            )
        )
    w.copy(
        "users_userbankdetails",
        columns(
            "id account_holder_name bank_name account_number ifsc_code branch_name upi_id "
            "created_at updated_at user_id pancard_number address"
        ),
        bank_rows,
    )


def write_teams(demo: Demo) -> None:
    """user_group (teams) and user_group_membership; remembers members per team."""
    rnd, gen = streams(demo.seed, "teams")
    w = demo.writer
    former = former_member(demo)
    annotators = [u for u in demo.users_of(0, "annotator") if u is not former]
    internal = [u for u in annotators if u.role_type == "internal"]
    vendors = [u for u in annotators if u.role_type == "vendor"]
    n_vision = max(4, round(len(annotators) * 0.4))
    vision = sorted(rnd.sample(annotators, n_vision), key=lambda u: u.id)
    managers = demo.users_of(0, "manager")
    teams = [
        (
            0,
            "QA reviewers",
            "Reviewers and the managers who calibrate them.",
            demo.users_of(0, "reviewer"),
            managers[0],
        ),
        (0, "In-house linguists", "Internal annotators for text projects.", internal, managers[0]),
        (
            0,
            "Vendor team Pune",
            "Contracted annotation workforce (demo vendor).",
            vendors,
            managers[-1],
        ),
        (
            0,
            "Vision squad",
            "Annotators trained on the shelf-detection guidelines.",
            vision,
            managers[-1],
        ),
        (1, "Pilot crew", "Everyone working on the Bluefin pilot.", demo.users_of(1), None),
    ]
    group_rows, member_rows = [], []
    for org, title, description, members, lead in teams:
        gid = demo.next_id("user_group")
        owner_id = demo.orgs[org].owner_id
        created = demo.orgs[org].created_at + timedelta(days=3 + gid)
        demo.user_groups[title] = gid
        demo.team_members[title] = [u.id for u in members]
        group_rows.append(
            (
                gid,
                title,
                description,
                iso(created),
                iso(created + timedelta(days=20)),
                owner_id,
                demo.orgs[org].id,
            )
        )
        everyone = list(members) + ([lead] if lead is not None and lead not in members else [])
        for u in everyone:
            invited = max(created, u.date_joined) + timedelta(hours=rnd.randint(1, 72))
            link = fake.invitation_link(fake.TEAM_INVITATIONS[gid - 1])
            member_rows.append(
                (
                    demo.next_id("user_group_membership"),
                    iso(invited + timedelta(hours=2)),
                    iso(invited + timedelta(days=int(gen.integers(0, 40)))),
                    owner_id,
                    gid,
                    u.id,
                    "lead" if u is lead else "member",
                    u.role_type,
                    "personal" if u.role_type == "vendor" else "business",
                    link,
                    iso(invited),
                )
            )
    w.copy(
        "user_group",
        columns("id title description created_at updated_at created_by_id organization_id"),
        group_rows,
    )
    w.copy(
        "user_group_membership",
        columns(
            "id created_at updated_at created_by_id group_id user_id role role_type "
            "email_user_type invitation_link invited_at"
        ),
        member_rows,
    )


def finish_users(demo: Demo) -> None:
    """Once annotations exist: last_activity and user_profile_newuserprofile."""
    rnd, _ = streams(demo.seed, "user-activity")
    w = demo.writer
    updates = []
    rows = []
    for u in demo.users:
        total, count, last = demo.work[u.id]
        if count:
            seen = max(last + rnd.randint(30, 900), (u.last_login or ANCHOR).timestamp())
            updates.append((iso(min(seen, ANCHOR.timestamp() - 1)), u.id))
        created = u.date_joined + timedelta(minutes=5)
        synced = datetime.fromtimestamp(last, tz=ANCHOR.tzinfo) if count else created
        data = {
            "annotations_count": int(count),
            "avg_lead_time_s": round(total / count, 2) if count else None,
            "onboarding": {"finished": True, "steps_done": 4},
        }
        rows.append(
            (
                demo.next_id("user_profile_newuserprofile"),
                json.dumps(data),
                iso(created),
                iso(max(synced, created)),
                u.id,
                round(total, 3),
                iso(max(synced, created)),
            )
        )
    w.executemany("UPDATE htx_user SET last_activity = %s WHERE id = %s", updates)
    w.copy(
        "user_profile_newuserprofile",
        columns("id data created_at updated_at user_id annotations_time_spent last_sync_count"),
        rows,
    )
