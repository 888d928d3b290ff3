"""The manager dashboard in a real JupyterLab: clicks and keys in Chromium, numbers from PostgreSQL.

Each test writes a notebook that connects to a fresh demo database and shows
``brewery.dashboard()``, then drills down the way a manager does and compares what the
page shows with counts taken straight from the database. The widget mirrors the kernel's
state into its root (``data-level``, ``data-status``, ``data-location-id``) and each key
figure's raw number into ``data-value``; the tests wait on those, never on a sleep.
"""

from __future__ import annotations

from typing import Any

from .conftest import DemoDatabase, JupyterLab, dashboard_notebook, open_and_run

ROOT = "[data-testid='dbl-dashboard']"
FIRST_PAINT_MS = 90_000
MOVE_MS = 30_000
NORTHWIND = "Northwind Labs"
SUPPORT_OPS = "Support Ops"
TOPICS = "Ticket topic tagging"


def wait_at(page: Any, level: str, timeout: int = MOVE_MS) -> None:
    """Wait until the kernel has computed and the page shows ``level``."""
    page.wait_for_selector(
        f"{ROOT}[data-status='ready'][data-level='{level}']", state="visible", timeout=timeout
    )


def kpi(page: Any, name: str) -> str:
    return page.get_attribute(f"{ROOT} [data-testid='dbl-dashboard-kpi-{name}']", "data-value")


def count(db: DemoDatabase, sql: str, **params: Any) -> int:
    return int(next(iter(db.query(sql, params)[0].values())))


def start(page: Any, lab: JupyterLab, **places: Any) -> None:
    url = lab.write_notebook("dashboard.ipynb", *dashboard_notebook(**places))
    open_and_run(page, url)


def test_drill_down_by_mouse_and_keyboard_then_back_up(
    page: Any, jupyter_lab: JupyterLab, demo_database: DemoDatabase
) -> None:
    db = demo_database
    start(page, jupyter_lab)
    wait_at(page, "all", FIRST_PAINT_MS)
    assert kpi(page, "projects") == str(count(db, "SELECT count(*) FROM project"))
    assert kpi(page, "organizations") == str(count(db, "SELECT count(*) FROM organization"))
    orgs = page.locator(f"{ROOT} [data-testid='dbl-dashboard-table-organizations'] tbody tr")
    assert orgs.count() == count(db, "SELECT count(*) FROM organization")

    # A click anywhere on the row opens the organization.
    org_id = count(db, "SELECT id FROM organization WHERE title = %(t)s", t=NORTHWIND)
    orgs.filter(has_text=NORTHWIND).locator("td").first.click()
    wait_at(page, "organization")
    assert page.get_attribute(ROOT, "data-location-id") == str(org_id)
    projects = count(db, "SELECT count(*) FROM project WHERE organization_id = %(o)s", o=org_id)
    assert kpi(page, "projects") == str(projects)
    tasks = "SELECT count(*) FROM task t JOIN project p ON p.id = t.project_id"
    assert kpi(page, "tasks") == str(
        count(db, f"{tasks} WHERE p.organization_id = %(o)s", o=org_id)
    )
    assert page.locator(
        f"{ROOT} [data-testid='dbl-dashboard-table-projects'] tbody tr"
    ).count() == (projects)
    for chart in ("over_time", "throughput", "billing", "workforce"):
        section = page.locator(f"{ROOT} [data-testid='dbl-dashboard-chart-{chart}']")
        assert section.locator("svg").count() > 0, chart
    assert page.locator(f"{ROOT} [data-testid='dbl-dashboard-svg-members'] rect").count() > 0

    # The workspace by its name button.
    page.locator(f"{ROOT} [data-testid='dbl-dashboard-table-workspaces']").get_by_role(
        "button", name=f"Open workspace {SUPPORT_OPS}"
    ).click()
    wait_at(page, "workspace")
    space_id = count(db, "SELECT id FROM workspace WHERE title = %(t)s", t=SUPPORT_OPS)
    assert kpi(page, "projects") == str(
        count(db, "SELECT count(*) FROM project WHERE workspace_id = %(w)s", w=space_id)
    )

    # The project from the keyboard: focus its row button, press Enter.
    page.locator(f"{ROOT} [data-testid='dbl-dashboard-table-projects']").get_by_role(
        "button", name=f"Open project {TOPICS}"
    ).focus()
    page.keyboard.press("Enter")
    wait_at(page, "project")
    project_id = count(db, "SELECT id FROM project WHERE title = %(t)s", t=TOPICS)
    assert page.get_attribute(ROOT, "data-location-id") == str(project_id)
    submitted = count(
        db,
        "SELECT count(*) FROM task_completion WHERE project_id = %(p)s AND NOT was_cancelled",
        p=project_id,
    )
    assert kpi(page, "annotations") == str(submitted)
    labeled = count(
        db, "SELECT count(*) FROM task WHERE project_id = %(p)s AND is_labeled", p=project_id
    )
    assert (
        page.locator(f"{ROOT} [data-testid='dbl-dashboard-kpi-progress']")
        .inner_text()
        .find(f"{labeled} of")
        >= 0
    )
    assert page.locator(f"{ROOT} [data-testid='dbl-dashboard-svg-over_time'] rect").count() > 0
    assert page.locator(f"{ROOT} [data-testid='dbl-dashboard-svg-labels-topic'] rect").count() > 0
    alpha = page.get_attribute(
        f"{ROOT} [data-testid='dbl-dashboard-agreement-topic'] [data-metric='krippendorff_alpha']",
        "data-value",
    )
    assert -1.0 <= float(alpha) <= 1.0
    # Keyboard focus follows the move: the page heading, not the lost button.
    assert page.evaluate("() => document.activeElement?.dataset?.testid") == "dbl-dashboard-title"

    # Back up: a breadcrumb step, then Alt+↑ to the top.
    page.locator(f"{ROOT} [data-testid='dbl-dashboard-crumb-organization']").click()
    wait_at(page, "organization")
    assert page.get_attribute(ROOT, "data-location-id") == str(org_id)
    page.locator(f"{ROOT} [data-testid='dbl-dashboard-title']").focus()
    page.keyboard.press("Alt+ArrowUp")
    wait_at(page, "all")
    crumbs = page.locator(f"{ROOT} .dbl-dashboard-crumb")
    assert crumbs.count() == 1


def test_period_filter_and_a_refused_period(
    page: Any, jupyter_lab: JupyterLab, demo_database: DemoDatabase
) -> None:
    db = demo_database
    start(page, jupyter_lab, project=TOPICS)
    wait_at(page, "project", FIRST_PAINT_MS)
    project_id = count(db, "SELECT id FROM project WHERE title = %(t)s", t=TOPICS)
    first, last = db.query(
        "SELECT min(created_at)::date::text AS first, max(created_at)::date::text AS last "
        "FROM task_completion WHERE project_id = %(p)s",
        {"p": project_id},
    )[0].values()
    since = first  # from the first day of work up to (excluding) the last one
    until = db.query("SELECT (%(d)s::date - 1)::text AS d", {"d": last})[0]["d"]
    expected = count(
        db,
        "SELECT count(*) FROM task_completion WHERE project_id = %(p)s AND NOT was_cancelled "
        "AND created_at >= %(s)s::date AND created_at < %(u)s::date + 1",
        p=project_id,
        s=since,
        u=until,
    )

    page.fill(f"{ROOT} [data-testid='dbl-dashboard-since']", since)
    page.fill(f"{ROOT} [data-testid='dbl-dashboard-until']", until)
    page.click(f"{ROOT} [data-testid='dbl-dashboard-apply']")
    page.wait_for_selector(
        f"{ROOT}[data-status='ready'][data-period='{since} – {until}']", timeout=MOVE_MS
    )
    assert kpi(page, "annotations") == str(expected)

    # A range that ends before it starts: the kernel refuses, the page says why.
    page.fill(f"{ROOT} [data-testid='dbl-dashboard-since']", until)
    page.fill(f"{ROOT} [data-testid='dbl-dashboard-until']", since)
    page.click(f"{ROOT} [data-testid='dbl-dashboard-apply']")
    banner = page.locator(f"{ROOT} [data-testid='dbl-dashboard-error']")
    banner.wait_for(state="visible", timeout=MOVE_MS)
    assert "swap them" in banner.inner_text()
    assert page.get_attribute(ROOT, "data-period") == f"{since} – {until}"  # the page stays
    assert kpi(page, "annotations") == str(expected)

    page.click(f"{ROOT} [data-testid='dbl-dashboard-all-time']")
    page.wait_for_selector(f"{ROOT}[data-status='ready'][data-period='all time']", timeout=MOVE_MS)
    assert banner.is_hidden()
    all_time = count(
        db,
        "SELECT count(*) FROM task_completion WHERE project_id = %(p)s AND NOT was_cancelled",
        p=project_id,
    )
    assert kpi(page, "annotations") == str(all_time)
