"""Every error a user can cause, in one hierarchy.

DatabreweryError
 ├── ConnectionFailed      the DSN is wrong, the server refuses, credentials fail
 ├── EmbeddedServerError   the embedded PostgreSQL cannot be created, started or stopped
 ├── SchemaError           the database lacks, or conflicts with, the Databrewery schema
 │    └── MissingSchemaError   a feature needs a table/column this database does not have
 ├── NotFound              an unknown project, user or other named object
 ├── DemoError             the demo organization cannot be built here (busy, not empty)
 ├── LabelConfigError      a label config is malformed XML, unsafe, or uses unsupported tags
 ├── AnnotationRejected    a result does not match the project's label config
 ├── NotAMember            the acting user may not label this project
 ├── TaskUnavailable       the task was taken, finished or moved on while the user was away
 └── MediaError            a file named in task data cannot be read by the kernel

Each message names the thing and the fix; none carries a driver traceback.
"""

from __future__ import annotations


class DatabreweryError(Exception):
    """Base class: catch this to handle anything databrewery-lab raises on purpose."""


class ConnectionFailed(DatabreweryError):
    """The database named by a DSN could not be reached or refused us."""


class EmbeddedServerError(DatabreweryError):
    """The embedded PostgreSQL could not be initialised, started or stopped."""


class SchemaError(DatabreweryError):
    """The database schema is missing or conflicts with the Databrewery schema."""


class MissingSchemaError(SchemaError):
    """A feature needs a table or column that the connected database does not have."""


class NotFound(DatabreweryError, LookupError):
    """A named object (project, user, ...) does not exist."""


class DemoError(DatabreweryError):
    """The demo organization cannot be built in this place right now."""


class LabelConfigError(DatabreweryError, ValueError):
    """A label config cannot be used: malformed or unsafe XML, unknown tags or attributes.

    ``line`` and ``tag`` locate the problem when it has a place in the XML.
    """

    def __init__(self, message: str, *, line: int | None = None, tag: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.tag = tag


class AnnotationRejected(DatabreweryError, ValueError):
    """An annotation result does not fit the label config or the task; nothing was written."""


class NotAMember(DatabreweryError, PermissionError):
    """The acting user is not a member of the project (nor of its organization)."""


class TaskUnavailable(DatabreweryError):
    """A task can no longer be worked on by this user (locked by another, finished, gone)."""


class MediaError(DatabreweryError):
    """A file named in task data (path, URL, storage key) cannot be read by the kernel."""
