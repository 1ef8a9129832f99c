"""HEAD answered as GET without the body, as any web server does (``curl -I``, link checkers, probes).

FastAPI's GET routes refuse HEAD with 405, and marking each route would mean reaching into FastAPI's
router internals, which change between releases. So this plain ASGI middleware, innermost, hands the
route a GET and drops the body it answers with, keeping the status and every header (``Content-Length``
included, which for HEAD means the length a GET would get). Streams that last (a watch) are left alone:
a HEAD must not open one. Which paths those are, the routes say themselves (``tags=[STREAM]``, read by
:func:`webexplorer.web.routemarks.marked_paths` when the app is built).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webexplorer.web.routemarks import RoutePaths


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp, streaming: RoutePaths) -> None:
        self.app = app
        #: paths whose GET answer is a stream that stays open (``/try/watch/<id>``: server-sent events)
        self.streaming = streaming

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "HEAD" or path in self.streaming:
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
