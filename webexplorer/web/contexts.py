"""Other clusters of the kubeconfig: the contexts a visitor may switch to, each with its own explorer.

In kubeconfig mode the explorer starts on one context; the operator may let visitors look at others
(``--contexts dev,staging`` or ``--contexts '*'``). A page of another context lives under
``/ctx/<name>/`` — the same page, the same URL scheme below the prefix, so what a person bookmarks or
shares names the cluster it shows. Each context gets its own :class:`~webexplorer.explorer.Explorer`
(its own connection with its own credentials, exec plugins included, and its own catalog, refreshed in
the background), opened on first use and closed after :data:`IDLE_SECONDS` without a visitor, with a
page cache of its own (content is kept per catalog generation, and generations of two catalogs are
unrelated). A context whose server does not answer opens anyway and says so on its pages, as the first
one does; the others keep working.

Only ``--identity service-account`` offers switching: a visitor's own bearer token, or the identity an
authenticating proxy names, belongs to the cluster it was made for.

:class:`ContextMiddleware` strips the prefix, opens the context's explorer, and makes it the request's
(:data:`CURRENT`, read by :attr:`~webexplorer.web.state.AppState.explorer`); ``web/urls.py`` puts the
prefix (:data:`URL_PREFIX`) in front of every page URL it builds while that request renders.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import time
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from webexplorer.cluster import ClusterError, ConfigError, Detection
from webexplorer.cluster.kubeconfig import ContextInfo
from webexplorer.explorer import Explorer
from webexplorer.settings import Settings
from webexplorer.web.asgi import HttpMiddleware
from webexplorer.web.lifecycle import ExplorerSlot
from webexplorer.web.pagecache import PageCache
from webexplorer.web.urls import URL_PREFIX

log = logging.getLogger("webexplorer.contexts")

#: an opened context unused this long is closed (its catalog is rebuilt on the next visit)
IDLE_SECONDS = 600.0
PREFIX = "/ctx/"
#: the scope key naming the context a request shows (absent for the first one)
SCOPE_KEY = "webexplorer.context"
_NAME = re.compile(r"^[A-Za-z0-9@_.:\-]{1,253}$")


@dataclass
class Opened:
    """One context's explorer and what is kept per catalog beside it."""

    name: str
    explorer: Explorer
    page_cache: PageCache
    last_used: float = field(default_factory=time.monotonic)


#: the context the current request shows (None: the first one, the app's own explorer)
CURRENT: contextvars.ContextVar[Opened | None] = contextvars.ContextVar("webexplorer_context", default=None)


def current_explorer(slot: ExplorerSlot) -> Explorer:
    """The explorer of the context the current request shows: another context's, or the app's own."""
    opened = CURRENT.get()
    return opened.explorer if opened is not None else slot.explorer


def context_prefix(name: str) -> str:
    return PREFIX + quote(name, safe="")


@dataclass(frozen=True, slots=True)
class ContextLink:
    """One entry of the header's cluster picker: the same page in another context."""

    name: str
    cluster: str
    url: str
    current: bool


class Contexts:
    """The contexts offered to visitors and the explorers of those opened."""

    def __init__(self, settings: Settings, slot: ExplorerSlot) -> None:
        self.settings = settings
        self._slot = slot
        self._opened: dict[str, Opened] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def first(self) -> str | None:
        """The context the explorer started on (None outside kubeconfig mode)."""
        if not self._slot.started:
            return None
        connection = self._slot.explorer.connection
        return connection.context if connection is not None and connection.kubeconfig is not None else None

    def offered(self) -> list[ContextInfo]:
        """The kubeconfig's contexts a visitor may switch to, the first one included; empty when the
        operator offers none (then there is nothing to pick)."""
        wanted = self.settings.contexts
        first = self.first
        if not wanted or first is None or self.settings.identity != "service-account":
            return []
        connection = self._slot.explorer.connection
        assert connection is not None
        return [c for c in connection.contexts() if c.name == first or "*" in wanted or c.name in wanted]

    def links(self, scope: Scope) -> list[ContextLink]:
        """The picker's entries for the page ``scope`` asks for: this page in every offered context."""
        offered = self.offered()
        if len(offered) < 2:
            return []
        here = scope.get(SCOPE_KEY) or self.first
        query = scope.get("query_string", b"").decode("latin-1")
        page = quote(scope["path"]) + (f"?{query}" if query else "")

        def url(name: str) -> str:
            return page if name == self.first else context_prefix(name) + page

        return [ContextLink(c.name, c.cluster, url(c.name), c.name == here) for c in offered]

    async def open(self, name: str) -> Opened | None:
        """The explorer of context ``name`` (opened now if need be), or None when it is not offered."""
        if name not in {c.name for c in self.offered()} or name == self.first:
            return None
        found = self._opened.get(name)
        if found is None:
            async with self._locks.setdefault(name, asyncio.Lock()):
                found = self._opened.get(name)
                if found is None:
                    found = await self._open(name)
                    if found is None:
                        return None
                    self._opened[name] = found
        found.last_used = time.monotonic()
        await self._close_idle(found.last_used)
        return found

    async def _open(self, name: str) -> Opened | None:
        first = self._slot.explorer.connection
        assert first is not None
        try:
            connection = await first.switch_context(name)
        except (ConfigError, ClusterError) as exc:
            log.warning("context %s cannot be opened: %s", name, exc)
            return None
        detection = Detection("kubeconfig", f"A visitor switched to the kubeconfig context {name!r}.")
        explorer = await Explorer.open_on(self.settings, connection, detection)
        return Opened(name, explorer, PageCache(int(self.settings.page_cache_mib * (1 << 20))))

    async def _close_idle(self, now: float) -> None:
        for name in [n for n, o in self._opened.items() if now - o.last_used > IDLE_SECONDS]:
            log.info("closing the explorer of context %s: unused for %d s", name, IDLE_SECONDS)
            await self._opened.pop(name).explorer.close()

    async def aclose(self) -> None:
        while self._opened:
            await self._opened.popitem()[1].explorer.close()


class ContextMiddleware(HttpMiddleware):
    """Serves ``/ctx/<name>/<page>`` as ``/<page>`` of that context's explorer (see the module docstring).

    A context that is not offered is left alone: its path matches no page, and the 404 page says so."""

    def __init__(self, app: ASGIApp, contexts: Contexts) -> None:
        super().__init__(app)
        self.contexts = contexts

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        raw, _, rest = path[len(PREFIX) :].partition("/")
        name = unquote(raw)
        opened = await self.contexts.open(name) if _NAME.match(name) else None
        if opened is None:
            await self.app(scope, receive, send)
            return
        prefix = context_prefix(name)
        current, url_prefix = CURRENT.set(opened), URL_PREFIX.set(prefix)
        # in place, so what the router notes in the scope (the route, for /metrics) is seen outside too
        raw_path: bytes = scope.get("raw_path") or path.encode()
        scope["path"], scope["raw_path"] = "/" + rest, b"/" + raw_path[len(PREFIX) :].partition(b"/")[2]
        scope[SCOPE_KEY] = name
        try:
            await self.app(scope, receive, send)
        finally:
            CURRENT.reset(current)
            URL_PREFIX.reset(url_prefix)
