"""databrewery-lab: label, review and analyse Databrewery projects from Jupyter.

import databrewery_lab as dbl
brewery = dbl.connect()            # embedded PostgreSQL, or connect("postgresql://...")
brewery.projects()                 # a DataFrame
brewery.project("Product reviews").summary()
"""

from __future__ import annotations

from .connection import Brewery, connect
from .errors import (
    ConnectionFailed,
    DatabreweryError,
    DemoError,
    EmbeddedServerError,
    MissingSchemaError,
    NotFound,
    SchemaError,
)
from .projects import Project

__version__ = "0.1.0"

__all__ = [
    "Brewery",
    "ConnectionFailed",
    "DatabreweryError",
    "DemoError",
    "EmbeddedServerError",
    "MissingSchemaError",
    "NotFound",
    "Project",
    "SchemaError",
    "__version__",
    "connect",
]
