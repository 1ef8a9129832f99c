"""What the explorer's plain ASGI middlewares share: HTTP only, and one way to add headers to an answer.

The session cookie, the sign-in cookie, the security headers and ``Server-Timing`` are each added by a
small middleware (plain ASGI: they must cost nothing measurable and never buffer a streamed body). They
all wrap ``send`` the same way — at ``http.response.start``, append some headers — and that wrapping is
written here once; each middleware only says which headers, from the start message it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Header = tuple[bytes, bytes]


def adding_headers(send: Send, extra: Callable[[Message], Iterable[Header]]) -> Send:
    """``send``, with ``extra(start message)`` appended to the headers of the answer's start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra(message)]
        await send(message)

    return sending


class HttpMiddleware:
    """Base of the explorer's middlewares: lifespan (and any other) scopes pass through untouched, HTTP
    requests go to :meth:`http`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
