"""The resource page: kind, scope, every operation on it and on its subresources, and where to go next
(the schema, the same kind in other versions, the raw list path)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webexplorer.catalog import Catalog, CatalogError, Operation, Resource, Subresource
from webexplorer.web.history_view import history_key
from webexplorer.web.lookup import kind_schema_url, resource_of
from webexplorer.web.state import app_state
from webexplorer.web.templating import Content, render_cached

router = APIRouter()

#: the order operations are listed in, the order a person meets them (collection first, then one object)
ACTION_ORDER = (
    "list",
    "create",
    "deletecollection",
    "get",
    "update",
    "patch",
    "delete",
    "watchlist",
    "watch",
)
#: how an ``x-kubernetes-action`` is named on pages (kubectl's words where they differ)
ACTION_LABELS = {"update": "replace", "watchlist": "watch (list)", "connect": "connect"}


def sort_operations(ops: tuple[Operation, ...]) -> list[Operation]:
    """Collection operations first, then object ones; namespaced paths before cluster-wide ones."""

    def key(op: Operation) -> tuple[int, int, str, str]:
        rank = ACTION_ORDER.index(op.action) if op.action in ACTION_ORDER else len(ACTION_ORDER)
        namespaced = 0 if op.target is not None and op.target.namespaced else 1
        return rank, namespaced, op.path, op.method

    return sorted(ops, key=key)


@dataclass(frozen=True, slots=True)
class SubresourceView:
    """One subresource with what discovery says (may be None) and its documented operations."""

    name: str
    discovery: Subresource | None
    operations: list[Operation]
    #: the schema page of the subresource's kind, or None when no document defines it (exec options)
    schema_url: str | None = None


async def _subresources(catalog: Catalog, r: Resource) -> list[SubresourceView]:
    index = await catalog.operations_for(r.group, r.version)
    names = dict.fromkeys(
        [*(s.name for s in r.subresources), *index.subresources_of(r.group, r.version, r.name)]
    )
    views = []
    for name in names:
        sub = r.subresource(name)
        views.append(
            SubresourceView(
                name,
                sub,
                sort_operations(index.for_resource(r.group, r.version, r.name, name)),
                await kind_schema_url(catalog, r.group, r.version, sub.kind if sub else None),
            )
        )
    return views


@router.get("/g/{group}/{version}/{resource}", response_class=HTMLResponse)
async def resource_page(request: Request, group: str, version: str, resource: str) -> HTMLResponse:
    return await render_cached(
        request,
        "resource.html",
        lambda: _content(request, group, version, resource),
        key=history_key(request),
    )


async def _content(request: Request, group: str, version: str, resource: str) -> Content:
    catalog = app_state(request).catalog()
    g, gv, r = resource_of(catalog, group, version, resource)
    problem = None
    operations: list[Operation] = []
    subresources = [SubresourceView(s.name, s, []) for s in r.subresources]
    try:
        operations = sort_operations(await catalog.operations(r.group, r.version, r.name))
        subresources = await _subresources(catalog, r)
    except CatalogError as exc:
        problem = f"The operations of {gv.name} could not be read: {exc}"
    same_kind = [x for x in catalog.find_kind(r.kind.kind) if x is not r and x.kind.kind]
    history = app_state(request).releases.history_now()
    return Content(
        {
            "group": g,
            "gv": gv,
            "version": gv.version,
            "resource": r,
            "operations": operations,
            "subresources": subresources,
            "other_versions": [x for x in same_kind if x.group == r.group],
            "elsewhere": [x for x in same_kind if x.group != r.group],
            "problem": problem,
            "action_labels": ACTION_LABELS,
            "life": history.resource(r.group, r.version, r.name) if history is not None else None,
        },
        cacheable=problem is None,  # a document that did not come may come on the next visit
    )
