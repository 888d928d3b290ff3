"""The public API is small and deliberate: ``__all__`` is exactly this."""

from __future__ import annotations

import databrewery_lab


def test_all_is_exact() -> None:
    assert sorted(databrewery_lab.__all__) == sorted(
        [
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
    )
    for name in databrewery_lab.__all__:
        assert hasattr(databrewery_lab, name)


def test_every_error_is_a_databrewery_error() -> None:
    for name in databrewery_lab.__all__:
        obj = getattr(databrewery_lab, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, databrewery_lab.DatabreweryError)
