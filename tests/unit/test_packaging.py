"""The wheel carries sql/, widgets/ and notebooks/, and finds them once installed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_contains_shipped_files(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("databrewery_lab-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "databrewery_lab/_data/sql/schema.sql" in names
    assert "databrewery_lab/_data/notebooks/quickstart.ipynb" in names
    assert any(n.startswith("databrewery_lab/_data/widgets/") for n in names)
    assert "databrewery_lab/demo/__init__.py" in names
