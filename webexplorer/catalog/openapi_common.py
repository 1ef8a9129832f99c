"""What the v2 and v3 operation readers share: walking ``paths`` and reading one parameter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from .jsonutil import get_str, str_tuple
from .operations import METHODS, Operation, Parameter, PathTarget, RequestBody, Response, parse_path
from .schema import extensions_of, gvks_of, ref_name

ParamResolver = Callable[[object], Mapping[str, Any] | None]
#: turns one raw operation into (request body, responses, consumes, produces, non-body parameters)
BodyReader = Callable[
    [Mapping[str, Any], list[Mapping[str, Any]]],
    tuple[RequestBody | None, tuple[Response, ...], tuple[str, ...], tuple[str, ...]],
]


#: ``x-kubernetes-action`` spells create and update as the HTTP methods; pages and the index use verbs
_ACTION_VERBS = {"post": "create", "put": "update"}


def shared_parameter_resolver(
    shared: Mapping[str, Any], prefix: str
) -> Callable[[object], Mapping[str, Any] | None]:
    """How both versions resolve a parameter: inline, or a ``$ref`` into the document's shared
    parameters (``#/parameters/`` in v2, ``#/components/parameters/`` in v3); None when unusable."""

    def resolve(raw: object) -> Mapping[str, Any] | None:
        if not isinstance(raw, Mapping):
            return None
        ref = raw.get("$ref")
        if isinstance(ref, str):
            target = shared.get(ref[len(prefix) :]) if ref.startswith(prefix) else None
            return target if isinstance(target, Mapping) else None
        return raw

    return resolve


def normalise_action(raw: object) -> str | None:
    """``x-kubernetes-action`` as a Kubernetes verb: post → create, put → update, the rest as is.
    The raw value stays in the operation's ``extensions``."""
    if not isinstance(raw, str) or not raw:
        return None
    return _ACTION_VERBS.get(raw, raw)


def schema_ref(schema: object) -> str | None:
    """The definition name a body/response schema points at (through ``allOf``/arrays), if any."""
    if not isinstance(schema, Mapping):
        return None
    name = ref_name(schema.get("$ref"))
    if name:
        return name
    all_of = schema.get("allOf")
    if isinstance(all_of, list):
        for s in all_of:
            if isinstance(s, Mapping) and (name := ref_name(s.get("$ref"))):
                return name
    return None


def read_parameter(raw: Mapping[str, Any]) -> Parameter | None:
    """A v2 or v3 non-body parameter; None when it has no name or location."""
    name, location = get_str(raw, "name"), get_str(raw, "in")
    if not name or not location or location == "body":
        return None
    schema = raw.get("schema")
    schema = schema if isinstance(schema, Mapping) else {}
    typ = raw.get("type", schema.get("type", "string"))
    unique = raw.get("uniqueItems", schema.get("uniqueItems", False))
    enum = raw.get("enum", schema.get("enum"))
    return Parameter(
        name=name,
        location=location,
        type=typ if isinstance(typ, str) else "string",
        description=get_str(raw, "description"),
        required=raw.get("required") is True,
        unique_items=unique is True,
        enum=tuple(enum) if isinstance(enum, list) else (),
        default=raw.get("default", schema.get("default")),
    )


def merged_parameters(
    path_item: Mapping[str, Any], op: Mapping[str, Any], resolve: ParamResolver
) -> list[Mapping[str, Any]]:
    """Path-level parameters overlaid by the operation's own, keyed by (name, in), refs resolved."""
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for source in (path_item.get("parameters"), op.get("parameters")):
        if not isinstance(source, list):
            continue
        for raw in source:
            p = resolve(raw)
            if p is not None:
                merged[(get_str(p, "name"), get_str(p, "in"))] = p
    return list(merged.values())


def read_operations(
    paths: object, resolve: ParamResolver, read_bodies: BodyReader
) -> tuple[list[Operation], int]:
    """Every operation under ``paths``; returns them and the number of entries skipped as unreadable."""
    out: list[Operation] = []
    skipped = 0
    if not isinstance(paths, Mapping):
        return out, 0
    for path, item in paths.items():
        if not isinstance(path, str) or not isinstance(item, Mapping):
            skipped += 1
            continue
        target: PathTarget | None = parse_path(path)
        for method in METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            if not isinstance(raw, Mapping):
                skipped += 1
                continue
            params = merged_parameters(item, raw, resolve)
            body, responses, consumes, produces = read_bodies(raw, params)
            gvks = gvks_of(raw)
            action = normalise_action(raw.get("x-kubernetes-action"))
            out.append(
                Operation(
                    operation_id=get_str(raw, "operationId") or f"{method} {path}",
                    method=method.upper(),
                    path=path,
                    action=action,
                    gvk=gvks[0] if gvks else None,
                    target=target,
                    description=get_str(raw, "description"),
                    summary=get_str(raw, "summary"),
                    parameters=tuple(p for p in map(read_parameter, params) if p is not None),
                    request_body=body,
                    responses=responses,
                    consumes=consumes,
                    produces=produces,
                    tags=str_tuple(raw.get("tags")),
                    deprecated=raw.get("deprecated") is True,
                    extensions=MappingProxyType(extensions_of(raw)),
                )
            )
    return out, skipped
