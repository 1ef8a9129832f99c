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


#: facts already read, by the schema node's identity (the node is kept with them, so its id cannot be
#: reused while cached): the full body reads thousands of nodes, the same ones on every page. Bare
#: ``{"$ref"}`` nodes are not kept (callers build them for a root, a new one each time); the bound keeps
#: what old schema sets the entries hold on to small.
_CACHE: dict[int, tuple[Mapping[str, Any], SchemaSet, NodeFacts]] = {}
CACHE_SIZE = 20_000


def facts_of(schemas: SchemaSet, schema: Mapping[str, Any]) -> NodeFacts:
    """The facts of ``schema`` (a property's schema, or a ``$ref`` to a definition)."""
    hit = _CACHE.get(id(schema))
    if hit is not None and hit[0] is schema and hit[1] is schemas:
        return hit[2]
    facts = _read(schemas, schema)
    if len(schema) == 1 and "$ref" in schema:
        return facts
    if len(_CACHE) >= CACHE_SIZE:
        del _CACHE[next(iter(_CACHE))]
    _CACHE[id(schema)] = (schema, schemas, facts)
    return facts


def clear_cache() -> None:
    """Forget every cached node (a benchmark's cold start)."""
    _CACHE.clear()


def _read(schemas: SchemaSet, schema: Mapping[str, Any]) -> NodeFacts:
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
