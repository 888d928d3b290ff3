"""Checks an annotation ``result`` against its label config and task before it is saved.

A result is Label Studio's JSON list of items, each ``{id, from_name, to_name, type,
value, ...}``. :func:`validate_result` returns a normalised copy (ids, origin and
span text filled in, ``type`` lower-cased) or raises AnnotationRejected naming the
item, the control and the fix, so nothing Label Studio could not open is written.

Value checks are a registry keyed by result type (:data:`VALUE_CHECKS`); span checks
by object tag (:data:`SPAN_CHECKS`), so a new tag is a new row.
"""

from __future__ import annotations

import copy
import math
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from databrewery_lab.errors import AnnotationRejected
from databrewery_lab.label_config import ControlTag, LabelConfig, ObjectTag, resolve_data

#: Slack for percent coordinates that add up to a hair above 100 through rounding.
TOLERANCE = 1e-6
#: How much of a TextArea answer :func:`result_summary` keeps.
SUMMARY_TEXT_CHARS = 200
#: Label Studio ``origin`` of an item a person made.
DEFAULT_ORIGIN = "manual"


def new_result_id() -> str:
    """A 10-character url-safe id, like the ones Label Studio's editor makes."""
    return secrets.token_urlsafe(8)[:10]


@dataclass(frozen=True)
class ItemContext:
    """One result item being checked, and what it refers to."""

    index: int
    control: ControlTag
    obj: ObjectTag
    task_data: Mapping[str, Any]

    def reject(self, problem: str, fix: str) -> AnnotationRejected:
        return _rejected(self.index, self.control.name, problem, fix)


def _rejected(index: int, from_name: object, problem: str, fix: str) -> AnnotationRejected:
    where = f"Result item {index}" + (f" ({from_name})" if isinstance(from_name, str) else "")
    return AnnotationRejected(f"{where}: {problem}; {fix}.")


# --------------------------------------------------------------------------- entry points


def validate_result(
    config: LabelConfig, result: object, task_data: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """A normalised copy of ``result``, or AnnotationRejected saying what to fix.

    ``[]`` is valid (an empty annotation); whether a project accepts empties is the
    caller's decision, so required controls are only enforced on non-empty results.
    """
    data: Mapping[str, Any] = task_data if task_data is not None else {}
    items = [_item(config, i, raw, data) for i, raw in enumerate(_as_list(result))]
    _check_single_answers(config, items)
    _check_region_links(config, items)
    if items:
        _check_required(config, items)
    return items


def result_summary(result: Iterable[Mapping[str, Any]] | None) -> str:
    """Short text of a result's answers (``"PER, ORG"``, ``"★4"``), for task lists.

    Order-preserving and de-duplicated; malformed items are skipped, not fatal,
    since this only describes results that may predate validation.
    """
    parts: list[str] = []
    for item in result or ():
        if isinstance(item, Mapping) and isinstance(item.get("value"), Mapping):
            parts.extend(_summarise(item))
    return ", ".join(dict.fromkeys(part for part in parts if part))


# --------------------------------------------------------------------------- one item


def _as_list(result: object) -> list[Any]:
    if not isinstance(result, list | tuple):
        raise AnnotationRejected(
            f"A result must be a JSON list of result items, not {type(result).__name__}; "
            "send [] for an empty annotation."
        )
    return list(result)


def _item(
    config: LabelConfig, index: int, raw: object, task_data: Mapping[str, Any]
) -> dict[str, Any]:
    """Check one item and return its normalised copy."""
    if not isinstance(raw, Mapping):
        raise _rejected(index, None, f"is a {type(raw).__name__}, not an object", "send a dict")
    item = copy.deepcopy(dict(raw))
    control = _control(config, index, item.get("from_name"))
    ctx = ItemContext(index, control, _target(config, index, control, item), task_data)
    item_type = _type(ctx, item.get("type"))
    value = item.get("value")
    if not isinstance(value, dict):
        raise ctx.reject("has no value object", f'send "value": {{"{item_type}": ...}}')
    _check_item_fields(ctx, item)
    normalised = {
        "id": _id(ctx, item),
        "from_name": control.name,
        "to_name": ctx.obj.name,
        "type": item_type,
        "value": VALUE_CHECKS[item_type](ctx, value),
    }
    normalised.update((key, val) for key, val in item.items() if key not in normalised)
    normalised.setdefault("origin", DEFAULT_ORIGIN)
    return normalised


def _control(config: LabelConfig, index: int, from_name: object) -> ControlTag:
    known = [control.name for control in config.controls]
    if isinstance(from_name, str) and from_name in known:
        return config.control(from_name)
    choices = ", ".join(known) or "none (this config has no control tags)"
    raise _rejected(
        index,
        from_name,
        f"from_name {from_name!r} is not a control of this label config",
        f"use one of: {choices}",
    )


def _target(
    config: LabelConfig, index: int, control: ControlTag, item: dict[str, Any]
) -> ObjectTag:
    """The object the item labels; a missing to_name is filled when there is one choice."""
    to_name = item.get("to_name")
    if to_name is None and len(control.to_name) == 1:
        to_name = control.to_name[0]
    if to_name not in control.to_name:
        raise _rejected(
            index,
            control.name,
            f"to_name {to_name!r} is not labelled by {control.name}",
            f"use one of: {', '.join(control.to_name)}",
        )
    return config.object(to_name)


def _type(ctx: ItemContext, raw: object) -> str:
    expected = ctx.control.result_type
    if raw is None or (isinstance(raw, str) and raw.lower() == expected):
        return expected
    raise ctx.reject(
        f"has type {raw!r}, but {ctx.control.name} is a <{ctx.control.tag}>",
        f'use "type": "{expected}"',
    )


def _id(ctx: ItemContext, item: dict[str, Any]) -> str:
    rid = item.get("id")
    if rid is None:
        if ctx.control.per_region:
            raise ctx.reject(
                "describes a region but carries no id",
                "set its id to the id of the region (span or box) it belongs to",
            )
        return new_result_id()
    if not isinstance(rid, str) or not rid:
        raise ctx.reject(f"has id {rid!r}", "use a non-empty string id, or leave it out")
    return rid


def _check_item_fields(ctx: ItemContext, item: dict[str, Any]) -> None:
    """Optional item-level fields Label Studio reads: image sizes and origin."""
    for key in ("original_width", "original_height"):
        if key in item and not (_is_int(item[key]) and item[key] > 0):
            raise ctx.reject(f"has {key}={item[key]!r}", "use the image size in pixels (> 0)")
    if "origin" in item and not isinstance(item["origin"], str):
        raise ctx.reject(f"has origin {item['origin']!r}", 'use a string such as "manual"')


# --------------------------------------------------------------------------- value checks


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _string_list(ctx: ItemContext, value: dict[str, Any], key: str) -> list[str]:
    strings = value.get(key)
    if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
        raise ctx.reject(f"has value.{key}={strings!r}", f'send "{key}": a list of strings')
    return strings


def _options(ctx: ItemContext, value: dict[str, Any], key: str) -> list[str]:
    """The chosen options under ``key``: known, unique, and one unless choice="multiple"."""
    chosen = _string_list(ctx, value, key)
    allowed = ctx.control.result_values
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        raise ctx.reject(
            f"{unknown[0]!r} is not an option of {ctx.control.name}",
            f"use one of: {', '.join(allowed)}",
        )
    if len(set(chosen)) != len(chosen):
        raise ctx.reject(f"lists an option twice in {chosen!r}", "list each option once")
    if ctx.control.choice == "single" and len(chosen) != 1:
        raise ctx.reject(
            f"has {len(chosen)} {key} but {ctx.control.name} takes exactly one",
            f'pick one, or set choice="multiple" on <{ctx.control.tag}>',
        )
    if not chosen:
        raise ctx.reject(f"has no {key}", "pick at least one, or leave the item out")
    return chosen


def _check_choices(ctx: ItemContext, value: dict[str, Any]) -> dict[str, Any]:
    return {**value, "choices": _options(ctx, value, "choices")}


def _check_labels(ctx: ItemContext, value: dict[str, Any]) -> dict[str, Any]:
    labels = _options(ctx, value, "labels")
    check_span = SPAN_CHECKS.get(ctx.obj.tag)
    if check_span is None:
        raise ctx.reject(f"labels <{ctx.obj.tag}>, which has no spans", "label a Text object")
    return {**check_span(ctx, value), "labels": labels}


def _text_span(ctx: ItemContext, value: dict[str, Any]) -> dict[str, Any]:
    """Character offsets into the task text; ``text`` must be (or becomes) that slice."""
    start, end = value.get("start"), value.get("end")
    if not (_is_int(start) and _is_int(end)):
        raise ctx.reject(f"has start={start!r}, end={end!r}", "send character offsets (ints)")
    if ctx.obj.options.get("valueType") == "url":
        return dict(value)  # the text lives at a URL, so offsets cannot be checked here
    text = resolve_data(ctx.task_data, ctx.obj.data_path)
    if not isinstance(text, str):
        raise ctx.reject(
            f"labels a span of {ctx.obj.name}, but the task data has no text at {ctx.obj.value}",
            f"add a string under {'.'.join(ctx.obj.data_path)!r} in the task data",
        )
    if not 0 <= start < end <= len(text):
        raise ctx.reject(
            f"has the span {start}..{end}, outside the {len(text)}-character text",
            "use 0 <= start < end <= the text's length",
        )
    if value.get("text", text[start:end]) != text[start:end]:
        raise ctx.reject(
            f"says the span is {value['text']!r} but the text there is {text[start:end]!r}",
            "fix start/end, or leave text out to have it filled in",
        )
    return {**value, "text": text[start:end]}


def _html_span(ctx: ItemContext, value: dict[str, Any]) -> dict[str, Any]:
    """HyperText spans are XPath ranges (``start``/``end``) with character offsets."""
    for key in ("start", "end"):
        if not isinstance(value.get(key), str):
            raise ctx.reject(f"has {key}={value.get(key)!r}", f"send {key} as an XPath string")
    for key in ("startOffset", "endOffset"):
        if not (_is_int(value.get(key)) and value[key] >= 0):
            raise ctx.reject(f"has {key}={value.get(key)!r}", f"send {key} as an int >= 0")
    if not isinstance(value.get("text", ""), str):
        raise ctx.reject(f"has text={value['text']!r}", "send the selected text as a string")
    return dict(value)


def _check_rectangle(ctx: ItemContext, value: dict[str, Any]) -> dict[str, Any]:
    """Percent boxes that lie inside the image (rotation optional)."""
    for key in ("x", "y", "width", "height"):
        if not _is_number(value.get(key)):
            raise ctx.reject(f"has {key}={value.get(key)!r}", f"send {key} as a percent number")
    if "rotation" in value and not _is_number(value["rotation"]):
        raise ctx.reject(f"has rotation={value['rotation']!r}", "send degrees as a number")
    x, y, width, height = value["x"], value["y"], value["width"], value["height"]
    if x < 0 or y < 0 or width <= 0 or height <= 0:
        raise ctx.reject(
            f"has the box x={x}, y={y}, width={width}, height={height}",
            "use x, y >= 0 and width, height > 0 (percent of the image)",
        )
    if x + width > 100 + TOLERANCE or y + height > 100 + TOLERANCE:
        raise ctx.reject(
            f"has a box reaching past the image (x+width={x + width:g}, y+height={y + height:g})",
            "keep x+width and y+height at most 100 (percent of the image)",
        )
    return {**value, "rectanglelabels": _options(ctx, value, "rectanglelabels")}


def _check_textarea(ctx: ItemContext, value: dict[str, Any]) -> dict[str, Any]:
    texts = value.get("text")
    texts = [texts] if isinstance(texts, str) else texts
    if not isinstance(texts, list) or not texts:
        raise ctx.reject(f"has text={value.get('text')!r}", 'send "text": ["your answer"]')
    if not all(isinstance(t, str) and t.strip() for t in texts):
        raise ctx.reject("has an empty or non-string text", "send non-empty strings only")
    limit = ctx.control.max_submissions
    if limit is not None and len(texts) > limit:
        raise ctx.reject(
            f"has {len(texts)} texts but {ctx.control.name} takes at most {limit}",
            "remove the extra texts",
        )
    return {**value, "text": texts}


def _check_rating(ctx: ItemContext, value: dict[str, Any]) -> dict[str, Any]:
    rating, top = value.get("rating"), ctx.control.max_rating or 5
    if not (_is_int(rating) and 1 <= rating <= top):
        raise ctx.reject(f"has rating={rating!r}", f"send a whole number from 1 to {top}")
    return dict(value)


def _check_number(ctx: ItemContext, value: dict[str, Any]) -> dict[str, Any]:
    number, low, high = value.get("number"), ctx.control.min, ctx.control.max
    if not _is_number(number):
        raise ctx.reject(f"has number={number!r}", "send a finite number")
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"from {_bound(low)} to {_bound(high)}"
        raise ctx.reject(f"has number={number!r}, outside {bounds}", f"send a number {bounds}")
    return dict(value)


def _bound(limit: float | None) -> str:
    return "any" if limit is None else f"{limit:g}"


ValueCheck = Callable[[ItemContext, dict[str, Any]], dict[str, Any]]

#: Result type -> check of ``value`` returning its normalised copy.
VALUE_CHECKS: Mapping[str, ValueCheck] = {
    "choices": _check_choices,
    "labels": _check_labels,
    "rectanglelabels": _check_rectangle,
    "textarea": _check_textarea,
    "rating": _check_rating,
    "number": _check_number,
}

#: Object tag -> check of a labelled span's position on it.
SPAN_CHECKS: Mapping[str, ValueCheck] = {"Text": _text_span, "HyperText": _html_span}


# --------------------------------------------------------------------------- whole result


def _check_single_answers(config: LabelConfig, items: list[dict[str, Any]]) -> None:
    """Classification answers appear once per object (per region for per-region ones)."""
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        control = config.control(item["from_name"])
        if control.is_region:
            continue
        key = (control.name, item["id"] if control.per_region else item["to_name"])
        first = seen.setdefault(key, index)
        if first != index:
            scope = f"region {item['id']!r}" if control.per_region else item["to_name"]
            raise _rejected(
                index,
                control.name,
                f"answers {control.name} for {scope} again (item {first} already does)",
                "merge them into one item",
            )


def _regions(config: LabelConfig, items: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Region id -> indexes of the region items with that id."""
    regions: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if config.control(item["from_name"]).is_region:
            regions.setdefault(item["id"], []).append(index)
    return regions


def _check_region_links(config: LabelConfig, items: list[dict[str, Any]]) -> None:
    """Every per-region item carries the id of a region on the same object."""
    regions = _regions(config, items)
    for index, item in enumerate(items):
        if not config.control(item["from_name"]).per_region:
            continue
        targets = {items[i]["to_name"] for i in regions.get(item["id"], ())}
        if item["to_name"] not in targets:
            raise _rejected(
                index,
                item["from_name"],
                f"belongs to region {item['id']!r}, but no region on {item['to_name']} "
                "in this result has that id",
                "draw the region first and set this item's id to the region's id",
            )


def _check_required(config: LabelConfig, items: list[dict[str, Any]]) -> None:
    for control in config.controls:
        if not control.required:
            continue
        if control.per_region:
            _check_required_per_region(config, control, items)
        elif not any(item["from_name"] == control.name for item in items):
            raise AnnotationRejected(
                f"{control.name} is required; answer it (a result item with "
                f"from_name={control.name!r}) before submitting."
            )


def _check_required_per_region(
    config: LabelConfig, control: ControlTag, items: list[dict[str, Any]]
) -> None:
    """A required per-region control needs an answer on every region it is shown for."""
    answered = {item["id"] for item in items if item["from_name"] == control.name}
    for index in _regions_shown_for(config, control, items):
        if items[index]["id"] not in answered:
            raise _rejected(
                index,
                items[index]["from_name"],
                f"is a region without an answer for {control.name}, which is required per region",
                f"add a {control.name} item with id {items[index]['id']!r}",
            )


def _regions_shown_for(
    config: LabelConfig, control: ControlTag, items: list[dict[str, Any]]
) -> Iterator[int]:
    """Region items the per-region control is shown for (whenTagName/whenLabelValue)."""
    when_tag = control.attrs.get("whenTagName")
    when_label = control.attrs.get("whenLabelValue")
    if control.attrs.get("whenChoiceValue"):
        return  # depends on other answers the editor tracks; not enforced here
    for index, item in enumerate(items):
        region = config.control(item["from_name"])
        if not region.is_region or item["to_name"] not in control.to_name:
            continue
        if when_tag and region.name != when_tag:
            continue
        if when_label and when_label not in item["value"].get(region.result_type, ()):
            continue
        yield index


# --------------------------------------------------------------------------- summary


def _summarise(item: Mapping[str, Any]) -> list[str]:
    kind = str(item.get("type", "")).lower()
    value = item["value"]
    summarise = SUMMARISERS.get(kind)
    if summarise is not None:
        return summarise(value)
    found = value.get(kind)
    return [s for s in found if isinstance(s, str)] if isinstance(found, list) else []


def _summarise_text(value: Mapping[str, Any]) -> list[str]:
    texts = value.get("text")
    texts = [texts] if isinstance(texts, str) else texts
    if not isinstance(texts, list):
        return []
    joined = " ".join(t.strip() for t in texts if isinstance(t, str))
    return [joined[:SUMMARY_TEXT_CHARS]]


def _summarise_rating(value: Mapping[str, Any]) -> list[str]:
    rating = value.get("rating")
    return [f"★{rating}"] if _is_number(rating) else []


def _summarise_number(value: Mapping[str, Any]) -> list[str]:
    number = value.get("number")
    return [f"{number:g}"] if _is_number(number) else []


#: Result types whose answers are not a list of label strings under ``value[type]``.
SUMMARISERS: Mapping[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "textarea": _summarise_text,
    "rating": _summarise_rating,
    "number": _summarise_number,
}
