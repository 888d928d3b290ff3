"""Demo texts: deterministic, and their hidden truth lines up with the text."""

from __future__ import annotations

import json
import random

from databrewery_lab.demo import texts
from databrewery_lab.demo.label_configs import NER_LABELS, SENTIMENT_LABELS, TOPIC_LABELS


def _sample(seed: int) -> list[object]:
    rnd = random.Random(seed)
    return [
        (texts.review(rnd, SENTIMENT_LABELS), texts.news(rnd), texts.ticket(rnd)) for _ in range(50)
    ]


def test_same_seed_same_texts_other_seed_other_texts() -> None:
    assert _sample(1) == _sample(1)
    assert _sample(1) != _sample(2)


def test_entity_spans_are_the_entities_in_the_text() -> None:
    rnd = random.Random(0)
    for _ in range(300):
        item = texts.news(rnd)
        assert item.entities
        for start, end, label in item.entities:
            surface = item.text[start:end]
            assert label in NER_LABELS
            assert surface == surface.strip() and surface[0].isupper()
            assert not surface.startswith(("the ", "The "))
        for start, end in item.decoys:
            assert item.text[start:end].isalpha()


def test_reviews_and_tickets_carry_consistent_truth() -> None:
    rnd = random.Random(0)
    seen = set()
    for _ in range(400):
        review = texts.review(rnd, SENTIMENT_LABELS)
        seen.add(review.label)
        assert review.text and 1 <= review.stars <= 5
        if review.label == "Positive":
            assert review.stars >= 4
        ticket = texts.ticket(rnd)
        assert set(ticket.topics) <= set(TOPIC_LABELS) and 1 <= ticket.urgency <= 5
        assert ticket.summary.startswith("Customer ")
        careful = texts.annotator_summary(rnd, ticket, careful=True)
        assert all(part in careful for part in ticket.summary[9:-1].split(" and "))
    assert seen == set(SENTIMENT_LABELS)


def test_texts_embed_in_json_without_escaping_quotes() -> None:
    rnd = random.Random(5)
    for _ in range(200):
        for text in (texts.review(rnd, SENTIMENT_LABELS).text, texts.news(rnd).text):
            assert '"' not in text and "\\\\" not in text
            assert json.loads(json.dumps(text)) == text
