"""``/history``: the visitor's own try-it requests, newest first, each a link to its form filled in again.

The list lives in the visitor's browser (``localStorage``, per identity: :mod:`webexplorer.tryout.history`)
and ``static/app.js`` draws it into this page; the server renders only the frame, so it keeps no memory
of anyone's requests and any replica serves the page. Without JavaScript the page says so.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webexplorer.web.templating import render

router = APIRouter()


@router.get("/history", response_class=HTMLResponse)
async def history(request: Request) -> HTMLResponse:
    return render(request, "history.html")
