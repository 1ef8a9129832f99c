"""Operations: every (method, path) the server documents, normalised from OpenAPI v2 or v3.

The web pages never see which OpenAPI version an operation came from. v2 puts the request body in a
``body`` parameter, lists ``consumes``/``produces`` per operation and shares parameters through
``#/parameters``; v3 has ``requestBody``/``content`` maps and inline parameters. :mod:`.openapi_v2` and
:mod:`.openapi_v3` translate both into :class:`Operation`. Each path template is also parsed into a
:class:`PathTarget` (group, version, namespaced?, resource, subresource), which is how operations are
tied to discovery's resources even for paths without ``x-kubernetes-group-version-kind``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .model import GVK

METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


@dataclass(frozen=True, slots=True)
class PathTarget:
    """What a path template addresses, parsed from the path alone.

    ``/api/v1/namespaces/{namespace}/pods/{name}/status`` → core/v1, namespaced, pods, named, status.
    ``resource`` is None for the group version's own path (``/apis/apps/v1/``)."""

    group: str
    version: str
    resource: str | None = None
    subresource: str | None = None
    namespaced: bool = False
    named: bool = False
    watch: bool = False  # the deprecated ``/watch/`` prefix form

    @property
    def all_namespaces(self) -> bool:
        """A collection path of a namespaced resource without ``namespaces/{namespace}`` (list across
        all namespaces); only meaningful together with discovery's scope of the resource."""
        return not self.namespaced and not self.named and self.resource is not None


def parse_path(path: str) -> PathTarget | None:
    """Parse an API path template; None for paths outside ``/api/<v>`` and ``/apis/<g>/<v>``."""
    segs = [s for s in path.split("/") if s]
    if len(segs) >= 2 and segs[0] == "api":
        group, version, rest = "", segs[1], segs[2:]
    elif len(segs) >= 3 and segs[0] == "apis":
        group, version, rest = segs[1], segs[2], segs[3:]
    else:
        return None
    watch = False
    if rest and rest[0] == "watch":
        watch, rest = True, rest[1:]
    namespaced = False
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[1] == "{namespace}":
        namespaced, rest = True, rest[2:]
    if not rest:
        return PathTarget(group, version, watch=watch, namespaced=namespaced)
    resource = rest[0]
    named = len(rest) >= 2 and rest[1].startswith("{")
    subresource = rest[2] if named and len(rest) >= 3 else None
    return PathTarget(group, version, resource, subresource, namespaced, named, watch)


@dataclass(frozen=True, slots=True)
class Parameter:
    """A path, query or header parameter (the v2 ``body`` parameter becomes :class:`RequestBody`)."""

    name: str
    location: str  # "path" | "query" | "header" | "cookie"
    type: str = "string"
    description: str = ""
    required: bool = False
    unique_items: bool = False
    enum: tuple[Any, ...] = ()
    default: Any = None


@dataclass(frozen=True, slots=True)
class RequestBody:
    """The body an operation takes: its schema (a definition name when it is a ``$ref``) and the
    content types it accepts. For patch operations these are the patch types (json-patch, merge-patch,
    strategic-merge-patch, apply-patch+yaml...)."""

    schema_ref: str | None
    content_types: tuple[str, ...]
    required: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Response:
    status: str  # "200", "201", "401", "default"
    description: str = ""
    schema_ref: str | None = None
    content_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation, the same whichever OpenAPI version it came from."""

    operation_id: str
    method: str  # upper case: GET, PUT, POST, DELETE, PATCH
    path: str
    action: str | None
    gvk: GVK | None
    target: PathTarget | None
    description: str = ""
    summary: str = ""
    parameters: tuple[Parameter, ...] = ()
    request_body: RequestBody | None = None
    responses: tuple[Response, ...] = ()
    consumes: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    deprecated: bool = False
    #: every ``x-*`` extension of the operation, verbatim
    extensions: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def path_params(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @property
    def query_params(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "query")

    @property
    def key(self) -> tuple[str, str]:
        """(METHOD, path): what identifies an operation across OpenAPI versions."""
        return self.method, self.path


ResourceKey = tuple[str, str, str, str | None]  # group, version, resource, subresource


class OperationIndex:
    """Operations looked up by id, by resource (+ subresource, + action) and by GVK.

    Built once per OpenAPI document (cheap: a few thousand operations) and never changed."""

    __slots__ = ("_by_gvk", "_by_id", "_by_resource", "operations")

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations: tuple[Operation, ...] = tuple(operations)
        self._by_id: dict[str, Operation] = {}
        self._by_resource: dict[ResourceKey, list[Operation]] = {}
        self._by_gvk: dict[GVK, list[Operation]] = {}
        for op in self.operations:
            self._by_id.setdefault(op.operation_id, op)
            t = op.target
            if t is not None and t.resource is not None:
                self._by_resource.setdefault((t.group, t.version, t.resource, t.subresource), []).append(op)
            if op.gvk is not None:
                self._by_gvk.setdefault(op.gvk, []).append(op)

    def __len__(self) -> int:
        return len(self.operations)

    def by_id(self, operation_id: str) -> Operation | None:
        return self._by_id.get(operation_id)

    def for_resource(
        self,
        group: str,
        version: str,
        resource: str,
        subresource: str | None = None,
        action: str | None = None,
    ) -> tuple[Operation, ...]:
        """Operations on one resource (or one of its subresources), optionally of one action."""
        ops = self._by_resource.get((group, version, resource, subresource), [])
        return tuple(op for op in ops if action is None or op.action == action)

    def subresources_of(self, group: str, version: str, resource: str) -> tuple[str, ...]:
        """Subresource names that have operations (``status``, ``scale``, ``proxy``...)."""
        return tuple(
            sorted(
                {k[3] for k in self._by_resource if k[:3] == (group, version, resource) and k[3] is not None}
            )
        )

    def for_gvk(self, gvk: GVK) -> tuple[Operation, ...]:
        return tuple(self._by_gvk.get(gvk, ()))

    def for_group_version(self, group: str, version: str) -> tuple[Operation, ...]:
        return tuple(
            op
            for op in self.operations
            if op.target is not None and op.target.group == group and op.target.version == version
        )
