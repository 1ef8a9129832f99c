"""Marks that routes carry for the request-wide middlewares: which paths are probes, which are streams.

The Host guard lets probes through whatever the ``Host`` (the kubelet and Prometheus send the pod IP),
and HEAD-as-GET leaves streams alone (a HEAD must not open a watch). Which routes those are is said
where each route is declared, as a tag on its decorator (``tags=[PROBE]``), and read from the routers
when the app is built (:func:`marked_paths`), so no list repeats a route's path as behaviour.

Read from each module's own ``APIRouter`` (its ``routes`` are plain ``APIRoute`` objects) rather than
from the app, whose included routers are FastAPI internals that change between releases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import compile_path

#: a probe: answered whatever the Host header, and it reveals nothing from the cluster
PROBE = "probe"
#: a GET answered with a stream that stays open (server-sent events)
STREAM = "stream"


@dataclass(frozen=True, slots=True)
class RoutePaths:
    """The request paths of some routes: paths without parameters compared whole (a set lookup on
    every request), the others by their route's pattern."""

    exact: frozenset[str] = frozenset()
    patterns: tuple[re.Pattern[str], ...] = ()

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        return path in self.exact or any(p.match(path) for p in self.patterns)


def marked_paths(routers: Iterable[APIRouter], mark: str) -> RoutePaths:
    """The paths of the routes of ``routers`` tagged ``mark`` (the routers are included unprefixed)."""
    exact: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and mark in route.tags:
                regex, _, params = compile_path(route.path)
                if params:
                    patterns.append(regex)
                else:
                    exact.add(route.path)
    return RoutePaths(frozenset(exact), tuple(patterns))
