"""The one way the explorer's plain ASGI middlewares add headers to an answer.

The session cookie, the sign-in cookie, the security headers and ``Server-Timing`` are each added by a
small middleware (plain ASGI: they must cost nothing measurable and never buffer a streamed body). They
all wrap ``send`` the same way — at ``http.response.start``, append some headers — and that wrapping is
written here once; each middleware only says which headers, from the start message it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.types import Message, Send

Header = tuple[bytes, bytes]


def adding_headers(send: Send, extra: Callable[[Message], Iterable[Header]]) -> Send:
    """``send``, with ``extra(start message)`` appended to the headers of the answer's start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra(message)]
        await send(message)

    return sending
