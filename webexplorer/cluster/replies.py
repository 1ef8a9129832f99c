"""What :meth:`~webexplorer.cluster.connection.Connection.request` and ``stream`` hand back: an answer
read whole (:class:`Reply`, what try-it shows) or one read as it arrives (:class:`StreamReply`,
watches). Headers keep their order and repeats (``Warning``), names lower-cased."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx

from webexplorer.cluster.errors import ClusterError

#: turns a transport failure while reading into a sentence naming the server (``Connection.translate``)
Translate = Callable[[Exception, float], ClusterError]


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete answer to :meth:`Connection.request`: what try-it shows, every header kept in order."""

    status: int
    reason: str
    #: (lower-case name, value) pairs in the order received; repeated headers (Warning) stay separate
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)
    url: str
    #: seconds from sending the request to the end of the body
    elapsed: float
    http_version: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)


class StreamReply:
    """An answer whose body is read as it arrives (watches). Transport errors while reading become
    :class:`ClusterError` sentences too."""

    def __init__(self, response: httpx.Response, translate: Translate, timeout: float) -> None:
        self._response = response
        self._translate = translate
        self._timeout = timeout
        self.status = response.status_code
        self.reason = response.reason_phrase
        self.headers: tuple[tuple[str, str], ...] = tuple(
            (k.lower(), v) for k, v in response.headers.multi_items()
        )
        self.url = str(response.url)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    async def aiter_lines(self) -> AsyncIterator[str]:
        try:
            async for line in self._response.aiter_lines():
                yield line
        except (httpx.HTTPError, OSError) as exc:
            raise self._translate(exc, self._timeout) from None

    async def aread(self) -> bytes:
        try:
            return await self._response.aread()
        except (httpx.HTTPError, OSError) as exc:
            raise self._translate(exc, self._timeout) from None
