"""Sending requests to one API server through one HTTP client: the request half of a
:class:`~webexplorer.cluster.connection.Connection`, which inherits it.

* Redirects are followed by hand and only to the same scheme, host and port: the OpenAPI v3 answer to a
  stale ``?hash=`` is an absolute 301 to the same server, but nothing the API server (or an aggregated
  API behind it) says may send the explorer's credentials to another host.
* Callers pass *paths* (``/apis/apps/v1?x=y``), never URLs: an absolute URL is refused for the same
  reason.
* Every request has a timeout (``request_timeout``); streams may lift only the read timeout.
* Every transport failure becomes a :class:`~webexplorer.cluster.errors.ClusterError` sentence; HTTP
  error statuses are answers, returned as such.
* Every request is told to the :data:`RequestObserver`, if one is set.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import httpx

from webexplorer.cluster.errors import ClusterError, translate_transport_error
from webexplorer.cluster.params import ConnectionParams
from webexplorer.cluster.replies import Reply, StreamReply
from webexplorer.source import WATCH_SILENCE_LIMIT, Fetched

log = logging.getLogger("webexplorer.cluster.connection")

MAX_REDIRECTS = 5
_UNSET: float = -1.0

#: told about every request sent: ``(method, status or None when there was no answer, seconds)``. The
#: explorer points it at ``/metrics`` (upstream latency) so this layer stays free of any metrics library.
RequestObserver = Callable[[str, int | None, float], None]


class Sender:
    """``request``, ``stream`` and ``fetch`` over ``_client`` to the server of ``params``
    (:class:`~webexplorer.cluster.connection.Connection` sets them up)."""

    params: ConnectionParams
    #: see :data:`RequestObserver`; copied to sibling connections (``with_token``, ``switch_context``)
    observer: RequestObserver | None = None
    _client: httpx.AsyncClient
    _base: httpx.URL
    _extensions: dict[str, object]

    @property
    def trust(self) -> str:
        """What the server certificate is checked against, for the UI."""
        if self._base.scheme == "http":
            return "nothing (plain http)"
        tls = self.params.tls
        return "nothing (insecure-skip-tls-verify)" if tls.insecure else tls.trust

    def translate(self, exc: Exception, timeout: float) -> ClusterError:
        """A transport failure as a sentence naming this server."""
        return translate_transport_error(
            exc, server=self.params.server_url, timeout=timeout, trust=self.trust, proxy=self.params.proxy_url
        )

    def _url(self, path: str) -> httpx.URL:
        if not path.startswith("/") or path.startswith("//"):
            raise ValueError(f"expected an API path starting with '/', got {path[:80]!r}")
        return httpx.URL(self.params.server_url + path)

    def _same_origin(self, url: httpx.URL) -> bool:
        return (url.scheme, url.host, url.port) == (self._base.scheme, self._base.host, self._base.port)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | Sequence[str]] | None,
        headers: Mapping[str, str] | None,
        content: bytes | None,
        timeout: httpx.Timeout,  # noqa: ASYNC109 - httpx's per-phase timeouts, not a deadline
        budget: float,
    ) -> httpx.Response:
        """Send with same-origin redirects followed; returns a response whose body is not yet read."""
        sent: httpx.Headers | Mapping[str, str] | None = headers
        if self.params.act_as:
            kept = [(k, v) for k, v in (headers or {}).items() if not k.lower().startswith("impersonate-")]
            sent = httpx.Headers([*kept, *self.params.act_as])
        request = self._client.build_request(
            method,
            self._url(path),
            params=params,
            headers=sent,
            content=content,
            timeout=timeout,
            extensions=dict(self._extensions),
        )
        try:
            for _ in range(MAX_REDIRECTS + 1):
                response = await self._client.send(request, stream=True)
                follow = response.next_request
                if follow is None or not self._same_origin(follow.url):
                    if follow is not None:
                        log.warning(
                            "not following a redirect from %s to another host", self.params.server_url
                        )
                    return response
                await response.aclose()
                request = follow
            return response
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise self.translate(exc, budget) from None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - passed to httpx per phase
    ) -> Reply:
        """Send one request and read the whole answer. HTTP error statuses are returned, not raised;
        only "no answer" raises :class:`ClusterError`."""
        budget = timeout or self.params.request_timeout
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self._send(
                method,
                path,
                params=params,
                headers=headers,
                content=content,
                timeout=httpx.Timeout(budget),
                budget=budget,
            )
            try:
                body = await response.aread()
            except (httpx.HTTPError, OSError) as exc:
                raise self.translate(exc, budget) from None
            finally:
                await response.aclose()
            status = response.status_code
        finally:
            self._observe(method, status, time.perf_counter() - started)
        return Reply(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=tuple((k.lower(), v) for k, v in response.headers.multi_items()),
            body=body,
            url=str(response.url),
            elapsed=time.perf_counter() - started,
            http_version=response.http_version,
        )

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - passed to httpx per phase
        read_timeout: float | None = _UNSET,
    ) -> AsyncIterator[StreamReply]:
        """Send one request and read the answer as it arrives (``async with conn.stream(...) as r``).

        Connecting and sending are bounded by ``timeout`` (default ``request_timeout``); the wait between
        chunks by ``read_timeout`` (default the same; None for watches that may stay quiet for long)."""
        budget = timeout or self.params.request_timeout
        read = budget if read_timeout == _UNSET else read_timeout
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self._send(
                method,
                path,
                params=params,
                headers=headers,
                content=content,
                timeout=httpx.Timeout(budget, read=read),
                budget=read or budget,
            )
            status = response.status_code
        finally:  # a stream's latency is the time to its headers: a watch may stay open for minutes
            self._observe(method, status, time.perf_counter() - started)
        try:
            yield StreamReply(response, self.translate, read or budget)
        finally:
            await response.aclose()

    def _observe(self, method: str, status: int | None, seconds: float) -> None:
        if self.observer is not None:
            try:
                self.observer(method, status, seconds)
            except Exception:  # an observer's bug must never fail a request
                log.exception("request observer failed")

    def watch(
        self, path: str, *, accept: str, params: Mapping[str, str]
    ) -> contextlib.AbstractAsyncContextManager[StreamReply]:
        """A watch for the catalog (:class:`~webexplorer.source.WatchSource`): quiet for up to
        :data:`~webexplorer.source.WATCH_SILENCE_LIMIT` between lines, then an error."""
        return self.stream(
            "GET", path, params=params, headers={"Accept": accept}, read_timeout=WATCH_SILENCE_LIMIT
        )

    async def fetch(self, path: str, *, accept: str = "application/json", etag: str | None = None) -> Fetched:
        """GET ``path`` for the catalog (:class:`~webexplorer.source.DocumentSource`)."""
        headers = {"Accept": accept}
        if etag is not None:
            headers["If-None-Match"] = etag
        reply = await self.request("GET", path, headers=headers)
        lowered: dict[str, str] = {}
        for name, value in reply.headers:
            lowered[name] = f"{lowered[name]}, {value}" if name in lowered else value
        return Fetched(
            status=reply.status,
            body=b"" if reply.status == 304 else reply.body,
            headers=lowered,
            url=reply.url,
        )
