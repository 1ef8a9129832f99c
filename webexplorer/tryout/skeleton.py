"""A body to start from, built from the schema: what ``kubectl create`` would need at the least.

``apiVersion``, ``kind``, ``metadata.name`` (and ``metadata.namespace`` for namespaced resources) are
always there; below them every field the schema marks ``required``, recursively, with a placeholder of
its type (an enum's first value or the field's default where the schema gives one). Optional fields are
left out: a skeleton that validates is more useful than one listing everything, which is what the
schema page and *Explain this object* are for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webexplorer.catalog import GVK, Field, SchemaSet

MAX_DEPTH = 8


def skeleton(
    schemas: SchemaSet | None,
    definition: str | None,
    gvk: GVK | None,
    *,
    name: str = "",
    namespace: str | None = None,
) -> dict[str, Any]:
    """The starting body for creating (or replacing) an object of ``gvk``."""
    body: dict[str, Any] = {}
    if schemas is not None and definition is not None and definition in schemas:
        schema = {"$ref": f"#/definitions/{definition}"}
        body = _required_fields(schemas, schemas.fields(schema), frozenset({definition}), 0)
    if gvk is not None:
        body = {"apiVersion": gvk.group_version, "kind": gvk.kind, **body}
    metadata: dict[str, Any] = {"name": name or "example"}
    if namespace is not None:
        metadata["namespace"] = namespace
    existing = body.get("metadata")
    body["metadata"] = {**metadata, **(existing if isinstance(existing, dict) else {})}
    # keep the familiar order: apiVersion, kind, metadata, then the rest
    head: dict[str, Any] = {k: body[k] for k in ("apiVersion", "kind", "metadata") if k in body}
    return {**head, **{k: v for k, v in body.items() if k not in head}}


def _required_fields(
    schemas: SchemaSet, fields: tuple[Field, ...], ancestors: frozenset[str], depth: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        if f.required and not (depth == 0 and f.name in ("apiVersion", "kind", "metadata", "status")):
            out[f.name] = _placeholder(schemas, f, ancestors, depth)
    return out


def _placeholder(schemas: SchemaSet, f: Field, ancestors: frozenset[str], depth: int) -> Any:
    if f.enum:
        return f.enum[0]
    if f.default is not None:
        return f.default
    kind = f.type.name
    if kind in ("object", "array", "map"):
        inner: dict[str, Any] = {}
        if f.child_schema is not None and not f.recursive and depth < MAX_DEPTH:
            below = ancestors | {f.ref} if f.ref else ancestors
            inner = _required_fields(schemas, schemas.fields(f.child_schema), below, depth + 1)
        if kind == "array":
            element = f.type.item.name if f.type.item else "any"
            return [inner] if inner or element == "object" else [_scalar(element)]
        if kind == "map":
            return {}
        return inner
    return _scalar(kind)


def _scalar(kind: str) -> Any:
    return {"string": "", "integer": 0, "number": 0, "boolean": False, "int-or-string": ""}.get(kind)


def strip_live_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A live object made ready to edit for PUT: ``managedFields`` (the server keeps them when a PUT
    leaves them out) and ``status`` (ignored by the main resource's PUT) are dropped; ``resourceVersion``
    stays, so a concurrent change is refused with 409 instead of overwritten."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = out.get("metadata")
    if isinstance(meta, Mapping):
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out
