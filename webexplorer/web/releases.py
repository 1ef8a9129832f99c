"""The embedded Kubernetes releases as the app holds them: each one's catalog, API surface and the
history over all of them, each computed once and kept.

A release's :class:`~webexplorer.catalog.Catalog` is built from its snapshot on first use (a read-only
view of what that release's API server served); its :class:`~webexplorer.catalog.diff.ApiSurface`
(every field of every kind, and the deprecation ``Warning`` of every list) is what ``/diff`` compares and
:class:`~webexplorer.catalog.history.ApiHistory` reads. Surfaces cost a few seconds of CPU each, so the
history is built in the background, one release after another, started with the first page that asks;
pages that show history say nothing about it until it is there, and :meth:`Releases.history` waits.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi import HTTPException

from webexplorer.catalog import Catalog, CatalogError, SnapshotSource, build_catalog
from webexplorer.catalog.diff import ApiSurface, surface_of
from webexplorer.catalog.history import ApiHistory
from webexplorer.catalog.snapshot import embedded_snapshots
from webexplorer.source import SourceError
from webexplorer.web.pagecache import PageCache

log = logging.getLogger("webexplorer.releases")


def release_label(path: Path) -> str:
    """``snapshot-v1.31.14.jsonl.xz`` → ``v1.31.14``."""
    return path.name.removeprefix("snapshot-").split(".jsonl", 1)[0]


class Releases:
    """The embedded releases, oldest first; catalogs, surfaces and the history built once each."""

    def __init__(self, page_cache_bytes: int, paths: list[Path] | None = None) -> None:
        self.paths: dict[str, Path] = {release_label(p): p for p in (paths or embedded_snapshots())}
        self._page_cache_bytes = page_cache_bytes
        self._catalogs: dict[str, Catalog] = {}
        self._surfaces: dict[str, ApiSurface] = {}
        self._caches: dict[str, PageCache] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._history: ApiHistory | None = None
        self._task: asyncio.Task[ApiHistory] | None = None

    @property
    def labels(self) -> list[str]:
        return list(self.paths)

    @property
    def newest(self) -> str | None:
        return self.labels[-1] if self.paths else None

    def known(self, label: str) -> bool:
        return label in self.paths

    def page_cache(self, label: str) -> PageCache:
        """Rendered pages of one release's view (its catalog never changes)."""
        return self._caches.setdefault(label, PageCache(self._page_cache_bytes))

    async def catalog(self, label: str) -> Catalog:
        """The catalog of release ``label`` (a 404 page for a release not embedded)."""
        if label not in self.paths:
            raise HTTPException(404, f"{label[:40]!r} is not one of the embedded releases.")
        found = self._catalogs.get(label)
        if found is None:
            async with self._locks.setdefault(label, asyncio.Lock()):
                found = self._catalogs.get(label)
                if found is None:
                    found = await self._build(label)
                    self._catalogs[label] = found
        return found

    async def _build(self, label: str) -> Catalog:
        try:
            return await build_catalog(SnapshotSource(self.paths[label]))
        except (SourceError, CatalogError, OSError) as exc:
            raise HTTPException(503, f"The embedded release {label} cannot be read: {exc}") from exc

    async def surface(self, label: str) -> ApiSurface:
        """What ``/diff`` and the history compare of release ``label``."""
        found = self._surfaces.get(label)
        if found is None:
            catalog = await self.catalog(label)
            async with self._locks.setdefault(f"surface {label}", asyncio.Lock()):
                found = self._surfaces.get(label)
                if found is None:
                    warnings = await SnapshotSource(self.paths[label]).list_warnings()
                    found = await surface_of(catalog, label, list_warnings=warnings)
                    self._surfaces[label] = found
        return found

    def history_now(self) -> ApiHistory | None:
        """The history if it is built; otherwise None, and its building is started."""
        if self._history is None and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._build_history())
        return self._history

    async def history(self) -> ApiHistory:
        """The history over every embedded release (built now if need be)."""
        if self._history is not None:
            return self._history
        self.history_now()
        assert self._task is not None
        return await asyncio.shield(self._task)

    async def _build_history(self) -> ApiHistory:
        surfaces = [await self.surface(label) for label in self.labels]  # one at a time: CPU-bound
        self._history = ApiHistory(surfaces)
        log.info("release history built over %s", ", ".join(self.labels))
        return self._history
