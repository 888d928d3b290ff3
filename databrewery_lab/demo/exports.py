"""Exports a project's managers ran, and the formats each was converted to.

Written after the tasks so ``counters`` (tasks exported) matches the project.
"""

from __future__ import annotations

from datetime import timedelta

from databrewery_lab.demo.copy import columns
from databrewery_lab.demo.rng import ANCHOR, hex_string, iso, streams
from databrewery_lab.demo.state import Demo

#: Converted formats per project kind, as Label Studio names them.
FORMATS = {
    "sentiment": ("JSON", "CSV", "JSON_MIN"),
    "ner": ("JSON", "CONLL2003"),
    "bbox": ("JSON", "COCO", "YOLO"),
    "summary": ("JSON", "CSV"),
    "topics": ("JSON", "CSV", "TSV"),
}
EXTENSIONS = {
    "JSON": "json",
    "JSON_MIN": "json",
    "CSV": "csv",
    "TSV": "tsv",
    "CONLL2003": "conll",
    "COCO": "zip",
    "YOLO": "zip",
}


def write_exports(demo: Demo) -> None:
    """data_export_export and data_export_convertedformat."""
    rnd, _ = streams(demo.seed, "exports")
    exports, converted = [], []
    for p in demo.projects:
        for k, days_ago in enumerate((9, 2)):
            made = ANCHOR - timedelta(days=days_ago, hours=rnd.randint(1, 8))
            done = made + timedelta(seconds=rnd.randint(5, 300))
            failed = p.spec.key == "bbox" and k == 0
            eid = demo.next_id("data_export_export")
            author = p.manager_ids[0]
            exports.append(
                (
                    eid,
                    iso(made),
                    None if failed else iso(done),
                    "failed" if failed else "completed",
                    hex_string(rnd, 16),
                    p.n_tasks,
                    author,
                    p.id,
                )
            )
            for fmt in FORMATS[p.spec.kind][: 1 if failed else None]:
                stamp = made.strftime("%Y-%m-%d-%H-%M")
                name = f"export/project-{p.id}-at-{stamp}-{hex_string(rnd, 4)}.{EXTENSIONS[fmt]}"
                ok = not failed
                converted.append(
                    (
                        demo.next_id("data_export_convertedformat"),
                        fmt,
                        name if ok else None,
                        None if ok else "Traceback (most recent call last):\n  ...\nMemoryError",
                        iso(done),
                        eid,
                        p.id,
                        author,
                        "completed" if ok else "failed",
                        hex_string(rnd, 16) if ok else None,
                        iso(done) if ok else None,
                        "" if ok else "Conversion ran out of memory",
                    )
                )
    w = demo.writer
    w.copy(
        "data_export_export",
        columns("id created_at finished_at status md5 counters created_by_id project_id"),
        exports,
    )
    w.copy(
        "data_export_convertedformat",
        columns(
            "id export_type file traceback created_at export_id project_id created_by_id status "
            "md5 finished_at status_message"
        ),
        converted,
    )
