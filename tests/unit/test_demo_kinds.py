"""Each labeling-kind simulator renders Label Studio result JSON for its own config."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from defusedxml import ElementTree

from databrewery_lab.demo import label_configs as lc
from databrewery_lab.demo.kinds import (
    BoxKind,
    Kind,
    NerKind,
    SentimentKind,
    SummaryKind,
    TopicsKind,
)

CASES = [
    (SentimentKind(lc.SENTIMENT_LABELS), lc.sentiment_config()),
    (NerKind(), lc.ner_config()),
    (BoxKind(seed=0, n_images=20), lc.bbox_config()),
    (SummaryKind(), lc.summary_config()),
    (TopicsKind(), lc.topics_config()),
]


def _controls(xml: str) -> dict[str, tuple[str, str, set[str]]]:
    root = ElementTree.fromstring(xml)
    return {
        el.get("name"): (
            el.tag.lower(),
            el.get("toName"),
            {c.get("value") for c in el if c.tag in ("Choice", "Label")},
        )
        for el in root.iter()
        if el.get("toName")
    }


@pytest.mark.parametrize(("kind", "xml"), CASES, ids=lambda c: type(c).__name__)
def test_results_fit_the_config(kind: Kind, xml: str) -> None:
    controls = _controls(xml)
    rnd = random.Random(0)
    counter = itertools.count()
    new_id = lambda: f"r{next(counter):09d}"  # noqa: E731
    for index in range(200):
        content = kind.task(rnd, index)
        data = json.loads(content.data)
        for p, score in ((0.2, None), (0.9, 0.5), (1.0, None)):
            answer = kind.answer(rnd, content.truth, p)
            text, count = kind.result(answer, content.truth, new_id, score)
            items = json.loads(text)
            assert len(items) == count
            for item in items:
                control, to_name, labels = controls[item["from_name"]]
                assert (item["type"], item["to_name"]) == (control, to_name)
                assert ("origin" in item) == (score is None)
                value = item["value"]
                if control in ("choices", "labels", "rectanglelabels"):
                    assert set(value[control]) <= labels
                if control == "labels":
                    assert data["text"][value["start"] : value["end"]] == value["text"]
        assert kind.correct(kind.ideal(content.truth), content.truth)


def test_a_perfect_annotator_is_always_right_and_a_poor_one_is_not() -> None:
    kind = SentimentKind(lc.SENTIMENT_LABELS)
    rnd = random.Random(1)
    truths = [kind.task(rnd, i).truth for i in range(300)]
    assert all(kind.answer(rnd, t, 1.0) == t for t in truths)
    wrong = sum(kind.answer(rnd, t, 0.5) != t for t in truths)
    assert 90 < wrong < 210
