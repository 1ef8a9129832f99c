"""Probes: ``/healthz`` says the process is alive, ``/readyz`` that it can serve real pages.

``/healthz`` (liveness) asks nothing of anything: if the event loop answers, the process is alive, and a
cluster outage must never make the kubelet restart every replica. ``/readyz`` (readiness) is the
catalog being loaded and, when live, the API server having answered a recent background check
(:func:`~webexplorer.web.readiness.readiness`): reading state, never a request per probe.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from webexplorer.web.readiness import readiness
from webexplorer.web.routemarks import PROBE
from webexplorer.web.state import State

router = APIRouter()


@router.get("/healthz", include_in_schema=False, tags=[PROBE])
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok\n")


@router.get("/readyz", include_in_schema=False, tags=[PROBE])
async def readyz(state: State) -> PlainTextResponse:
    ready, reason = readiness(state.explorer)
    return PlainTextResponse(("ok" if ready else reason) + "\n", status_code=200 if ready else 503)
