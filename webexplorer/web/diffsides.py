"""The sides ``/diff`` can compare, and each side's API surface, computed once (per catalog generation
for ``current``).

The sides are chosen from a fixed list — ``current`` (what the explorer serves), ``release-v1.31.14``
for each embedded release (``embedded`` still names the newest) and ``snapshot-N`` for each file the
operator named with ``--compare-snapshots`` — never a path from the query. Reading a side loads every
OpenAPI document it has, which is why its surface is kept here, in the app state (:mod:`.state`),
between requests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException

from webexplorer.catalog import CatalogError, SnapshotSource, build_catalog
from webexplorer.catalog.diff import ApiSurface, surface_of
from webexplorer.explorer import Explorer
from webexplorer.source import SourceError
from webexplorer.web.contexts import current_explorer
from webexplorer.web.lifecycle import ExplorerSlot
from webexplorer.web.releases import Releases


@dataclass(frozen=True, slots=True)
class Side:
    key: str
    label: str
    path: Path | None  # None: the catalog the explorer serves
    #: the embedded release this side is (``v1.31.14``), whose pages ``/release/<v>/…`` show
    release: str | None = None


#: the key of the newest embedded release kept from before there were several (``/diff?old=embedded``)
EMBEDDED = "embedded"


class DiffSides:
    """The sides a diff can compare, and their surfaces, computed once each (per catalog generation
    for ``current``)."""

    def __init__(self, slot: ExplorerSlot, releases: Releases) -> None:
        self._slot = slot
        self.releases = releases
        self._surfaces: dict[tuple[str, int, int], ApiSurface] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def explorer(self) -> Explorer:
        return current_explorer(self._slot)

    def sides(self) -> list[Side]:
        out = [Side("current", f"current: {self.explorer.connection_label}", None)]
        for label, path in self.releases.paths.items():
            out.append(Side(f"release-{label}", f"Kubernetes {label} (embedded)", path, label))
        for i, path in enumerate(self.explorer.settings.compare_snapshots, start=1):
            out.append(Side(f"snapshot-{i}", f"snapshot {path.name}", path))
        return out

    def side(self, key: str) -> Side:
        if key == EMBEDDED and self.releases.newest is not None:
            key = f"release-{self.releases.newest}"
        found = next((s for s in self.sides() if s.key == key), None)
        if found is None:
            raise HTTPException(400, f"{key[:40]!r} is not one of the APIs this page can compare.")
        return found

    async def surface(self, side: Side) -> ApiSurface:
        if side.release is not None:
            return await self.releases.surface(side.release)
        store = self.explorer.store
        generation = store.generation if side.path is None else 0
        key = (side.key, id(store), generation)  # the current side is each context's own catalog
        cached = self._surfaces.get(key)
        if cached is not None:
            return cached
        async with self._locks.setdefault(side.key, asyncio.Lock()):
            cached = self._surfaces.get(key)
            if cached is not None:
                return cached
            if side.path is None:
                catalog = store.current
                if catalog is None:
                    raise HTTPException(503, "The API catalog is not ready yet; try again in a moment.")
            else:
                try:
                    source = SnapshotSource(side.path)
                    catalog = await build_catalog(source)
                except (SourceError, CatalogError, OSError) as exc:
                    raise HTTPException(503, f"The {side.label} cannot be read: {exc}") from exc
            surface = await surface_of(catalog, side.label)
            for old in [k for k in self._surfaces if k[:2] == key[:2]]:
                del self._surfaces[old]  # an older generation of the same side
            self._surfaces[key] = surface
            return surface
