"""The committed seed facts, their extractor, and a static check of sql/schema.sql.

No database: these run everywhere, including clones without ../shared.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXTRACTOR_PATH = REPO_ROOT / "tests" / "schema" / "extract_seed_facts.py"
FACTS_PATH = REPO_ROOT / "tests" / "schema" / "seed_facts.json"
SCHEMA_PATH = REPO_ROOT / "sql" / "schema.sql"
EXPECTED_TABLES = 96


def load_extractor() -> ModuleType:
    """Import the extractor by path: tests/ is not a package on sys.path."""
    spec = importlib.util.spec_from_file_location("extract_seed_facts", EXTRACTOR_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def extractor() -> ModuleType:
    return load_extractor()


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    return json.loads(FACTS_PATH.read_text(encoding="utf-8"))


def test_facts_have_all_drawn_tables(facts: dict[str, Any]) -> None:
    assert len(facts["tables"]) == EXPECTED_TABLES


def test_every_table_has_exactly_one_primary_key_column(facts: dict[str, Any]) -> None:
    for name, table in facts["tables"].items():
        pk = [col for col, info in table["columns"].items() if info["pk"]]
        assert len(pk) == 1, name


def test_types_are_normalised(facts: dict[str, Any]) -> None:
    types = {info["type"] for t in facts["tables"].values() for info in t["columns"].values()}
    assert "double_precision" not in types
    assert "double precision" in types


def test_facts_equal_a_fresh_extraction(extractor: ModuleType, facts: dict[str, Any]) -> None:
    """The committed JSON must be what the extractor makes of the seed today."""
    if not extractor.DEFAULT_SEED.is_file():
        pytest.skip(f"seed document not reachable at {extractor.DEFAULT_SEED}")
    fresh = extractor.extract(extractor.DEFAULT_SEED.read_text(encoding="utf-8"))
    assert fresh == facts
    assert extractor.render(fresh) == FACTS_PATH.read_text(encoding="utf-8")


def test_schema_creates_exactly_the_drawn_tables(facts: dict[str, Any]) -> None:
    created = re.findall(
        r'^CREATE TABLE IF NOT EXISTS "?(\w+)"? \(', SCHEMA_PATH.read_text(), re.MULTILINE
    )
    assert len(created) == len(set(created))
    assert set(created) == set(facts["tables"])


def test_schema_never_hard_codes_a_schema_name() -> None:
    assert "public." not in SCHEMA_PATH.read_text().lower()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("        serial id PK", ("id", "serial", True, False, False)),
        ('        integer user_id FK "UK"', ("user_id", "integer", False, True, True)),
        ("        varchar email UK", ("email", "varchar", False, False, True)),
        ("        double_precision score", ("score", "double precision", False, False, False)),
        ("        integer order UK", ("order", "integer", False, False, True)),
    ],
)
def test_parse_attribute(extractor: ModuleType, line: str, expected: tuple[Any, ...]) -> None:
    name, column = extractor.parse_attribute(line)
    assert (name, column["type"], column["pk"], column["fk"], column["uk"]) == expected


def _doc(*blocks: str) -> str:
    """A minimal seed document: one module heading and mermaid block per entry."""
    parts = []
    for number, block in enumerate(blocks, start=1):
        parts.append(f"### {number}\ufe0f\u20e3 Test{number} Module\n\n```mermaid\nerDiagram\n")
        parts.append(block + "\n```\n")
    return "".join(parts)


def test_redrawn_tables_must_be_identical(extractor: ModuleType) -> None:
    same = "    org {\n        serial id PK\n        varchar token UK\n    }"
    other = "    org {\n        serial id PK\n        text token UK\n    }"
    facts = extractor.extract(_doc(same, same))
    assert list(facts["tables"]) == ["org"]
    assert facts["tables"]["org"]["module"] == "1. Test1"
    with pytest.raises(ValueError, match="drawn twice"):
        extractor.extract(_doc(same, other))


def test_relationships_are_extracted(extractor: ModuleType) -> None:
    block = '    a ||--o{ b : "has"\n    a {\n        serial id PK\n    }'
    facts = extractor.extract(_doc(block))
    assert facts["relationships"] == [
        {"module": "1. Test1", "left": "a", "card": "||--o{", "right": "b", "label": "has"}
    ]
