"""The embedded PostgreSQL's lifecycle across processes: holders, stale holders, pinning."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from databrewery_lab.embedded import EmbeddedPostgres
from databrewery_lab.errors import EmbeddedServerError

FAST = {"fsync": "off", "synchronous_commit": "off"}
REPO = Path(__file__).resolve().parents[2]


def _python(code: str, home: Path, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABREWERY_HOME": str(home), "PYTHONPATH": str(REPO)}
    env.pop("DATABREWERY_DSN", None)
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_acquire_starts_release_stops(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path, settings=FAST)
    assert not server.is_running()
    server.acquire()
    try:
        assert server.is_running()
        with psycopg.connect(server.conninfo("postgres")) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert server.status().holders == (os.getpid(),)
    finally:
        server.release()
    assert not server.is_running()


def test_holds_are_counted_per_process_not_per_instance(tmp_path: Path) -> None:
    first = EmbeddedPostgres(tmp_path, settings=FAST).acquire()
    second = EmbeddedPostgres(tmp_path, settings=FAST).acquire()
    second.release()
    assert first.is_running(), "one instance's release must not stop another's server"
    first.release()
    assert not first.is_running()


def test_a_killed_holder_does_not_keep_the_server_alive(tmp_path: Path) -> None:
    holder = _python(
        """
        import sys, time
        from databrewery_lab.embedded import EmbeddedPostgres
        from pathlib import Path
        import os
        EmbeddedPostgres(Path(os.environ["DATABREWERY_HOME"])).acquire()
        print("held", flush=True)
        time.sleep(600)
        """,
        tmp_path,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    server = EmbeddedPostgres(tmp_path)
    assert server.is_running()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert server.is_running(), "nobody stopped it yet: the holder died without cleanup"
    assert server.status().holders == (), "the dead holder is pruned"
    server.acquire()
    server.release()
    assert not server.is_running(), "the last live holder stops it despite the stale entry"


def test_several_processes_share_one_server(tmp_path: Path) -> None:
    code = """
        import databrewery_lab as dbl
        with dbl.connect() as brewery:
            assert len(brewery.schema.missing_databrewery_tables()) == 0
            print(brewery.query("SELECT count(*) AS n FROM project")["n"][0])
        """
    workers = [_python(code, tmp_path) for _ in range(4)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert out.strip() == "0"
    assert not EmbeddedPostgres(tmp_path).is_running(), "the last one out stops it"


def test_pinned_server_outlives_its_holders_until_stopped(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path, settings=FAST)
    server.start(pin=True)
    server.acquire()
    server.release()
    assert server.is_running()
    assert server.status().pinned
    server.stop()
    assert not server.is_running()
    assert not server.status().pinned


def test_stop_refuses_while_another_process_uses_it(tmp_path: Path) -> None:
    holder = _python(
        """
        import os, time
        from pathlib import Path
        from databrewery_lab.embedded import EmbeddedPostgres
        EmbeddedPostgres(Path(os.environ["DATABREWERY_HOME"])).acquire()
        print("held", flush=True)
        time.sleep(600)
        """,
        tmp_path,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        server = EmbeddedPostgres(tmp_path)
        with pytest.raises(EmbeddedServerError, match=rf"in use by process\(es\) {holder.pid}"):
            server.stop()
        assert server.is_running()
        assert server.stop(force=True) == (holder.pid,)
        assert not server.is_running()
    finally:
        holder.kill()
        holder.wait()


def test_a_server_killed_hard_is_started_again(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path, settings=FAST).acquire()
    try:
        pid = server.postmaster_pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        _wait_for(lambda: not server.is_running())
        # A fresh process finds the stale postmaster.pid and starts a new server.
        other = _python(
            """
            import databrewery_lab as dbl
            with dbl.connect() as brewery:
                print(brewery.server_version)
            """,
            tmp_path,
        )
        out, err = other.communicate(timeout=120)
        assert other.returncode == 0, err
        assert out.strip().startswith("16")
    finally:
        server.release()
        if server.is_running():
            server.stop(force=True)


def _unprivileged_user() -> str:
    """A normal account to run as (created when the tests run as root)."""
    name = "dbl-test-user"
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--no-create-home", "--shell", "/bin/sh", name],
            check=True,
            capture_output=True,
        )
    return name


@pytest.mark.skipif(os.geteuid() != 0, reason="already running as a normal user")
def test_works_for_a_normal_user_and_refuses_an_unwritable_dir(tmp_path: Path) -> None:
    user = _unprivileged_user()
    home = tmp_path / "normal-user-home"
    home.mkdir()
    entry = pwd.getpwnam(user)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    # The other account must be able to pass through to its data dir and to the Python
    # interpreter (pyenv installs under /root here): grant search (x) only.
    for start in (tmp_path, Path(sys.executable).resolve().parent, REPO):
        for part in (start, *start.parents):
            part.chmod(part.stat().st_mode | 0o001)
    script = textwrap.dedent(
        """
        import sys
        import databrewery_lab as dbl
        with dbl.connect(data_dir=sys.argv[1]) as brewery:
            print(brewery.schema.tables and "ok")
        try:
            dbl.connect(data_dir=sys.argv[2])
        except dbl.EmbeddedServerError as err:
            print("refused:", err)
        """
    )
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "HOME": str(home)}
    result = subprocess.run(
        ["runuser", "-u", user, "--", sys.executable, "-c", script, str(home), "/root/dbl-no"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "ok"
    assert lines[1].startswith("refused: The data directory /root/dbl-no is not writable")
    assert "DATABREWERY_HOME" in lines[1]
    assert not EmbeddedPostgres(home).is_running()
