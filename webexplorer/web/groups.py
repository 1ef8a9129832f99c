"""Group and group-version pages: the table ``curl localhost:8001/apis/batch/v1`` prints, as a page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webexplorer.web.history_view import history_key
from webexplorer.web.lookup import group_of, group_version_of
from webexplorer.web.state import app_state
from webexplorer.web.templating import Content, render_cached

router = APIRouter()


@router.get("/g/{group}", response_class=HTMLResponse)
async def group_page(request: Request, group: str) -> HTMLResponse:
    async def content() -> Content:
        g = group_of(app_state(request).catalog(), group)
        history = app_state(request).releases.history_now()
        custom = g.origin == "custom"
        lives = (
            {v.version: history.group_version(v.name) for v in g.versions} if history and not custom else {}
        )
        return Content({"group": g, "lives": lives})

    return await render_cached(request, "group.html", content, key=history_key(request))


@router.get("/g/{group}/{version}", response_class=HTMLResponse)
async def group_version_page(request: Request, group: str, version: str) -> HTMLResponse:
    async def content() -> Content:
        g, gv = group_version_of(app_state(request).catalog(), group, version)
        history = app_state(request).releases.history_now()
        life = history.group_version(gv.name) if history is not None else None
        return Content({"group": g, "gv": gv, "version": gv.version, "life": life})

    return await render_cached(request, "group_version.html", content, key=history_key(request))
