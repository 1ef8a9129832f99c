"""The one seam between "where API documents come from" and "what they mean".

The catalog reads discovery and OpenAPI documents through :class:`DocumentSource` and never learns
whether they came from a live API server (any connection mode of :mod:`webexplorer.cluster`) or from a
recorded snapshot file. That keeps the catalog pure data, lets the offline snapshot serve every page the
live cluster serves, and lets tests feed the catalog recorded documents from the real control plane.

A live source is also a :class:`WatchSource`: it can say when the API changes (a watch on the
collections whose objects add and remove APIs), so the catalog need not keep asking.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Fetched:
    """One answer from a source: the status, the headers worth keeping, and the raw body."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    url: str = ""  # the final URL after redirects (a stale v3 ?hash= answers 301 to the current one)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class SourceError(Exception):
    """The source could not answer at all (unreachable, TLS, timeout). ``str()`` is one clear sentence
    naming the cause and the fix, fit to show a person."""


class DocumentSource(Protocol):
    """Anything that answers GETs of API paths (``/api``, ``/apis/apps/v1``, ``/openapi/v3/...``)."""

    @property
    def label(self) -> str:
        """A short label for pages: "in-cluster", "kubectl proxy", "kubeconfig: ctx", "snapshot: v1.37.2"."""
        ...

    async def fetch(self, path: str, *, accept: str = "application/json", etag: str | None = None) -> Fetched:
        """GET ``path`` (which may carry a query string). ``etag`` is sent verbatim as If-None-Match;
        a 304 answer comes back with ``status == 304`` and an empty body. HTTP error statuses (401,
        403, 404, ...) are returned, not raised; only "no answer at all" raises :class:`SourceError`."""
        ...


#: seconds a watch may stay silent before it counts as broken: the server sends a bookmark about once a
#: minute, and ends a watch itself after its ``timeoutSeconds``
WATCH_SILENCE_LIMIT = 100.0


class LineStream(Protocol):
    """An answer read as it arrives: its status, then its body a line at a time (a watch sends one JSON
    event per line). Transport failures while reading raise :class:`SourceError` too."""

    status: int

    def aiter_lines(self) -> AsyncIterator[str]: ...

    async def aread(self) -> bytes:
        """The rest of the body (for a status other than 200: the server's ``Status``)."""
        ...


class WatchSource(DocumentSource, Protocol):
    """A live source that can watch a collection (``?watch=1``) instead of being asked again and again."""

    def watch(
        self, path: str, *, accept: str, params: Mapping[str, str]
    ) -> AbstractAsyncContextManager[LineStream]:
        """``GET path`` with ``params`` (``watch=1``, ``resourceVersion``, ...) as a stream that may stay
        quiet for up to :data:`WATCH_SILENCE_LIMIT` between lines, then fails. Opening raises
        :class:`SourceError` when there is no answer at all; an HTTP error status is the stream's
        ``status``."""
        ...
