"""Label Studio label configs for the demo projects, and their parsed form.

The XML is what Label Studio itself would accept; ``parsed_label_config`` is
derived from it (parsed with defusedxml, never trusted hand-written JSON), in the
shape Label Studio stores: ``{from_name: {type, to_name, inputs, labels, labels_attrs}}``.
"""

from __future__ import annotations

import json
from typing import Any

from defusedxml import ElementTree

SENTIMENT_LABELS = ("Positive", "Negative", "Neutral", "Mixed")
PILOT_SENTIMENT_LABELS = ("Positive", "Negative", "Neutral")
NER_LABELS = ("PER", "ORG", "LOC", "MISC")
BOX_LABELS = ("Bottle", "Can", "Carton", "Jar")
TOPIC_LABELS = ("Billing", "Shipping", "Account", "Bug report", "Feature request")

NER_COLORS = {"PER": "#e45756", "ORG": "#4c78a8", "LOC": "#54a24b", "MISC": "#b279a2"}
#: Label colours; the generated images paint each object in its label's colour.
BOX_COLORS = {"Bottle": "#d62728", "Can": "#1f77b4", "Carton": "#ff7f0e", "Jar": "#2ca02c"}


def _choices(name: str, to_name: str, labels: tuple[str, ...], *, multiple: bool) -> str:
    kind = "multiple" if multiple else "single"
    items = "".join(
        f'<Choice value="{label}" hotkey="{i}"/>' for i, label in enumerate(labels, start=1)
    )
    return (
        f'<Choices name="{name}" toName="{to_name}" choice="{kind}" showInline="true">'
        f"{items}</Choices>"
    )


def sentiment_config(labels: tuple[str, ...] = SENTIMENT_LABELS) -> str:
    """Single-choice text classification of a product review."""
    return (
        '<View><Header value="What is the overall sentiment of this review?"/>'
        '<Text name="text" value="$text"/>'
        f"{_choices('sentiment', 'text', labels, multiple=False)}</View>"
    )


def ner_config() -> str:
    """Named-entity spans over a news paragraph."""
    labels = "".join(f'<Label value="{v}" background="{NER_COLORS[v]}"/>' for v in NER_LABELS)
    return (
        f'<View><Labels name="label" toName="text">{labels}</Labels>'
        '<Text name="text" value="$text"/></View>'
    )


def bbox_config() -> str:
    """Bounding boxes around products on a shelf photo."""
    labels = "".join(f'<Label value="{v}" background="{BOX_COLORS[v]}"/>' for v in BOX_LABELS)
    return (
        '<View><Image name="image" value="$image" zoom="true"/>'
        f'<RectangleLabels name="label" toName="image" strokeWidth="2">{labels}'
        "</RectangleLabels></View>"
    )


def summary_config() -> str:
    """Summarise a support ticket in one sentence and rate its urgency."""
    return (
        '<View><Text name="ticket" value="$ticket"/>'
        '<Header value="Summarise the request in one sentence"/>'
        '<TextArea name="summary" toName="ticket" rows="2" maxSubmissions="1" '
        'editable="true" placeholder="Customer wants ..."/>'
        '<Header value="How urgent is it?"/>'
        '<Rating name="urgency" toName="ticket" maxRating="5" icon="star" size="medium"/></View>'
    )


def topics_config() -> str:
    """Multi-label topic tagging of a support ticket."""
    return (
        '<View><Text name="ticket" value="$ticket"/>'
        f"{_choices('topic', 'ticket', TOPIC_LABELS, multiple=True)}</View>"
    )


_CONTROL_LABEL_TAGS = {"Choices": "Choice", "Labels": "Label", "RectangleLabels": "Label"}
_CONTROL_TAGS = {*_CONTROL_LABEL_TAGS, "TextArea", "Rating"}


def parse_label_config(xml: str) -> dict[str, Any]:
    """Label Studio's ``parsed_label_config`` for a config (control tags only)."""
    root = ElementTree.fromstring(xml)
    objects: dict[str, dict[str, Any]] = {}
    for el in root.iter():
        value = el.get("value", "")
        if el.get("name") and value.startswith("$"):
            objects[el.get("name")] = {"type": el.tag, "value": value[1:], "valueType": None}
    parsed: dict[str, Any] = {}
    for el in root.iter():
        if el.tag not in _CONTROL_TAGS:
            continue
        to_names = el.get("toName", "").split(",")
        entry: dict[str, Any] = {
            "type": el.tag,
            "to_name": to_names,
            "inputs": [objects[n] for n in to_names if n in objects],
            "labels": [],
            "labels_attrs": {},
        }
        child_tag = _CONTROL_LABEL_TAGS.get(el.tag)
        if child_tag:
            for child in el.iter(child_tag):
                entry["labels"].append(child.get("value"))
                entry["labels_attrs"][child.get("value")] = dict(child.attrib)
        parsed[el.get("name")] = entry
    return parsed


def parsed_config_text(xml: str) -> str:
    """``parsed_label_config`` as the JSON text stored in ``project.parsed_label_config``."""
    return json.dumps(parse_label_config(xml))


def data_types(xml: str) -> dict[str, str]:
    """``project.data_types``: task data key -> object tag type."""
    types: dict[str, str] = {}
    for entry in parse_label_config(xml).values():
        for inp in entry["inputs"]:
            types[inp["value"]] = inp["type"]
    return types


def control_weights(xml: str) -> dict[str, Any]:
    """``project.control_weights`` as Label Studio initialises them (all weights 1.0)."""
    return {
        name: {
            "type": entry["type"],
            "labels": {label: 1.0 for label in entry["labels"]},
            "overall": 1.0,
        }
        for name, entry in parse_label_config(xml).items()
    }
