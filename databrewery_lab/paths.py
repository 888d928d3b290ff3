"""Where databrewery-lab keeps its embedded database, media and notebooks."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "DATABREWERY_HOME"
DSN_ENV = "DATABREWERY_DSN"


def data_home(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: an explicit path, else ``$DATABREWERY_HOME``, else the platform's."""
    if override is not None:
        return Path(override).expanduser().resolve()
    from_env = os.environ.get(HOME_ENV)
    if from_env:
        return Path(from_env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("databrewery-lab", appauthor=False)).resolve()
