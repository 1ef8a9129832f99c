"""One schema node as the starting-body generator reads it: its structure, and its constraints.

The constraints — ``pattern``, lengths, bounds, item and property counts, ``enum``, ``default``,
``format``, ``required``, ``oneOf``/``anyOf`` alternatives, CEL rules — are read by
:func:`webexplorer.catalog.fieldfacts.read_facts`, the one reader of schema constraints (the schema
pages list the same facts); this module only adds what a generator walks by (the type, the schema
holding the child fields, the definition name) and flattens the facts to the few attributes
:mod:`.skeleton`, :mod:`.fullbody` and :mod:`.bodycheck` use. Nothing here decides a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webexplorer.catalog import SchemaSet, TypeInfo
from webexplorer.catalog.celrules import CelRule
from webexplorer.catalog.fieldfacts import read_facts


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
    #: CEL rules (``x-kubernetes-validations``) that apply on create (not those comparing with ``oldSelf``)
    rules: tuple[CelRule, ...] = ()
    preserve_unknown: bool = False


def facts_of(schemas: SchemaSet, schema: Mapping[str, Any]) -> NodeFacts:
    """The facts of ``schema`` (a property's schema, or a ``$ref`` to a definition)."""
    resolved, name, _ = schemas.resolve(schema)
    read = read_facts(schemas.merged(schema), schemas.merged, default_is_noise=True)
    typ, child = schemas.type_of(schema)
    return NodeFacts(
        type=typ,
        child_schema=child,
        raw=resolved,
        ref=name,
        pattern=read.pattern,
        min_length=read.min_length,
        max_length=read.max_length,
        minimum=_float(read.minimum),
        maximum=_float(read.maximum),
        exclusive_minimum=read.exclusive_minimum,
        exclusive_maximum=read.exclusive_maximum,
        min_items=read.min_items,
        max_items=read.max_items,
        min_properties=read.min_properties,
        enum=read.enum,
        default=read.default if read.has_default else None,
        format=read.format,
        required=read.required,
        alternatives=tuple(
            names for a in read.alternatives if a.kind in ("oneOf", "anyOf") for names in a.required_sets
        ),
        rules=tuple(r for r in read.rules if not r.transition),
        preserve_unknown=read.preserve_unknown_fields,
    )


def _float(value: float | None) -> float | None:
    return float(value) if value is not None else None
