"""Parse, describe and open PostgreSQL DSNs, turning driver errors into one clear message."""

from __future__ import annotations

import re

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .errors import ConnectionFailed

_DEFAULT_CONNECT_TIMEOUT_S = 10

# (pattern in libpq's message, what to tell the user)
_CAUSES: tuple[tuple[str, str], ...] = (
    (r"password authentication failed for user \"?([^\"]+)\"?", "wrong credentials for user {0!r}"),
    (r"no password supplied", "the server wants a password and the DSN has none"),
    (r"role \"([^\"]+)\" does not exist", "user (role) {0!r} does not exist on that server"),
    (r"database \"([^\"]+)\" does not exist", "database {0!r} does not exist on that server"),
    (r"Connection refused", "connection refused (is PostgreSQL running and listening there?)"),
    (r"could not translate host name \"([^\"]+)\"", "unknown host {0!r}"),
    (r"timeout expired", "no answer within the connect timeout"),
    (r"No such file or directory", "no server socket there (is PostgreSQL running?)"),
    (r"Permission denied", "permission denied on the server socket"),
    (r"no pg_hba.conf entry", "the server's pg_hba.conf does not allow this connection"),
)


def normalise(dsn: str) -> str:
    """A libpq conninfo string for ``dsn`` (URL or key=value), with a connect timeout.

    SQLAlchemy-style ``postgresql+psycopg://`` URLs are accepted too.
    """
    dsn = re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", dsn.strip())
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as err:
        raise ConnectionFailed(
            f"{describe_unparsed(dsn)} is not a valid PostgreSQL DSN ({_first_line(err)}). "
            "Use postgresql://user:password@host:5432/database or 'host=... dbname=...'."
        ) from None
    params.setdefault("connect_timeout", str(_DEFAULT_CONNECT_TIMEOUT_S))
    return make_conninfo(**params)


def describe(conninfo: str) -> str:
    """``database 'x' on host:port`` — never includes the password."""
    params = conninfo_to_dict(conninfo)
    host = params.get("host") or "the default socket"
    port = params.get("port") or "5432"
    where = f"{host}:{port}" if not str(host).startswith("/") else f"socket {host}"
    dbname = params.get("dbname") or params.get("user") or "(default)"
    return f"database {dbname!r} on {where}"


def masked(conninfo: str) -> str:
    """The conninfo with any password replaced, fit for reprs and logs."""
    params = conninfo_to_dict(conninfo)
    if "password" in params:
        params["password"] = "***"
    return make_conninfo(**params)


def open_connection(conninfo: str, **kwargs: object) -> psycopg.Connection:
    """``psycopg.connect`` with failures turned into :class:`ConnectionFailed`."""
    try:
        return psycopg.connect(conninfo, **kwargs)  # type: ignore[arg-type]
    except psycopg.OperationalError as err:
        raise ConnectionFailed(
            f"Could not connect to {describe(conninfo)}: {explain(err)}. Check the DSN (or "
            "DATABREWERY_DSN); with no DSN, connect() uses the embedded database."
        ) from None


def explain(err: BaseException) -> str:
    """The cause of a libpq error in a few words."""
    message = str(err)
    for pattern, template in _CAUSES:
        found = re.search(pattern, message, flags=re.IGNORECASE)
        if found:
            return template.format(*found.groups())
    return _first_line(err)


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__


def describe_unparsed(dsn: str) -> str:
    """A DSN that failed to parse, shown without anything that looks like a password."""
    shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)
    shown = re.sub(r"(password\s*=\s*)\S+", r"\1***", shown, flags=re.IGNORECASE)
    return repr(shown)
