"""The home page: which cluster, how it was reached and why, who the explorer acts as, every API group."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webexplorer.web.state import State
from webexplorer.web.templating import Content, render, render_fragment_cached

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, state: State) -> HTMLResponse:
    explorer = state.explorer
    catalog = explorer.store.current
    groups = catalog.groups if catalog else ()
    counts = {
        "groups": len(groups),
        "versions": sum(len(g.versions) for g in groups),
        "resources": sum(len(v.resources) for g in groups for v in g.versions),
        "custom": sum(1 for g in groups if g.origin == "custom"),
    }
    index = explorer.store.search_index
    operations = index.operation_count if index is not None else None

    async def table() -> Content:
        return Content({"groups": groups})

    return render(
        request,
        "home.html",
        {
            "catalog": catalog,
            # the groups table is the page's cost and the catalog's alone; the rest is the visitor's
            "groups_table": await render_fragment_cached(request, "_home_groups.html", table, key=()),
            "counts": counts,
            "operations": operations,
            "catalog_problem": explorer.catalog_problem(),
            "whoami": getattr(request.state, "whoami", None),  # this visitor's (web/identity.py)
        },
    )
