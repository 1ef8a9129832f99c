"""The app's state: one frozen, typed object, built eagerly by ``create_app``, read through one dependency.

Everything a route needs between requests is a field here — the explorer (through its
:class:`~.lifecycle.ExplorerSlot`, filled by the lifespan), whose rights requests use, the caches, the
watch registry, the Downward-API reader — so a reader of a route sees where each thing comes from, and
nothing is created lazily on first use. Routes take ``state: State`` (a FastAPI dependency); code that
has only the request (templating, guards) calls :func:`app_state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from webexplorer.catalog import Catalog, CatalogNotReady
from webexplorer.explorer import Explorer
from webexplorer.podinfo import PodInfoReader
from webexplorer.settings import Settings
from webexplorer.web.answers import AnswerSeals, AnswerStore
from webexplorer.web.contexts import CURRENT, Contexts, current_explorer
from webexplorer.web.diffsides import DiffSides
from webexplorer.web.identity import Identities
from webexplorer.web.lifecycle import ExplorerSlot
from webexplorer.web.pagecache import PageCache
from webexplorer.web.rawcache import RawCache
from webexplorer.web.releases import Releases
from webexplorer.web.releaseview import VIEWING
from webexplorer.web.watches import WatchRegistry

#: the attribute of ``app.state`` that holds the :class:`AppState` (the only one the explorer sets)
ATTRIBUTE = "webexplorer"


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    slot: ExplorerSlot
    #: whose rights each request uses (web/identity.py)
    identities: Identities
    #: try-it answer bodies kept for download
    answers: AnswerStore
    #: try-it answers sealed into the page for the later views
    answer_seals: AnswerSeals
    #: rendered page content per catalog generation (of the first context: see :attr:`page_cache`)
    pages: PageCache
    watches: WatchRegistry
    #: raw documents' bodies and rendered HTML
    raw_cache: RawCache
    #: the sides of /diff and their surfaces
    diff_sides: DiffSides
    #: the embedded Kubernetes releases: catalogs, surfaces, history, and the pages' read-only views
    releases: Releases
    #: the Downward API of the pod the explorer runs in (the "This pod" page)
    pod: PodInfoReader
    #: other kubeconfig contexts visitors may switch to, each with its own explorer
    contexts: Contexts

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        slot = ExplorerSlot()
        releases = Releases(int(settings.page_cache_mib * (1 << 20)))
        return cls(
            settings=settings,
            slot=slot,
            identities=Identities(settings, slot),
            answers=AnswerStore(),
            answer_seals=AnswerSeals(settings.secret_key),
            pages=PageCache(int(settings.page_cache_mib * (1 << 20))),
            watches=WatchRegistry(
                settings.max_watches, settings.max_watches_per_visitor, settings.secret_key
            ),
            raw_cache=RawCache(),
            diff_sides=DiffSides(slot, releases),
            releases=releases,
            pod=PodInfoReader(settings.podinfo_dir),
            contexts=Contexts(settings, slot),
        )

    @property
    def explorer(self) -> Explorer:
        """The explorer of the context this request shows (a 503 page before the lifespan opened it)."""
        return current_explorer(self.slot)

    @property
    def page_cache(self) -> PageCache:
        """The page cache of the context this request shows."""
        view = VIEWING.get()
        if view is not None:
            return view.page_cache
        opened = CURRENT.get()
        return opened.page_cache if opened is not None else self.pages

    def catalog(self) -> Catalog:
        """The current catalog, or a 503 page saying why there is none yet: the one accessor pages use.
        On a page of an embedded release (``/release/<v>/…``) it is that release's catalog."""
        view = VIEWING.get()
        if view is not None:
            return view.catalog
        explorer = self.explorer
        try:
            return explorer.catalog
        except CatalogNotReady:
            problem = explorer.catalog_problem() or "The API catalog has not been loaded yet."
            raise HTTPException(
                503, f"The API catalog is not available: {problem} Try again in a moment."
            ) from None


def app_state(request: Request) -> AppState:
    """The state of the app serving ``request`` (also the FastAPI dependency behind :data:`State`)."""
    state = getattr(request.app.state, ATTRIBUTE)
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(app_state)]
