"""The embedded PostgreSQL: one cluster in the data directory, run from the pgserver wheel.

We use the PostgreSQL 16 binaries that the ``pgserver`` wheel ships but manage the server's
life ourselves. pgserver records the pids of the processes holding a server in a file and
never drops dead ones, so after one holder is killed nothing stops the server again. Here
each holder is recorded with its process start time (so a recycled pid is not mistaken for
it), dead holders are pruned whenever the file is touched, and the last live holder to leave
stops the server unless someone pinned it with ``databrewery-lab db start``.

The server listens only on a Unix socket in a directory private to its owner (no TCP), with
trust authentication: anyone who can reach the socket is already that user. PostgreSQL
refuses to run as root, so under root the cluster belongs to a system user we create.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import hashlib
import importlib.util
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from .errors import EmbeddedServerError

DATABASE = "databrewery"
SUPERUSER = "postgres"
SERVICE_USER = "databrewery-pg"  # the system user that owns the cluster when we run as root
_LOCK_TIMEOUT_S = 120.0
_START_TIMEOUT_S = 60

#: Server settings for every start; callers may add more (tests turn fsync off).
BASE_SETTINGS: Mapping[str, str] = {
    "listen_addresses": "''",
    "unix_socket_permissions": "0700",
    "max_connections": "100",
    "shared_buffers": "128MB",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
}


def postgres_bin_dir() -> Path:
    """The directory holding pg_ctl, initdb, postgres and psql from the pgserver wheel.

    Found without importing pgserver, whose import creates lock files as a side effect.
    """
    spec = importlib.util.find_spec("pgserver")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "pginstall" / "bin"
        if (candidate / "pg_ctl").exists():
            return candidate
    raise EmbeddedServerError(
        "The embedded PostgreSQL needs the binaries of the 'pgserver' package, which is not "
        "installed or is incomplete. Reinstall databrewery-lab, or connect to a server with a DSN."
    )


@dataclass(frozen=True)
class Holder:
    """A process that uses the server; ``started`` tells it apart from a later pid reuse."""

    pid: int
    started: float

    @classmethod
    def current(cls) -> Holder:
        return cls(os.getpid(), psutil.Process().create_time())

    def is_alive(self) -> bool:
        try:
            return abs(psutil.Process(self.pid).create_time() - self.started) < 0.5
        except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            return False


@dataclass(frozen=True)
class ServerStatus:
    """What ``databrewery-lab db status`` prints."""

    home: Path
    initialised: bool
    pid: int | None
    socket_dir: Path
    pinned: bool
    holders: tuple[int, ...] = field(default=())

    @property
    def running(self) -> bool:
        return self.pid is not None

    def __str__(self) -> str:
        state = f"running (pid {self.pid})" if self.running else "stopped"
        lines = [
            f"embedded PostgreSQL: {state}",
            f"data directory:      {self.home}",
            f"socket directory:    {self.socket_dir}",
            f"initialised:         {'yes' if self.initialised else 'no'}",
            f"kept running:        {'yes (db start)' if self.pinned else 'no'}",
            f"used by processes:   {', '.join(map(str, self.holders)) or 'none'}",
        ]
        return "\n".join(lines)


class EmbeddedPostgres:
    """A PostgreSQL cluster living in ``home``; see the module docstring for its lifecycle."""

    def __init__(self, home: Path, settings: Mapping[str, str] | None = None) -> None:
        self.home = Path(home).expanduser().resolve()
        self.pgdata = self.home / "pgdata"
        self.settings = {**BASE_SETTINGS, **(settings or {})}

    # -- places -----------------------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.home / "log" / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        """``home/run`` when short enough for a Unix socket path, else a hashed temp dir."""
        preferred = self.home / "run"
        if len(str(preferred / ".s.PGSQL.5432")) <= 100:
            return preferred
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"databrewery-{digest}"

    def conninfo(self, database: str = DATABASE) -> str:
        """A libpq conninfo string for ``database`` on this server."""
        return f"host={self.socket_dir} port=5432 user={SUPERUSER} dbname={database}"

    def url(self, database: str = DATABASE) -> str:
        """The same as :meth:`conninfo`, as a ``postgresql://`` URL."""
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}"

    # -- state ------------------------------------------------------------------------
    def is_initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def postmaster_pid(self) -> int | None:
        """The pid of the running postmaster, or None (a stale postmaster.pid counts as none)."""
        try:
            first_line = (self.pgdata / "postmaster.pid").read_text().splitlines()[0]
            pid = int(first_line)
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            return None
        try:
            process = psutil.Process(pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
            name = process.name()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None
        return pid if name.startswith("postgres") else None

    def is_running(self) -> bool:
        return self.postmaster_pid() is not None

    def status(self) -> ServerStatus:
        with self._locked():
            holders = self._live_holders()
        return ServerStatus(
            home=self.home,
            initialised=self.is_initialised(),
            pid=self.postmaster_pid(),
            socket_dir=self.socket_dir,
            pinned=self._pin_path.exists(),
            holders=tuple(h.pid for h in holders),
        )

    # -- lifecycle --------------------------------------------------------------------
    def acquire(self) -> EmbeddedPostgres:
        """Start the server if needed and register this process as one of its holders.

        Holds are counted per process and data directory, whichever instance took them.
        Released automatically at interpreter exit; call :meth:`release` to leave earlier.
        """
        with _PROCESS_LOCK, self._locked():
            self._ensure_running()
            if _HOLDS.get(self.home, 0) == 0:
                holders = [h for h in self._live_holders() if h.pid != os.getpid()]
                self._write_holders([*holders, Holder.current()])
                _register_exit_release(self)
            _HOLDS[self.home] = _HOLDS.get(self.home, 0) + 1
        return self

    def release(self) -> None:
        """Leave; stop the server if no live holder remains and it is not pinned."""
        with _PROCESS_LOCK:
            count = _HOLDS.get(self.home, 0)
            if count == 0:
                return
            if count > 1:
                _HOLDS[self.home] = count - 1
                return
            del _HOLDS[self.home]
            with self._locked():
                others = [h for h in self._live_holders() if h.pid != os.getpid()]
                self._write_holders(others)
                if not others and not self._pin_path.exists():
                    self._stop()

    def start(self, *, pin: bool = True) -> None:
        """Start the server; pinned, it stays up with no holders until :meth:`stop`."""
        with self._locked():
            self._ensure_running()
            if pin:
                self._pin_path.write_text("pinned by `databrewery-lab db start`\n")

    def stop(self, *, force: bool = False) -> tuple[int, ...]:
        """Stop the server and unpin it. Returns the pids of live holders that were cut off.

        Without ``force`` it refuses while other processes use the server.
        """
        with self._locked():
            holders = tuple(h.pid for h in self._live_holders() if h.pid != os.getpid())
            if holders and not force:
                raise EmbeddedServerError(
                    f"The embedded PostgreSQL in {self.home} is in use by process(es) "
                    f"{', '.join(map(str, holders))}. Close them (notebook kernels, "
                    "`databrewery-lab demo`), or stop anyway with "
                    "`databrewery-lab db stop --force`."
                )
            self._pin_path.unlink(missing_ok=True)
            self._stop()
            self._write_holders([])
            return holders

    # -- internals --------------------------------------------------------------------
    @property
    def _pin_path(self) -> Path:
        return self.home / "pinned"

    @property
    def _holders_path(self) -> Path:
        return self.home / "holders.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise start/stop/holder changes across processes with an flock."""
        self._ensure_home()
        with open(self.home / "server.lock", "a+") as handle:
            deadline = time.monotonic() + _LOCK_TIMEOUT_S
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise EmbeddedServerError(
                            f"Timed out after {_LOCK_TIMEOUT_S:.0f} s waiting for another "
                            f"process to finish starting or stopping the embedded PostgreSQL "
                            f"in {self.home}."
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _ensure_home(self) -> None:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            # A private name per process: concurrent holders must not race on one probe.
            fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=self.home)
            os.close(fd)
            os.unlink(probe)
        except OSError as err:
            if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            raise EmbeddedServerError(
                f"The data directory {self.home} is not writable ({err.strerror}). Set "
                "DATABREWERY_HOME to a directory you can write to, or pass "
                "connect(data_dir=...)."
            ) from None

    def _live_holders(self) -> list[Holder]:
        try:
            raw = json.loads(self._holders_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return []
        holders = [Holder(int(item["pid"]), float(item["started"])) for item in raw]
        return [h for h in holders if h.is_alive()]

    def _write_holders(self, holders: list[Holder]) -> None:
        payload = json.dumps([{"pid": h.pid, "started": h.started} for h in holders])
        tmp = self._holders_path.with_suffix(".tmp")
        tmp.write_text(payload)
        tmp.replace(self._holders_path)

    def _service_user(self) -> pwd.struct_passwd | None:
        """The account that owns the cluster: ourselves, or a system user under root."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SERVICE_USER)
        except KeyError:
            pass
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        result = subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 9):  # 9: created meanwhile by another process
            raise EmbeddedServerError(
                "PostgreSQL refuses to run as root and creating the system user "
                f"{SERVICE_USER!r} failed: {result.stderr.strip()}. Run as a normal user, "
                "or connect to a server with a DSN."
            )
        return pwd.getpwnam(SERVICE_USER)

    def _prepare_dirs(self, owner: pwd.struct_passwd | None) -> None:
        """Create pgdata, log and socket dirs, owned by the service user under root."""
        for directory in (self.pgdata, self.log_path.parent, self.socket_dir):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
            if owner is not None:
                os.chown(directory, owner.pw_uid, owner.pw_gid)
        if owner is not None:
            # The service user must be able to traverse down to its directories and to the
            # binaries; grant search (x) only, never read, on the parents.
            for target in (self.pgdata, self.log_path.parent, self.socket_dir, postgres_bin_dir()):
                _grant_traverse(target.parent)

    def _run(self, tool: str, args: list[str], owner: pwd.struct_passwd | None) -> None:
        command = [str(postgres_bin_dir() / tool), *args]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGDATA", None)
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=_START_TIMEOUT_S + 30,
                env=env,
                cwd=str(self.home),
                user=owner.pw_uid if owner else None,
                group=owner.pw_gid if owner else None,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise EmbeddedServerError(f"{tool} failed for {self.pgdata}: {err}") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            log_tail = _tail(self.log_path)
            raise EmbeddedServerError(
                f"{tool} failed for the embedded PostgreSQL in {self.pgdata}:\n{detail}"
                + (f"\n--- last lines of {self.log_path} ---\n{log_tail}" if log_tail else "")
            )

    def _ensure_running(self) -> None:
        owner = self._service_user()
        self._prepare_dirs(owner)
        if not self.is_initialised():
            self._run(
                "initdb",
                [
                    "-D",
                    str(self.pgdata),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-instructions",
                ],
                owner,
            )
            with open(self.pgdata / "postgresql.conf", "a") as conf:
                conf.write("\ninclude_if_exists = 'databrewery-lab.conf'\n")
        if self.is_running():
            return
        self._clear_stale_pid_file()
        self._write_settings(owner)
        timeout = str(_START_TIMEOUT_S)
        start = ["-D", str(self.pgdata), "-l", str(self.log_path), "-w", "-t", timeout]
        self._run("pg_ctl", [*start, "start"], owner)

    def _clear_stale_pid_file(self) -> None:
        """Remove a postmaster.pid left by a server that died hard, once that is safe.

        PostgreSQL itself refuses to start while the pid in that file is alive, and a
        postmaster killed with SIGKILL can linger as a zombie where nothing reaps orphans
        (containers). Its shared memory segment is the real interlock: once no process is
        attached to it, no old backend can touch the data directory and the file is stale.
        """
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except FileNotFoundError:
            return
        shmid = _shared_memory_id(lines)
        deadline = time.monotonic() + 15
        while shmid is not None and _shm_attached(shmid):
            if time.monotonic() > deadline:
                raise EmbeddedServerError(
                    f"Processes of an earlier PostgreSQL are still attached to {self.pgdata} "
                    f"(shared memory id {shmid}). Stop them (`ps -ef | grep postgres`), then "
                    "try again."
                )
            time.sleep(0.1)
        pid_file.unlink(missing_ok=True)
        # The socket's lock file names the same dead pid and blocks the start the same way.
        for name in (".s.PGSQL.5432.lock", ".s.PGSQL.5432"):
            (self.socket_dir / name).unlink(missing_ok=True)

    def _write_settings(self, owner: pwd.struct_passwd | None) -> None:
        settings = {**self.settings, "unix_socket_directories": f"'{self.socket_dir}'"}
        body = "".join(f"{key} = {value}\n" for key, value in settings.items())
        path = self.pgdata / "databrewery-lab.conf"
        path.write_text("# written by databrewery-lab at every start; edits are lost\n" + body)
        if owner is not None:
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _stop(self) -> None:
        if not self.is_running():
            return
        stop = ["-D", str(self.pgdata), "-m", "fast", "-w", "stop"]
        self._run("pg_ctl", stop, self._service_user())


# Holds of this process per data directory, shared by every instance for that directory.
_HOLDS: dict[Path, int] = {}
_PROCESS_LOCK = threading.RLock()
_EXIT_HOOKS: set[Path] = set()


def _register_exit_release(server: EmbeddedPostgres) -> None:
    """At interpreter exit, drop all of this process's holds on ``server.home``."""
    if server.home in _EXIT_HOOKS:
        return
    _EXIT_HOOKS.add(server.home)

    def release_all() -> None:
        if _HOLDS.get(server.home):
            _HOLDS[server.home] = 1
            with contextlib.suppress(EmbeddedServerError):
                server.release()

    atexit.register(release_all)


def _shared_memory_id(pid_file_lines: list[str]) -> int | None:
    """The SysV shared memory id recorded on line 7 of postmaster.pid ("key id")."""
    try:
        return int(pid_file_lines[6].split()[1])
    except (IndexError, ValueError):
        return None


def _shm_attached(shmid: int) -> bool:
    """True while any process is attached to SysV shared memory segment ``shmid``."""
    try:
        rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return False
    for row in rows:
        fields = row.split()
        if len(fields) > 6 and int(fields[1]) == shmid:
            return int(fields[6]) > 0
    return False


def _grant_traverse(directory: Path) -> None:
    """Add o+x to ``directory`` and its parents so another account can pass through."""
    for part in (directory, *directory.parents):
        mode = part.stat().st_mode
        if not mode & 0o001:
            part.chmod(mode | 0o001)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
