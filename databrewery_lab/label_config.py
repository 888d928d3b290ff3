"""Label Studio label configs, parsed safely into a typed, frozen model.

A label config is XML a project owner (or anyone who can edit a project) wrote, so it
is parsed with defusedxml: DTDs, entity declarations and external references are
refused before they can expand (billion laughs) or read files (XXE). Every element
keeps its line so each error says where the problem is and how to fix it.

The tags are a registry (:data:`TAGS`): one row per supported tag says what it
becomes (layout, object, control or option) and how its attributes are read, so
supporting another Label Studio tag means adding a row.

    config = parse_label_config(xml)
    config.control("sentiment").options   # typed, frozen
    config.parsed_json()                   # project.parsed_label_config
    config.widget_spec()                   # what the labeling widget renders
"""

from __future__ import annotations

import difflib
import functools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any, Protocol
from xml.parsers import expat

from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from databrewery_lab.errors import LabelConfigError, NotFound

#: Background colours given, in order, to Labels/RectangleLabels options without one.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
#: Hotkeys given, in order, to options without one (while they last).
DEFAULT_HOTKEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")

_EMPTY: Mapping[str, str] = MappingProxyType({})


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class ObjectTag:
    """A piece of task data shown to the labeler (``Text``, ``HyperText``, ``Image``).

    ``data_path`` is the task-data key path of ``value``: ``$meta.title`` reads
    ``task.data["meta"]["title"]``. ``options`` holds the tag's other attributes
    (``granularity``, ``zoom``, ``maxWidth``, ``valueType``, ...), raw.
    """

    tag: str
    name: str
    value: str
    data_path: tuple[str, ...]
    line: int
    options: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class LabelOption:
    """One ``<Choice>`` or ``<Label>`` of a control.

    ``hotkey`` and ``background`` are the effective ones (defaults filled in);
    ``attrs`` are the raw XML attributes, as Label Studio stores them.
    """

    value: str
    line: int
    alias: str | None = None
    hotkey: str | None = None
    background: str | None = None
    selected: bool = False
    hint: str | None = None
    attrs: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    @property
    def result_value(self) -> str:
        """The string a result stores for this option: Label Studio writes the alias if set."""
        return self.alias or self.value


@dataclass(frozen=True)
class ControlTag:
    """A question the labeler answers (``Choices``, ``Labels``, ``TextArea``, ...).

    Fields that do not apply to a tag keep their neutral default (``max_rating`` is
    None except for Rating, ``min``/``max``/``step`` except for Number, ...).
    ``attrs`` keeps every raw attribute, including ones this model does not read.
    """

    tag: str
    name: str
    to_name: tuple[str, ...]
    result_type: str
    line: int
    options: tuple[LabelOption, ...] = ()
    required: bool = False
    per_region: bool = False
    choice: str = "single"
    show_inline: bool = False
    max_rating: int | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    rows: int | None = None
    placeholder: str | None = None
    max_submissions: int | None = None
    editable: bool = False
    hotkey: str | None = None
    attrs: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    @property
    def is_region(self) -> bool:
        """Whether results of this control are regions (spans, boxes) other items attach to."""
        return CONTROL_SPECS[self.tag].region

    @property
    def result_values(self) -> tuple[str, ...]:
        """The option strings a result of this control may contain, in config order."""
        return tuple(option.result_value for option in self.options)


@dataclass(frozen=True)
class ViewNode:
    """A ``<View>`` box in the layout; ``style`` is its raw CSS."""

    children: tuple[LayoutNode, ...]
    line: int
    style: str | None = None

    def spec(self) -> dict[str, Any]:
        return {
            "kind": "view",
            "style": self.style,
            "children": [child.spec() for child in self.children],
        }


@dataclass(frozen=True)
class HeaderNode:
    """A ``<Header>``: literal ``text``, or a task-data ``data_path`` to show."""

    line: int
    text: str | None = None
    data_path: tuple[str, ...] | None = None
    size: str | None = None

    def spec(self) -> dict[str, Any]:
        path = list(self.data_path) if self.data_path is not None else None
        return {"kind": "header", "text": self.text, "data_path": path, "size": self.size}


@dataclass(frozen=True)
class ObjectRef:
    """Where an object tag sits in the layout."""

    name: str
    line: int

    def spec(self) -> dict[str, Any]:
        return {"kind": "object", "name": self.name}


@dataclass(frozen=True)
class ControlRef:
    """Where a control tag sits in the layout."""

    name: str
    line: int

    def spec(self) -> dict[str, Any]:
        return {"kind": "control", "name": self.name}


LayoutNode = ViewNode | HeaderNode | ObjectRef | ControlRef


@dataclass(frozen=True)
class LabelConfig:
    """A parsed label config: objects, controls, and the layout in document order."""

    xml: str
    objects: tuple[ObjectTag, ...]
    controls: tuple[ControlTag, ...]
    layout: ViewNode

    @cached_property
    def _objects_by_name(self) -> Mapping[str, ObjectTag]:
        return {obj.name: obj for obj in self.objects}

    @cached_property
    def _controls_by_name(self) -> Mapping[str, ControlTag]:
        return {control.name: control for control in self.controls}

    def object(self, name: str) -> ObjectTag:
        """The object tag called ``name``; NotFound lists the ones there are."""
        return _lookup(self._objects_by_name, name, "object")

    def control(self, name: str) -> ControlTag:
        """The control tag called ``name``; NotFound lists the ones there are."""
        return _lookup(self._controls_by_name, name, "control")

    @property
    def has_control_tags(self) -> bool:
        """False for view-only configs, which nobody can annotate."""
        return bool(self.controls)

    @cached_property
    def data_keys(self) -> tuple[str, ...]:
        """Top-level task-data keys the config reads (objects, then data headers)."""
        paths = [obj.data_path for obj in self.objects]
        paths += [h.data_path for h in _headers(self.layout) if h.data_path is not None]
        return tuple(dict.fromkeys(path[0] for path in paths))

    @cached_property
    def hotkeys(self) -> Mapping[str, tuple[str, str | None]]:
        """Every hotkey after defaults: key -> (control name, option value or None)."""
        return MappingProxyType(
            {key: (owner.control, owner.option) for key, owner in _hotkey_owners(self.controls)}
        )

    def parsed(self) -> dict[str, Any]:
        """Label Studio's ``parsed_label_config``: ``{control name: {type, to_name, ...}}``."""
        return {control.name: self._parsed_control(control) for control in self.controls}

    def parsed_json(self) -> str:
        """:meth:`parsed` as the text stored in ``project.parsed_label_config``."""
        return json.dumps(self.parsed())

    def widget_spec(self) -> dict[str, Any]:
        """Everything the labeling front end needs, as JSON-able data."""
        return {
            "layout": [self.layout.spec()],
            "objects": {obj.name: _object_spec(obj) for obj in self.objects},
            "controls": {control.name: _control_spec(control) for control in self.controls},
            "hotkeys": {key: list(owner) for key, owner in self.hotkeys.items()},
        }

    def _parsed_control(self, control: ControlTag) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": control.tag, "to_name": list(control.to_name)}
        conditionals = _conditionals(control)
        if conditionals:
            entry["conditionals"] = conditionals
        entry["inputs"] = [_parsed_input(self.object(name)) for name in control.to_name]
        entry["labels"] = [option.result_value for option in control.options]
        entry["labels_attrs"] = {o.result_value: dict(o.attrs) for o in control.options}
        return entry


def _lookup(table: Mapping[str, Any], name: str, kind: str) -> Any:
    try:
        return table[name]
    except KeyError:
        known = ", ".join(table) or "none"
        raise NotFound(
            f"This label config has no {kind} named {name!r}; its {kind}s: {known}."
        ) from None


def _headers(node: LayoutNode) -> Iterator[HeaderNode]:
    if isinstance(node, HeaderNode):
        yield node
    elif isinstance(node, ViewNode):
        for child in node.children:
            yield from _headers(child)


def _conditionals(control: ControlTag) -> dict[str, str]:
    """Label Studio's ``conditionals`` entry: when a per-region control is shown."""
    if not control.per_region:
        return {}
    for attr, kind in (
        ("whenTagName", "tag"),
        ("whenLabelValue", "label"),
        ("whenChoiceValue", "choice"),
    ):
        if control.attrs.get(attr):
            return {"type": kind, "name": control.attrs[attr]}
    return {}


def _parsed_input(obj: ObjectTag) -> dict[str, Any]:
    return {
        "type": obj.tag,
        "value": obj.value.lstrip("$"),
        "valueType": obj.options.get("valueType"),
    }


def _object_spec(obj: ObjectTag) -> dict[str, Any]:
    return {
        "tag": obj.tag,
        "name": obj.name,
        "data_path": list(obj.data_path),
        "options": dict(obj.options),
    }


def _control_spec(control: ControlTag) -> dict[str, Any]:
    return {
        "tag": control.tag,
        "type": control.result_type,
        "name": control.name,
        "to_name": list(control.to_name),
        "required": control.required,
        "per_region": control.per_region,
        "choice": control.choice,
        "show_inline": control.show_inline,
        "options": [_option_spec(option) for option in control.options],
        "max_rating": control.max_rating,
        "min": control.min,
        "max": control.max,
        "step": control.step,
        "rows": control.rows,
        "placeholder": control.placeholder,
        "hotkey": control.hotkey,
        "editable": control.editable,
    }


def _option_spec(option: LabelOption) -> dict[str, Any]:
    return {
        "value": option.value,
        "alias": option.alias,
        "hotkey": option.hotkey,
        "background": option.background,
        "selected": option.selected,
        "hint": option.hint,
    }


def resolve_data(task_data: Mapping[str, Any] | None, data_path: Sequence[str] | str) -> Any:
    """The task-data value at ``data_path`` (``("meta", "title")`` or ``"$meta.title"``).

    A missing key (or a non-mapping on the way) gives None: task data is user JSON and
    the caller decides whether absence is an error. A top-level key that itself
    contains dots (``{"meta.title": ...}``) is found too, as a fallback.
    """
    path = tuple(data_path.lstrip("$").split(".")) if isinstance(data_path, str) else data_path
    value: Any = task_data
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return _dotted_fallback(task_data, path)
        value = value[key]
    return value


def _dotted_fallback(task_data: Mapping[str, Any] | None, path: tuple[str, ...]) -> Any:
    if len(path) > 1 and isinstance(task_data, Mapping):
        return task_data.get(".".join(path))
    return None


# --------------------------------------------------------------------------- safe XML


@dataclass
class _Node:
    """One XML element with the line it starts on (ElementTree loses lines)."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    text: str = ""

    def where(self) -> str:
        """``<Choices name="x">`` — how messages name this element."""
        name = self.attrs.get("name")
        return f'<{self.tag} name="{name}">' if name else f"<{self.tag}>"


class _LineRecordingTarget:
    """ElementTree parser target that builds :class:`_Node` trees with line numbers."""

    def __init__(self) -> None:
        self.expat: Any = None  # the defused parser's expat object, set before feeding
        self.stack: list[_Node] = []
        self.root: _Node | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, dict(attrs), self.expat.CurrentLineNumber)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def end(self, tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text += text

    def close(self) -> _Node | None:
        return self.root


_FORBIDDEN = {
    DTDForbidden: "a <!DOCTYPE> declaration",
    EntitiesForbidden: "an <!ENTITY> declaration",
    ExternalReferenceForbidden: "an external reference",
}


def _read_xml(xml: str) -> _Node:
    """Parse with defusedxml (no DTDs, entities or external references) keeping lines."""
    target = _LineRecordingTarget()
    parser = DefusedXMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    target.expat = parser.parser
    try:
        parser.feed(xml)
        root = parser.close()
    except DefusedXmlException as exc:
        line = target.expat.CurrentLineNumber
        raise LabelConfigError(
            f"Line {line}: entities are not allowed in label configs (found "
            f"{_FORBIDDEN.get(type(exc), 'a DTD')}); remove the <!DOCTYPE ...> and any "
            "<!ENTITY ...> declarations.",
            line=line,
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise LabelConfigError(
            f"Line {line}, column {column + 1}: the label config is not well-formed XML "
            f"({expat.ErrorString(exc.code)}); fix the markup there, e.g. close every tag "
            "and quote every attribute value.",
            line=line,
        ) from None
    assert root is not None  # expat reports "no element found" otherwise
    return root


# --------------------------------------------------------------------------- attributes


def _fail(node: _Node, message: str) -> LabelConfigError:
    return LabelConfigError(
        f"Line {node.line}: {node.where()} {message}", line=node.line, tag=node.tag
    )


def _text(node: _Node, attr: str) -> str | None:
    """An attribute, or None when absent or blank."""
    value = node.attrs.get(attr, "").strip()
    return value or None


def _bool(node: _Node, attr: str, default: bool) -> bool:
    raw = node.attrs.get(attr)
    if raw is None or not raw.strip():
        return default
    lowered = raw.strip().lower()
    if lowered not in ("true", "false"):
        raise _fail(node, f'has {attr}="{raw}"; use {attr}="true" or {attr}="false".')
    return lowered == "true"


def _int(node: _Node, attr: str, default: int | None, *, minimum: int = 1) -> int | None:
    raw = _text(node, attr)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise _fail(node, f'has {attr}="{raw}"; use a whole number of at least {minimum}.')
    return value


def _float(node: _Node, attr: str) -> float | None:
    raw = _text(node, attr)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _fail(node, f'has {attr}="{raw}"; use a number such as {attr}="10".')
    return value


def _data_path(node: _Node, value: str) -> tuple[str, ...]:
    """``$meta.title`` -> ("meta", "title"); anything else is an error naming the fix."""
    parts = tuple(part.strip() for part in value[1:].split("."))
    if not value.startswith("$") or not all(parts) or any(" " in p for p in parts):
        raise _fail(
            node,
            f'has value="{value}"; it must name a task-data key, like value="$text" '
            'or value="$meta.title" for a nested key.',
        )
    return parts


def _claim_name(node: _Node, names: dict[str, _Node]) -> str:
    name = _text(node, "name")
    if name is None:
        raise _fail(
            node, f'needs a name attribute, e.g. <{node.tag} name="{node.tag.lower()}" ...>.'
        )
    if name in names:
        first = names[name]
        raise _fail(
            node,
            f'reuses the name "{name}" of <{first.tag}> on line {first.line}; '
            "every object and control needs its own name.",
        )
    names[name] = node
    return name


# --------------------------------------------------------------------------- registry


@dataclass
class _Context:
    """What the walk has collected so far (names are shared by objects and controls)."""

    objects: list[ObjectTag] = field(default_factory=list)
    controls: list[ControlTag] = field(default_factory=list)
    names: dict[str, _Node] = field(default_factory=dict)


class TagSpec(Protocol):
    """A row of :data:`TAGS`: turns one element into a layout node (or nothing)."""

    tag: str

    def build(self, node: _Node, ctx: _Context) -> LayoutNode | None: ...


def _build_children(node: _Node, ctx: _Context) -> tuple[LayoutNode, ...]:
    built = (_spec_for(child).build(child, ctx) for child in node.children)
    return tuple(layout for layout in built if layout is not None)


def _spec_for(node: _Node) -> TagSpec:
    spec = TAGS.get(node.tag)
    if spec is None:
        raise _unsupported(node)
    return spec


def _unsupported(node: _Node) -> LabelConfigError:
    supported = ", ".join(sorted(TAGS))
    close = difflib.get_close_matches(node.tag, list(TAGS), n=1, cutoff=0.6)
    hint = f" Did you mean <{close[0]}>?" if close else ""
    return LabelConfigError(
        f"Line {node.line}: <{node.tag}> is not a supported tag. Supported: {supported}.{hint}",
        line=node.line,
        tag=node.tag,
    )


def _no_children(node: _Node) -> None:
    if node.children:
        child = node.children[0]
        raise _fail(node, f"cannot contain <{child.tag}> (line {child.line}); move it out.")


@dataclass(frozen=True)
class ViewSpec:
    """``<View>``: a box of other tags, with optional CSS ``style``."""

    tag: str = "View"

    def build(self, node: _Node, ctx: _Context) -> ViewNode:
        return ViewNode(_build_children(node, ctx), node.line, _text(node, "style"))


@dataclass(frozen=True)
class HeaderSpec:
    """``<Header value="...">``: a heading, literal or read from task data (``$key``)."""

    tag: str = "Header"

    def build(self, node: _Node, ctx: _Context) -> HeaderNode:
        _no_children(node)
        value = node.attrs.get("value") or node.text.strip()
        if not value:
            raise _fail(node, 'needs a value, e.g. <Header value="Read the review"/>.')
        size = _text(node, "size")
        if value.startswith("$"):
            return HeaderNode(node.line, data_path=_data_path(node, value), size=size)
        return HeaderNode(node.line, text=value, size=size)


@dataclass(frozen=True)
class IgnoredSpec:
    """A tag accepted and skipped (``<Style>``: CSS the widget does not apply)."""

    tag: str

    def build(self, node: _Node, ctx: _Context) -> None:
        return None


@dataclass(frozen=True)
class OptionSpec:
    """``<Choice>``/``<Label>``: only valid inside their controls, which read them."""

    tag: str
    parents: tuple[str, ...]

    def build(self, node: _Node, ctx: _Context) -> None:
        parents = " or ".join(f"<{p}>" for p in self.parents)
        raise _fail(node, f"must be inside {parents}; move it into one.")


@dataclass(frozen=True)
class ObjectSpec:
    """An object tag: shows task data named by ``value="$key"``."""

    tag: str

    def build(self, node: _Node, ctx: _Context) -> ObjectRef:
        name = _claim_name(node, ctx.names)
        _no_children(node)
        value = node.attrs.get("value", "").strip()
        if not value:
            raise _fail(
                node, 'needs value="$key" naming the task data to show, e.g. value="$text".'
            )
        options = {k: v for k, v in node.attrs.items() if k not in ("name", "value")}
        obj = ObjectTag(
            self.tag, name, value, _data_path(node, value), node.line, MappingProxyType(options)
        )
        ctx.objects.append(obj)
        return ObjectRef(name, node.line)


FieldReader = Callable[[_Node], dict[str, Any]]


@dataclass(frozen=True)
class ControlSpec:
    """A control tag: how its result looks and which attributes it reads.

    ``targets`` are the object tags it may label (None: any); ``option_tag`` the
    child tag listing its options; ``fields`` read its tag-specific attributes.
    """

    tag: str
    result_type: str
    targets: frozenset[str] | None = None
    option_tag: str | None = None
    colours: bool = False
    region: bool = False
    per_region: bool = False
    show_inline: bool = False
    fields: tuple[FieldReader, ...] = ()

    def build(self, node: _Node, ctx: _Context) -> ControlRef:
        name = _claim_name(node, ctx.names)
        values: dict[str, Any] = {}
        for reader in self.fields:
            values.update(reader(node))
        control = ControlTag(
            tag=self.tag,
            name=name,
            to_name=_to_names(node),
            result_type=self.result_type,
            line=node.line,
            options=self._options(node),
            required=_bool(node, "required", False),
            per_region=self.per_region and _bool(node, "perRegion", False),
            show_inline=_bool(node, "showInline", self.show_inline),
            hotkey=_text(node, "hotkey"),
            attrs=MappingProxyType(dict(node.attrs)),
            **values,
        )
        ctx.controls.append(control)
        return ControlRef(name, node.line)

    def _options(self, node: _Node) -> tuple[LabelOption, ...]:
        if self.option_tag is None:
            _no_children(node)
            return ()
        if _text(node, "value"):
            raise _fail(
                node,
                "takes its options from task data (value=...), which is not supported; "
                f'list them as <{self.option_tag} value="..."/> tags instead.',
            )
        elements = list(_option_elements(node, node, self.option_tag))
        if not elements:
            raise _fail(
                node, f'has no options; add <{self.option_tag} value="..."/> tags inside it.'
            )
        options = [_option(el, i, self.colours) for i, el in enumerate(elements)]
        _check_unique_options(node, elements, options)
        return tuple(options)


def _to_names(node: _Node) -> tuple[str, ...]:
    raw = node.attrs.get("toName", "")
    names = tuple(part.strip() for part in raw.split(","))
    if not all(names):
        raise _fail(
            node,
            f'needs toName naming the object tag(s) it labels, e.g. toName="text" '
            f'(got toName="{raw}").',
        )
    return names


def _option_elements(control: _Node, node: _Node, option_tag: str) -> Iterator[_Node]:
    """The option elements of a control, looking through nested ``<View>`` groups."""
    for child in node.children:
        if child.tag == option_tag:
            yield child
        elif child.tag == "View":
            yield from _option_elements(control, child, option_tag)
        elif child.tag in ("Header", "Style"):
            continue
        elif child.tag not in TAGS:
            raise _unsupported(child)
        else:
            raise _fail(
                child,
                f"cannot be inside {control.where()} (line {control.line}); "
                f'use <{option_tag} value="..."/> for its options.',
            )


def _option(node: _Node, index: int, colours: bool) -> LabelOption:
    value = node.attrs.get("value", "")
    if not value.strip():
        raise _fail(node, 'needs a value, e.g. <Choice value="Positive"/>.')
    background = _text(node, "background")
    if background is None and colours:
        background = PALETTE[index % len(PALETTE)]
    return LabelOption(
        value=value,
        line=node.line,
        alias=_text(node, "alias"),
        hotkey=_text(node, "hotkey"),
        background=background,
        selected=_bool(node, "selected", False),
        hint=_text(node, "hint"),
        attrs=MappingProxyType(dict(node.attrs)),
    )


def _check_unique_options(
    control: _Node, elements: list[_Node], options: list[LabelOption]
) -> None:
    seen: dict[str, _Node] = {}
    for element, option in zip(elements, options, strict=True):
        first = seen.setdefault(option.result_value, element)
        if first is not element:
            raise _fail(
                element,
                f'repeats the option "{option.result_value}" of line {first.line} in '
                f"{control.where()}; remove one or give it another value.",
            )


def _choice_fields(node: _Node) -> dict[str, Any]:
    """``choice``: single (also Label Studio's single-radio) or multiple."""
    raw = (_text(node, "choice") or "single").lower()
    modes = {"single": "single", "single-radio": "single", "multiple": "multiple"}
    if raw not in modes:
        raise _fail(node, f'has choice="{raw}"; use choice="single" or choice="multiple".')
    return {"choice": modes[raw]}


def _rating_fields(node: _Node) -> dict[str, Any]:
    return {"max_rating": _int(node, "maxRating", 5)}


def _number_fields(node: _Node) -> dict[str, Any]:
    low, high, step = _float(node, "min"), _float(node, "max"), _float(node, "step")
    if low is not None and high is not None and low > high:
        raise _fail(node, f"has min={low:g} above max={high:g}; swap them.")
    if step is not None and step <= 0:
        raise _fail(node, f"has step={step:g}; use a step above 0.")
    return {"min": low, "max": high, "step": step}


def _textarea_fields(node: _Node) -> dict[str, Any]:
    return {
        "rows": _int(node, "rows", None),
        "placeholder": node.attrs.get("placeholder") or None,
        "max_submissions": _int(node, "maxSubmissions", None),
        "editable": _bool(node, "editable", False),
    }


_SPANS = frozenset({"Text", "HyperText"})
_IMAGES = frozenset({"Image"})

#: Control tags, keyed by tag.
CONTROL_SPECS: Mapping[str, ControlSpec] = MappingProxyType(
    {
        spec.tag: spec
        for spec in (
            ControlSpec(
                "Choices", "choices", option_tag="Choice", per_region=True, fields=(_choice_fields,)
            ),
            ControlSpec(
                "Labels",
                "labels",
                _SPANS,
                "Label",
                colours=True,
                region=True,
                show_inline=True,
                fields=(_choice_fields,),
            ),
            ControlSpec(
                "RectangleLabels",
                "rectanglelabels",
                _IMAGES,
                "Label",
                colours=True,
                region=True,
                show_inline=True,
                fields=(_choice_fields,),
            ),
            ControlSpec("TextArea", "textarea", per_region=True, fields=(_textarea_fields,)),
            ControlSpec("Rating", "rating", per_region=True, fields=(_rating_fields,)),
            ControlSpec("Number", "number", per_region=True, fields=(_number_fields,)),
        )
    }
)

#: Object tags, keyed by tag.
OBJECT_SPECS: Mapping[str, ObjectSpec] = MappingProxyType(
    {spec.tag: spec for spec in (ObjectSpec("Text"), ObjectSpec("HyperText"), ObjectSpec("Image"))}
)

#: Every supported tag, keyed by tag: adding a tag is adding a row here.
TAGS: Mapping[str, TagSpec] = MappingProxyType(
    {
        "View": ViewSpec(),
        "Header": HeaderSpec(),
        "Style": IgnoredSpec("Style"),
        "Choice": OptionSpec("Choice", ("Choices",)),
        "Label": OptionSpec("Label", ("Labels", "RectangleLabels")),
        **OBJECT_SPECS,
        **CONTROL_SPECS,
    }
)


# --------------------------------------------------------------------------- checks


def _check_targets(controls: Iterable[ControlTag], ctx: _Context) -> None:
    """Every toName names an object tag the control can label."""
    objects = {obj.name: obj for obj in ctx.objects}
    for control in controls:
        node = ctx.names[control.name]
        for target in control.to_name:
            _check_target(node, CONTROL_SPECS[control.tag], objects.get(target), target, objects)


def _check_target(
    node: _Node,
    spec: ControlSpec,
    obj: ObjectTag | None,
    target: str,
    objects: Mapping[str, ObjectTag],
) -> None:
    if obj is None:
        known = ", ".join(objects) or 'none — add one, e.g. <Text name="text" value="$text"/>'
        raise _fail(
            node, f'has toName="{target}" but no object tag has that name; objects: {known}.'
        )
    if spec.targets is not None and obj.tag not in spec.targets:
        allowed = " or ".join(f"<{t}>" for t in sorted(spec.targets))
        raise _fail(
            node,
            f'cannot label <{obj.tag} name="{target}"> (line {obj.line}); '
            f"<{spec.tag}> works on {allowed}.",
        )


@dataclass(frozen=True)
class _HotkeyOwner:
    control: str
    option: str | None
    line: int

    def describe(self) -> str:
        what = f'{self.control} option "{self.option}"' if self.option else self.control
        return f"{what} (line {self.line})"


def _hotkey_owners(controls: Iterable[ControlTag]) -> Iterator[tuple[str, _HotkeyOwner]]:
    for control in controls:
        if control.hotkey:
            yield control.hotkey, _HotkeyOwner(control.name, None, control.line)
        for option in control.options:
            if option.hotkey:
                yield option.hotkey, _HotkeyOwner(control.name, option.value, option.line)


def _check_hotkeys(controls: Iterable[ControlTag]) -> set[str]:
    """The explicit hotkeys; a key given twice is an error naming both owners."""
    seen: dict[str, _HotkeyOwner] = {}
    for key, owner in _hotkey_owners(controls):
        first = seen.setdefault(key, owner)
        if first is not owner:
            raise LabelConfigError(
                f'Line {owner.line}: hotkey "{key}" is used by both {first.describe()} and '
                f"{owner.describe()}; give each a different hotkey.",
                line=owner.line,
            )
    return set(seen)


def _with_default_hotkeys(controls: list[ControlTag]) -> list[ControlTag]:
    """Give options without a hotkey the next free digit (1..9, 0), across controls."""
    taken = _check_hotkeys(controls)
    free = iter(key for key in DEFAULT_HOTKEYS if key not in taken)
    result = []
    for control in controls:
        options = tuple(
            option if option.hotkey else replace(option, hotkey=next(free, None))
            for option in control.options
        )
        result.append(replace(control, options=options))
    return result


# --------------------------------------------------------------------------- entry point


def parse_label_config(xml: str) -> LabelConfig:
    """Parse and check a Label Studio label config; LabelConfigError says what to fix.

    Results are cached on the XML text, so calling this per task is cheap.
    """
    if not isinstance(xml, str):
        raise LabelConfigError(
            f"A label config must be XML text (str), not {type(xml).__name__}; "
            "decode it first, e.g. data.decode('utf-8')."
        )
    if not xml.strip():
        raise LabelConfigError(
            'The label config is empty; write one, e.g. <View><Text name="text" value="$text"/>'
            "</View>."
        )
    return _parse_cached(xml)


@functools.lru_cache(maxsize=256)
def _parse_cached(xml: str) -> LabelConfig:
    root = _read_xml(xml)
    if root.tag != "View":
        raise LabelConfigError(
            f"Line {root.line}: a label config must start with <View>, not <{root.tag}>; "
            "wrap everything in <View>...</View>.",
            line=root.line,
            tag=root.tag,
        )
    ctx = _Context()
    layout = ViewSpec().build(root, ctx)
    _check_targets(ctx.controls, ctx)
    controls = _with_default_hotkeys(ctx.controls)
    return LabelConfig(xml, tuple(ctx.objects), tuple(controls), layout)
