"""Checking a body while it is typed: each problem tied to the line it is about.

Two sources, one shape (:class:`Finding`): the API server's own answer to a dry run (each
``Status.details.causes`` entry and every ``Warning`` header, which ``fieldValidation=Strict`` uses for
unknown fields), and — when no server can be asked (a snapshot, no sign-in) — a local check against the
schema the explorer has: the body parses, and every field it names exists. The local check is a
convenience, the server's answer is the truth; the form says which one it shows.

Lines come from the YAML node marks of the body as typed (JSON is YAML, so both work); a field path the
server names (``spec.template.spec.containers[0].image``) is followed key by key, as deep as the body
goes, so a missing field points at its parent's line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from webexplorer.catalog import SchemaSet

from .nodefacts import facts_of

_PART = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")
_QUOTED_FIELD = re.compile(r'(?:unknown|duplicate) field "([^"]+)"')
MAX_FINDINGS = 50


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: the field it names (may be empty), the line of the body (1-based; None: the
    body as a whole), the sentence, and where it comes from."""

    field: str
    line: int | None
    message: str
    source: str  # "server" | "warning" | "local"


def field_of_message(message: str) -> str:
    """The field a server message quotes (``unknown field "spec.x"``), else ""."""
    found = fields_in_message(message)
    return found[0] if found else ""


def fields_in_message(message: str) -> list[str]:
    """Every field a server message quotes (``strict decoding error: unknown field "spec.a", unknown
    field "spec.b"``), in order."""
    return _QUOTED_FIELD.findall(message)


def locate(text: str, path: str) -> int | None:
    """The 1-based line of the deepest part of ``path`` present in the body ``text``, or None."""
    if not path:
        return None
    try:
        node: Any = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    line: int | None = None
    for key, index in _PART.findall(path):
        part = key or index
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    line, nxt = k.start_mark.line + 1, v
                    break
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            nxt = node.value[int(part)]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def unknown_fields(schemas: SchemaSet, definition: str, value: Any) -> list[str]:
    """Field paths of ``value`` its schema does not know (where the schema lists its fields and keeps
    no unknown ones), the way ``fieldValidation=Strict`` names them."""
    out: list[str] = []
    stack: list[tuple[Mapping[str, Any], Any, str]] = [({"$ref": f"#/definitions/{definition}"}, value, "")]
    while stack and len(out) < MAX_FINDINGS:
        schema, item, path = stack.pop()
        facts = facts_of(schemas, schema)
        raw = facts.raw
        if facts.preserve_unknown:
            continue
        if isinstance(item, list) and isinstance(raw.get("items"), Mapping):
            stack += [(raw["items"], v, f"{path}[{i}]") for i, v in enumerate(item)]
        elif isinstance(item, Mapping):
            props = raw.get("properties")
            extra = raw.get("additionalProperties")
            if isinstance(props, Mapping) and props:
                for k, v in item.items():
                    where = f"{path}.{k}" if path else str(k)
                    if k in props and isinstance(props[k], Mapping):
                        stack.append((props[k], v, where))
                    elif extra is None or extra is False:
                        out.append(where)
            elif isinstance(extra, Mapping):
                stack += [(extra, v, f"{path}.{k}" if path else str(k)) for k, v in item.items()]
    return sorted(out)
