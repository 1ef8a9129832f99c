"""Route-derived exemptions: the Host guard's probes and HEAD-as-GET's streams are the routes that say so.

``web/routemarks.py`` reads the ``PROBE`` and ``STREAM`` tags from the routers the app passes; this
checks that those are every marked route of every router module (a marked route in a router the app
forgot would silently lose its exemption) and that the paths are the ones the middlewares always had.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

import webexplorer.web
from webexplorer.app import create_app
from webexplorer.settings import Settings
from webexplorer.web.guards import GuardMiddleware
from webexplorer.web.head import HeadAsGetMiddleware
from webexplorer.web.routemarks import PROBE, STREAM, RoutePaths, marked_paths


def _every_router() -> list[APIRouter]:
    modules = (
        importlib.import_module(f"webexplorer.web.{m.name}")
        for m in pkgutil.iter_modules(webexplorer.web.__path__)
    )
    return [r for m in modules if isinstance(r := getattr(m, "router", None), APIRouter)]


def _middleware_kwargs(app: FastAPI, cls: object) -> dict[str, Any]:
    found = [m.kwargs for m in app.user_middleware if m.cls == cls]
    assert len(found) == 1
    return dict(found[0])


def test_the_exemptions_are_every_marked_route() -> None:
    app = create_app(Settings(mode="snapshot"))
    probes = _middleware_kwargs(app, GuardMiddleware)["probes"]
    streaming = _middleware_kwargs(app, HeadAsGetMiddleware)["streaming"]
    assert probes == marked_paths(_every_router(), PROBE)
    assert streaming == marked_paths(_every_router(), STREAM)
    assert probes == RoutePaths(frozenset({"/healthz", "/readyz", "/metrics"}))
    assert "/try/watch/abc" in streaming and "/try/watch-stop/abc" not in streaming
    assert "/try/watch/" not in streaming and "/" not in streaming and "/healthz" not in probes.patterns


def test_route_paths_match_templates_whole() -> None:
    router = APIRouter()

    @router.get("/a/{key}", tags=[STREAM])
    async def a(key: str) -> None: ...

    @router.get("/b", tags=[STREAM, PROBE])
    async def b() -> None: ...

    @router.get("/c")
    async def c() -> None: ...

    paths = marked_paths([router], STREAM)
    assert "/a/x" in paths and "/b" in paths
    assert "/a/x/y" not in paths and "/a/" not in paths and "/b/" not in paths and "/c" not in paths
    assert marked_paths([router], PROBE) == RoutePaths(frozenset({"/b"}))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(mode="snapshot"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://10.1.2.3:8080") as c:
            yield c


async def test_exemptions_at_work(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200  # a probe, whatever the Host
    assert (await client.get("/")).status_code == 421  # a page: not for an unknown Host
    local = {"host": "127.0.0.1:8080"}
    head = await client.head("/", headers=local)
    assert head.status_code == 200 and head.content == b""
    # a stream is not opened by a HEAD: FastAPI's GET route refuses it, as before
    assert (await client.head("/try/watch/abc", headers=local)).status_code == 405
