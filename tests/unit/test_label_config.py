"""Label configs parse safely into the typed model, and every mistake names line and fix."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from databrewery_lab.demo import label_configs as lc
from databrewery_lab.demo.projects import PROJECTS
from databrewery_lab.errors import LabelConfigError, NotFound
from databrewery_lab.label_config import (
    DEFAULT_HOTKEYS,
    PALETTE,
    TAGS,
    ControlRef,
    HeaderNode,
    LabelConfig,
    ObjectRef,
    ViewNode,
    parse_label_config,
    resolve_data,
)

SENTIMENT = """<View>
  <Header value="Sentiment"/>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true" required="true">
    <Choice value="Positive" hotkey="p"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>"""

NER = """<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="red"/>
    <Label value="ORG"/>
    <Label value="LOC" hotkey="l"/>
  </Labels>
  <Text name="text" value="$text" granularity="word"/>
</View>"""

BOXES = """<View>
  <Image name="image" value="$image" zoom="true" maxWidth="800px"/>
  <RectangleLabels name="box" toName="image">
    <Label value="Bottle"/><Label value="Can"/>
  </RectangleLabels>
  <TextArea name="note" toName="image" perRegion="true" required="true"
            whenTagName="box" placeholder="What is written on it?"/>
</View>"""

SUMMARY = """<View style="display: flex">
  <Text name="ticket" value="$ticket"/>
  <View style="width: 40%">
    <Header value="Summary" size="4"/>
    <TextArea name="summary" toName="ticket" rows="3" maxSubmissions="2" editable="true"
              placeholder="Customer wants ..." hotkey="s"/>
    <Rating name="urgency" toName="ticket" maxRating="10" icon="star" hotkey="u"/>
    <Number name="price" toName="ticket" min="0" max="99.5" step="0.5"/>
  </View>
</View>"""

TOPICS = """<View>
  <Text name="ticket" value="$ticket"/>
  <Choices name="topic" toName="ticket" choice="multiple">
    <Choice value="Billing" alias="billing" hint="Invoices, refunds"/>
    <Choice value="Shipping" selected="true"/>
  </Choices>
</View>"""


#: A config's first line with a Text object; error cases put the faulty tag on line 2.
TEXT = '<View><Text name="t" value="$t"/>\n'


def error(xml: object) -> LabelConfigError:
    with pytest.raises(LabelConfigError) as info:
        parse_label_config(xml)  # type: ignore[arg-type]
    return info.value


# --------------------------------------------------------------------------- model


def test_sentiment_config_becomes_typed_objects_and_controls() -> None:
    config = parse_label_config(SENTIMENT)
    text = config.object("text")
    assert (text.tag, text.name, text.value, text.data_path, text.line) == (
        "Text",
        "text",
        "$text",
        ("text",),
        3,
    )
    control = config.control("sentiment")
    assert control.tag == "Choices"
    assert control.to_name == ("text",)
    assert control.result_type == "choices"
    assert control.required is True
    assert control.show_inline is True
    assert control.choice == "single"
    assert control.per_region is False
    assert control.line == 4
    assert [o.value for o in control.options] == ["Positive", "Negative", "Neutral"]
    assert control.options[0].line == 5
    assert control.attrs["showInline"] == "true"
    assert config.has_control_tags
    assert config.data_keys == ("text",)


def test_model_is_frozen() -> None:
    config = parse_label_config(SENTIMENT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.controls[0].name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.controls[0].attrs["name"] = "other"  # type: ignore[index]


def test_parsing_is_cached_on_the_text() -> None:
    assert parse_label_config(SENTIMENT) is parse_label_config(SENTIMENT)


def test_labels_keep_colours_and_get_palette_colours_when_absent() -> None:
    control = parse_label_config(NER).control("label")
    assert control.result_type == "labels"
    assert control.show_inline is True  # Label Studio's default for Labels
    assert [o.background for o in control.options] == ["red", PALETTE[1], PALETTE[2]]
    assert parse_label_config(NER).object("text").options == {"granularity": "word"}


def test_choices_get_no_default_colour() -> None:
    control = parse_label_config(SENTIMENT).control("sentiment")
    assert [o.background for o in control.options] == [None, None, None]


def test_option_attributes() -> None:
    billing, shipping = parse_label_config(TOPICS).control("topic").options
    assert (billing.value, billing.alias, billing.hint, billing.selected) == (
        "Billing",
        "billing",
        "Invoices, refunds",
        False,
    )
    assert billing.result_value == "billing"
    assert shipping.selected is True
    assert shipping.alias is None
    assert shipping.result_value == "Shipping"


def test_rectangle_labels_and_per_region_text_area() -> None:
    config = parse_label_config(BOXES)
    box = config.control("box")
    assert (box.tag, box.result_type, box.to_name, box.is_region) == (
        "RectangleLabels",
        "rectanglelabels",
        ("image",),
        True,
    )
    note = config.control("note")
    assert note.per_region and note.required and not note.is_region
    assert note.placeholder == "What is written on it?"
    assert config.object("image").options == {"zoom": "true", "maxWidth": "800px"}


def test_text_area_rating_and_number_fields() -> None:
    config = parse_label_config(SUMMARY)
    summary = config.control("summary")
    assert (summary.rows, summary.max_submissions, summary.editable, summary.hotkey) == (
        3,
        2,
        True,
        "s",
    )
    assert summary.placeholder == "Customer wants ..."
    assert summary.max_rating is None and summary.min is None
    urgency = config.control("urgency")
    assert (urgency.result_type, urgency.max_rating, urgency.hotkey) == ("rating", 10, "u")
    price = config.control("price")
    assert (price.result_type, price.min, price.max, price.step) == ("number", 0.0, 99.5, 0.5)


def test_defaults_of_optional_attributes() -> None:
    config = parse_label_config(
        '<View><Text name="t" value="$t"/><Rating name="r" toName="t"/>'
        '<TextArea name="a" toName="t"/><Number name="n" toName="t"/></View>'
    )
    assert config.control("r").max_rating == 5
    area = config.control("a")
    assert (area.rows, area.placeholder, area.max_submissions, area.editable) == (
        None,
        None,
        None,
        False,
    )
    number = config.control("n")
    assert (number.min, number.max, number.step) == (None, None, None)
    assert not any(c.required or c.per_region or c.show_inline for c in config.controls)


@pytest.mark.parametrize(
    ("attr", "expected"),
    [('choice="multiple"', "multiple"), ('choice="single-radio"', "single"), ("", "single")],
)
def test_choice_modes(attr: str, expected: str) -> None:
    xml = (
        f'<View><Text name="t" value="$t"/><Choices name="c" toName="t" {attr}>'
        '<Choice value="a"/></Choices></View>'
    )
    assert parse_label_config(xml).control("c").choice == expected


def test_labels_can_allow_several_labels_per_region() -> None:
    xml = NER.replace(
        '<Labels name="label" toName="text">',
        '<Labels name="label" toName="text" choice="multiple">',
    )
    assert parse_label_config(xml).control("label").choice == "multiple"


def test_nested_value_keys() -> None:
    config = parse_label_config(
        '<View><Header value="$meta.title"/><Text name="body" value="$doc.body.text"/>'
        '<Image name="img" value="$media.image"/></View>'
    )
    assert config.object("body").data_path == ("doc", "body", "text")
    assert config.data_keys == ("doc", "media", "meta")
    header = config.layout.children[0]
    assert isinstance(header, HeaderNode)
    assert (header.text, header.data_path) == (None, ("meta", "title"))
    assert not config.has_control_tags


def test_to_name_may_name_several_objects() -> None:
    config = parse_label_config(
        '<View><Text name="a" value="$a"/><Text name="b" value="$b"/>'
        '<Choices name="c" toName="a, b"><Choice value="x"/></Choices></View>'
    )
    assert config.control("c").to_name == ("a", "b")


def test_hypertext_takes_labels() -> None:
    config = parse_label_config(
        '<View><HyperText name="html" value="$html"/>'
        '<Labels name="l" toName="html"><Label value="Quote"/></Labels></View>'
    )
    assert config.object("html").tag == "HyperText"


def test_options_may_be_grouped_in_views_with_headers() -> None:
    config = parse_label_config(
        '<View><Text name="t" value="$t"/><Choices name="c" toName="t">'
        '<Header value="Group 1"/><View style="x"><Choice value="a"/></View>'
        '<Style>.x {}</Style><Choice value="b"/></Choices></View>'
    )
    assert config.control("c").result_values == ("a", "b")


def test_unknown_attributes_are_kept() -> None:
    config = parse_label_config(lc.bbox_config())
    assert config.control("label").attrs["strokeWidth"] == "2"
    assert parse_label_config(lc.summary_config()).control("urgency").attrs["icon"] == "star"


def test_lookups_of_unknown_names_say_what_exists() -> None:
    config = parse_label_config(SENTIMENT)
    with pytest.raises(NotFound, match="no control named 'nope'; its controls: sentiment"):
        config.control("nope")
    with pytest.raises(NotFound, match="no object named 'nope'; its objects: text"):
        config.object("nope")


# --------------------------------------------------------------------------- layout


def test_layout_keeps_document_order_and_nesting() -> None:
    layout = parse_label_config(SUMMARY).layout
    assert isinstance(layout, ViewNode)
    assert layout.style == "display: flex"
    obj, inner = layout.children
    assert obj == ObjectRef("ticket", 2)
    assert isinstance(inner, ViewNode)
    assert inner.style == "width: 40%"
    assert inner.children == (
        HeaderNode(4, text="Summary", size="4"),
        ControlRef("summary", 5),
        ControlRef("urgency", 7),
        ControlRef("price", 8),
    )


def test_style_tags_are_accepted_and_ignored() -> None:
    config = parse_label_config(
        '<View><Style>.a { color: red }</Style><Text name="t" value="$t"/></View>'
    )
    assert config.layout.children == (ObjectRef("t", 1),)


def test_header_text_content_is_accepted() -> None:
    config = parse_label_config(
        '<View><Header>Read this</Header><Text name="t" value="$t"/></View>'
    )
    assert config.layout.children[0] == HeaderNode(1, text="Read this")


# --------------------------------------------------------------------------- hotkeys


def test_default_hotkeys_are_digits_that_skip_explicit_ones() -> None:
    config = parse_label_config(SENTIMENT)
    assert [o.hotkey for o in config.control("sentiment").options] == ["p", "1", "2"]
    assert dict(config.hotkeys) == {
        "p": ("sentiment", "Positive"),
        "1": ("sentiment", "Negative"),
        "2": ("sentiment", "Neutral"),
    }


def test_default_hotkeys_continue_across_controls_and_avoid_taken_digits() -> None:
    xml = (
        '<View><Text name="t" value="$t"/>'
        '<Choices name="a" toName="t"><Choice value="a1"/><Choice value="a2" hotkey="3"/></Choices>'
        '<Labels name="b" toName="t"><Label value="b1"/><Label value="b2"/>'
        '<Label value="b3"/></Labels>'
        "</View>"
    )
    config = parse_label_config(xml)
    assert [o.hotkey for o in config.control("a").options] == ["1", "3"]
    assert [o.hotkey for o in config.control("b").options] == ["2", "4", "5"]


def test_default_hotkeys_run_out_after_ten() -> None:
    options = "".join(f'<Choice value="c{i}"/>' for i in range(12))
    xml = (
        f'<View><Text name="t" value="$t"/><Choices name="c" toName="t">{options}</Choices></View>'
    )
    hotkeys = [o.hotkey for o in parse_label_config(xml).control("c").options]
    assert hotkeys == [*DEFAULT_HOTKEYS, None, None]


def test_control_hotkeys_are_listed_and_block_defaults() -> None:
    xml = (
        '<View><Text name="t" value="$t"/><Rating name="r" toName="t" hotkey="1"/>'
        '<Choices name="c" toName="t"><Choice value="x"/></Choices></View>'
    )
    config = parse_label_config(xml)
    assert config.hotkeys["1"] == ("r", None)
    assert config.hotkeys["2"] == ("c", "x")


def test_a_hotkey_used_twice_names_both_users() -> None:
    xml = """<View>
  <Text name="t" value="$t"/>
  <Choices name="c" toName="t"><Choice value="Yes" hotkey="y"/></Choices>
  <TextArea name="note" toName="t" hotkey="y"/>
</View>"""
    err = error(xml)
    assert err.line == 4
    assert 'hotkey "y" is used by both c option "Yes" (line 3) and note (line 4)' in str(err)


def test_demo_hotkeys_are_the_explicit_digits() -> None:
    config = parse_label_config(lc.sentiment_config())
    assert list(config.hotkeys) == ["1", "2", "3", "4"]


# --------------------------------------------------------------------------- parsed()


def test_parsed_has_label_studios_shape() -> None:
    parsed = parse_label_config(SENTIMENT).parsed()
    assert parsed == {
        "sentiment": {
            "type": "Choices",
            "to_name": ["text"],
            "inputs": [{"type": "Text", "valueType": None, "value": "text"}],
            "labels": ["Positive", "Negative", "Neutral"],
            "labels_attrs": {
                "Positive": {"value": "Positive", "hotkey": "p"},
                "Negative": {"value": "Negative"},
                "Neutral": {"value": "Neutral"},
            },
        }
    }


def test_parsed_uses_aliases_value_types_nested_values_and_conditionals() -> None:
    parsed = parse_label_config(TOPICS).parsed()
    assert parsed["topic"]["labels"] == ["billing", "Shipping"]
    assert parsed["topic"]["labels_attrs"]["billing"]["hint"] == "Invoices, refunds"
    nested = parse_label_config(
        '<View><Text name="t" value="$doc.text" valueType="url"/>'
        '<TextArea name="a" toName="t"/></View>'
    ).parsed()
    assert nested["a"]["inputs"] == [{"type": "Text", "value": "doc.text", "valueType": "url"}]
    assert nested["a"]["labels"] == [] and nested["a"]["labels_attrs"] == {}
    assert parse_label_config(BOXES).parsed()["note"]["conditionals"] == {
        "type": "tag",
        "name": "box",
    }


def test_parsed_json_is_the_text_of_parsed() -> None:
    config = parse_label_config(SUMMARY)
    assert json.loads(config.parsed_json()) == config.parsed()
    assert parse_label_config('<View><Text name="t" value="$t"/></View>').parsed() == {}


@pytest.mark.parametrize(
    "factory",
    [lc.sentiment_config, lc.ner_config, lc.bbox_config, lc.summary_config, lc.topics_config],
)
def test_parsed_matches_the_demo_parser(factory: object) -> None:
    xml = factory()  # type: ignore[operator]
    config = parse_label_config(xml)
    assert config.parsed() == lc.parse_label_config(xml)
    assert json.loads(config.parsed_json()) == json.loads(lc.parsed_config_text(xml))


def test_every_demo_project_config_parses() -> None:
    for spec in PROJECTS:
        config = parse_label_config(spec.config)
        assert config.has_control_tags
        assert [label for c in config.controls for label in c.result_values] == list(spec.labels)


# --------------------------------------------------------------------------- widget_spec()


def test_widget_spec_shape() -> None:
    spec = parse_label_config(SENTIMENT).widget_spec()
    assert json.loads(json.dumps(spec)) == spec
    assert spec["layout"] == [
        {
            "kind": "view",
            "style": None,
            "children": [
                {"kind": "header", "text": "Sentiment", "data_path": None, "size": None},
                {"kind": "object", "name": "text"},
                {"kind": "control", "name": "sentiment"},
            ],
        }
    ]
    assert spec["objects"] == {
        "text": {"tag": "Text", "name": "text", "data_path": ["text"], "options": {}}
    }
    assert spec["controls"]["sentiment"] == {
        "tag": "Choices",
        "type": "choices",
        "name": "sentiment",
        "to_name": ["text"],
        "required": True,
        "per_region": False,
        "choice": "single",
        "show_inline": True,
        "options": [
            {
                "value": "Positive",
                "alias": None,
                "hotkey": "p",
                "background": None,
                "selected": False,
                "hint": None,
            },
            {
                "value": "Negative",
                "alias": None,
                "hotkey": "1",
                "background": None,
                "selected": False,
                "hint": None,
            },
            {
                "value": "Neutral",
                "alias": None,
                "hotkey": "2",
                "background": None,
                "selected": False,
                "hint": None,
            },
        ],
        "max_rating": None,
        "min": None,
        "max": None,
        "step": None,
        "rows": None,
        "placeholder": None,
        "hotkey": None,
        "editable": False,
    }
    assert spec["hotkeys"] == {
        "p": ["sentiment", "Positive"],
        "1": ["sentiment", "Negative"],
        "2": ["sentiment", "Neutral"],
    }


def test_widget_spec_of_every_kind_of_control_is_json() -> None:
    for xml in (NER, BOXES, SUMMARY, TOPICS):
        spec = parse_label_config(xml).widget_spec()
        assert json.loads(json.dumps(spec)) == spec
        assert set(spec) == {"layout", "objects", "controls", "hotkeys"}
    summary = parse_label_config(SUMMARY).widget_spec()
    assert summary["controls"]["urgency"]["max_rating"] == 10
    assert summary["controls"]["price"]["max"] == 99.5
    assert summary["controls"]["summary"]["rows"] == 3
    assert summary["hotkeys"] == {"s": ["summary", None], "u": ["urgency", None]}
    boxes = parse_label_config(BOXES).widget_spec()
    assert boxes["objects"]["image"]["options"] == {"zoom": "true", "maxWidth": "800px"}
    assert boxes["controls"]["note"]["per_region"] is True


# --------------------------------------------------------------------------- errors


def test_unsupported_tag_lists_the_supported_ones() -> None:
    xml = SENTIMENT.replace("<Choices", "<Choise").replace("</Choices>", "</Choise>")
    err = error(xml)
    assert str(err).startswith(
        "Line 4: <Choise> is not a supported tag. Supported: Choice, Choices, Header, "
        "HyperText, Image, Label, Labels, Number, Rating, RectangleLabels, Style, Text, "
        "TextArea, View."
    )
    assert "Did you mean <Choice" in str(err)
    assert (err.line, err.tag) == (4, "Choise")


def test_tags_are_case_sensitive() -> None:
    err = error('<View><text name="t" value="$t"/></View>')
    assert "<text> is not a supported tag" in str(err)
    assert "Did you mean <Text>?" in str(err)


def test_root_must_be_view() -> None:
    err = error('<view><Text name="t" value="$t"/></view>')
    assert "must start with <View>, not <view>" in str(err)
    assert (err.line, err.tag) == (1, "view")


@pytest.mark.parametrize("xml", ["", "   \n", None, b"<View/>", 42])
def test_empty_or_non_text_configs_are_refused(xml: object) -> None:
    assert "label config" in str(error(xml))


def test_malformed_xml_names_line_and_column() -> None:
    err = error('<View>\n  <Text name="t" value="$t">\n</View>')
    assert err.line == 3
    assert str(err).startswith("Line 3, column 3: the label config is not well-formed XML")
    assert "mismatched tag" in str(err)
    assert error('<View>\n<Text name=t value="$t"/></View>').line == 2


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<View><Header value="&lol3;"/></View>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE View [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<View><Header value="&xxe;"/></View>"""

EXTERNAL_DTD = """<!DOCTYPE View SYSTEM "http://example.com/evil.dtd">
<View><Text name="t" value="$t"/></View>"""

PARAMETER_ENTITY = """<!DOCTYPE View [<!ENTITY % remote SYSTEM "http://example.com/x">%remote;]>
<View/>"""


@pytest.mark.parametrize(
    ("xml", "line"), [(BILLION_LAUGHS, 2), (XXE, 2), (EXTERNAL_DTD, 1), (PARAMETER_ENTITY, 1)]
)
def test_entities_and_dtds_are_refused(xml: str, line: int) -> None:
    err = error(xml)
    assert "entities are not allowed in label configs" in str(err)
    assert err.line == line


def test_undeclared_entities_are_malformed() -> None:
    assert "undefined entity" in str(error("<View>&xxe;</View>"))


@pytest.mark.parametrize(
    ("xml", "line", "tag", "message"),
    [
        ('<View>\n<Text value="$t"/></View>', 2, "Text", "<Text> needs a name attribute"),
        (
            TEXT + '<Choices toName="t"><Choice value="a"/></Choices></View>',
            2,
            "Choices",
            "<Choices> needs a name attribute",
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Text name="t" value="$u"/></View>',
            2,
            "Text",
            'reuses the name "t" of <Text> on line 1',
        ),
        (
            '<View><Text name="t" value="$t"/>\n<TextArea name="t" toName="t"/></View>',
            2,
            "TextArea",
            'reuses the name "t" of <Text> on line 1',
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Rating name="r" toName="text"/></View>',
            2,
            "Rating",
            'has toName="text" but no object tag has that name; objects: t.',
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Rating name="r"/></View>',
            2,
            "Rating",
            "needs toName naming the object tag(s) it labels",
        ),
        (
            '<View><Text name="t" value="$t"/><Rating name="r" toName="t"/>\n'
            '<Number name="n" toName="r"/></View>',
            2,
            "Number",
            'has toName="r" but no object tag has that name',
        ),
        (
            '<View><Image name="i" value="$i"/>\n'
            '<Labels name="l" toName="i"><Label value="a"/></Labels></View>',
            2,
            "Labels",
            '<Labels name="l"> cannot label <Image name="i"> (line 1); '
            "<Labels> works on <HyperText> or <Text>.",
        ),
        (
            '<View><Text name="t" value="$t"/>\n<RectangleLabels name="b" toName="t">'
            '<Label value="a"/></RectangleLabels></View>',
            2,
            "RectangleLabels",
            "<RectangleLabels> works on <Image>.",
        ),
        (
            '<View>\n<Text name="t" value="text"/></View>',
            2,
            "Text",
            'has value="text"; it must name a task-data key, like value="$text"',
        ),
        ('<View>\n<Text name="t" value="$a..b"/></View>', 2, "Text", 'has value="$a..b"'),
        ('<View>\n<Image name="i"/></View>', 2, "Image", 'needs value="$key"'),
        (
            '<View><Text name="t" value="$t"/>\n<Choices name="c" toName="t"></Choices></View>',
            2,
            "Choices",
            'has no options; add <Choice value="..."/> tags inside it.',
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Labels name="l" toName="t"/></View>',
            2,
            "Labels",
            'has no options; add <Label value="..."/>',
        ),
        (
            '<View><Text name="t" value="$t"/><Choices name="c" toName="t">\n'
            '<Label value="a"/></Choices></View>',
            2,
            "Label",
            '<Label> cannot be inside <Choices name="c"> (line 1); use <Choice value="..."/>',
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Choice value="a"/></View>',
            2,
            "Choice",
            "<Choice> must be inside <Choices>",
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Label value="a"/></View>',
            2,
            "Label",
            "<Label> must be inside <Labels> or <RectangleLabels>",
        ),
        (
            '<View><Text name="t" value="$t"/><Choices name="c" toName="t">\n'
            '<Choice value=""/></Choices></View>',
            2,
            "Choice",
            "<Choice> needs a value",
        ),
        (
            '<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/>\n'
            '<Choice value="a"/></Choices></View>',
            2,
            "Choice",
            'repeats the option "a" of line 1',
        ),
        (
            TEXT + '<Choices name="c" toName="t" value="$opts"/></View>',
            2,
            "Choices",
            "takes its options from task data",
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Choices name="c" toName="t" choice="some">'
            '<Choice value="a"/></Choices></View>',
            2,
            "Choices",
            'has choice="some"; use choice="single" or choice="multiple".',
        ),
        (
            TEXT + '<Rating name="r" toName="t" required="yes"/></View>',
            2,
            "Rating",
            'has required="yes"; use required="true" or required="false".',
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Rating name="r" toName="t" maxRating="0"/></View>',
            2,
            "Rating",
            'has maxRating="0"; use a whole number of at least 1.',
        ),
        (
            '<View><Text name="t" value="$t"/>\n<TextArea name="a" toName="t" rows="two"/></View>',
            2,
            "TextArea",
            'has rows="two"',
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Number name="n" toName="t" min="x"/></View>',
            2,
            "Number",
            'has min="x"; use a number',
        ),
        (
            TEXT + '<Number name="n" toName="t" min="5" max="1"/></View>',
            2,
            "Number",
            "has min=5 above max=1",
        ),
        (
            '<View><Text name="t" value="$t"/>\n<Number name="n" toName="t" step="0"/></View>',
            2,
            "Number",
            "has step=0; use a step above 0.",
        ),
        (
            '<View><Text name="t" value="$t"/>\n<TextArea name="a" toName="t"><Choice value="x"/>'
            "</TextArea></View>",
            2,
            "TextArea",
            "cannot contain <Choice>",
        ),
        (
            '<View>\n<Text name="t" value="$t"><Header value="x"/></Text></View>',
            2,
            "Text",
            "cannot contain <Header>",
        ),
        ("<View>\n<Header/></View>", 2, "Header", "<Header> needs a value"),
    ],
)
def test_config_mistakes_name_line_tag_and_fix(xml: str, line: int, tag: str, message: str) -> None:
    err = error(xml)
    assert message in str(err)
    assert str(err).startswith(f"Line {line}: ")
    assert (err.line, err.tag) == (line, tag)


def test_errors_are_value_errors() -> None:
    assert isinstance(error("<View"), ValueError)


def test_a_config_without_controls_parses() -> None:
    config = parse_label_config('<View><Image name="i" value="$i"/></View>')
    assert not config.has_control_tags
    assert config.widget_spec()["controls"] == {}
    assert config.hotkeys == {}


def test_registry_covers_the_documented_tags() -> None:
    assert set(TAGS) == {
        "Choice",
        "Choices",
        "Header",
        "HyperText",
        "Image",
        "Label",
        "Labels",
        "Number",
        "Rating",
        "RectangleLabels",
        "Style",
        "Text",
        "TextArea",
        "View",
    }


# --------------------------------------------------------------------------- resolve_data


def test_resolve_data_follows_nested_keys() -> None:
    data = {"text": "hi", "meta": {"title": "T", "n": 0}, "a.b": "dotted"}
    assert resolve_data(data, ("text",)) == "hi"
    assert resolve_data(data, ("meta", "title")) == "T"
    assert resolve_data(data, "$meta.n") == 0
    assert resolve_data(data, ("meta", "missing")) is None
    assert resolve_data(data, ("text", "deeper")) is None
    assert resolve_data(data, ("a", "b")) == "dotted"
    assert resolve_data({}, ("x",)) is None
    assert resolve_data(None, ("x",)) is None


@given(st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=4))
def test_any_nested_key_path_round_trips(path: list[str]) -> None:
    xml = f'<View><Text name="t" value="${".".join(path)}"/></View>'
    config = parse_label_config(xml)
    assert config.object("t").data_path == tuple(path)
    data: object = "found"
    for key in reversed(path):
        data = {key: data}
    assert resolve_data(data, config.object("t").data_path) == "found"  # type: ignore[arg-type]


@given(st.text(max_size=60))
def test_arbitrary_text_never_escapes_as_another_error(text: str) -> None:
    try:
        config = parse_label_config(text)
    except LabelConfigError:
        return
    assert isinstance(config, LabelConfig)
