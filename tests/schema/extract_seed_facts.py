"""Extract the tables, columns and relationships drawn in the seed document.

The seed document (mermaid ER diagrams) is the specification of the database, but it
lives outside the repository (``../shared/seed``), so its facts are extracted once into
``tests/schema/seed_facts.json`` and committed; tests compare the schema against that
JSON and, when the seed is reachable, the JSON against a fresh extraction.

Usage: ``python tests/schema/extract_seed_facts.py [SEED_PATH] [--out JSON_PATH]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SEED = REPO_ROOT.parent / "shared" / "seed" / "000_eac34bd62078e1f4.txt"
DEFAULT_OUT = Path(__file__).resolve().with_name("seed_facts.json")

# The seed writes PostgreSQL's `double precision` with an underscore; sql/schema.sql
# uses the real type name, so the facts do too.
TYPE_ALIASES = {"double_precision": "double precision"}

_MERMAID_BLOCK = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)
_MODULE_HEADING = re.compile(r"^### .*?(\d)\S*\s+(.+?) Module\s*$", re.MULTILINE)
_ENTITY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\{\s*\n(.*?)^\s*\}", re.DOTALL | re.MULTILINE)
_ATTRIBUTE = re.compile(
    r"^\s*(?P<type>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?P<keys>(?:\s+(?:PK|FK|UK)(?:\s*,\s*(?:PK|FK|UK))*)?)"
    r'(?:\s+"(?P<comment>[^"]*)")?\s*$'
)
_RELATIONSHIP = re.compile(
    r"^\s*(?P<left>[A-Za-z_]\w*)\s+(?P<card>[|}o]{2}--[|{o]{2})\s+(?P<right>[A-Za-z_]\w*)"
    r'\s*:\s*"(?P<label>[^"]*)"\s*$'
)


def parse_attribute(line: str) -> tuple[str, dict[str, Any]]:
    """Parse one `type name [PK|FK|UK] ["comment"]` line; a quoted "UK" marks a 1:1 FK."""
    match = _ATTRIBUTE.match(line)
    if match is None:
        raise ValueError(f"unparseable attribute line: {line!r}")
    keys = set(re.findall(r"PK|FK|UK", match["keys"] or ""))
    keys |= set(re.findall(r"\b(?:PK|FK|UK)\b", match["comment"] or ""))
    column = {
        "type": TYPE_ALIASES.get(match["type"], match["type"]),
        "pk": "PK" in keys,
        "fk": "FK" in keys,
        "uk": "UK" in keys,
    }
    return match["name"], column


def parse_entity(body: str) -> dict[str, dict[str, Any]]:
    """Columns of one entity block, in drawn order."""
    columns: dict[str, dict[str, Any]] = {}
    for line in body.splitlines():
        if not line.strip() or line.strip().startswith("%%"):
            continue
        name, column = parse_attribute(line)
        if name in columns:
            raise ValueError(f"column {name!r} drawn twice in one entity")
        columns[name] = column
    return columns


def module_names(text: str) -> list[str]:
    """Module titles in document order (one mermaid block per module)."""
    return [f"{num}. {title.strip()}" for num, title in _MODULE_HEADING.findall(text)]


def extract(text: str) -> dict[str, Any]:
    """All facts of the seed: tables (first drawing wins, redraws must match) and relationships."""
    blocks = _MERMAID_BLOCK.findall(text)
    modules = module_names(text)
    if len(modules) != len(blocks):
        raise ValueError(f"{len(blocks)} mermaid blocks but {len(modules)} module headings")
    tables: dict[str, dict[str, Any]] = {}
    relationships: list[dict[str, str]] = []
    for module, block in zip(modules, blocks, strict=True):
        for name, body in _ENTITY.findall(block):
            columns = parse_entity(body)
            if name in tables:
                if tables[name]["columns"] != columns:
                    raise ValueError(f"table {name!r} is drawn twice with different columns")
                continue
            tables[name] = {"module": module, "columns": columns}
        for line in block.splitlines():
            match = _RELATIONSHIP.match(line)
            if match:
                relationships.append({"module": module, **match.groupdict()})
    return {"tables": tables, "relationships": relationships}


def render(facts: dict[str, Any]) -> str:
    """Stable JSON text, so regenerating gives a byte-identical file."""
    return json.dumps(facts, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write seed_facts.json from the seed document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed", nargs="?", type=Path, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    facts = extract(args.seed.read_text(encoding="utf-8"))
    args.out.write_text(render(facts), encoding="utf-8")
    print(
        f"{len(facts['tables'])} tables, {len(facts['relationships'])} relationships -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
