"""*Explain this object*: a live object's YAML with each field's schema documentation beside it.

The object is walked together with its kind's schema (:class:`~webexplorer.catalog.SchemaSet`), one
line per key or list item, so the page reads like ``kubectl get -o yaml`` and ``kubectl explain`` at
once. A key the schema does not describe is marked: either it sits under
``x-kubernetes-preserve-unknown-fields`` (allowed, just undocumented) or it is unknown to the schema
(the server pruned or kept it for another reason). Scalars are shown as YAML would write them; every
text is escaped by the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from webexplorer.catalog import Field, SchemaSet

MAX_LINES = 5000
FACT_KEYS = (
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-validations",
)


@dataclass(frozen=True, slots=True)
class Line:
    depth: int
    key: str  # "" for list items
    item: bool  # a "- " list item
    value: str  # the scalar as YAML text, "" for containers
    type: str = ""
    description: str = ""
    facts: tuple[str, ...] = ()
    #: "" (documented), "preserved" (under preserve-unknown-fields) or "unknown"
    unknown: str = ""
    required: bool = False
    path: str = ""
    children: bool = field(default=False)


def explain(value: Mapping[str, Any], schemas: SchemaSet, definition: str) -> tuple[list[Line], bool]:
    """The lines of ``value`` explained by ``definition``; the flag says the listing was cut."""
    lines: list[Line] = []
    root = {"$ref": f"#/definitions/{definition}"}
    fields = {f.name: f for f in schemas.fields(root)}
    try:
        _mapping(value, fields, schemas, 0, "", lines, preserved=False)
    except _Full:
        return lines, True
    return lines, False


class _Full(Exception):
    pass


def _add(lines: list[Line], line: Line) -> None:
    if len(lines) >= MAX_LINES:
        raise _Full
    lines.append(line)


def _mapping(
    value: Mapping[str, Any],
    fields: Mapping[str, Field],
    schemas: SchemaSet,
    depth: int,
    prefix: str,
    lines: list[Line],
    *,
    preserved: bool,
) -> None:
    for key, child in value.items():
        f = fields.get(str(key))
        path = f"{prefix}{key}"
        unknown = "" if f is not None else ("preserved" if preserved else "unknown")
        _node(str(key), False, child, f, schemas, depth, path, lines, unknown, preserved)


def _node(
    key: str,
    item: bool,
    value: Any,
    f: Field | None,
    schemas: SchemaSet,
    depth: int,
    path: str,
    lines: list[Line],
    unknown: str,
    preserved: bool,
) -> None:
    is_container = isinstance(value, Mapping | list) and bool(value)
    facts: tuple[str, ...] = ()
    if f is not None:
        facts = tuple(_fact(k, f.extensions[k]) for k in FACT_KEYS if k in f.extensions)
    _add(
        lines,
        Line(
            depth=depth,
            key=key,
            item=item,
            value="" if is_container else _scalar(value),
            type=str(f.type) if f is not None and not item else "",
            description=f.description if f is not None and not item else "",
            facts=facts if not item else (),
            unknown=unknown if not item else "",
            required=bool(f and f.required) and not item,
            path=path,
            children=is_container,
        ),
    )
    if not is_container:
        return
    # a schema that says "object" and nothing more (FieldsV1, RawExtension) documents no children either
    keeps_unknown = (
        preserved
        or bool(f and f.extensions.get("x-kubernetes-preserve-unknown-fields"))
        or (f is not None and f.child_schema is None)
    )
    if isinstance(value, list):
        for i, element in enumerate(value):
            _element(element, f, schemas, depth + 1, f"{path}[{i}]", lines, keeps_unknown, unknown)
        return
    child_fields = _children(f, schemas)
    if f is not None and f.type.name == "map":
        # map values are all of one type: each key is documented by the map field's element type
        for k, v in value.items():
            _node(str(k), False, v, _map_entry(f, str(k)), schemas, depth + 1, f"{path}.{k}", lines, "", True)
        return
    _mapping(
        value, child_fields, schemas, depth + 1, f"{path}.", lines, preserved=keeps_unknown or unknown != ""
    )


def _element(
    element: Any,
    f: Field | None,
    schemas: SchemaSet,
    depth: int,
    path: str,
    lines: list[Line],
    preserved: bool,
    unknown: str,
) -> None:
    if isinstance(element, Mapping) and element:
        child_fields = _children(f, schemas)
        first = True
        for k, v in element.items():
            cf = child_fields.get(str(k))
            why = "" if cf is not None else ("preserved" if preserved or unknown else "unknown")
            if first:
                # YAML writes the first key of a list item on the dash line
                _node(str(k), True, v, cf, schemas, depth, f"{path}.{k}", lines, why, preserved)
                _relabel_last_item(lines, cf, why)
                first = False
            else:
                _node(str(k), False, v, cf, schemas, depth + 1, f"{path}.{k}", lines, why, preserved)
        return
    _add(lines, Line(depth=depth, key="", item=True, value=_scalar(element), path=path))


def _relabel_last_item(lines: list[Line], f: Field | None, unknown: str) -> None:
    """The dash line of a list item carries its first key's documentation too."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].item and lines[i].key:
            old = lines[i]
            lines[i] = Line(
                depth=old.depth,
                key=old.key,
                item=True,
                value=old.value,
                type=str(f.type) if f else "",
                description=f.description if f else "",
                facts=tuple(_fact(k, f.extensions[k]) for k in FACT_KEYS if k in f.extensions) if f else (),
                unknown=unknown,
                required=bool(f and f.required),
                path=old.path,
                children=old.children,
            )
            return


def _children(f: Field | None, schemas: SchemaSet) -> dict[str, Field]:
    if f is None or f.child_schema is None:
        return {}
    return {c.name: c for c in schemas.fields(f.child_schema)}


def _map_entry(f: Field, key: str) -> Field:
    item = f.type.item
    return Field(
        name=key,
        path=f"{f.path}.{key}",
        type=item if item is not None else f.type,
        description="",
        child_schema=f.child_schema,
    )


def _fact(key: str, value: Any) -> str:
    short = key.removeprefix("x-kubernetes-")
    if value is True:
        return short
    if isinstance(value, str | int | float):
        return f"{short}: {value}"
    return f"{short}: {orjson.dumps(value).decode()}"


def _scalar(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if (
        "\n" in text
        or text == ""
        or text[0] in "{[&*!|>'\"%@`#-?:, "
        or text.lower() in ("true", "false", "null")
    ):
        return orjson.dumps(text).decode()
    return text
