"""The watch routes: ``GET /try/watch/{ticket}`` streams a watch the send route registered, as
server-sent events (:mod:`.watches`); ``POST /try/watch-stop/{ticket}`` is its Stop button.

The stream is claimed with the sealed ticket and the same session cookie, on whichever replica the
EventSource reaches; Stop acts on the replica holding the stream (elsewhere the stream ends when the
page goes).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from webexplorer.web.csrf import session_id
from webexplorer.web.forms import FormCheck
from webexplorer.web.routemarks import STREAM
from webexplorer.web.state import app_state
from webexplorer.web.templating import ENV, render
from webexplorer.web.visitors import connection_for
from webexplorer.web.watches import stream_watch

router = APIRouter()

#: Stop posts no form: the CSRF token comes in the panel's X-CSRF-Token header
STOP_FORM = FormCheck(0, csrf="header")


def _render_fragment(template: str, context: dict[str, object]) -> str:
    return ENV.get_template(template).render(context)


@router.get("/try/watch/{ticket}", tags=[STREAM])
async def watch_stream(request: Request, ticket: str) -> Response:
    registry = app_state(request).watches
    watch = registry.claim(ticket, session_id(request))
    connection = await connection_for(request)
    if watch is None or connection is None:
        # 204 tells an EventSource not to reconnect: the watch ended, or belongs to someone else
        return Response(status_code=204)
    return StreamingResponse(
        stream_watch(watch, connection, _render_fragment, registry),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post("/try/watch-stop/{ticket}", dependencies=[Depends(STOP_FORM)])
async def watch_stop(request: Request, ticket: str) -> Response:
    registry = app_state(request).watches
    watch = registry.get(ticket, session_id(request))
    if watch is not None:
        watch.stop.set()
        if not watch.claimed:
            registry.release(ticket)
    return render(request, "_tryout_watch_end.html", {"reason": "Stopped."})
