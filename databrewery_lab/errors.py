"""Every error a user can cause, in one hierarchy.

DatabreweryError
 ├── ConnectionFailed      the DSN is wrong, the server refuses, credentials fail
 ├── EmbeddedServerError   the embedded PostgreSQL cannot be created, started or stopped
 ├── SchemaError           the database lacks, or conflicts with, the Databrewery schema
 │    └── MissingSchemaError   a feature needs a table/column this database does not have
 ├── NotFound              an unknown project, user or other named object
 └── DemoError             the demo organization cannot be built here (busy, not empty)

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
