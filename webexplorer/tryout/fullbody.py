"""The *full* starting body: the minimal one (:mod:`.skeleton`), with every optional field beside it as a
commented-out line that says what it takes — type, ``required``, enum values, default, constraints
(``# maxLength: 253``, ``# pattern: …``). Uncomment what you need.

Built as text, line by line, so the comments sit where the fields go: a field the minimal body has is
written as it is there (its hint as a trailing comment), an optional one as ``# field: <example>  #
hint``, and an optional object's own fields below it, commented too, down to :data:`MAX_DEPTH` levels.
With every comment removed it is the minimal body exactly (a test parses every kind's full body and
compares), so it is accepted whenever the minimal one is. ``metadata`` is written as is (its dozens of
optional fields are documented on the schema page), and the text stops after :data:`MAX_LINES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from webexplorer.catalog import SchemaSet

from .bodies import dump_yaml
from .nodefacts import NodeFacts, facts_of
from .skeleton import SERVER_METADATA

MAX_DEPTH = 4
MAX_LINES = 1500
MAX_HINT = 120
SKIPPED = ("apiVersion", "kind", "metadata", "status")


def full_body(schemas: SchemaSet, definition: str, minimal: Mapping[str, Any]) -> str:
    """The full body's YAML text for the kind ``definition`` whose minimal body is ``minimal``."""
    head = {k: minimal[k] for k in ("apiVersion", "kind", "metadata") if k in minimal}
    lines = dump_yaml(head).splitlines() if head else []
    root = facts_of(schemas, {"$ref": f"#/definitions/{definition}"})
    rest = {k: v for k, v in minimal.items() if k not in head}
    _Writer(schemas, lines).object(root, rest, 0, 0, frozenset(), top=True)
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], "# … (cut here: the schema page lists every field)"]
    return "\n".join(lines) + "\n"


class _Writer:
    """Appends the lines of one object's fields; a commented line is ``# `` at its own indentation, so
    uncommenting a block (the ``# `` of each of its lines) leaves valid YAML."""

    def __init__(self, schemas: SchemaSet, lines: list[str]) -> None:
        self.schemas = schemas
        self.lines = lines

    def add(self, indent: int, text: str, commented: bool) -> None:
        self.lines.append(" " * indent + ("# " if commented else "") + text)

    def object(
        self,
        facts: NodeFacts,
        value: Mapping[str, Any] | None,
        indent: int,
        optional_depth: int,
        seen: frozenset[str],
        *,
        top: bool = False,
    ) -> None:
        """The fields of ``facts``: those of ``value`` as they are, the others commented out (all of
        them when ``value`` is None: an optional object's fields)."""
        props = facts.raw.get("properties")
        if not isinstance(props, Mapping) or len(self.lines) > MAX_LINES:
            return
        here = seen | {facts.ref} if facts.ref else seen
        for key, prop in props.items():
            if not isinstance(prop, Mapping) or (top and key in SKIPPED):
                continue
            if facts.ref and facts.ref.endswith(".ObjectMeta") and key in SERVER_METADATA:
                continue  # a template's metadata: what only the server sets is not offered
            f = facts_of(self.schemas, prop)
            hint = _hint(f, key in facts.required)
            nested = isinstance(f.raw.get("properties"), Mapping) and not (f.ref and f.ref in here)
            if value is not None and key in value:
                item = value[key]
                if isinstance(item, Mapping) and nested:
                    self.add(indent, f"{key}:{' {}' if not item else ''}  # {hint}", False)
                    self.object(f, item or None, indent + 2, optional_depth + (not item), here)
                    continue
                dumped = dump_yaml({key: item}).rstrip("\n").splitlines()
                if len(dumped) == 1:
                    self.add(indent, f"{dumped[0]}  # {hint}", False)
                    continue
                self.add(indent, f"{key}: {hint}", True)  # a multi-line value: the hint goes above it
                for line in dumped:
                    self.add(indent, line, False)
            elif nested and f.type.name == "object" and optional_depth < MAX_DEPTH:
                self.add(indent, f"{key}:  # {hint}", True)
                self.object(f, None, indent + 2, optional_depth + 1, here)
            else:
                self.add(indent, f"{key}: {_example(f)}  # {hint}", True)


def _example(f: NodeFacts) -> str:
    if f.enum:
        return _json(f.enum[0])
    if f.default is not None and f.default not in ({}, ""):
        return _json(f.default)
    return {
        "string": '""',
        "integer": "0",
        "number": "0",
        "boolean": "false",
        "int-or-string": "0",
        "array": "[]",
        "map": "{}",
        "object": "{}",
    }.get(f.type.name, "{}")


def _hint(f: NodeFacts, required: bool) -> str:
    parts = [str(f.type)]
    if required:
        parts.append("required")
    if f.enum:
        parts.append("enum: " + ", ".join(str(e) for e in f.enum))
    if f.default is not None and f.default not in ({}, ""):
        parts.append(f"default: {_json(f.default)}")
    for label, bound in (
        ("minLength", f.min_length),
        ("maxLength", f.max_length),
        ("minimum", f.minimum),
        ("maximum", f.maximum),
        ("minItems", f.min_items),
        ("maxItems", f.max_items),
    ):
        if bound is not None:
            parts.append(f"{label}: {bound:g}" if isinstance(bound, float) else f"{label}: {bound}")
    if f.format and f.type.name != "int-or-string":
        parts.append(f"format: {f.format}")
    if f.pattern:
        parts.append(f"pattern: {f.pattern}")
    text = ", ".join(parts)
    return text if len(text) <= MAX_HINT else text[: MAX_HINT - 1] + "…"


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()
