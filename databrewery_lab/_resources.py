"""Find files that ship beside the package: sql/, widgets/, notebooks/.

In a wheel they are force-included under ``databrewery_lab/_data/``; in a source
checkout (editable install) they live at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CANDIDATE_ROOTS = (_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent)


def resource_path(relative: str) -> Path:
    """Return the path of a shipped file such as ``"sql/schema.sql"``."""
    for root in _CANDIDATE_ROOTS:
        candidate = root / relative
        if candidate.exists():
            return candidate
    searched = ", ".join(str(root / relative) for root in _CANDIDATE_ROOTS)
    raise FileNotFoundError(
        f"databrewery-lab resource {relative!r} is missing (looked in {searched}); "
        "reinstall the package"
    )
