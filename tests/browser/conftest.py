"""Browser tests: a real JupyterLab started per test, driven by Debian's Chromium.

The recipe is /work/shared/BROWSER-TESTS.md: a function-scoped server with its own
config/data/runtime/settings dirs (a shared server leaks kernels between tests), the
test database's DSN passed to the kernel through the server's environment, Chromium
launched by Playwright from ``/usr/bin/chromium`` (``playwright install`` is never
used), and any console error or page error fails the test.

A missing Chromium or Playwright FAILS the test rather than skipping it: CI counts a
skip as a failure, and a silently skipped browser tier proves nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psycopg
import pytest

CHROMIUM_ENV = "DATABREWERY_CHROMIUM"
CHROMIUM_DEFAULT = "/usr/bin/chromium"
#: The kernel reads the test database's DSN from here (set in the server's environment).
DSN_ENV = "DBL_BROWSER_TEST_DSN"
SERVER_START_TIMEOUT_S = 60
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No DNS lookups of outside hosts: everything the tests need is on 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.integration)  # a real PostgreSQL behind the kernel
            item.add_marker(pytest.mark.slow)  # a JupyterLab per test: ~10 s


# -- the database -------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoDatabase:
    """A fresh demo database and the folder holding its shelf images."""

    conninfo: str
    media_dir: Path

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with psycopg.connect(self.conninfo) as conn, conn.cursor() as cur:
            cur.execute(sql, params or {})
            names = [d.name for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def member(self, project_title: str) -> dict[str, Any]:
        """An enabled member of the project: {id, email}, the lowest id."""
        rows = self.query(
            "SELECT u.id, u.email FROM projects_projectmember m "
            "JOIN htx_user u ON u.id = m.user_id JOIN project p ON p.id = m.project_id "
            "WHERE p.title = %(title)s AND m.enabled AND u.is_active ORDER BY u.id LIMIT 1",
            {"title": project_title},
        )
        assert rows, f"the demo has no member of {project_title!r}"
        return rows[0]


@pytest.fixture
def demo_database(make_database: Callable[..., str], tmp_path: Path) -> DemoDatabase:
    """The demo organization at the smallest scale, images written to disk: ~0.5 s."""
    from databrewery_lab.demo import build_demo

    conninfo = make_database(schema=True)
    media = tmp_path / "media"
    media.mkdir()
    build_demo(conninfo, scale=0.01, seed=1, media_dir=media, progress=False)
    return DemoDatabase(conninfo, media)


# -- JupyterLab ---------------------------------------------------------------------------
@dataclass
class JupyterLab:
    """A running JupyterLab: its base URL, token and notebook folder."""

    base_url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path
    ready: bool = False

    def write_notebook(self, name: str, *sources: str) -> str:
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(notebook, self.root / name)
        return f"{self.base_url}lab/tree/{name}?token={self.token}"

    def wait_ready(self) -> None:
        """Block until the server answers ``/api/status`` (idempotent)."""
        if not self.ready:
            _wait_for_server(self)
            self.ready = True

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_settings(settings_dir: Path) -> None:
    """No news, no update checks, and every cell kept in the DOM."""
    for plugin, values in {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }.items():
        path = settings_dir / plugin
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture
def jupyter_lab(tmp_path: Path, demo_database: DemoDatabase) -> Iterator[JupyterLab]:
    """JupyterLab on 127.0.0.1 for this test only; its kernels see the demo database.

    Yielded while it starts; ``lab.wait_ready()`` (the ``page`` fixture calls it) waits.
    """
    home = tmp_path / "jupyter"
    root = tmp_path / "notebooks"
    root.mkdir()
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "settings",
        "IPYTHONDIR": home / "ipython",
    }
    for path in dirs.values():
        path.mkdir(parents=True)
    _write_settings(dirs["JUPYTERLAB_SETTINGS_DIR"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update({k: str(v) for k, v in dirs.items()})
    env[DSN_ENV] = demo_database.conninfo
    env["LOCAL_FILES_DOCUMENT_ROOT"] = str(demo_database.media_dir)
    env.pop("DATABREWERY_DSN", None)
    port = _free_port()
    token = secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    lab = JupyterLab(f"http://127.0.0.1:{port}/", token, root, process, log)
    try:
        yield lab  # still starting: `page` launches Chromium meanwhile, then waits for it
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_for_server(lab: JupyterLab) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    request = urllib.request.Request(
        f"{lab.base_url}api/status", headers={"Authorization": f"token {lab.token}"}
    )
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {lab.process.returncode}:\n{lab.log_tail()}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT_S} s:\n{lab.log_tail()}")


# -- Chromium -----------------------------------------------------------------------------
def chromium_executable() -> str:
    """Debian's Chromium, or $DATABREWERY_CHROMIUM; a missing browser fails the test."""
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or CHROMIUM_DEFAULT
    if not Path(path).is_file():
        pytest.fail(
            f"Chromium not found at {path}: install it (apt-get install chromium) or set "
            f"${CHROMIUM_ENV}. Browser tests fail rather than skip without a browser."
        )
    return path


@dataclass
class BrowserErrors:
    """Console errors and page errors seen so far; the test fails on any."""

    messages: list[str] = field(default_factory=list)

    def check(self) -> None:
        if self.messages:
            pytest.fail("errors in the browser:\n" + "\n".join(self.messages))


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def page(tmp_path: Path, browser_errors: BrowserErrors, jupyter_lab: JupyterLab) -> Iterator[Any]:
    """A Chromium page (Playwright, persistent profile in tmp); fails on console errors.

    It depends on ``jupyter_lab`` so that the browser closes before the server stops
    (a server going away under an open page logs connection errors).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - the dev extra installs it
        pytest.fail(f"Playwright is not installed ({err}); pip install -e '.[dev]'")
    executable = chromium_executable()
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            jupyter_lab.wait_ready()
            page = context.pages[0] if context.pages else context.new_page()

            def on_console(message: Any) -> None:
                if message.type == "error":
                    browser_errors.messages.append(f"console: {message.text}")

            page.on("console", on_console)
            page.on(
                "pageerror", lambda error: browser_errors.messages.append(f"pageerror: {error}")
            )
            yield page
        finally:
            context.close()
    browser_errors.check()


# -- the notebook flow ---------------------------------------------------------------------
KERNEL_READY_JS = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const ctx = panel && panel.sessionContext;
  const kernel = ctx && ctx.session && ctx.session.kernel;
  return Boolean(ctx && ctx.isReady && kernel && kernel.connectionStatus === 'connected'
    && kernel.status === 'idle');
}"""


def open_and_run(page: Any, url: str, *, timeout_ms: int = 60_000) -> None:
    """Open a notebook, wait for a really ready kernel, run all cells."""
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel", timeout=timeout_ms)
    page.wait_for_function(KERNEL_READY_JS, timeout=timeout_ms)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def labeler_notebook(project_title: str, email: str) -> list[str]:
    """The cells a researcher would write: connect, act as a member, label."""
    return [
        "import os\n"
        "import databrewery_lab as dbl\n"
        f"brewery = dbl.connect(os.environ[{DSN_ENV!r}])\n"
        f"project = brewery.as_user({email!r}).project({project_title!r})\n"
        "labeler = project.label()\n"
        "labeler",
    ]


def dashboard_notebook(**places: Any) -> list[str]:
    """The cells a manager would write: connect, show the dashboard (opened at ``places``)."""
    args = ", ".join(f"{name}={value!r}" for name, value in places.items())
    return [
        "import os\n"
        "import databrewery_lab as dbl\n"
        f"brewery = dbl.connect(os.environ[{DSN_ENV!r}])\n"
        f"dashboard = brewery.dashboard({args})\n"
        "dashboard",
    ]
