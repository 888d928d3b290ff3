"""One simulator per kind of labeling work: task data, answers, and result JSON.

An *answer* is a kind's plain Python value (a label, a set of labels, spans, boxes,
a summary with a rating). ``answer()`` simulates a person or model with a given
chance of being right on this item; ``result()`` renders an answer as Label
Studio's ``result`` JSON, with the from_name/to_name/type of the project's config.
Mistakes follow what people confuse: Mixed vs Positive, ORG vs LOC, Jar vs Can.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from databrewery_lab.demo import images, texts
from databrewery_lab.demo.label_configs import TOPIC_LABELS

Answer = Any
IdSource = Callable[[], str]

#: For a wrong sentiment answer: which label is picked instead, and how often.
SENTIMENT_CONFUSION = {
    "Positive": {"Mixed": 5, "Neutral": 3.5, "Negative": 1.5},
    "Negative": {"Mixed": 5, "Neutral": 3, "Positive": 2},
    "Neutral": {"Mixed": 3, "Positive": 4, "Negative": 3},
    "Mixed": {"Positive": 4, "Negative": 4, "Neutral": 2},
}
NER_CONFUSION = {"PER": ("ORG",), "ORG": ("LOC", "MISC"), "LOC": ("ORG",), "MISC": ("ORG", "LOC")}
BOX_CONFUSION = {"Bottle": ("Jar",), "Can": ("Jar", "Bottle"), "Carton": ("Can",), "Jar": ("Can",)}
TOPIC_CONFUSION = {
    "Billing": "Account",
    "Account": "Billing",
    "Bug report": "Feature request",
    "Feature request": "Bug report",
    "Shipping": "Billing",
}


@dataclass(frozen=True)
class TaskContent:
    """One task's ``data`` and ``meta`` JSON, its hidden truth and extra difficulty."""

    data: str
    meta: str
    truth: Any
    hardness: float


class Kind:
    """Interface of a labeling-kind simulator (see module docstring)."""

    #: control names, in result order (for label counts and checks).
    controls: tuple[str, ...] = ()

    def task(self, rnd: random.Random, index: int) -> TaskContent:
        raise NotImplementedError

    def answer(self, rnd: random.Random, truth: Any, p: float) -> Answer:
        raise NotImplementedError

    def result(
        self, answer: Answer, truth: Any, new_id: IdSource, score: float | None = None
    ) -> tuple[str, int]:
        """(``result`` JSON text, number of result items)."""
        raise NotImplementedError

    def labels(self, answer: Answer) -> Iterator[tuple[str, str]]:
        """(control name, label) pairs an answer uses (for summaries and label links)."""
        raise NotImplementedError

    def correct(self, answer: Answer, truth: Any) -> bool:
        raise NotImplementedError

    def ideal(self, truth: Any) -> Answer:
        """The answer an expert gives (ground truth, reviewer fixes)."""
        return truth

    def text(self, answer: Answer) -> str:
        """Short text for ``task.annotations_results`` / ``predictions_results``."""
        return ", ".join(label for _, label in self.labels(answer))


def _item(
    rid: str, from_name: str, to_name: str, kind: str, value: dict[str, Any], score: float | None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": rid,
        "from_name": from_name,
        "to_name": to_name,
        "type": kind,
        "value": value,
    }
    if score is None:
        item["origin"] = "manual"
    else:
        item["score"] = round(score, 4)
    return item


class SentimentKind(Kind):
    """Single-choice review sentiment (``Choices`` on ``Text``)."""

    controls = ("sentiment",)

    def __init__(self, labels: tuple[str, ...]) -> None:
        self.label_set = labels
        self.confusion = {
            truth: (
                [lab for lab in others if lab in labels],
                [w for lab, w in others.items() if lab in labels],
            )
            for truth, others in SENTIMENT_CONFUSION.items()
            if truth in labels
        }
        head = '[{"id": "%s", "from_name": "sentiment", "to_name": "text", "type": "choices", '
        self._manual = {
            lab: head + '"value": {"choices": ["' + lab + '"]}, "origin": "manual"}]'
            for lab in labels
        }
        self._predicted = {
            lab: head + '"value": {"choices": ["' + lab + '"]}, "score": %s}]' for lab in labels
        }

    def task(self, rnd: random.Random, index: int) -> TaskContent:
        r = texts.review(rnd, self.label_set)
        data = {
            "text": r.text,
            "product": r.product,
            "stars": r.stars,
            "review_id": f"R-{index:07d}",
        }
        meta = {"source": "webshop", "language": "en"}
        return TaskContent(json.dumps(data), json.dumps(meta), r.label, r.hardness)

    def answer(self, rnd: random.Random, truth: str, p: float) -> str:
        if rnd.random() < p:
            return truth
        others, weights = self.confusion[truth]
        return rnd.choices(others, weights)[0]

    def result(
        self, answer: str, truth: Any, new_id: IdSource, score: float | None = None
    ) -> tuple[str, int]:
        if score is None:
            return self._manual[answer] % new_id(), 1
        return self._predicted[answer] % (new_id(), round(score, 4)), 1

    def labels(self, answer: str) -> Iterator[tuple[str, str]]:
        yield "sentiment", answer

    def correct(self, answer: str, truth: str) -> bool:
        return answer == truth


class TopicsKind(Kind):
    """Multi-choice topics of a support ticket (``choice="multiple"``)."""

    controls = ("topic",)

    def task(self, rnd: random.Random, index: int) -> TaskContent:
        t = texts.ticket(rnd)
        data = {"ticket": t.text, "channel": t.channel, "ticket_id": f"T-{index + 40000:06d}"}
        meta = {"language": "en", "customer_tier": rnd.choice(texts.PLANS)}
        return TaskContent(json.dumps(data), json.dumps(meta), t.topics, 0.15 * len(t.topics))

    def answer(self, rnd: random.Random, truth: tuple[str, ...], p: float) -> tuple[str, ...]:
        chosen = {t for t in truth if rnd.random() < 0.35 + 0.65 * p}
        for t in truth:
            if rnd.random() < (1 - p) * 0.5:
                chosen.add(TOPIC_CONFUSION[t])
        if not chosen:
            chosen.add(truth[0] if rnd.random() < p else TOPIC_CONFUSION[truth[0]])
        return tuple(t for t in TOPIC_LABELS if t in chosen)

    def result(
        self, answer: tuple[str, ...], truth: Any, new_id: IdSource, score: float | None = None
    ) -> tuple[str, int]:
        item = _item(new_id(), "topic", "ticket", "choices", {"choices": list(answer)}, score)
        return json.dumps([item]), 1

    def labels(self, answer: tuple[str, ...]) -> Iterator[tuple[str, str]]:
        for t in answer:
            yield "topic", t

    def correct(self, answer: tuple[str, ...], truth: tuple[str, ...]) -> bool:
        return set(answer) == set(truth)


Span = tuple[int, int, str]


class NerKind(Kind):
    """Entity spans on news text (``Labels`` on ``Text``); spans are real substrings."""

    controls = ("label",)

    def task(self, rnd: random.Random, index: int) -> TaskContent:
        item = texts.news(rnd)
        published = f"2026-{rnd.randint(6, 9):02d}-{rnd.randint(1, 28):02d}"
        data = {
            "text": item.text,
            "source": rnd.choice(("wire", "press release")),
            "published": published,
        }
        meta = {"desk": rnd.choice(("business", "world", "sport", "politics"))}
        return TaskContent(json.dumps(data), json.dumps(meta), item, 0.05 * len(item.entities))

    def answer(self, rnd: random.Random, truth: texts.NewsItem, p: float) -> tuple[Span, ...]:
        spans: list[Span] = []
        text = truth.text
        for start, end, label in truth.entities:
            if rnd.random() > 0.55 + 0.45 * p:
                continue  # missed
            if rnd.random() > p:
                label = rnd.choice(NER_CONFUSION[label])
            surface = text[start:end]
            if " " in surface and rnd.random() < (1 - p) * 0.6:  # boundary slip: one word only
                cut = surface.index(" ")
                start, end = (start + cut + 1, end) if rnd.random() < 0.5 else (start, start + cut)
            spans.append((start, end, label))
        if truth.decoys and rnd.random() < (1 - p) * 0.6:
            start, end = rnd.choice(truth.decoys)
            spans.append((start, end, rnd.choice(("ORG", "MISC"))))
        return tuple(sorted(spans))

    def result(
        self,
        answer: tuple[Span, ...],
        truth: texts.NewsItem,
        new_id: IdSource,
        score: float | None = None,
    ) -> tuple[str, int]:
        items = [
            _item(
                new_id(),
                "label",
                "text",
                "labels",
                {"start": s, "end": e, "text": truth.text[s:e], "labels": [lab]},
                score,
            )
            for s, e, lab in answer
        ]
        return json.dumps(items), len(items)

    def labels(self, answer: tuple[Span, ...]) -> Iterator[tuple[str, str]]:
        for _, _, lab in answer:
            yield "label", lab

    def correct(self, answer: tuple[Span, ...], truth: texts.NewsItem) -> bool:
        return set(answer) == set(truth.entities)

    def ideal(self, truth: texts.NewsItem) -> tuple[Span, ...]:
        return tuple(sorted(truth.entities))

    def text(self, answer: tuple[Span, ...]) -> str:
        return ", ".join(f"{lab}:{s}-{e}" for s, e, lab in answer)


Drawn = tuple[str, dict[str, float]]


class BoxKind(Kind):
    """Rectangles on shelf images (``RectangleLabels`` on ``Image``), percent units."""

    controls = ("label",)

    def __init__(self, seed: int, n_images: int) -> None:
        self.seed = seed
        self.n_images = n_images
        self._scenes: dict[int, list[images.Box]] = {}

    def scene_boxes(self, image: int) -> list[images.Box]:
        if image not in self._scenes:
            self._scenes[image] = images.scene(self.seed, image)[1]
        return self._scenes[image]

    def task(self, rnd: random.Random, index: int) -> TaskContent:
        image = index % self.n_images
        data = {
            "image": images.image_url(image),
            "store": f"Store #{rnd.randint(1, 40)}",
            "aisle": rnd.randint(1, 12),
        }
        meta = {
            "camera": f"shelf-cam-{rnd.randint(1, 6)}",
            "original_width": images.WIDTH,
            "original_height": images.HEIGHT,
        }
        boxes = self.scene_boxes(image)
        return TaskContent(json.dumps(data), json.dumps(meta), boxes, 0.06 * len(boxes))

    def answer(self, rnd: random.Random, truth: list[images.Box], p: float) -> tuple[Drawn, ...]:
        drawn: list[Drawn] = []
        for box in truth:
            if rnd.random() > 0.7 + 0.3 * p:
                continue
            label = (
                box.label if rnd.random() < 0.5 + 0.5 * p else rnd.choice(BOX_CONFUSION[box.label])
            )
            drawn.append((label, images.jitter(rnd, box, 0.8 + 6.0 * (1 - p))))
        if rnd.random() < (1 - p) * 0.2:  # a box around the price tag
            x, y = rnd.uniform(5, 80), rnd.uniform(5, 80)
            drawn.append(
                (
                    rnd.choice(tuple(BOX_CONFUSION)),
                    {"x": round(x, 4), "y": round(y, 4), "width": 8.0, "height": 6.0},
                )
            )
        return tuple(drawn)

    def result(
        self, answer: tuple[Drawn, ...], truth: Any, new_id: IdSource, score: float | None = None
    ) -> tuple[str, int]:
        items = []
        for label, box in answer:
            item = _item(
                new_id(),
                "label",
                "image",
                "rectanglelabels",
                {**box, "rotation": 0, "rectanglelabels": [label]},
                score,
            )
            item["original_width"] = images.WIDTH
            item["original_height"] = images.HEIGHT
            item["image_rotation"] = 0
            items.append(item)
        return json.dumps(items), len(items)

    def labels(self, answer: tuple[Drawn, ...]) -> Iterator[tuple[str, str]]:
        for label, _ in answer:
            yield "label", label

    def ideal(self, truth: list[images.Box]) -> tuple[Drawn, ...]:
        return tuple((b.label, images.percent_box(b)) for b in truth)

    def correct(self, answer: tuple[Drawn, ...], truth: list[images.Box]) -> bool:
        return sorted(lab for lab, _ in answer) == sorted(b.label for b in truth)


class SummaryKind(Kind):
    """A one-line summary (``TextArea``) and an urgency ``Rating`` of a ticket."""

    controls = ("summary", "urgency")

    def task(self, rnd: random.Random, index: int) -> TaskContent:
        t = texts.ticket(rnd)
        data = {"ticket": t.text, "channel": t.channel, "ticket_id": f"T-{index + 10000:06d}"}
        meta = {"language": "en", "customer_tier": rnd.choice(texts.PLANS)}
        return TaskContent(json.dumps(data), json.dumps(meta), t, 0.2 * (len(t.topics) - 1))

    def answer(self, rnd: random.Random, truth: texts.Ticket, p: float) -> tuple[str, int]:
        careful = rnd.random() < p
        noise = rnd.gauss(0, 0.3 + 1.2 * (1 - p))
        rating = min(5, max(1, round(truth.urgency + noise)))
        return texts.annotator_summary(rnd, truth, careful), rating

    def result(
        self, answer: tuple[str, int], truth: Any, new_id: IdSource, score: float | None = None
    ) -> tuple[str, int]:
        text, rating = answer
        items = [
            _item(new_id(), "summary", "ticket", "textarea", {"text": [text]}, score),
            _item(new_id(), "urgency", "ticket", "rating", {"rating": rating}, score),
        ]
        return json.dumps(items), 2

    def labels(self, answer: tuple[str, int]) -> Iterator[tuple[str, str]]:
        yield "urgency", str(answer[1])

    def correct(self, answer: tuple[str, int], truth: texts.Ticket) -> bool:
        covered = all(w in answer[0] for w in truth.summary[len("Customer ") : -1].split(" and "))
        return covered and abs(answer[1] - truth.urgency) <= 1

    def ideal(self, truth: texts.Ticket) -> tuple[str, int]:
        return truth.summary, truth.urgency

    def text(self, answer: tuple[str, int]) -> str:
        return f"{answer[0]} [urgency {answer[1]}]"
