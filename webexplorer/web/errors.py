"""Every failure a person can meet ends on a page that says what happened, never a traceback.

Unknown paths get a 404 page with a way back; anything unexpected is logged server-side (without
request bodies or credentials) and shown as a short 500 page with the request id to quote.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from webexplorer.web.templating import render
from webexplorer.web.urls import RELEASE_VIEWS

log = logging.getLogger("webexplorer.web")

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    421: "Unknown host",
    503: "Not available yet",
}


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return not accept or "text/html" in accept or "*/*" in accept


def error_page(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    if not _wants_html(request):
        response: Response = PlainTextResponse(message + "\n", status_code=status)
    else:
        response = render(
            request,
            "error.html",
            {"status": status, "title": TITLES.get(status, "Error"), "message": message},
            status_code=status,
        )
    response.headers.update(headers or {})
    return response


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404 and exc.detail in (None, "Not Found"):
        message = f"There is no page at {request.url.path}. Start again from the home page."
        if request.url.path.startswith(RELEASE_VIEWS):
            message += (
                " A release view is /release/<embedded release>/ followed by a group (g/…), operation (op/…)"
                " or schema (schema/…) page; the header's release picker lists the embedded releases."
            )
    else:
        message = str(exc.detail)
    return error_page(request, exc.status_code, message, exc.headers)


async def unexpected_exception_handler(request: Request, exc: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path)
    return error_page(
        request,
        500,
        f"Something went wrong inside the explorer while building this page (incident {incident}). "
        "The details are in the explorer's log; nothing was sent to the cluster on your behalf.",
    )
