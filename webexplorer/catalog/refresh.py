""":class:`CatalogStore`: the current catalog, and the loop that keeps it true.

Pages read ``store.catalog`` (one attribute read, never blocked). Given a ``watch`` source, the store
learns of changes from watches on CustomResourceDefinitions and APIServices (:mod:`.watching`) and
checks only after an event (:data:`FOLLOW_UP`); otherwise — a snapshot, ``--changes poll``, or an
identity that may not watch — the refresh loop checks the discovery ETags and the v3 index every
``refresh_interval`` seconds (one by default: three conditional GETs, answered 304 while nothing
changed). Either way, when something changed (a CRD was created or deleted) it
builds the new :class:`~.catalog.Catalog` off to the side and swaps the one reference. Requests in
flight keep the catalog they started with. When the checks come next is :class:`~.pacing.RefreshPacer`'s
decision: after a rebuild the next check waits ``rebuild_interval`` (longer after a slow rebuild), so
CRD churn is folded into one rebuild at a time however fast the checks come, and failed checks back
off. A failed check keeps the last good catalog and records the error and its time (``last_error``,
which the home page and ``/readyz`` show, and ``last_error_at``), and is logged once per outage
(:class:`~.pacing.OutageLog`), not once per check. After every swap the search index of the new
catalog starts loading fields in the background, a few documents at a time, on the event loop in
short slices.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from datetime import UTC, datetime

from ..source import DocumentSource, SourceError, WatchSource
from .build import OpenAPIChoice, build_catalog
from .catalog import Catalog
from .errors import CatalogError
from .model import GVK
from .openapi import DocumentCache
from .operations import Operation, OperationIndex
from .pacing import OutageLog, Outcome, RefreshPacer
from .schema import FieldTree
from .search import FieldCache, FieldEntry, SearchIndex, SearchResults
from .watching import WATCHED, CollectionWatch, WatchHooks, WatchNotPossible

log = logging.getLogger(__name__)

#: seconds after a change a watch reported at which discovery's ETags are checked: at once (the events
#: of one change come in a burst) and twice more, because aggregated discovery and the OpenAPI v3 index
#: follow a CRD's events by up to a few seconds
FOLLOW_UP = (0.2, 1.0, 3.0)

#: seconds after a change within which discovery's new group versions whose OpenAPI v3 document is not
#: in the index yet (:attr:`.catalog.Catalog.unpublished`) are checked for again, every
#: :data:`PUBLISH_RECHECK` seconds, after the :data:`FOLLOW_UP` checks: the OpenAPI aggregator can lag
#: discovery past the last of those, and until the next change nothing else would look
PUBLISH_WAIT = 30.0
PUBLISH_RECHECK = 1.0


class CatalogNotReady(CatalogError):
    """No catalog has been built yet (the first build failed or is still running)."""


class CatalogStore:
    """Holds the current :class:`Catalog` of one source and refreshes it in the background."""

    def __init__(
        self,
        source: DocumentSource,
        *,
        openapi: OpenAPIChoice = "auto",
        refresh_interval: float = 1.0,
        rebuild_interval: float = 1.0,
        max_backoff: float = 8.0,
        aggregated: bool = True,
        concurrency: int = 8,
        index_fields: bool = True,
        index_concurrency: int = 2,
        docs_budget_bytes: int = 64 << 20,
        watch: WatchSource | None = None,
    ) -> None:
        self.source = source
        #: where change watches go (None: poll, as for a snapshot); see :attr:`change_note`
        self.watch_source = watch
        self.watchers: tuple[CollectionWatch, ...] = ()
        #: why the store polls although it was given a watch source (the identity may not watch, say)
        self.watch_problem: str | None = None
        self._watch_failing = False
        self._kicked = asyncio.Event()
        self.openapi: OpenAPIChoice = openapi
        #: seconds between two checks while nothing changes
        self.refresh_interval = refresh_interval
        self.pacer = RefreshPacer(refresh_interval, rebuild_interval, max_backoff)
        self._outage = OutageLog()
        self.aggregated = aggregated
        self.concurrency = concurrency
        self.index_fields = index_fields
        self.index_concurrency = index_concurrency
        self.docs = DocumentCache(source, budget_bytes=docs_budget_bytes)
        self._catalog: Catalog | None = None
        self._index: SearchIndex | None = None
        self._field_cache: dict[tuple[str, GVK], tuple[FieldEntry, ...]] = {}
        self._lock = asyncio.Lock()
        self._loop_task: asyncio.Task[None] | None = None
        self._index_task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        #: increases by one at every swap; pages can tell "the API changed since you loaded this"
        self.generation = 0
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self._last_success: float | None = None
        #: how many checks ended which way, since start (``/metrics``)
        self.refresh_counts: dict[str, int] = {"changed": 0, "unchanged": 0, "failed": 0}

    # ------------------------------------------------------------------------------------- state

    @property
    def ready(self) -> bool:
        return self._catalog is not None

    @property
    def current(self) -> Catalog | None:
        return self._catalog

    @property
    def catalog(self) -> Catalog:
        """The current catalog; raises :class:`CatalogNotReady` (with the last error) before the first."""
        if self._catalog is None:
            why = f": {self.last_error}" if self.last_error else " yet"
            raise CatalogNotReady(f"the API catalog is not ready{why}")
        return self._catalog

    @property
    def search_index(self) -> SearchIndex | None:
        return self._index

    @property
    def last_success_monotonic(self) -> float | None:
        """``time.monotonic()`` when the server last answered (readiness: "the API server answers"): a
        check, a list, an event or a bookmark; now, while every change watch is open."""
        if self.watchers and all(w.streaming for w in self.watchers):
            return time.monotonic()
        return self._last_success

    @property
    def watching(self) -> bool:
        """Changes are learnt from watches now (not from checks every ``refresh_interval``)."""
        return bool(self.watchers) and self.watch_problem is None

    @property
    def change_note(self) -> str:
        """How the store learns that the API changed, in one sentence for the home page."""
        if self.watching:
            what = " and ".join(w.what for w in self.watchers)
            if self._watch_failing:
                return (
                    f"Watching {what}, reconnecting: the API server does not answer now ({self.last_error})"
                )
            return f"Watching {what}: a change is seen at once, and nothing is asked while nothing changes."
        why = f" ({self.watch_problem})" if self.watch_problem else ""
        return f"Checking discovery every {self.refresh_interval:g} s{why}."

    # ------------------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Build the first catalog (errors are recorded, not raised) and start the refresh loop."""
        await self.refresh()
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._run(), name="catalog-refresh")

    async def stop(self) -> None:
        """Stop the refresh loop and any background indexing."""
        for task in (self._loop_task, self._index_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._loop_task = self._index_task = None

    async def _run(self) -> None:
        if self.watch_source is not None:
            try:
                await self._watch_changes(self.watch_source)
            except WatchNotPossible as exc:
                self.watch_problem = f"the explorer may not watch: {exc}"
                log.warning(
                    "watching for API changes is not possible (%s); checking every %g s instead",
                    exc,
                    self.refresh_interval,
                )
        await self._poll()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.pacer.delay(time.monotonic()))
            await self.refresh()

    # ------------------------------------------------------------------------------------- watching

    async def _watch_changes(self, source: WatchSource) -> None:
        """Run the change watches (and the checks they trigger) until one says watching is not possible."""
        hooks = WatchHooks(self._watch_changed, self._watch_answered, self._watch_failed)
        self.watchers = tuple(CollectionWatch(source, path, what, hooks) for path, what in WATCHED)
        follow = asyncio.create_task(self._follow_changes(), name="catalog-follow-changes")
        try:
            async with asyncio.TaskGroup() as group:
                for w in self.watchers:
                    group.create_task(w.run(), name=f"catalog-watch-{w.what}")
        except* WatchNotPossible as failed:
            raise failed.exceptions[0] from None
        finally:
            follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follow

    def _watch_changed(self, what: str) -> None:
        log.debug("API change seen: %s", what)
        self._kicked.set()

    def _watch_answered(self) -> None:
        self._last_success = time.monotonic()
        if self._watch_failing:  # back after an outage: confirm (an upgraded server changes built-ins)
            self._watch_failing = False
            self._kicked.set()

    def _watch_failed(self, message: str) -> None:
        self._watch_failing = True
        self._record_error(message)

    async def _follow_changes(self) -> None:
        """After each change a watch reports, check discovery at the :data:`FOLLOW_UP` offsets (never
        sooner after a rebuild than the pacer allows, so CRD churn folds into one rebuild at a time)."""
        while True:
            await self._kicked.wait()
            self._kicked.clear()
            before = self._catalog.unpublished if self._catalog is not None else frozenset()
            started = checked = time.monotonic()
            for offset in self._follow_up_offsets():
                if started + offset < checked:
                    continue  # the last check (held back by the pacer) came after this one was due
                if offset > FOLLOW_UP[-1] and not self._awaiting_documents(before):
                    break
                now = time.monotonic()
                await asyncio.sleep(max(started + offset - now, self.pacer.rebuild_wait(now)))
                await self.refresh()
                checked = time.monotonic()
                if self._kicked.is_set():
                    break  # a newer change: its own schedule

    @staticmethod
    def _follow_up_offsets() -> list[float]:
        """:data:`FOLLOW_UP`, then every :data:`PUBLISH_RECHECK` seconds up to :data:`PUBLISH_WAIT`."""
        more = int((PUBLISH_WAIT - FOLLOW_UP[-1]) / PUBLISH_RECHECK)
        return [*FOLLOW_UP, *(FOLLOW_UP[-1] + PUBLISH_RECHECK * (i + 1) for i in range(more))]

    def _awaiting_documents(self, before: frozenset[tuple[str, str]]) -> bool:
        """Discovery serves group versions, new since the change, whose documents are not published yet."""
        current = self._catalog
        return current is not None and bool(current.unpublished - before)

    async def refresh(self) -> bool:
        """Check the server once now; returns True when a new catalog was swapped in.

        Never raises for the server's sake: a failure is kept in ``last_error``/``last_error_at`` and
        the previous catalog stays."""
        async with self._lock:
            started = time.perf_counter()
            previous = self._catalog
            try:
                new = await build_catalog(
                    self.source,
                    docs=self.docs,
                    openapi=self.openapi,
                    aggregated=self.aggregated,
                    concurrency=self.concurrency,
                    previous=previous,
                )
            except (CatalogError, SourceError) as exc:
                self._record_error(str(exc))
                return False
            except Exception as exc:  # a bug must not end the loop: keep the last good catalog
                log.exception("catalog refresh failed")
                self._record_error(f"{type(exc).__name__}: {exc}")
                return False
            self.last_error = None
            self._last_success = time.monotonic()
            recovered = self._outage.answered(self._last_success)
            if recovered is not None:
                log.info("%s", recovered)
            if new is previous:
                self._count("unchanged")
                return False
            self._swap(new)
            self._count("changed", time.perf_counter() - started)
            return True

    def _count(self, outcome: Outcome, seconds: float = 0.0) -> None:
        self.refresh_counts[outcome] += 1
        self.pacer.record(outcome, time.monotonic(), seconds)

    def _record_error(self, message: str) -> None:
        self._count("failed")
        self.last_error = message
        self.last_error_at = datetime.now(UTC)
        line = self._outage.failed(message, time.monotonic())
        if line is not None:
            log.warning("%s", line)
        else:
            log.debug("catalog refresh failed: %s", message)

    def _swap(self, new: Catalog) -> None:
        index = SearchIndex(new, field_cache=self._field_cache)
        self._catalog, self._index = new, index  # what pages read; each one assignment
        self.generation += 1
        if self._index_task is not None:
            self._index_task.cancel()
            self._index_task = None
        self._prune_field_cache(new)
        if self.index_fields:
            self._index_task = asyncio.create_task(self._build_index(index), name="catalog-search-index")
        _freeze_long_lived()
        asyncio.get_running_loop().create_task(self._notify())

    async def _build_index(self, index: SearchIndex) -> None:
        await index.build_documents(self.index_concurrency)
        _freeze_long_lived()  # every document is loaded now, and the field entries made

    def _prune_field_cache(self, catalog: Catalog) -> None:
        keep = {e.url for e in catalog.v3_index.entries} if catalog.v3_index else None
        if keep is None:  # v2: entries are keyed by the v2 ETag; keep only the current one's
            current = f"v2:{catalog.docs.v2_etag}"
            keep = {current}
        for key in [k for k in self._field_cache if k[0] not in keep]:
            del self._field_cache[key]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_changed(self, generation: int) -> int:
        """Wait until the catalog changes after ``generation``; returns the new generation. Wrap it in
        ``asyncio.timeout()`` (live pages, tests)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.generation > generation)
        return self.generation

    async def wait_index(self) -> None:
        """Wait for the current search index to finish building (tests, the CLI)."""
        task = self._index_task
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    # ------------------------------------------------------------------------------------- reading

    def search(self, query: str, limit: int = 50) -> SearchResults:
        """Search the current catalog (resources at once; fields once indexed)."""
        if self._index is None:
            return SearchResults(query, note="the API catalog is not ready yet")
        return self._index.search(query, limit)

    async def operations_for(self, group: str, version: str) -> OperationIndex:
        return await self.catalog.operations_for(group, version)

    async def operations(
        self, group: str, version: str, resource: str, subresource: str | None = None
    ) -> tuple[Operation, ...]:
        return await self.catalog.operations(group, version, resource, subresource)

    async def schema(
        self, target: GVK | tuple[str, str, str], path: str = "", depth: int | None = 1
    ) -> FieldTree:
        """The field tree of a kind or ``(group, version, definition)`` under ``path``."""
        return await self.catalog.field_tree(target, path, depth)


def _freeze_long_lived() -> None:
    """Move every object alive now out of the cyclic garbage collector's sight (``gc.freeze``).

    A catalog with its documents is hundreds of thousands of objects that live until the next swap.
    Left to the collector, each full collection walks all of them: 80-300 ms with 300 CRDs, an event
    loop standing still, measured as the page mix's p99 (``bench/large_cluster.py``). Frozen, they
    are still freed by reference counting when a swap drops them; only the collector skips them.
    """
    gc.freeze()


__all__ = ["CatalogNotReady", "CatalogStore", "FieldCache"]
