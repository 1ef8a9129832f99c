"""The API diff page: compare the API the explorer serves with a snapshot, or two snapshots.

``/diff?old=embedded&new=current``. The sides are chosen from a fixed list — ``current`` (what the
explorer serves), ``embedded`` (the snapshot shipped in the package) and ``snapshot-N`` for each file the
operator named with ``--compare-snapshots`` — never a path from the query. Reading a side loads every
OpenAPI document it has, so each side's :class:`~webexplorer.catalog.diff.ApiSurface` is kept (the
current one until the catalog changes); the comparison itself takes milliseconds.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webexplorer.catalog.diff import diff_surfaces
from webexplorer.web.state import State
from webexplorer.web.templating import render

router = APIRouter()

#: at most this many lines per section are listed (the counts are always complete)
SECTION_LIMIT = 1000


@router.get("/diff", response_class=HTMLResponse)
async def diff_page(
    request: Request, state: State, old: str = "embedded", new: str = "current"
) -> HTMLResponse:
    state.catalog()  # a clear 503 while nothing is loaded
    sides = state.diff_sides
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
            "history": state.releases.history_now(),
        },
    )
