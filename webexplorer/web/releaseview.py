"""A page as an embedded release served it: ``/release/v1.31.14/g/flowcontrol.apiserver.k8s.io``.

The browsing pages of groups, group versions, resources, operations and schemas can show any embedded
release instead of the live cluster: :class:`ReleaseViewMiddleware` strips the prefix, puts that
release's catalog in :data:`VIEWING` (read by :meth:`~webexplorer.web.state.AppState.catalog`, so the
route code is the same) and sets ``web/urls.py``'s :data:`~webexplorer.web.urls.RELEASE_PREFIX`, so the
links of those pages stay in the release. Only GET (and HEAD) of those page families are served this
way; the view is read-only — the page says so in a banner, and shows no try-it form. Any other path
under ``/release/`` is left alone and gets the 404 page.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from webexplorer.catalog import Catalog
from webexplorer.web.asgi import HttpMiddleware
from webexplorer.web.pagecache import PageCache
from webexplorer.web.releases import Releases
from webexplorer.web.urls import RELEASE_PREFIX, RELEASE_VIEWS, URL_PREFIX, release_prefix

PREFIX = RELEASE_VIEWS
#: the page families a release view serves (the first segment after the release)
PAGES = frozenset({"g", "op", "schema"})


@dataclass(frozen=True, slots=True)
class ReleaseView:
    """The release a request shows, its catalog and its own page cache."""

    label: str
    catalog: Catalog
    page_cache: PageCache


#: the release the current request shows (None: the live cluster)
VIEWING: contextvars.ContextVar[ReleaseView | None] = contextvars.ContextVar(
    "webexplorer_release", default=None
)


@dataclass(frozen=True, slots=True)
class ReleaseLink:
    """One entry of the header's release picker: this page as ``label`` served it."""

    label: str
    url: str
    current: bool


def release_links(releases: Releases, scope: Scope) -> list[ReleaseLink]:
    """The picker's entries for a browsing page: live, then each embedded release; empty elsewhere."""
    path: str = scope["path"]
    if path.strip("/").split("/", 1)[0] not in PAGES or not releases.paths:
        return []
    view = VIEWING.get()
    here = view.label if view is not None else None
    query = scope.get("query_string", b"").decode("latin-1")
    page = quote(path) + (f"?{query}" if query else "")
    context = URL_PREFIX.get()
    links = [ReleaseLink("live", context + page, here is None)]
    links.extend(
        ReleaseLink(label, context + release_prefix(label) + page, label == here) for label in releases.labels
    )
    return links


class ReleaseViewMiddleware(HttpMiddleware):
    """Serves ``/release/<v>/<page>`` as ``/<page>`` over release ``<v>``'s catalog."""

    def __init__(self, app: ASGIApp, releases: Releases) -> None:
        super().__init__(app)
        self.releases = releases

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if not path.startswith(PREFIX) or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        label, _, rest = path[len(PREFIX) :].partition("/")
        if not self.releases.known(label) or rest.split("/", 1)[0] not in PAGES:
            await self.app(scope, receive, send)
            return
        try:
            catalog = await self.releases.catalog(label)
        except HTTPException:
            await self.app(scope, receive, send)  # unreadable: the 404 page, the live pages keep working
            return
        view = ReleaseView(label, catalog, self.releases.page_cache(label))
        viewing, prefix = VIEWING.set(view), RELEASE_PREFIX.set(release_prefix(label))
        raw_path: bytes = scope.get("raw_path") or path.encode()
        cut = len(PREFIX) + len(label)
        scope["path"], scope["raw_path"] = path[cut:], raw_path[cut:]
        try:
            await self.app(scope, receive, send)
        finally:
            VIEWING.reset(viewing)
            RELEASE_PREFIX.reset(prefix)
