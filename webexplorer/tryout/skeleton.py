"""A body to start from that the API server accepts as it stands: what a create needs at the least.

``apiVersion``, ``kind``, ``metadata.name`` (and ``metadata.namespace`` for namespaced resources) are
always there; below them every field the schema marks ``required``, recursively, with a value that
satisfies the node's constraints (read by :mod:`.nodefacts`): an enum's first value or the default
where there is one, else a string that fits ``pattern``/``minLength``/``maxLength`` and ``format``
(``date-time``, ``byte``, …), a number inside the bounds, ``minItems`` elements, the first
``oneOf``/``anyOf`` alternative's required fields.

What the schema does not say but the API server enforces in code — a Pod needs a container with a
name and an image, a Deployment's selector must match its template's labels, a CRD is named
``<plural>.<group>`` — is kept as small data beside this generator (``data/starting_bodies.yaml``),
merged over what the schema gives, and tested against the real API server (tests/test_starting_bodies.py)
so it cannot rot. Optional fields are left out: the schema page and *Explain this object* list them.

Where a body can still be refused for reasons the explorer cannot evaluate (CEL rules,
``x-kubernetes-validations``, on the nodes the body has), :attr:`StartingBody.notes` says so and the
form shows it next to the body.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from webexplorer.catalog import GVK, SchemaSet

from .nodefacts import NodeFacts, facts_of
from .regex_example import example_matching

MAX_DEPTH = 12
DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "starting_bodies.yaml"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
#: the key of a data entry holding what the form says instead (a kind no generic body can satisfy)
NOTE = "_note"
#: a value for each string ``format`` the API server checks (CRD formats and the built-in ones)
FORMAT_VALUES = {
    "date-time": "2026-01-01T00:00:00Z",
    "datetime": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "byte": "ZXhhbXBsZQ==",  # base64 of "example"
    "uri": "https://example.com",
    "url": "https://example.com",
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ip": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "cidr": "192.0.2.0/24",
    "mac": "02:00:00:00:00:01",
    "uuid": "6f1b4c1e-8a0e-4b7a-9a53-2f0c5e1d9b10",
    "uuid4": "6f1b4c1e-8a0e-4b7a-9a53-2f0c5e1d9b10",
    "duration": "1h",
    "hexcolor": "#000000",
}


@dataclass(frozen=True, slots=True)
class StartingBody:
    """The body a create (or replace) starts from, and what the form says beside it."""

    value: dict[str, Any]
    #: why the server may still refuse it (rules the explorer cannot evaluate), one sentence each
    notes: tuple[str, ...] = ()


def skeleton(
    schemas: SchemaSet | None,
    definition: str | None,
    gvk: GVK | None,
    *,
    name: str = "",
    namespace: str | None = None,
) -> StartingBody:
    """The starting body for creating (or replacing) an object of ``gvk``."""
    builder = _Builder(schemas)
    body: dict[str, Any] = {}
    if schemas is not None and definition is not None and definition in schemas:
        body = builder.object_of({"$ref": f"#/definitions/{definition}"}, frozenset(), 0, "", top=True)
    if gvk is not None:
        body = {"apiVersion": gvk.group_version, "kind": gvk.kind, **body}
    metadata: dict[str, Any] = {"name": name or "example"}
    if namespace is not None:
        metadata["namespace"] = namespace
    existing = body.get("metadata")
    body["metadata"] = {**metadata, **(existing if isinstance(existing, dict) else {})}
    notes: tuple[str, ...] = ()
    known_data = False
    if gvk is not None and definition is not None:
        known = known_rules(gvk)
        known_data = bool(known)
        notes = tuple(str(n) for n in _as_list(known.pop(NOTE, None)))
        if known:
            body = merge(body, _substitute(known, {"$name": metadata["name"], "$namespace": namespace or ""}))
    # keep the familiar order: apiVersion, kind, metadata, then the rest
    head: dict[str, Any] = {k: body[k] for k in ("apiVersion", "kind", "metadata") if k in body}
    value = {**head, **{k: v for k, v in body.items() if k not in head}}
    # a kind with data has been checked against the API server as a whole (the data is tested), so the
    # rules met on the way are not worth a note; without data, each one is a reason it may be refused
    return StartingBody(value, notes if known_data else notes + builder.notes(value))


class _Builder:
    """One walk of a schema, collecting the CEL rules of the nodes it fills in."""

    def __init__(self, schemas: SchemaSet | None) -> None:
        self.schemas = schemas
        self.rules: list[tuple[str, str, str]] = []  # (path, rule, message)
        self.unmatched: list[str] = []

    def notes(self, value: Mapping[str, Any]) -> tuple[str, ...]:
        out = [
            f"{path or 'The object'} must be a string matching its pattern; no value was found, so "
            "fill it in yourself."
            for path in self.unmatched
        ]
        for path, rule, message in self.rules:
            if _present(value, path):
                where = f"at {path}" if path else "on the object"
                out.append(f"A rule the explorer cannot check applies {where}: {message or rule}")
        return tuple(dict.fromkeys(out))

    def object_of(
        self,
        schema: Mapping[str, Any],
        ancestors: frozenset[str],
        depth: int,
        path: str,
        *,
        top: bool = False,
    ) -> dict[str, Any]:
        assert self.schemas is not None
        facts = facts_of(self.schemas, schema)
        return self._fill(facts, ancestors, depth, path, top)

    def _fill(
        self, facts: NodeFacts, ancestors: frozenset[str], depth: int, path: str, top: bool = False
    ) -> dict[str, Any]:
        props = facts.raw.get("properties")
        if not isinstance(props, Mapping):
            return {}
        here = ancestors | {facts.ref} if facts.ref else ancestors
        wanted = list(facts.required)
        for alternative in facts.alternatives:
            if alternative and all(k in props for k in alternative):
                wanted += [k for k in alternative if k not in wanted]
                break
        for rule in facts.rules:
            self.rules.append((path, rule.rule, rule.message or rule.message_expression))
        out: dict[str, Any] = {}
        for key in wanted:
            prop = props.get(key)
            if not isinstance(prop, Mapping) or (top and key in ("apiVersion", "kind", "metadata", "status")):
                continue
            out[key] = self.value_of(prop, here, depth + 1, f"{path}.{key}" if path else key, key)
        for key, prop in props.items():  # minProperties: the first optional fields until enough
            if facts.min_properties is None or len(out) >= facts.min_properties:
                break
            if key not in out and isinstance(prop, Mapping):
                out[key] = self.value_of(prop, here, depth + 1, f"{path}.{key}" if path else key, key)
        return out

    def value_of(
        self, schema: Mapping[str, Any], ancestors: frozenset[str], depth: int, path: str, key: str
    ) -> Any:
        assert self.schemas is not None
        facts = facts_of(self.schemas, schema)
        enum = [e for e in facts.enum if e is not None and e != ""] or list(facts.enum)
        if enum:
            return enum[0]
        kind = facts.type.name
        if (facts.default is not None and facts.default not in ({}, "", 0)) or facts.default is False:
            return facts.default  # v3 writes Go's zero values as defaults ({}, "", 0): not real ones
        if kind in ("object", "array", "map") and (
            depth > MAX_DEPTH or (facts.ref and facts.ref in ancestors)
        ):
            return [] if kind == "array" else {}
        if kind == "object":
            return self._fill(facts, ancestors, depth, path)
        if kind == "map":
            if not facts.min_properties:
                return {}
            extra = facts.raw.get("additionalProperties")
            inner = (
                self.value_of(extra, ancestors, depth + 1, f"{path}.example", "example")
                if isinstance(extra, Mapping)
                else ""
            )
            return {"example": inner}
        if kind == "array":
            items = facts.raw.get("items")
            count = facts.min_items or 0
            if not isinstance(items, Mapping) or count == 0:
                return []
            return [self.value_of(items, ancestors, depth + 1, f"{path}[{i}]", key) for i in range(count)]
        return self._scalar(facts, path)

    def _scalar(self, facts: NodeFacts, path: str) -> Any:
        kind = facts.type.name
        if kind in ("integer", "number"):
            return _number(facts)
        if kind == "boolean":
            return False
        if kind == "int-or-string" and not facts.pattern:
            return 1
        if kind == "any":
            return {}
        if facts.ref == QUANTITY or facts.type.ref == QUANTITY:
            return "1"
        fmt = facts.format or facts.type.format
        prefer = FORMAT_VALUES.get(fmt, "example")
        if facts.ref and facts.ref.endswith("MicroTime"):
            prefer = "2026-01-01T00:00:00.000000Z"
        found = example_matching(
            facts.pattern, min_length=facts.min_length or 0, max_length=facts.max_length, prefer=prefer
        )
        if found is None:
            self.unmatched.append(path)
            return prefer
        return found


def _number(facts: NodeFacts) -> int | float:
    low = facts.minimum
    high = facts.maximum
    value: float = 1
    if low is not None:
        value = max(value, low + (1 if facts.exclusive_minimum else 0))
    if high is not None:
        value = min(value, high - (1 if facts.exclusive_maximum else 0))
    return int(value) if facts.type.name == "integer" or value == int(value) else value


def _present(value: Any, path: str) -> bool:
    """Whether the dotted ``path`` (``[i]`` for list elements) is in ``value``."""
    current = value
    for part in [p for p in path.replace("[", ".[").split(".") if p]:
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return False
            current = current[index]
        elif isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return False
    return True


def merge(base: Mapping[str, Any], over: Mapping[str, Any], *, keep_null: bool = False) -> dict[str, Any]:
    """``over`` merged into ``base``: mappings recursively, everything else (lists too) replaced, and a
    ``null`` in ``over`` removes the key (a review's ``metadata``, which must stay empty) — or, with
    ``keep_null``, stays, so that data merged with data still removes it from the body later."""
    out = dict(base)
    for k, v in over.items():
        current = out.get(k)
        if v is None and not keep_null:
            out.pop(k, None)
        elif isinstance(current, Mapping) and isinstance(v, Mapping):
            out[k] = merge(current, v, keep_null=keep_null)
        else:
            out[k] = v
    return out


def _substitute(value: Any, names: Mapping[str, str]) -> Any:
    """The data's ``$name``/``$namespace`` replaced by the form's (an Event names its own namespace)."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, Mapping):
        return {k: _substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, names) for v in value]
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


@functools.cache
def _known() -> dict[str, Any]:
    loaded = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8")) or {}
    return {k: v for k, v in loaded.items() if isinstance(k, str) and not k.startswith("_")}


def known_rules(gvk: GVK) -> dict[str, Any]:
    """The fields the API server requires of ``gvk`` beyond its schema (``Kind.group``, then the
    version-specific ``Kind.group@version``, merged in that order); empty for kinds it has none for."""
    known = _known()
    base = f"{gvk.kind}.{gvk.group}" if gvk.group else gvk.kind
    out: dict[str, Any] = {}
    for key in (base, f"{base}@{gvk.version}"):
        entry = known.get(key)
        if isinstance(entry, Mapping):
            out = merge(out, entry, keep_null=True)
    # the data's anchors share objects (deepcopy keeps that sharing): a body must own each of its values,
    # or the YAML the editor shows would hold aliases
    copied: dict[str, Any] = orjson.loads(orjson.dumps(out))
    return copied


#: metadata only the API server sets: a new object made from a live one starts without them
SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "ownerReferences",
)
#: annotations written by clients and controllers for the object they keep, not for a copy
SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")
#: spec fields the API server allocated for that object (a copy asking for the same IP is refused)
ALLOCATED_SPEC = {"Service": ("clusterIP", "clusterIPs")}


def as_new_body(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A live object as the starting body of a new one: ``status``, the server-set metadata and
    annotations, and the spec fields the server allocated for the original are left out."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = out.get("metadata")
    if isinstance(meta, Mapping):
        kept = {k: v for k, v in meta.items() if k not in SERVER_METADATA}
        notes = kept.get("annotations")
        if isinstance(notes, Mapping):
            left = {k: v for k, v in notes.items() if k not in SERVER_ANNOTATIONS}
            if left:
                kept["annotations"] = left
            else:
                kept.pop("annotations")
        out["metadata"] = kept
    spec = out.get("spec")
    allocated = ALLOCATED_SPEC.get(str(out.get("kind", "")), ())
    if isinstance(spec, Mapping) and allocated:
        out["spec"] = {k: v for k, v in spec.items() if k not in allocated}
    return out


def strip_live_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A live object made ready to edit for PUT: ``managedFields`` (the server keeps them when a PUT
    leaves them out) and ``status`` (ignored by the main resource's PUT) are dropped; ``resourceVersion``
    stays, so a concurrent change is refused with 409 instead of overwritten."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = out.get("metadata")
    if isinstance(meta, Mapping):
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out
