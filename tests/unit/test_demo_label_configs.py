"""Demo label configs are Label Studio XML that defusedxml parses, and their parsed form."""

from __future__ import annotations

import json

import pytest
from defusedxml import ElementTree

from databrewery_lab.demo import label_configs as lc
from databrewery_lab.demo.projects import PROJECTS

CONFIGS = {
    "sentiment": lc.sentiment_config(),
    "ner": lc.ner_config(),
    "bbox": lc.bbox_config(),
    "summary": lc.summary_config(),
    "topics": lc.topics_config(),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_config_parses_with_defusedxml(name: str) -> None:
    root = ElementTree.fromstring(CONFIGS[name])
    assert root.tag == "View"
    names = {el.get("name") for el in root.iter() if el.get("name")}
    for el in root.iter():
        if el.get("toName"):
            assert el.get("toName") in names


def test_parsed_label_config_has_label_studios_shape() -> None:
    parsed = lc.parse_label_config(CONFIGS["sentiment"])
    assert parsed == {
        "sentiment": {
            "type": "Choices",
            "to_name": ["text"],
            "inputs": [{"type": "Text", "value": "text", "valueType": None}],
            "labels": list(lc.SENTIMENT_LABELS),
            "labels_attrs": {
                label: {"value": label, "hotkey": str(i)}
                for i, label in enumerate(lc.SENTIMENT_LABELS, start=1)
            },
        }
    }
    assert json.loads(lc.parsed_config_text(CONFIGS["summary"])).keys() == {"summary", "urgency"}
    assert lc.parse_label_config(CONFIGS["bbox"])["label"]["type"] == "RectangleLabels"
    assert lc.data_types(CONFIGS["bbox"]) == {"image": "Image"}


def test_topics_allow_several_choices_and_sentiment_one() -> None:
    assert 'choice="multiple"' in CONFIGS["topics"]
    assert 'choice="single"' in CONFIGS["sentiment"]


def test_every_demo_project_config_lists_its_labels() -> None:
    for spec in PROJECTS:
        parsed = lc.parse_label_config(spec.config)
        labels = [label for entry in parsed.values() for label in entry["labels"]]
        assert labels == list(spec.labels)
        weights = lc.control_weights(spec.config)
        assert set(weights) == set(parsed)
