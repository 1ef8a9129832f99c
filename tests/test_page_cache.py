"""Rendered page content kept per catalog generation (web/pagecache.py, templating.render_cached).

The cache must be invisible: every cached page is byte for byte the page an explorer without the cache
renders (first visit and later ones, error pages too), a visitor never sees another's identity or CSRF
token, and a catalog swap (a real CRD created and deleted on the real control plane) is seen at once.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI

from bench._common import crd_manifest
from tests.fixtures.cluster import ServiceAccount
from tests.tryout_helpers import CSRF, SAME_ORIGIN
from webexplorer.app import create_app
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings
from webexplorer.web.pagecache import ENTRY_OVERHEAD, CachedContent, PageCache

#: one URL of every cached page family and shape, and error pages of the same routes (never kept)
CACHED_URLS = [
    ("/", 200),  # partly: its groups table
    ("/g/apps", 200),
    ("/g/core/v1", 200),
    ("/g/apps/v1/deployments", 200),
    ("/g/core/v1/pods", 200),
    ("/op/core/v1/createCoreV1NamespacedPod", 200),
    ("/op/core/v1/readCoreV1NamespacedPod?p.namespace=kube-system&p.name=x", 200),
    ("/op/core/v1/readCoreV1NamespacedPod?p.namespace=default", 200),
    ("/schema/apps/v1/Deployment", 200),
    ("/schema/apps/v1/Deployment/spec.template.spec.containers", 200),
    ("/schema/apps/v1/Deployment/spec.template?part=children", 200),
    ("/schema/apps/v1/io.k8s.api.apps.v1.DeploymentSpec", 200),
    ("/search?q=deploy", 200),
    ("/search?q=deploy&partial=1", 200),
    ("/search?q=replicas", 200),
    ("/search?q=", 200),
    ("/search?q=zzzz-nothing-matches", 200),
    ("/g/nope", 404),
    ("/g/apps/v9", 404),
    ("/schema/apps/v1/NoSuchKind", 404),
    ("/op/core/v1/noSuchOperation", 404),
    ("/schema/apps/v1/Deployment/spec..x", 400),
]


# ------------------------------------------------------------------------------------------ the store


def content(size: int) -> CachedContent:
    return CachedContent(b"x" * size)


def test_bounded_by_size_least_recently_used_out() -> None:
    cache = PageCache(max_bytes=3 * (ENTRY_OVERHEAD + 100))
    for key in "abc":
        cache.put(1, key, content(100))
    assert cache.get(1, "a") is not None  # a is now the most recently used
    cache.put(1, "d", content(100))
    assert cache.get(1, "b") is None and len(cache) == 3
    assert all(cache.get(1, k) is not None for k in "acd")
    assert cache.bytes <= cache.max_bytes
    cache.put(1, "huge", content(10 * cache.max_bytes))  # larger than the whole cache: not kept
    assert cache.get(1, "huge") is None and len(cache) == 3


def test_a_new_generation_empties_it_and_an_old_one_never_comes_back() -> None:
    cache = PageCache(max_bytes=1 << 20)
    cache.put(1, "a", content(10))
    assert cache.get(2, "a") is None and len(cache) == 0 and cache.bytes == 0
    cache.put(1, "late", content(10))  # rendered from generation 1 while 2 was swapped in
    assert cache.get(1, "late") is None and cache.get(2, "late") is None
    cache.put(2, "b", content(10))
    assert cache.get(1, "b") is None  # a request that started before the swap does not see it
    assert cache.get(2, "b") is not None and cache.generation == 2


def test_off_when_given_no_memory() -> None:
    assert not PageCache(0).enabled
    assert Settings(mode="snapshot", page_cache_mib=0).page_cache_mib == 0


# ------------------------------------------------------------------------------------------ same pages


@asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await app.state.webexplorer.explorer.store.wait_index()
        yield app


def client_of(app: FastAPI, cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://localhost",
        timeout=30,
        cookies=cookies,
    )


async def test_cached_pages_are_the_uncached_pages() -> None:
    async with (
        started(Settings(mode="snapshot")) as cached_app,
        started(Settings(mode="snapshot", page_cache_mib=0)) as plain_app,
        client_of(cached_app) as cached,
        client_of(plain_app) as plain,
    ):
        cache: PageCache = cached_app.state.webexplorer.page_cache
        for url, status in CACHED_URLS:
            expected = await plain.get(url)
            assert expected.status_code == status, (url, expected.text[-500:])
            for visit in ("first", "second"):
                got = await cached.get(url)
                assert got.status_code == status, (url, visit)
                assert got.text == expected.text, (url, visit)
                assert got.headers["content-type"] == expected.headers["content-type"]
        assert cache.hits >= sum(1 for _, s in CACHED_URLS if s == 200)
        assert len(cache) == sum(1 for _, s in CACHED_URLS if s == 200)  # errors are never kept


async def test_search_while_the_fields_index_builds_is_not_kept_once_built() -> None:
    """The search index is built after a swap; results of "building" must not outlive it."""
    async with started(Settings(mode="snapshot")) as app, client_of(app) as client:
        index = app.state.webexplorer.explorer.store.search_index
        real = index.status
        index.status = "building"  # as it is in the first seconds after a swap
        try:
            building = (await client.get("/search?q=replicas")).text
            assert (await client.get("/search?q=replicas")).text == building
        finally:
            index.status = real
        built = (await client.get("/search?q=replicas")).text
        assert "fields index building" in building and "fields index building" not in built
        assert 'id="hits-fields"' in built


# ------------------------------------------------------------------------------------------ visitors


def acting_as(page: str) -> str:
    found = re.search(r'<span id="acting-as"[^>]*>(.*?)</span>\s*</div>', page, re.S)
    assert found, page[:2000]
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, token: str) -> None:
    page = await client.get("/signin")
    found = CSRF.search(page.text)
    assert found, page.text
    r = await client.post(
        "/signin",
        content=urlencode({"csrf": found.group(1), "token": token}),
        headers={"Content-Type": "application/x-www-form-urlencoded", **SAME_ORIGIN},
    )
    assert r.status_code == 303, r.text


async def test_visitors_never_see_each_other(
    control_plane: ControlPlane, service_account: Callable[..., ServiceAccount]
) -> None:
    """Two signed-in visitors and an anonymous one on the same cached pages: each sees exactly the page
    an explorer without the cache shows them (their name, their sign-out token), nobody else's."""
    ann = service_account(namespace=f"pc-{uuid.uuid4().hex[:6]}", cluster_role="view")
    bob = service_account(namespace=f"pc-{uuid.uuid4().hex[:6]}", cluster_role="view")
    key = secrets.token_hex(32)

    def settings(**extra: Any) -> Settings:
        return Settings(
            mode="kubeconfig",
            kubeconfig=str(control_plane.kubeconfig),
            identity="token",
            secret_key=key,
            **extra,
        )

    async with AsyncExitStack() as stack:
        cached_app = await stack.enter_async_context(started(settings()))
        plain_app = await stack.enter_async_context(started(settings(page_cache_mib=0)))
        visitors = {
            name: await stack.enter_async_context(client_of(cached_app)) for name in ("ann", "bob", "anon")
        }
        await sign_in(visitors["ann"], ann.request_token())
        await sign_in(visitors["bob"], bob.request_token())
        for url, status in CACHED_URLS:
            pages: dict[str, str] = {}
            for name in ("bob", "ann", "anon"):  # bob fills the cache, ann and anon read from it
                got = await visitors[name].get(url)
                assert got.status_code == status, (url, name)
                async with client_of(plain_app, visitors[name].cookies) as plain:
                    expected = await plain.get(url)
                assert got.text == expected.text, (url, name)
                pages[name] = got.text
            assert bob.username not in pages["ann"] + pages["anon"]
            assert ann.username not in pages["bob"] + pages["anon"]
            if "partial=1" in url or "part=children" in url:  # fragments: no header, no identity at all
                assert not any(CSRF.search(page) for page in pages.values())
                continue
            assert ann.username in acting_as(pages["ann"]) and bob.username in acting_as(pages["bob"])
            assert "signin-link" in acting_as(pages["anon"])
            tokens = {name: CSRF.search(page) for name, page in pages.items()}
            ann_token, bob_token = tokens["ann"], tokens["bob"]
            assert ann_token and bob_token and ann_token.group(1) != bob_token.group(1)
            assert bob_token.group(1) not in pages["ann"] and tokens["anon"] is None
        assert cached_app.state.webexplorer.page_cache.hits > 0


# ------------------------------------------------------------------------------------------ swaps


async def until(
    client: httpx.AsyncClient, url: str, check: Callable[[httpx.Response], bool]
) -> httpx.Response:
    """GET ``url`` until ``check`` holds (the background refresh swaps catalogs every 0.2 s)."""
    async with asyncio.timeout(60):
        while True:
            r = await client.get(url)
            if check(r):
                return r
            await asyncio.sleep(0.1)


async def test_a_catalog_swap_is_seen_at_once(control_plane: ControlPlane) -> None:
    """Pages kept before a CRD exists, while it exists and after it is deleted: never a stale one."""
    group = f"pc{uuid.uuid4().hex[:8]}.example.com"
    kind = f"Gizmo{uuid.uuid4().hex[:6]}"
    plural = kind.lower() + "s"
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    settings = Settings(mode="kubeconfig", kubeconfig=str(control_plane.kubeconfig), refresh_interval=0.2)
    async with started(settings) as app, client_of(app) as client:
        search = f"/search?q={kind.lower()}"
        before = (await client.get(search)).text
        assert "Nothing matches" in before and (await client.get(search)).text == before  # kept
        with control_plane.client() as admin:
            created = admin.post(crds, json=crd_manifest(group, kind, fields=12))
            assert created.status_code == 201, created.text
            try:
                await until(client, f"/g/{group}", lambda r: r.status_code == 200)
                await until(client, search, lambda r: "Nothing matches" not in r.text)
                await (
                    app.state.webexplorer.explorer.store.wait_index()
                )  # the same index state as the kept page
                found = await client.get(search)
                assert f"/g/{group}/v1/{plural}" in found.text
                schema = f"/schema/{group}/v1/{kind}/spec"
                page = await until(client, schema, lambda r: r.status_code == 200)
                assert 'id="spec.field00"' in page.text
                assert app.state.webexplorer.page_cache.hits > 0
            finally:
                deleted = admin.delete(f"{crds}/{plural}.{group}")
                assert deleted.status_code == 200, deleted.text
        await until(client, f"/g/{group}", lambda r: r.status_code == 404)
        # the OpenAPI index may list the deleted CRD's document for a moment after discovery does not:
        # that is a catalog of its own generation, and the next swap brings the page back to nothing
        await until(client, search, lambda r: r.text == before)
        assert (await client.get(f"/g/{group}/v1/{plural}")).status_code == 404
