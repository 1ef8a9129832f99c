"""``/metrics`` and the middleware that counts every request for it.

The middleware is plain ASGI, like the guards and ``Server-Timing``: it runs on every request and on
streamed answers, so it must add nothing measurable and never buffer a body. Its only per-request work
is reading the clock twice and one counter plus one histogram update. It sits outermost, so refusals by
the Host guard (421) are counted too.

The route label is the *template* of the route that answered (``/g/{group}/{version}``), which Starlette
leaves in ``scope["route"]`` once it has matched one; a path that matched nothing is ``unmatched``. Raw
paths never become labels: every distinct URL would otherwise be a new time series (cardinality).

Like the probes, ``/metrics`` answers any Host (Prometheus scrapes the pod IP); it shows counts and
route templates, nothing from the cluster.
"""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.types import Message, Receive, Scope, Send

from webexplorer.web.asgi import Header, HttpMiddleware, adding_headers
from webexplorer.web.exposition import CONTENT_TYPE_LATEST, exposition, observe_request
from webexplorer.web.routemarks import PROBE
from webexplorer.web.state import State

router = APIRouter()

UNMATCHED = "unmatched"


@router.get("/metrics", include_in_schema=False, tags=[PROBE])
async def metrics(state: State) -> Response:
    body = exposition(state.explorer, state.watches)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def route_label(scope: Scope) -> str:
    """The matched route's template, or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class MetricsMiddleware(HttpMiddleware):
    """Counts HTTP requests by route template, method and status, times them, and tells the client the
    time in ``Server-Timing: app;dur=<ms>``."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        def timing(start: Message) -> list[Header]:
            nonlocal status
            status = start["status"]
            # One clock for both figures: the histogram and the Server-Timing header that browsers,
            # the crawl test and the benchmarks read (a page is rendered before its headers go out).
            ms = (time.perf_counter() - started) * 1000
            return [(b"server-timing", f"app;dur={ms:.2f}".encode())]

        try:
            await self.app(scope, receive, adding_headers(send, timing))
        finally:
            observe_request(route_label(scope), scope["method"], status, time.perf_counter() - started)
