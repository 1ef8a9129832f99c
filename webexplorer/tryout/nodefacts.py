"""The constraint keywords of one schema node, typed: what the starting-body generator must satisfy.

STOPGAP — replace with ``webexplorer.catalog.fieldfacts`` (issue #12) once it is on main. This reader
is deliberately tiny: it only reads the raw keywords :class:`~webexplorer.catalog.SchemaSet` keeps
(``pattern``, lengths, bounds, item and property counts, ``enum``, ``default``, ``format``,
``required``, ``oneOf``/``anyOf`` alternatives, ``x-kubernetes-validations``) off the node as resolved
(``$ref`` and ``allOf: [{$ref}]`` wrappers followed, the wrapper's own keys winning). Nothing here
decides a value; :mod:`.skeleton` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webexplorer.catalog import SchemaSet, TypeInfo


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What one schema node says a value must be. ``None`` means the schema does not say."""

    type: TypeInfo
    #: the schema whose ``properties`` are this node's children (objects, and the element of arrays/maps)
    child_schema: Mapping[str, Any] | None
    #: the node as resolved (for its ``items``/``additionalProperties``/``properties``)
    raw: Mapping[str, Any]
    ref: str | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    min_items: int | None = None
    max_items: int | None = None
    min_properties: int | None = None
    enum: tuple[Any, ...] = ()
    default: Any = None
    format: str = ""
    required: tuple[str, ...] = ()
    #: the ``required`` lists of ``oneOf``/``anyOf`` members: one must hold
    alternatives: tuple[tuple[str, ...], ...] = ()
    #: CEL rules (``x-kubernetes-validations``): (rule, message)
    rules: tuple[tuple[str, str], ...] = ()
    preserve_unknown: bool = False


def facts_of(schemas: SchemaSet, schema: Mapping[str, Any]) -> NodeFacts:
    """The facts of ``schema`` (a property's schema, or a ``$ref`` to a definition)."""
    resolved, name, overrides = schemas.resolve(schema)
    merged: dict[str, Any] = {
        **resolved,
        **overrides,
        **{k: v for k, v in schema.items() if k not in ("$ref", "allOf")},
    }
    typ, child = schemas.type_of(schema)
    return NodeFacts(
        type=typ,
        child_schema=child,
        raw=resolved,
        ref=name,
        pattern=_str(merged.get("pattern")),
        min_length=_int(merged.get("minLength")),
        max_length=_int(merged.get("maxLength")),
        minimum=_num(merged.get("minimum")),
        maximum=_num(merged.get("maximum")),
        exclusive_minimum=merged.get("exclusiveMinimum") is True,
        exclusive_maximum=merged.get("exclusiveMaximum") is True,
        min_items=_int(merged.get("minItems")),
        max_items=_int(merged.get("maxItems")),
        min_properties=_int(merged.get("minProperties")),
        enum=tuple(merged["enum"]) if isinstance(merged.get("enum"), list) else (),
        default=merged.get("default"),
        format=_str(merged.get("format")) or "",
        required=_names(merged.get("required")),
        alternatives=tuple(
            _names(m.get("required"))
            for key in ("oneOf", "anyOf")
            for m in _list(merged.get(key))
            if isinstance(m, Mapping)
        ),
        rules=tuple(
            (str(r.get("rule", "")), str(r.get("message", "") or r.get("messageExpression", "")))
            for r in _list(merged.get("x-kubernetes-validations"))
            if isinstance(r, Mapping)
        ),
        preserve_unknown=merged.get("x-kubernetes-preserve-unknown-fields") is True,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _names(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
