"""databrewery-lab: label, review and analyse Databrewery projects from Jupyter.

import databrewery_lab as dbl
brewery = dbl.connect()            # embedded PostgreSQL, or connect("postgresql://...")
brewery.projects()                 # a DataFrame
brewery.project("Product reviews").summary()
brewery.as_user("ann@example.org").project("Product reviews").label()   # the labeling widget
"""

from __future__ import annotations

from .connection import Brewery, connect
from .errors import (
    AnnotationRejected,
    ConnectionFailed,
    DatabreweryError,
    DemoError,
    EmbeddedServerError,
    LabelConfigError,
    MediaError,
    MissingSchemaError,
    NotAMember,
    NotFound,
    SchemaError,
    TaskUnavailable,
)
from .label_config import LabelConfig, parse_label_config
from .labeling import LabelSession
from .projects import Project

__version__ = "0.1.0"

__all__ = [
    "AnnotationRejected",
    "Brewery",
    "ConnectionFailed",
    "DatabreweryError",
    "DemoError",
    "EmbeddedServerError",
    "LabelConfig",
    "LabelConfigError",
    "LabelSession",
    "MediaError",
    "MissingSchemaError",
    "NotAMember",
    "NotFound",
    "Project",
    "SchemaError",
    "TaskUnavailable",
    "__version__",
    "connect",
    "parse_label_config",
]
