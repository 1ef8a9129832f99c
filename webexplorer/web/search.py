"""Search: one box on every page. ``/search?q=`` is a plain page (works without JavaScript); the
header's box asks for ``&partial=1`` while typing (htmx, debounced) and gets only the results, shorter."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webexplorer.catalog import SearchResults
from webexplorer.web.state import State
from webexplorer.web.templating import Content, render_cached

router = APIRouter()

MAX_QUERY = 200
PAGE_LIMIT = 50
LIVE_LIMIT = 8


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, state: State, q: str = "", partial: str = "") -> HTMLResponse:
    query = q.strip()[:MAX_QUERY]
    live = partial == "1"
    store = state.explorer.store
    limit = LIVE_LIMIT if live else PAGE_LIMIT
    index = store.search_index

    async def content() -> Content:
        results = store.search(query, limit=limit) if query else SearchResults(query)
        return Content({"results": results, "live": live, "limit": limit})

    return await render_cached(
        request,
        "_search_results.html" if live else "search.html",
        content,
        # the results change within a generation once the fields index is built
        key=(index.status if index is not None else None,),
        frame={"query": query},
    )
