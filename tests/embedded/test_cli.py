"""The databrewery-lab command end to end, as a user runs it, on a throwaway data dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from databrewery_lab.demo_command import demo_lock
from databrewery_lab.embedded import EmbeddedPostgres


def cli(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABREWERY_HOME": str(home)}
    env.pop("DATABREWERY_DSN", None)
    return subprocess.run(
        [sys.executable, "-m", "databrewery_lab", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_db_start_status_url_psql_stop(tmp_path: Path) -> None:
    assert "stopped" in cli(tmp_path, "db", "status").stdout
    url = cli(tmp_path, "db", "url")
    assert url.returncode == 1 and "not running" in url.stderr
    started = cli(tmp_path, "db", "start")
    assert started.returncode == 0, started.stderr
    try:
        assert "running" in cli(tmp_path, "db", "status").stdout
        printed = cli(tmp_path, "db", "url").stdout.strip()
        assert printed.startswith("postgresql://postgres@/databrewery?host=")
        psql = cli(tmp_path, "db", "psql", "--", "-At", "-c", "select count(*) from project")
        assert psql.returncode == 0, psql.stderr
        assert psql.stdout.strip() == "0"
    finally:
        stopped = cli(tmp_path, "db", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not EmbeddedPostgres(tmp_path).is_running()


def test_init_with_a_dsn_creates_the_schema(
    tmp_path: Path, make_database: Callable[..., str]
) -> None:
    conninfo = make_database(schema=False)
    result = cli(tmp_path, "init", "--dsn", conninfo)
    assert result.returncode == 0, result.stderr
    assert "created 96 Databrewery tables" in result.stdout
    again = cli(tmp_path, "init", "--dsn", conninfo)
    assert "created 0 Databrewery tables, 96 were already present" in again.stdout


def test_init_with_an_unreachable_dsn_fails_clearly(tmp_path: Path) -> None:
    result = cli(tmp_path, "init", "--dsn", "postgresql://x@127.0.0.1:1/nowhere")
    assert result.returncode == 1
    assert result.stderr.startswith("databrewery-lab: error: Could not connect to database")
    assert "Traceback" not in result.stderr


def test_demo_builds_once_and_refuses_a_concurrent_build(tmp_path: Path) -> None:
    with demo_lock(tmp_path):
        busy = cli(tmp_path, "demo", "--no-lab", "--scale", "0.05")
    assert busy.returncode == 1
    assert "Another `databrewery-lab demo` (pid" in busy.stderr

    built = cli(tmp_path, "demo", "--no-lab", "--scale", "0.05")
    assert built.returncode == 0, built.stderr
    again = cli(tmp_path, "demo", "--no-lab", "--scale", "0.05")
    assert "already built" in again.stdout
    assert not EmbeddedPostgres(tmp_path).is_running(), "the CLI lets go of the server"

    server = EmbeddedPostgres(tmp_path).acquire()
    try:
        with psycopg.connect(server.conninfo()) as conn:
            tasks_before = conn.execute("SELECT count(*) FROM task").fetchone()[0]
        assert tasks_before > 0
    finally:
        server.release()
    rebuilt = cli(tmp_path, "demo", "--no-lab", "--scale", "0.05", "--reset", "--seed", "3")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "already built" not in rebuilt.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_demo_opens_jupyterlab_and_a_stop_signal_stops_everything(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABREWERY_HOME": str(tmp_path),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jcfg"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jrt"),
        "JUPYTER_DATA_DIR": str(tmp_path / "jdata"),
    }
    env.pop("DATABREWERY_DSN", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "databrewery_lab",
            "demo",
            "--scale",
            "0.05",
            "--port",
            str(port),
            "--no-browser",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
            except urllib.error.HTTPError:
                break  # JupyterLab answered (403 without a token): it is up
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "JupyterLab did not come up"
                time.sleep(0.5)
                continue
            break
        assert (tmp_path / "notebooks" / "quickstart.ipynb").exists()
        assert EmbeddedPostgres(tmp_path).is_running()
        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "opening JupyterLab" in output
    assert not EmbeddedPostgres(tmp_path).is_running()
