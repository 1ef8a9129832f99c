"""The try-it form as a page sees it: which inputs, prefilled with what, and whether it may be used.

Kept apart from the routes so the rules for prefilling live in one place: a shareable link's values
win; else writes start with ``fieldValidation=Strict`` and the box for ``dryRun=All`` ticked, PATCH
with a field manager and a merge patch, POST (and PUT) with a skeleton from the schema, PUT with the
live object when the person asks for it, and namespaced operations with the connection's namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webexplorer.catalog import Catalog, CatalogError, Operation, Parameter, Resource
from webexplorer.cluster.grants import Denial
from webexplorer.explorer import Explorer
from webexplorer.tryout import plan as planning
from webexplorer.tryout.bodies import dump_json, dump_yaml
from webexplorer.tryout.fullbody import full_body
from webexplorer.tryout.skeleton import skeleton
from webexplorer.web.urls import url_try

HIDDEN_QUERY = planning.MANAGED_QUERY
MERGE_EXAMPLE = 'metadata:\n  labels:\n    example: "true"\n'
JSON_PATCH_EXAMPLE = '- op: add\n  path: /metadata/labels/example\n  value: "true"\n'


@dataclass(frozen=True, slots=True)
class TryLoader:
    """The operation page's seam for the try-it form (``_tryout_form.html``): the form itself needs the
    live connection and the schema, so the page loads it from ``url`` (htmx; a link without JavaScript)."""

    operation_id: str
    url: str


def try_loader(op: Operation, group: str, version: str, query: str) -> TryLoader:
    """Where the page of ``op`` (documented by ``group``/``version``; an operation that names its own
    target is tried there) loads the form from, refilled from the page's ``query`` (a shareable link)."""
    if op.target is not None:
        group, version = op.target.group, op.target.version
    url = url_try(group, version, op.operation_id)
    return TryLoader(op.operation_id, f"{url}?{query}" if query else url)


@dataclass(frozen=True, slots=True)
class Input:
    """One input of the form."""

    name: str  # the parameter's name; the form field is ``prefix + name``
    field: str
    kind: str  # "text" | "number" | "select" | "namespace" | "name"
    description: str
    required: bool
    value: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FormView:
    """The form of one operation as the panel shows it (``_tryout_panel.html`` reads it as ``form``);
    what the visitor may do with it is filled in by the page (:func:`.tryout_page.visitor_form`)."""

    op: Operation
    group: str
    version: str
    resource: Resource | None
    action: str
    path_inputs: list[Input]
    query_inputs: list[Input]
    body: str
    patch_types: tuple[str, ...]
    patch_type: str
    dry_run: bool
    as_table: bool
    write: bool
    watch: bool
    disabled: str | None
    read_only: bool
    values: dict[str, str] = field(default_factory=dict)
    #: why this visitor's identity may not send it (SelfSubjectAccessReview): Send is greyed out
    denied: Denial | None = None
    #: ``disabled`` because the visitor has not signed in (``--identity token``)
    sign_in: bool = False
    #: why the starting body may still be refused (rules the explorer cannot check), shown beside it
    body_notes: tuple[str, ...] = ()

    @property
    def has_body(self) -> bool:
        return self.op.method in ("POST", "PUT", "PATCH") and self.op.request_body is not None

    @property
    def lists(self) -> bool:
        return self.op.action == "list"

    @property
    def offers_starts(self) -> bool:
        """The body is a starting body from the schema (a create or replace), offered in three styles."""
        return self.has_body and self.op.method in ("POST", "PUT") and not self.values.get("body")

    def start_url(self, style: str) -> str:
        """The form again, starting from the ``minimal``, ``full`` or ``json`` body."""
        return f"{self.action}?start={style}"

    @property
    def load_live_url(self) -> str:
        """The form again, its body the live object a PUT would replace (the path inputs come along)."""
        return f"{self.action}?load_live=1"


async def build_form(
    explorer: Explorer,
    catalog: Catalog,
    op: Operation,
    group: str,
    version: str,
    values: dict[str, str],
    *,
    live_object: dict[str, Any] | None = None,
) -> FormView:
    resource = (
        catalog.resource(op.target.group, op.target.version, op.target.resource)
        if op.target is not None and op.target.resource
        else None
    )
    connection = explorer.connection
    default_ns = connection.namespace if connection is not None else "default"
    write = op.method in planning.WRITE_METHODS
    path_inputs = [_path_input(p, values, default_ns) for p in op.path_params]
    query_inputs = [_query_input(p, values, op, write) for p in op.query_params if p.name not in HIDDEN_QUERY]
    patch_types = planning.patch_types(op)
    patch_type = values.get("patch_type") or (
        planning.MERGE_PATCH
        if planning.MERGE_PATCH in patch_types
        else (patch_types[0] if patch_types else "")
    )
    body = values.get("body", "")
    body_notes: tuple[str, ...] = ()
    if not body and op.method in ("POST", "PUT", "PATCH") and op.request_body is not None:
        body, body_notes = await _starting_body(
            catalog, op, resource, values, default_ns, patch_type, live_object
        )
    disabled = None
    if connection is None:
        disabled = (
            "This explorer shows a recorded snapshot of an API, not a live API server, so requests cannot be "
            "sent. Start it against a cluster (--mode in-cluster, --kubeconfig or --server) to try them."
        )
    elif planning.is_connect_operation(op) and not explorer.settings.allow_connect:
        disabled = (
            "This operation reaches into running containers or behind the API server; the operator has not "
            "enabled it (--allow-connect)."
        )
    return FormView(
        op=op,
        group=group,
        version=version,
        resource=resource,
        action=url_try(group, version, op.operation_id),
        path_inputs=path_inputs,
        query_inputs=query_inputs,
        body=body,
        patch_types=patch_types,
        patch_type=patch_type,
        dry_run=values.get("dry_run", "on") != "off",
        as_table=values.get("as_table") == "on",
        write=write,
        watch=planning.is_watch_operation(op),
        disabled=disabled,
        read_only=explorer.read_only,
        values=values,
        body_notes=body_notes,
    )


def _path_input(p: Parameter, values: dict[str, str], default_ns: str) -> Input:
    kind = "namespace" if p.name == "namespace" else "name" if p.name == "name" else "text"
    value = values.get(f"p.{p.name}", default_ns if p.name == "namespace" else "")
    return Input(p.name, f"p.{p.name}", kind, p.description, True, value)


def _query_input(p: Parameter, values: dict[str, str], op: Operation, write: bool) -> Input:
    default = ""
    if write and p.name == "fieldValidation":
        default = "Strict"
    if op.method == "PATCH" and p.name == "fieldManager":
        default = "webexplorer"
    value = values.get(f"q.{p.name}", default)
    if p.type == "boolean":
        return Input(p.name, f"q.{p.name}", "select", p.description, p.required, value, ("", "true", "false"))
    if p.name == "fieldValidation":
        return Input(
            p.name,
            f"q.{p.name}",
            "select",
            p.description,
            p.required,
            value,
            ("", "Ignore", "Warn", "Strict"),
        )
    if p.name == "propagationPolicy":
        options: tuple[str, ...] = ("", "Foreground", "Background", "Orphan")
        return Input(p.name, f"q.{p.name}", "select", p.description, p.required, value, options)
    if p.name == "resourceVersionMatch":
        return Input(
            p.name, f"q.{p.name}", "select", p.description, p.required, value, ("", "Exact", "NotOlderThan")
        )
    if p.enum:
        options = ("", *(str(e) for e in p.enum))
        return Input(p.name, f"q.{p.name}", "select", p.description, p.required, value, options)
    kind = "number" if p.type == "integer" else "text"
    return Input(p.name, f"q.{p.name}", kind, p.description, p.required, value)


async def _starting_body(
    catalog: Catalog,
    op: Operation,
    resource: Resource | None,
    values: dict[str, str],
    default_ns: str,
    patch_type: str,
    live_object: dict[str, Any] | None,
) -> tuple[str, tuple[str, ...]]:
    """The body the form starts with, and the notes shown beside it."""
    if live_object is not None:
        return dump_yaml(live_object), ()
    if op.method == "PATCH" and patch_type == planning.JSON_PATCH:
        return JSON_PATCH_EXAMPLE, ()
    if op.method == "PATCH" and patch_type != planning.APPLY_PATCH:
        return MERGE_EXAMPLE, ()
    gvk = resource.kind if resource is not None and not (op.target and op.target.subresource) else op.gvk
    namespaced = bool(op.target and op.target.namespaced)
    namespace = values.get("p.namespace", default_ns) if namespaced else None
    name = values.get("p.name", "") or "example"
    schemas = definition = None
    if gvk is not None:
        try:
            schemas, definition = await catalog.kind_definition(gvk)
        except CatalogError:
            schemas = definition = None
    if op.method == "PATCH":  # server-side apply: the identifying fields are what is required
        schemas = definition = None
    start = skeleton(schemas, definition, gvk, name=name, namespace=namespace)
    style = values.get("start", "")
    if style == "json":
        return dump_json(start.value) + "\n", start.notes
    if style == "full" and schemas is not None and definition is not None:
        return full_body(schemas, definition, start.value), start.notes
    return dump_yaml(start.value), start.notes
