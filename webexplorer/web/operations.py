"""The operation page: method, path, description, every parameter, the body and the responses, and
the seam where the try-it form sits.

The try-it helper fills ``templates/_tryout_form.html``; this page includes it inside
``<section id="try-it">`` and passes it ``tryout`` (a :class:`~.tryout_form.TryLoader`: where the form
is loaded from), so the two features meet at one stable contract.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from webexplorer.catalog import Catalog, CatalogError, Operation, Parameter
from webexplorer.tryout.clients import snippet
from webexplorer.tryout.clients.call import EXAMPLE_SERVER, example_form
from webexplorer.tryout.commands import commands, target_of
from webexplorer.web import urls
from webexplorer.web.lookup import check, document_problem, group_version_of, kind_schema_url
from webexplorer.web.resources import ACTION_LABELS
from webexplorer.web.snippet_tabs import Tab, tabs
from webexplorer.web.state import app_state
from webexplorer.web.templating import Content, render_cached
from webexplorer.web.tryout_form import try_loader

router = APIRouter()

_LOCATION_ORDER = {"path": 0, "query": 1, "header": 2, "cookie": 3}


def ordered_parameters(op: Operation) -> list[Parameter]:
    """Path parameters first (they are required to build the URL), then query, then headers;
    required before optional, alphabetical within each."""
    return sorted(op.parameters, key=lambda p: (_LOCATION_ORDER.get(p.location, 9), not p.required, p.name))


@router.get("/op/{group}/{version}/{operation_id}", response_class=HTMLResponse)
async def operation_page(request: Request, group: str, version: str, operation_id: str) -> HTMLResponse:
    # the try-it form prefills from the query, which is part of the cache key with the path
    return await render_cached(
        request, "operation.html", lambda: _content(request, group, version, operation_id)
    )


async def _content(request: Request, group: str, version: str, operation_id: str) -> Content:
    catalog = app_state(request).catalog()
    g, gv = group_version_of(catalog, group, version)
    check(operation_id, urls.valid_operation_id, "operation id")
    try:
        index = await catalog.operations_for(g.name, gv.version)
    except CatalogError as exc:
        unreadable = HTTPException(503, f"The OpenAPI document of {gv.name} could not be read: {exc}")
        raise document_problem(exc, unreadable) from exc
    op = index.by_id(operation_id)
    if op is None:
        raise HTTPException(
            404,
            f"{gv.name} documents no operation {operation_id!r}; its resource pages list every operation.",
        )
    t = op.target
    resource = catalog.resource(t.group, t.version, t.resource) if t is not None and t.resource else None
    return Content(
        {
            "catalog": catalog,
            "operation": op,
            "resource": resource,
            "group": g,
            "gv": gv,
            "version": gv.version,
            "parameters": ordered_parameters(op),
            "kind_url": await kind_schema_url(catalog, g.name, gv.version, op.gvk),
            "action_labels": ACTION_LABELS,
            # the query is part of the kept content's key (render_cached), so the form may refill from it
            "tryout": try_loader(op, g.name, gv.version, request.url.query),
            "snippet_tabs": snippet_tabs(
                catalog, op, libraries=app_state(request).explorer.settings.client_snippets
            ),
        }
    )


def snippet_tabs(catalog: Catalog, op: Operation, *, libraries: bool = True) -> tuple[Tab, ...]:
    """The operation's example request as commands and (``libraries``) client-library snippets; none
    when the planner refuses the example."""
    planned = snippet.for_operation(catalog, op, libraries=libraries)
    if planned is None:
        return ()
    plan, codes = planned
    example = example_form(op)
    cmds = commands(plan, EXAMPLE_SERVER, target_of(op, example.path))
    return tabs("op-snippets", codes, cmds)
