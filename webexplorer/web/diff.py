"""The API diff page: compare the API the explorer serves with a snapshot, or two snapshots.

``/diff?old=embedded&new=current``. The sides are chosen from a fixed list — ``current`` (what the
explorer serves), ``embedded`` (the snapshot shipped in the package) and ``snapshot-N`` for each file the
operator named with ``--compare-snapshots`` — never a path from the query. Reading a side loads every
OpenAPI document it has, so each side's :class:`~webexplorer.catalog.diff.ApiSurface` is kept (the
current one until the catalog changes); the comparison itself takes milliseconds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from webexplorer.catalog import CatalogError, SnapshotSource, build_catalog, embedded_snapshot_path
from webexplorer.catalog.diff import ApiSurface, diff_surfaces, surface_of
from webexplorer.explorer import Explorer
from webexplorer.source import SourceError
from webexplorer.web.lookup import catalog_of, explorer_of
from webexplorer.web.templating import render

router = APIRouter()

#: at most this many lines per section are listed (the counts are always complete)
SECTION_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Side:
    key: str
    label: str
    path: Path | None  # None: the catalog the explorer serves


class DiffSides:
    """The sides a diff can compare, and their surfaces, computed once each (per catalog generation
    for ``current``)."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self._surfaces: dict[tuple[str, int], ApiSurface] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def sides(self) -> list[Side]:
        out = [
            Side("current", f"current: {self.explorer.connection_label}", None),
            Side("embedded", "embedded snapshot", embedded_snapshot_path()),
        ]
        for i, path in enumerate(self.explorer.settings.compare_snapshots, start=1):
            out.append(Side(f"snapshot-{i}", f"snapshot {path.name}", path))
        return out

    def side(self, key: str) -> Side:
        found = next((s for s in self.sides() if s.key == key), None)
        if found is None:
            raise HTTPException(400, f"{key[:40]!r} is not one of the APIs this page can compare.")
        return found

    async def surface(self, side: Side) -> ApiSurface:
        store = self.explorer.store
        generation = store.generation if side.path is None and store is not None else 0
        cached = self._surfaces.get((side.key, generation))
        if cached is not None:
            return cached
        async with self._locks.setdefault(side.key, asyncio.Lock()):
            cached = self._surfaces.get((side.key, generation))
            if cached is not None:
                return cached
            if side.path is None:
                catalog = self.explorer.catalog
                if catalog is None:
                    raise HTTPException(503, "The API catalog is not ready yet; try again in a moment.")
            else:
                try:
                    source = SnapshotSource(side.path)
                    catalog = await build_catalog(source)
                except (SourceError, CatalogError, OSError) as exc:
                    raise HTTPException(503, f"The {side.label} cannot be read: {exc}") from exc
            surface = await surface_of(catalog, side.label)
            for key in [k for k in self._surfaces if k[0] == side.key]:
                del self._surfaces[key]
            self._surfaces[(side.key, generation)] = surface
            return surface


def _sides(request: Request) -> DiffSides:
    sides = getattr(request.app.state, "diff_sides", None)
    if sides is None:
        sides = request.app.state.diff_sides = DiffSides(explorer_of(request))
    return sides


@router.get("/diff", response_class=HTMLResponse)
async def diff_page(request: Request, old: str = "embedded", new: str = "current") -> HTMLResponse:
    catalog_of(request)  # a clear 503 while nothing is loaded
    sides = _sides(request)
    old_side, new_side = sides.side(old), sides.side(new)
    diff = None
    if old_side.key != new_side.key:
        old_surface, new_surface = await asyncio.gather(sides.surface(old_side), sides.surface(new_side))
        diff = diff_surfaces(old_surface, new_surface)
    return render(
        request,
        "diff.html",
        {
            "sides": sides.sides(),
            "old": old_side,
            "new": new_side,
            "diff": diff,
            "limit": SECTION_LIMIT,
            # only what exists in the served catalog can be linked: the other side has no pages
            "link_old": old_side.path is None,
            "link_new": new_side.path is None,
        },
    )
