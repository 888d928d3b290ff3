"""``python -m databrewery_lab`` is the ``databrewery-lab`` command."""

from .cli import main

raise SystemExit(main())
