"""How many constraints lie below an object field: "14 constraints below, 3 of them rules".

A one-level schema page shows a field's own facts; what its children enforce is one click further.
The count tells a person where the rules are before they open anything. It is a cheap count of the
enforcing keywords (what :mod:`.fieldfacts` turns into facts, without the words) over every field below,
stopping at recursive types as the tree does, and kept per subtree with the schema set (definitions never
change), so each subtree is counted once per document however many pages show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .fieldfacts import CONSTRAINT_KEYWORDS
from .schema import Field, SchemaSet

_MAX_DEPTH = 24


@dataclass(frozen=True, slots=True)
class Below:
    """Constraints in the fields under one field (not counting the field's own), and how many of them
    are CEL rules."""

    constraints: int = 0
    rules: int = 0

    def __add__(self, other: Below) -> Below:
        return Below(self.constraints + other.constraints, self.rules + other.rules)


def _own(schema: Mapping[str, Any], schemas: SchemaSet, depth: int = 0) -> Below:
    """The enforcing keywords of one node, its items and its map values."""
    rules = schema.get("x-kubernetes-validations")
    n_rules = len(rules) if isinstance(rules, list) else 0
    found = Below(sum(1 for k in CONSTRAINT_KEYWORDS if k in schema) + n_rules, n_rules)
    if schema.get("x-kubernetes-list-type") == "map" or schema.get("x-kubernetes-list-type") == "set":
        found += Below(1, 0)  # duplicates are refused
    if depth < 4:
        for key in ("items", "additionalProperties"):
            below = schema.get(key)
            if isinstance(below, Mapping):
                found += _own(schemas.merged(below), schemas, depth + 1)
    return found


def constraints_below(field: Field, schemas: SchemaSet) -> Below:
    """What the fields below ``field`` enforce, all levels down (recursive types are not entered).

    Each subtree is counted once per schema set and the count reused wherever it appears, which makes
    the count of a type that contains itself (``JSONSchemaProps``) depend on where it was first met; it
    stays finite, and such types are links, not levels, on the pages anyway."""
    if field.child_schema is None or field.recursive:
        return Below()
    return _below(field.child_schema, schemas, frozenset({field.ref} if field.ref else ()), 0)


def _below(schema: Mapping[str, Any], schemas: SchemaSet, above: frozenset[str], depth: int) -> Below:
    def count() -> Below:
        total = Below()
        if depth < _MAX_DEPTH:
            for f in schemas.fields(schema, "", above):
                total += _own(f.schema, schemas)
                if f.child_schema is not None and not f.recursive:
                    total += _below(f.child_schema, schemas, above | {f.ref} if f.ref else above, depth + 1)
        return total

    return schemas.kept(schema, "facts_below", count)
