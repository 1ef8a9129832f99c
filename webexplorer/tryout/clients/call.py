"""A request as the client libraries see it: a :class:`Call`, typed and independent of any library.

The libraries do not speak in URLs: they name an API class or a clientset group, a method made of a
verb and a kind, a namespace and a name, and typed options (``dryRun``, ``fieldManager``...). A call
carries exactly that, read from the operation (the catalog's description of it, so a custom resource
gets one like a built-in kind) and from the checked plan of a try-it request (:func:`from_plan`), or
filled with example values for an operation page (:func:`example`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from webexplorer.catalog import Operation, Parameter

from ..plan import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    PlannedRequest,
    TryForm,
    is_watch_operation,
    patch_types,
)

Verb = Literal[
    "get", "list", "watch", "create", "update", "patch", "apply", "delete", "deletecollection", "connect"
]
#: the operation's ``x-kubernetes-action`` as a verb of the libraries (patch and watch decided apart)
_ACTION_VERBS: dict[str, Verb] = {
    "get": "get",
    "list": "list",
    "create": "create",
    "update": "update",
    "delete": "delete",
    "deletecollection": "deletecollection",
    "connect": "connect",
}
#: query parameters a library sets by itself or through its own switch, never as an option
_NOT_OPTIONS = frozenset({"pretty", "dryRun", "watch"})
Value = str | int | bool


@dataclass(frozen=True, slots=True)
class Param:
    """One query parameter with its value typed as the OpenAPI document types it."""

    name: str
    value: Value


@dataclass(frozen=True, slots=True)
class Call:
    """One request in the terms the client libraries use."""

    operation_id: str
    #: the operation's first OpenAPI tag (``core_v1``): generated clients name their API class from it
    tag: str
    group: str
    version: str
    #: the kind of the resource addressed (``Deployment`` for ``deployments/scale`` too); "" for none
    kind: str
    #: the plural (``deployments``); "" for a path that names no resource (``/apis/apps/v1/``)
    resource: str
    subresource: str
    verb: Verb | None
    #: the path names a namespace (``namespaces/{namespace}``)
    namespaced: bool
    #: a collection of a namespaced resource across all namespaces (no namespace in the path)
    all_namespaces: bool
    #: a kind compiled into kube-apiserver (typed clients have classes for it), not a custom resource
    builtin: bool
    path_params: tuple[tuple[str, str], ...]
    params: tuple[Param, ...]
    dry_run: bool
    #: the patch's content type, "" when the request is no patch
    patch_type: str
    body: Any
    #: the body's kind as the operation documents it (``autoscaling/v1`` ``Scale`` for a scale update)
    body_group: str
    body_version: str
    body_kind: str
    method: str
    #: the request's path with its parameters filled in (for a library's plain REST fallback)
    path: str

    @property
    def namespace(self) -> str:
        return dict(self.path_params).get("namespace", "")

    @property
    def name(self) -> str:
        return dict(self.path_params).get("name", "")

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def watch_by_name(self) -> bool:
        """A watch of one object (the deprecated ``/watch/.../{name}`` path): the libraries watch the
        collection with ``fieldSelector=metadata.name=<name>`` instead."""
        return self.verb == "watch" and bool(self.name)

    @property
    def collection_path(self) -> str:
        """The collection a watch streams, without the deprecated ``/watch/`` segment or the name."""
        path = self.path.replace("/watch/", "/", 1)
        return path.rsplit("/", 1)[0] if self.watch_by_name else path

    @property
    def options(self) -> tuple[Param, ...]:
        """The query options, with the field selector a watch of one object needs in front."""
        if self.watch_by_name:
            return (Param("fieldSelector", f"metadata.name={self.name}"), *self.params)
        return self.params

    def param(self, name: str) -> Value | None:
        return next((p.value for p in self.params if p.name == name), None)


def snake(name: str) -> str:
    """``NamespacedConfigMap`` → ``namespaced_config_map``, ``APIService`` → ``api_service``: the
    rule the OpenAPI generators apply to operation ids and parameter names."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name).lower()


def verb_of(op: Operation, *, watch: bool, patch_type: str) -> Verb | None:
    if watch or is_watch_operation(op):
        return "watch"
    if op.action == "patch":
        return "apply" if patch_type == APPLY_PATCH else "patch"
    return _ACTION_VERBS.get(op.action or "")


def typed_value(param: Parameter | None, raw: str) -> Value:
    """A checked query value as its OpenAPI type (the plan already refused what does not parse)."""
    if param is not None and param.type == "integer":
        return int(raw)
    if param is not None and param.type == "boolean":
        return raw == "true"
    return raw


def _call(
    op: Operation,
    *,
    kind: str,
    builtin: bool,
    resource_namespaced: bool,
    path_params: tuple[tuple[str, str], ...],
    query: tuple[tuple[str, str], ...],
    dry_run: bool,
    watch: bool,
    patch_type: str,
    body: Any,
    path: str,
) -> Call:
    t = op.target
    documented = {p.name: p for p in op.query_params}
    params = tuple(
        Param(k, typed_value(documented.get(k), v))
        for k, v in query
        if k not in _NOT_OPTIONS and not (k == "allowWatchBookmarks" and watch)
    )
    verb = verb_of(op, watch=watch, patch_type=patch_type)
    if verb == "connect":  # a proxied or streamed request: no object is written, nothing to dry-run
        dry_run, patch_type, body = False, "", None
    return Call(
        operation_id=op.operation_id,
        tag=op.tags[0] if op.tags else "",
        group=t.group if t else "",
        version=t.version if t else "",
        kind=kind,
        resource=(t.resource or "") if t else "",
        subresource=(t.subresource or "") if t else "",
        verb=verb,
        namespaced=bool(t and t.namespaced),
        all_namespaces=bool(t and t.all_namespaces and resource_namespaced),
        builtin=builtin,
        path_params=path_params,
        params=params,
        dry_run=dry_run,
        patch_type=patch_type,
        body=body,
        body_group=op.gvk.group if op.gvk and body is not None else "",
        body_version=op.gvk.version if op.gvk and body is not None else "",
        body_kind=op.gvk.kind if op.gvk and body is not None else "",
        method=op.method,
        path=path,
    )


def from_plan(
    op: Operation,
    plan: PlannedRequest,
    path_params: dict[str, str],
    *,
    kind: str,
    builtin: bool,
    resource_namespaced: bool,
) -> Call:
    """The call of a checked try-it request: its path parameters, typed query, dry run and body."""
    body = orjson.loads(plan.body) if plan.body is not None else None
    names = [p.name for p in op.path_params]
    return _call(
        op,
        kind=kind,
        builtin=builtin,
        resource_namespaced=resource_namespaced,
        path_params=tuple((n, path_params.get(n, "")) for n in names),
        query=plan.query,
        dry_run=plan.dry_run,
        watch=plan.watch,
        patch_type=plan.content_type if op.method == "PATCH" and plan.content_type else "",
        body=body,
        path=plan.path,
    )


#: example values of an operation page's snippets (a person replaces them)
EXAMPLE_PATH = {"namespace": "default", "name": "example", "path": "healthz"}
EXAMPLE_PATCH: dict[str, Any] = {"metadata": {"labels": {"example": "true"}}}
EXAMPLE_JSON_PATCH = [{"op": "add", "path": "/metadata/labels/example", "value": "true"}]
#: the server an operation page's commands name: the in-cluster address (the page is the same for all)
EXAMPLE_SERVER = "https://kubernetes.default.svc"


def example_form(op: Operation) -> TryForm:
    """The try-it form an operation page's snippets are planned from: example namespace and name, a
    dry run for writes, and a small body (the kind's identifying fields; a label for a patch)."""
    path = {p.name: EXAMPLE_PATH.get(p.name, "example") for p in op.path_params}
    offered = patch_types(op)
    patch = (MERGE_PATCH if MERGE_PATCH in offered else offered[0]) if offered else ""
    body: Any = None
    if op.method in ("POST", "PUT") and op.request_body is not None and op.gvk is not None:
        meta = {"name": path.get("name", "example")}
        if "namespace" in path:
            meta["namespace"] = path["namespace"]
        body = {"apiVersion": op.gvk.group_version, "kind": op.gvk.kind, "metadata": meta}
    elif op.method in ("POST", "PUT") and op.request_body is not None:
        body = {}
    elif patch:
        body = EXAMPLE_JSON_PATCH if patch == JSON_PATCH else EXAMPLE_PATCH
    text = orjson.dumps(body).decode() if body is not None else ""
    return TryForm(method=op.method, path=path, body=text, patch_type=patch, dry_run=True)


#: the options of a list or watch (``metav1.ListOptions``, Fabric8's ``ListOptions``), by OpenAPI name
LIST_OPTIONS = frozenset(
    {
        "labelSelector",
        "fieldSelector",
        "limit",
        "continue",
        "resourceVersion",
        "resourceVersionMatch",
        "timeoutSeconds",
        "allowWatchBookmarks",
        "sendInitialEvents",
    }
)
#: subresources that are streams (SPDY or WebSocket): each library has its own helper, not a request
STREAMED = frozenset({"exec", "attach", "portforward"})


def stream_sentence(subresource: str, library: str, helper: str) -> str:
    """Why a library's snippet of a streamed subresource is a sentence, not code."""
    return (
        f"The {subresource} subresource is a stream: {library} reaches it through {helper}, not a plain "
        "request, so no snippet is written for it here."
    )


@dataclass(frozen=True, slots=True)
class Code:
    """One library's snippet: the code, or (``code == ""``) the sentence saying what it cannot do."""

    library: str
    code: str
    note: str = ""

    @property
    def supported(self) -> bool:
        return bool(self.code)


def literal_json(value: Any, indent: int = 2) -> str:
    """JSON text, which is also a JavaScript and a Java text-block literal."""
    return (
        orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() if indent else orjson.dumps(value).decode()
    )
