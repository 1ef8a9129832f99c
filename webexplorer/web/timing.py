"""``Server-Timing`` on every answer: how long the explorer took to build it.

Browsers show it in their network panel, the crawl test prints the slowest pages from it, and the
benchmarks read it, so one figure means the same thing everywhere: from the request reaching the app to
its response headers leaving (a page is rendered completely before its headers go out). Plain ASGI,
like the guards, so it adds nothing measurable and never buffers a body.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerTimingMiddleware:
    """Adds ``Server-Timing: app;dur=<milliseconds>`` to HTTP responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={ms:.2f}".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_timing)
