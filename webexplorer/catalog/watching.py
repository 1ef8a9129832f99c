"""Learning that the API changed by watching, instead of asking the server every second.

The set of APIs a server offers changes when a CustomResourceDefinition or an APIService is created,
changed or deleted (every built-in group version has an APIService too, so an upgraded server rewrites
them). :class:`CollectionWatch` keeps one such collection in view the way kubectl-style clients do: a
metadata-only list (``PartialObjectMetadataList``: names and resourceVersions, not schemas) for the
starting resourceVersion, then a watch from there with bookmarks (the server moves the resourceVersion
forward about once a minute even when nothing changes, so a resumed watch never starts from one it
has forgotten). When the server ends a watch (its ``timeoutSeconds``), or the stream breaks, the next one
resumes from the last resourceVersion seen; only when the server says that one is too old — ``410
Gone``, which arrives as an ``ERROR`` event *inside* the stream, not as the HTTP status — is the
collection listed again, and the list is compared with the names and resourceVersions known, so
nothing missed in between goes unnoticed.

A watch says "something changed" (:attr:`WatchHooks.changed`); it never builds anything itself. The
store (:mod:`.refresh`) answers with a debounced check of discovery's ETags, which decides whether a
rebuild is due. The identity may not be allowed to list or watch (401/403), or the server may not serve
the collection (404): :class:`WatchNotPossible` then tells the store to go back to polling.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..source import WATCH_SILENCE_LIMIT, SourceError, WatchSource

log = logging.getLogger(__name__)

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
APISERVICES = "/apis/apiregistration.k8s.io/v1/apiservices"
#: what is watched, and how it is named in logs and on the home page
WATCHED: tuple[tuple[str, str], ...] = ((CRDS, "CustomResourceDefinitions"), (APISERVICES, "APIServices"))
#: metadata only: the watch needs names and resourceVersions, not the (large) CRD schemas
METADATA_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
#: the server ends each watch after this long; the next resumes from the last resourceVersion
WATCH_TIMEOUT_SECONDS = 290
#: statuses that mean "this identity or this server cannot be watched": poll instead
NOT_WATCHABLE = frozenset({401, 403, 404, 405})


class WatchNotPossible(Exception):
    """The collection cannot be listed or watched with this identity on this server (``str()`` says why)."""


@dataclass(frozen=True, slots=True)
class WatchHooks:
    """What a watch tells its owner."""

    #: the collection changed (the argument says what, for the log)
    changed: Callable[[str], None]
    #: the server answered (a list, a watch opening, an event or a bookmark)
    answered: Callable[[], None]
    #: the server could not be reached or answered an error (one sentence); the watch retries itself
    failed: Callable[[str], None]


@dataclass
class Backoff:
    """Seconds before the next attempt after ``failures`` failures in a row: 0.5, 1, 2, ... ``cap``."""

    first: float = 0.5
    cap: float = 8.0
    failures: int = 0

    def next(self) -> float:
        self.failures += 1
        return float(min(self.cap, self.first * 2 ** min(self.failures - 1, 20)))

    def reset(self) -> None:
        self.failures = 0


class _Relist(Exception):
    """The resourceVersion is too old (410 Gone): list again."""


@dataclass
class CollectionWatch:
    """Keeps one collection (``path``) in view for as long as :meth:`run` runs."""

    source: WatchSource
    path: str
    what: str
    hooks: WatchHooks
    backoff: Backoff = field(default_factory=Backoff)
    #: name → resourceVersion of every object, from the last list and the events since (None before)
    known: dict[str, str] | None = None
    #: the resourceVersion the next watch starts from (None: list first)
    resource_version: str | None = None
    #: a watch stream is open now (and answering)
    streaming: bool = False
    #: how many lists and watches were started (tests, the home page)
    lists: int = 0
    watches: int = 0
    _opened_at: float = 0.0
    _last_line_at: float = 0.0

    async def run(self) -> None:
        """List and watch until cancelled; raises :class:`WatchNotPossible` when polling must take over.

        A stream that breaks after it streamed a while is resumed at once, quietly: until the break the
        server was there (a silent one is a break only after :data:`WATCH_SILENCE_LIMIT`), and the next
        attempt tells whether it still is; only attempts that fail are reported, with a backoff."""
        while True:
            try:
                if self.resource_version is None:
                    await self._list()
                await self._watch()
                self.backoff.reset()  # a watch the server ended itself: resume at once
            except _Relist:
                self.resource_version = None
            except SourceError as exc:
                now = time.monotonic()
                if self.streaming and now - self._opened_at > 1.0:
                    if now - self._last_line_at < 0.9 * WATCH_SILENCE_LIMIT:
                        self.hooks.answered()  # it answered until the break: readiness counts from now
                    log.debug("watch of %s broke (%s); resuming", self.what, exc)
                    self.backoff.reset()
                else:
                    self.hooks.failed(str(exc))
                    await asyncio.sleep(self.backoff.next())
            except WatchNotPossible:
                raise
            except Exception as exc:  # a bug must not end the watch: log it, and start over from a list
                log.exception("watch of %s failed", self.what)
                self.hooks.failed(f"Watching {self.what} failed inside the explorer ({type(exc).__name__}).")
                self.resource_version = None
                await asyncio.sleep(self.backoff.next())
            finally:
                self.streaming = False

    async def _list(self) -> None:
        self.lists += 1
        got = await self.source.fetch(self.path, accept=METADATA_LIST_ACCEPT)
        if got.status in NOT_WATCHABLE:
            raise WatchNotPossible(f"listing {self.what} answered HTTP {got.status}")
        if got.status != 200:
            raise SourceError(f"Listing {self.what} answered HTTP {got.status}.")
        try:
            body = orjson.loads(got.body)
            items = body.get("items") or []
            version = str(body["metadata"]["resourceVersion"])
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise SourceError(f"Listing {self.what} gave no resourceVersion ({exc}).") from None
        fresh = {name: rv for name, rv in (_name_and_version(i) for i in items) if name}
        self.hooks.answered()
        if self.known is not None and fresh != self.known:
            self.hooks.changed(f"{self.what} differ from the last list")
        self.known, self.resource_version = fresh, version

    async def _watch(self) -> None:
        self.watches += 1
        params = {
            "watch": "1",
            "allowWatchBookmarks": "true",
            "resourceVersion": self.resource_version or "",
            "timeoutSeconds": str(WATCH_TIMEOUT_SECONDS),
        }
        async with self.source.watch(self.path, accept=METADATA_ACCEPT, params=params) as stream:
            if stream.status == 410:
                raise _Relist
            if stream.status in NOT_WATCHABLE:
                raise WatchNotPossible(f"watching {self.what} answered HTTP {stream.status}")
            if stream.status != 200:
                await stream.aread()
                raise SourceError(f"Watching {self.what} answered HTTP {stream.status}.")
            self.streaming = True
            self._opened_at = self._last_line_at = time.monotonic()
            self.hooks.answered()
            async for line in stream.aiter_lines():
                self._last_line_at = time.monotonic()
                if line.strip():
                    self._event(line)

    def _event(self, line: str) -> None:
        try:
            event = orjson.loads(line)
            kind = str(event["type"])
            obj: dict[str, Any] = event["object"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise SourceError(f"Watching {self.what} sent a line that is not an event ({exc}).") from None
        self.hooks.answered()
        if kind == "ERROR":
            code = obj.get("code") if isinstance(obj, dict) else None
            if code == 410:
                raise _Relist
            raise SourceError(f"Watching {self.what} ended with an error: {obj.get('message', code)}.")
        name, version = _name_and_version(obj)
        if version:
            self.resource_version = version
        if kind == "BOOKMARK" or not name:
            return
        known = self.known if self.known is not None else {}
        if kind == "DELETED":
            known.pop(name, None)
        else:
            known[name] = version
        self.known = known
        self.hooks.changed(f"{self.what}: {name} {kind.lower()}")


def _name_and_version(obj: object) -> tuple[str, str]:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict):
        return "", ""
    return str(meta.get("name") or ""), str(meta.get("resourceVersion") or "")


__all__ = ["WATCHED", "Backoff", "CollectionWatch", "WatchHooks", "WatchNotPossible"]
