"""The upgrade check page: ``/upgrade?target=v1.31.14``.

For the live cluster and a target chosen from the embedded releases (never a path or a name from the
query beyond those labels): every resource version it serves that the target does not, and every one
that is deprecated, each with the objects that depend on it (``catalog/usage.py`` says how they are
counted). The lists run as the visitor (their rights decide what may be counted), through GETs only, on
every visit: counts are "right now".
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from webexplorer.catalog.usage import check_upgrade
from webexplorer.web.state import State
from webexplorer.web.templating import render
from webexplorer.web.visitors import visitor_of

router = APIRouter()


@router.get("/upgrade", response_class=HTMLResponse)
async def upgrade_page(request: Request, state: State, target: str = "") -> HTMLResponse:
    catalog = state.catalog()
    releases = state.releases
    chosen = target or releases.newest or ""
    if chosen and not releases.known(chosen):
        raise HTTPException(400, f"{target[:40]!r} is not one of the embedded releases.")
    visitor = await visitor_of(request)
    check = None
    if visitor.connection is not None and chosen:
        surface = await releases.surface(chosen)
        check = await check_upgrade(visitor.connection, catalog, surface, await releases.history())
    return render(
        request,
        "upgrade.html",
        {
            "targets": releases.labels,
            "target": chosen,
            "check": check,
            "offline": state.explorer.connection is None,
            "needs_sign_in": visitor.needs_sign_in,
            "server_version": catalog.version.git_version if catalog.version else "",
        },
    )
