"""Annotation results are checked against the label config and task before they are saved."""

from __future__ import annotations

import copy
import itertools
import json
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from databrewery_lab.demo import label_configs as lc
from databrewery_lab.demo.kinds import (
    BoxKind,
    Kind,
    NerKind,
    SentimentKind,
    SummaryKind,
    TopicsKind,
)
from databrewery_lab.errors import AnnotationRejected
from databrewery_lab.label_config import LabelConfig, parse_label_config
from databrewery_lab.result_validation import (
    TOLERANCE,
    new_result_id,
    result_summary,
    validate_result,
)

SENTIMENT = parse_label_config(
    """<View>
  <Header value="Sentiment"/>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true" required="true">
    <Choice value="Positive" hotkey="p"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>"""
)
TOPICS = parse_label_config(
    """<View>
  <Text name="ticket" value="$ticket"/>
  <Choices name="topic" toName="ticket" choice="multiple">
    <Choice value="Billing" alias="billing"/><Choice value="Shipping"/><Choice value="Bug"/>
  </Choices>
</View>"""
)
NER = parse_label_config(
    """<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="red"/><Label value="ORG"/><Label value="LOC"/>
  </Labels>
  <Labels name="multi" toName="text" choice="multiple"><Label value="A"/><Label value="B"/></Labels>
  <Text name="text" value="$doc.text"/>
</View>"""
)
BOXES = parse_label_config(
    """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image"><Label value="Bottle"/><Label value="Can"/>
  </RectangleLabels>
  <TextArea name="note" toName="image" perRegion="true" required="true"/>
  <Choices name="state" toName="image" perRegion="true"><Choice value="Full"/>
    <Choice value="Empty"/></Choices>
  <Choices name="quality" toName="image"><Choice value="Sharp"/><Choice value="Blurry"/></Choices>
</View>"""
)
SUMMARY = parse_label_config(
    """<View>
  <Text name="ticket" value="$ticket"/>
  <TextArea name="summary" toName="ticket" maxSubmissions="2"/>
  <Rating name="urgency" toName="ticket" maxRating="10"/>
  <Rating name="stars" toName="ticket"/>
  <Number name="price" toName="ticket" min="0" max="99.5"/>
  <Number name="any" toName="ticket"/>
</View>"""
)
HTML = parse_label_config(
    '<View><HyperText name="page" value="$html"/>'
    '<Labels name="quote" toName="page"><Label value="Quote"/></Labels></View>'
)
TWO_TEXTS = parse_label_config(
    '<View><Text name="a" value="$a"/><Text name="b" value="$b"/>'
    '<Choices name="c" toName="a,b"><Choice value="x"/></Choices></View>'
)

TEXT = "Ada Lovelace met Charles Babbage in London."
NER_DATA = {"doc": {"text": TEXT}}
IMAGE_DATA = {"image": "/data/upload/1/shelf.png"}


def item(from_name: str, to_name: str, kind: str, value: dict[str, Any], **extra: Any) -> dict:
    return {"from_name": from_name, "to_name": to_name, "type": kind, "value": value, **extra}


def choice(*values: str, **extra: Any) -> dict:
    return item("sentiment", "text", "choices", {"choices": list(values)}, **extra)


def span(start: int, end: int, *labels: str, **value: Any) -> dict:
    return item(
        "label", "text", "labels", {"start": start, "end": end, "labels": list(labels), **value}
    )


def box(
    x: float = 10, y: float = 10, w: float = 20, h: float = 20, *labels: str, **extra: Any
) -> dict:
    value = {"x": x, "y": y, "width": w, "height": h, "rectanglelabels": list(labels or ("Can",))}
    return item("box", "image", "rectanglelabels", value, **extra)


def note(rid: str | None, *texts: str) -> dict:
    extra = {} if rid is None else {"id": rid}
    return item("note", "image", "textarea", {"text": list(texts)}, **extra)


def rejected(config: LabelConfig, result: object, data: dict | None = None) -> str:
    with pytest.raises(AnnotationRejected) as info:
        validate_result(config, result, data if data is not None else {})
    return str(info.value)


# --------------------------------------------------------------------------- normalisation


def test_a_valid_choice_is_normalised() -> None:
    raw = [choice("Positive", type="Choices")]
    before = copy.deepcopy(raw)
    (out,) = validate_result(SENTIMENT, raw, {"text": "great"})
    assert raw == before  # the input is not modified
    assert out["type"] == "choices"
    assert out["origin"] == "manual"
    assert isinstance(out["id"], str) and len(out["id"]) == 10
    assert list(out)[:6] == ["id", "from_name", "to_name", "type", "value", "origin"]
    assert out["value"] == {"choices": ["Positive"]}


def test_given_ids_origin_and_extra_keys_are_kept() -> None:
    raw = choice("Negative", id="abc", origin="prediction", score=0.4, readonly=False)
    (out,) = validate_result(SENTIMENT, [raw], {})
    assert (out["id"], out["origin"], out["score"], out["readonly"]) == (
        "abc",
        "prediction",
        0.4,
        False,
    )


def test_missing_type_and_single_to_name_are_filled_in() -> None:
    raw = {"from_name": "sentiment", "value": {"choices": ["Neutral"]}}
    (out,) = validate_result(SENTIMENT, [raw], {})
    assert (out["to_name"], out["type"]) == ("text", "choices")


def test_generated_ids_are_url_safe_and_distinct() -> None:
    ids = {new_result_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 10 and i.replace("-", "").replace("_", "").isalnum() for i in ids)


def test_an_empty_result_is_valid_even_with_required_controls() -> None:
    assert validate_result(SENTIMENT, [], {}) == []
    assert validate_result(SENTIMENT, (), None) == []


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("result", [{"choices": []}, "[]", None, 3])
def test_result_must_be_a_list(result: object) -> None:
    assert "must be a JSON list of result items" in rejected(SENTIMENT, result)


def test_items_must_be_objects() -> None:
    assert rejected(SENTIMENT, ["Positive"]).startswith("Result item 0: is a str, not an object")


def test_unknown_from_name_lists_the_controls() -> None:
    message = rejected(SENTIMENT, [choice("Positive"), {**choice("Positive"), "from_name": "x"}])
    assert message.startswith("Result item 1 (x): from_name 'x' is not a control")
    assert "use one of: sentiment." in message
    assert "Result item 0: from_name None" in rejected(SENTIMENT, [{"value": {}}])


def test_to_name_must_be_a_target_of_the_control() -> None:
    message = rejected(SENTIMENT, [{**choice("Positive"), "to_name": "image"}])
    assert "Result item 0 (sentiment): to_name 'image' is not labelled by sentiment" in message
    assert "use one of: text." in message


def test_to_name_is_required_when_the_control_labels_several_objects() -> None:
    raw = {"from_name": "c", "type": "choices", "value": {"choices": ["x"]}}
    assert "to_name None is not labelled by c; use one of: a, b." in rejected(TWO_TEXTS, [raw])
    out = validate_result(TWO_TEXTS, [{**raw, "to_name": "b"}, {**raw, "to_name": "a"}], {})
    assert [i["to_name"] for i in out] == ["b", "a"]


def test_type_must_match_the_control() -> None:
    message = rejected(SENTIMENT, [{**choice("Positive"), "type": "labels"}])
    assert 'has type \'labels\', but sentiment is a <Choices>; use "type": "choices".' in message


def test_value_must_be_an_object() -> None:
    message = rejected(SENTIMENT, [{**choice("Positive"), "value": ["Positive"]}])
    assert 'has no value object; send "value": {"choices": ...}' in message


@pytest.mark.parametrize("rid", [5, "", ["a"]])
def test_ids_must_be_non_empty_strings(rid: object) -> None:
    assert "use a non-empty string id" in rejected(SENTIMENT, [choice("Positive", id=rid)])


@pytest.mark.parametrize("key", ["original_width", "original_height"])
@pytest.mark.parametrize("size", [0, -5, 2.5, "640", True])
def test_image_sizes_must_be_positive_ints(key: str, size: object) -> None:
    message = rejected(BOXES, [box(**{key: size}), note(None, "x")], IMAGE_DATA)
    assert f"has {key}=" in message


def test_origin_must_be_a_string() -> None:
    assert "has origin 3" in rejected(SENTIMENT, [choice("Positive", origin=3)])


# --------------------------------------------------------------------------- choices


def test_single_choice_takes_exactly_one() -> None:
    assert "has 2 choices but sentiment takes exactly one" in rejected(
        SENTIMENT, [choice("Positive", "Negative")]
    )
    assert "has 0 choices" in rejected(SENTIMENT, [choice()])


def test_choices_must_be_options() -> None:
    message = rejected(SENTIMENT, [choice("Postive")])
    assert message == (
        "Result item 0 (sentiment): 'Postive' is not an option of sentiment; "
        "use one of: Positive, Negative, Neutral."
    )


@pytest.mark.parametrize("value", [{"choices": "Positive"}, {"choices": [1]}, {}])
def test_choices_must_be_a_list_of_strings(value: dict) -> None:
    raw = item("sentiment", "text", "choices", value)
    assert 'send "choices": a list of strings' in rejected(SENTIMENT, [raw])


def test_multiple_choices_take_one_or_more_and_use_aliases() -> None:
    raw = item("topic", "ticket", "choices", {"choices": ["billing", "Bug"]})
    assert validate_result(TOPICS, [raw], {})[0]["value"]["choices"] == ["billing", "Bug"]
    none = item("topic", "ticket", "choices", {"choices": []})
    assert "has no choices; pick at least one" in rejected(TOPICS, [none])
    value = item("topic", "ticket", "choices", {"choices": ["Billing"]})
    assert "'Billing' is not an option of topic; use one of: billing, Shipping, Bug" in rejected(
        TOPICS, [value]
    )
    twice = item("topic", "ticket", "choices", {"choices": ["Bug", "Bug"]})
    assert "lists an option twice" in rejected(TOPICS, [twice])


def test_a_classification_appears_once_per_object() -> None:
    message = rejected(SENTIMENT, [choice("Positive"), choice("Negative")])
    assert message.startswith("Result item 1 (sentiment): answers sentiment for text again")
    assert "merge them into one item" in message


def test_required_controls_must_be_answered() -> None:
    config = parse_label_config(
        '<View><Text name="text" value="$text"/>'
        '<Choices name="sentiment" toName="text" required="true"><Choice value="a"/></Choices>'
        '<TextArea name="comment" toName="text"/></View>'
    )
    comment = item("comment", "text", "textarea", {"text": ["hi"]})
    assert rejected(config, [comment]).startswith("sentiment is required")
    both = [comment, item("sentiment", "text", "choices", {"choices": ["a"]})]
    assert len(validate_result(config, both, {})) == 2


# --------------------------------------------------------------------------- labels


def test_spans_get_their_text_filled_in() -> None:
    (out,) = validate_result(NER, [span(0, 12, "PER")], NER_DATA)
    assert out["value"] == {"start": 0, "end": 12, "labels": ["PER"], "text": "Ada Lovelace"}


def test_span_text_must_match_the_task_text() -> None:
    assert validate_result(NER, [span(17, 32, "PER", text="Charles Babbage")], NER_DATA)
    message = rejected(NER, [span(17, 32, "PER", text="Charles")], NER_DATA)
    assert "says the span is 'Charles' but the text there is 'Charles Babbage'" in message


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 5), (6, 2), (0, len(TEXT) + 1)])
def test_span_offsets_must_lie_inside_the_text(start: int, end: int) -> None:
    message = rejected(NER, [span(start, end, "PER")], NER_DATA)
    assert f"has the span {start}..{end}, outside the {len(TEXT)}-character text" in message


def test_the_whole_text_is_a_valid_span() -> None:
    assert validate_result(NER, [span(0, len(TEXT), "LOC")], NER_DATA)


@pytest.mark.parametrize(("start", "end"), [("0", 3), (0, 3.0), (True, 3), (None, None)])
def test_span_offsets_must_be_ints(start: object, end: object) -> None:
    assert "send character offsets (ints)" in rejected(NER, [span(start, end, "PER")], NER_DATA)  # type: ignore[arg-type]


def test_a_span_needs_the_text_in_the_task_data() -> None:
    message = rejected(NER, [span(0, 3, "PER")], {"text": TEXT})
    assert "the task data has no text at $doc.text" in message
    assert "add a string under 'doc.text'" in message
    assert "no text at" in rejected(NER, [span(0, 3, "PER")], {"doc": {"text": 42}})


def test_span_labels_are_checked() -> None:
    assert "'per' is not an option of label" in rejected(NER, [span(0, 3, "per")], NER_DATA)
    assert "has 2 labels but label takes exactly one" in rejected(
        NER, [span(0, 3, "PER", "ORG")], NER_DATA
    )
    multi = {**span(0, 3, "A", "B"), "from_name": "multi"}
    assert validate_result(NER, [multi], NER_DATA)[0]["value"]["labels"] == ["A", "B"]


def test_many_regions_of_one_control_are_fine() -> None:
    out = validate_result(
        NER, [span(0, 3, "PER"), span(0, 3, "PER"), span(36, 42, "LOC")], NER_DATA
    )
    assert [i["value"]["text"] for i in out] == ["Ada", "Ada", "London"]


def test_text_from_a_url_is_not_offset_checked() -> None:
    config = parse_label_config(
        '<View><Text name="text" value="$url" valueType="url"/>'
        '<Labels name="label" toName="text"><Label value="PER"/></Labels></View>'
    )
    (out,) = validate_result(config, [span(100, 200, "PER")], {"url": "https://x/doc.txt"})
    assert "text" not in out["value"]


def test_hypertext_spans_use_xpaths_and_offsets() -> None:
    value = {
        "start": "/p[1]/text()[1]",
        "end": "/p[1]/text()[1]",
        "startOffset": 0,
        "endOffset": 5,
        "text": "Hello",
        "labels": ["Quote"],
    }
    good = item("quote", "page", "labels", value)
    assert validate_result(HTML, [good], {"html": "<p>Hello</p>"})[0]["value"] == value
    bad = item("quote", "page", "labels", {**value, "startOffset": -1})
    assert "send startOffset as an int >= 0" in rejected(HTML, [bad])
    bad = item("quote", "page", "labels", {**value, "start": 0})
    assert "send start as an XPath string" in rejected(HTML, [bad])


# --------------------------------------------------------------------------- rectangles


def test_a_valid_box_with_image_size_and_rotation() -> None:
    raw = box(0, 0, 100, 100, "Bottle", original_width=640, original_height=480)
    raw["value"]["rotation"] = 0
    raw["id"] = "b1"
    out = validate_result(BOXES, [raw, note("b1", "Cola")], IMAGE_DATA)
    assert out[0]["value"]["rectanglelabels"] == ["Bottle"]
    assert out[0]["original_width"] == 640


def test_boxes_may_touch_the_edge_within_tolerance() -> None:
    raw = box(60, 60, 40 + TOLERANCE / 2, 40, id="b")
    assert validate_result(BOXES, [raw, note("b", "x")], IMAGE_DATA)


@pytest.mark.parametrize(
    ("x", "y", "w", "h", "problem"),
    [
        (-1, 0, 10, 10, "has the box x=-1"),
        (0, -0.5, 10, 10, "has the box"),
        (0, 0, 0, 10, "width, height > 0"),
        (0, 0, 10, -2, "width, height > 0"),
        (95, 0, 10, 10, "reaching past the image (x+width=105"),
        (0, 50, 10, 50.1, "y+height=100.1"),
    ],
)
def test_boxes_must_lie_inside_the_image(
    x: float, y: float, w: float, h: float, problem: str
) -> None:
    assert problem in rejected(BOXES, [box(x, y, w, h)], IMAGE_DATA)


@pytest.mark.parametrize("bad", ["10", None, True, float("nan"), float("inf")])
def test_box_coordinates_must_be_numbers(bad: object) -> None:
    raw = box()
    raw["value"]["width"] = bad
    assert "send width as a percent number" in rejected(BOXES, [raw], IMAGE_DATA)
    raw = box()
    raw["value"]["rotation"] = bad
    assert "send degrees as a number" in rejected(BOXES, [raw], IMAGE_DATA)


def test_box_labels_are_checked() -> None:
    assert "'Jar' is not an option of box" in rejected(BOXES, [box(1, 1, 1, 1, "Jar")])


@given(
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(0.001, 100),
    st.floats(0.001, 100),
)
def test_any_box_inside_the_image_is_valid(x: float, y: float, w: float, h: float) -> None:
    raw = box(x, y, w, h, id="r")
    result = [raw, note("r", "n")]
    if x + w <= 100 and y + h <= 100:
        assert validate_result(BOXES, result, IMAGE_DATA)[0]["value"]["x"] == x
    elif x + w > 100 + TOLERANCE or y + h > 100 + TOLERANCE:
        with pytest.raises(AnnotationRejected):
            validate_result(BOXES, result, IMAGE_DATA)


# --------------------------------------------------------------------------- per region


def test_per_region_items_attach_to_a_region_by_id() -> None:
    state = item("state", "image", "choices", {"choices": ["Full"]}, id="r1")
    result = [box(id="r1"), note("r1", "Cola"), state]
    out = validate_result(BOXES, result, IMAGE_DATA)
    assert [i["id"] for i in out] == ["r1", "r1", "r1"]


def test_per_region_items_need_an_id() -> None:
    message = rejected(BOXES, [box(id="r1"), note(None, "Cola")], IMAGE_DATA)
    assert "Result item 1 (note): describes a region but carries no id" in message


def test_per_region_items_need_an_existing_region() -> None:
    message = rejected(BOXES, [box(id="r1"), note("r1", "a"), note("zz", "b")], IMAGE_DATA)
    assert "Result item 2 (note): belongs to region 'zz', but no region on image" in message
    assert "draw the region first" in message


def test_a_per_region_answer_appears_once_per_region() -> None:
    result = [box(id="r1"), note("r1", "a"), note("r1", "b")]
    assert "answers note for region 'r1' again (item 1 already does)" in rejected(
        BOXES, result, IMAGE_DATA
    )


def test_a_required_per_region_control_needs_every_region_answered() -> None:
    result = [box(id="r1"), box(id="r2"), note("r1", "a")]
    message = rejected(BOXES, result, IMAGE_DATA)
    assert "Result item 1 (box): is a region without an answer for note" in message
    assert "add a note item with id 'r2'" in message


def test_per_region_required_respects_when_label_value() -> None:
    config = parse_label_config(
        '<View><Image name="image" value="$image"/>'
        '<RectangleLabels name="box" toName="image"><Label value="Bottle"/><Label value="Can"/>'
        "</RectangleLabels>"
        '<TextArea name="note" toName="image" perRegion="true" required="true" '
        'whenLabelValue="Bottle"/></View>'
    )
    assert validate_result(config, [box(id="c")], IMAGE_DATA)  # a Can needs no note
    bottle = box(1, 1, 5, 5, "Bottle", id="b")
    assert "without an answer for note" in rejected(config, [bottle], IMAGE_DATA)
    assert validate_result(config, [bottle, note("b", "x")], IMAGE_DATA)


def test_whole_image_classification_is_not_per_region() -> None:
    quality = item("quality", "image", "choices", {"choices": ["Sharp"]})
    result = [box(id="r1"), note("r1", "a"), quality]
    assert validate_result(BOXES, result, IMAGE_DATA)[2]["value"] == {"choices": ["Sharp"]}


# ---------------------------------------------------------------- text area, rating, number


def summary(*texts: str | int) -> dict:
    return item("summary", "ticket", "textarea", {"text": list(texts)})


def test_textarea_takes_a_list_of_texts_or_one_string() -> None:
    (out,) = validate_result(SUMMARY, [summary("one", "two")], {})
    assert out["value"]["text"] == ["one", "two"]
    raw = item("summary", "ticket", "textarea", {"text": "alone"})
    assert validate_result(SUMMARY, [raw], {})[0]["value"]["text"] == ["alone"]


@pytest.mark.parametrize("texts", [(), ("",), ("  ",), ("ok", 3)])
def test_textarea_texts_must_be_non_empty_strings(texts: tuple) -> None:
    message = rejected(SUMMARY, [summary(*texts)])
    assert "summary" in message and ("send" in message)


def test_textarea_respects_max_submissions() -> None:
    message = rejected(SUMMARY, [summary("a", "b", "c")])
    assert "has 3 texts but summary takes at most 2; remove the extra texts." in message


def rating(name: str, value: object) -> dict:
    return item(name, "ticket", "rating", {"rating": value})


@pytest.mark.parametrize(("name", "value"), [("urgency", 1), ("urgency", 10), ("stars", 5)])
def test_ratings_in_range(name: str, value: int) -> None:
    assert validate_result(SUMMARY, [rating(name, value)], {})[0]["value"] == {"rating": value}


@pytest.mark.parametrize(
    ("name", "value", "top"),
    [
        ("urgency", 0, 10),
        ("urgency", 11, 10),
        ("stars", 6, 5),
        ("stars", 2.0, 5),
        ("stars", "3", 5),
    ],
)
def test_ratings_out_of_range(name: str, value: object, top: int) -> None:
    assert f"send a whole number from 1 to {top}" in rejected(SUMMARY, [rating(name, value)])


def number(name: str, value: object) -> dict:
    return item(name, "ticket", "number", {"number": value})


@pytest.mark.parametrize(("name", "value"), [("price", 0), ("price", 99.5), ("any", -1e9)])
def test_numbers_in_range(name: str, value: float) -> None:
    assert validate_result(SUMMARY, [number(name, value)], {})


def test_numbers_out_of_range_or_not_numbers() -> None:
    assert "outside from 0 to 99.5" in rejected(SUMMARY, [number("price", 100)])
    assert "outside from 0 to 99.5" in rejected(SUMMARY, [number("price", -0.1)])
    for bad in ("5", None, True, float("nan")):
        assert "send a finite number" in rejected(SUMMARY, [number("any", bad)])


# --------------------------------------------------------------------------- summary


def test_result_summary_of_each_kind() -> None:
    assert result_summary([choice("Positive")]) == "Positive"
    spans = [span(0, 3, "PER"), span(4, 8, "ORG"), span(9, 12, "PER")]
    assert result_summary(spans) == "PER, ORG"
    assert result_summary([box(1, 1, 1, 1, "Can"), box(1, 1, 1, 1, "Bottle")]) == "Can, Bottle"
    assert (
        result_summary([summary("Needs a refund."), rating("urgency", 4)]) == "Needs a refund., ★4"
    )
    assert result_summary([number("price", 3.0)]) == "3"
    assert result_summary([]) == "" and result_summary(None) == ""


def test_result_summary_cuts_long_text_and_skips_garbage() -> None:
    text = "x" * 500
    assert result_summary([summary(text)]) == "x" * 200
    garbage = [None, {"type": "choices"}, {"type": "choices", "value": {"choices": "no"}}, "s"]
    assert result_summary([*garbage, choice("Neutral")]) == "Neutral"  # type: ignore[list-item]


# --------------------------------------------------------------------------- demo results


DEMO_CASES = [
    (SentimentKind(lc.SENTIMENT_LABELS), lc.sentiment_config()),
    (NerKind(), lc.ner_config()),
    (BoxKind(seed=0, n_images=20), lc.bbox_config()),
    (SummaryKind(), lc.summary_config()),
    (TopicsKind(), lc.topics_config()),
]


@pytest.mark.parametrize(("kind", "xml"), DEMO_CASES, ids=lambda c: type(c).__name__)
def test_demo_results_validate_against_their_configs(kind: Kind, xml: str) -> None:
    config = parse_label_config(xml)
    rnd = random.Random(7)
    counter = itertools.count()
    for index in range(60):
        content = kind.task(rnd, index)
        data = json.loads(content.data)
        for p, score in ((0.2, None), (0.9, 0.5), (1.0, None)):
            answer = kind.answer(rnd, content.truth, p)
            text, count = kind.result(answer, content.truth, lambda: f"r{next(counter):09d}", score)
            items = json.loads(text)
            out = validate_result(config, items, data)
            assert len(out) == count
            assert [i["id"] for i in out] == [i["id"] for i in items]
            assert [i["value"] for i in out] == [i["value"] for i in items]
            labels = dict.fromkeys(label for _, label in kind.labels(answer))
            if not isinstance(kind, SummaryKind):
                assert result_summary(out) == ", ".join(labels)
