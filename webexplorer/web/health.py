"""Probes: ``/healthz`` says the process is alive, ``/readyz`` that it can serve real pages.

``/healthz`` (liveness) asks nothing of anything: if the event loop answers, the process is alive, and a
cluster outage must never make the kubelet restart every replica. ``/readyz`` (readiness) is the
catalog being loaded and, when live, the API server having answered a recent background check
(:meth:`~webexplorer.explorer.Explorer.readiness`): reading state, never a request per probe.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok\n")


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> PlainTextResponse:
    explorer = request.app.state.explorer
    ready, reason = explorer.readiness()
    return PlainTextResponse(("ok" if ready else reason) + "\n", status_code=200 if ready else 503)
