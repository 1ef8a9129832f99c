"""A group version that discovery lists before the OpenAPI v3 index has its document.

On a real API server a new CRD shows in aggregated discovery first and in ``/openapi/v3`` up to a few
seconds later (the OpenAPI aggregator's own queue). The live test (``tests/test_watching_live.py``) meets
that gap when it happens; here the gap is made to happen, over the real recorded v1.37.2 answers: the
source below hides ``apis/apps/v1`` from the index (changing the index's ETag, as the real server's
does) until it is "published". This wrapper is the one stand-in, and it only withholds an entry.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import lzma
import time
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from tests.fixtures.asgi import asgi_explorer
from webexplorer.catalog import GVK, CatalogStore, NotPublishedYet, SnapshotSource, embedded_snapshot_path
from webexplorer.catalog import refresh as refresh_module
from webexplorer.catalog.openapi import V3_INDEX_PATH
from webexplorer.settings import Settings
from webexplorer.source import Fetched

HIDDEN = "apis/apps/v1"
DEPLOYMENT = GVK("apps", "v1", "Deployment")


class LaggingIndex:
    """The embedded snapshot, whose ``/openapi/v3`` leaves out :data:`HIDDEN` until :meth:`publish`."""

    def __init__(self) -> None:
        self.inner = SnapshotSource(embedded_snapshot_path())
        self.published = False
        self.index_reads = 0

    @property
    def label(self) -> str:
        return self.inner.label

    def publish(self) -> None:
        self.published = True

    async def fetch(self, path: str, *, accept: str = "application/json", etag: str | None = None) -> Fetched:
        if path != V3_INDEX_PATH or self.published:
            return await self.inner.fetch(path, accept=accept, etag=etag)
        self.index_reads += 1
        full = await self.inner.fetch(path, accept=accept)
        index = orjson.loads(full.body)
        del index["paths"][HIDDEN]
        tag = f'"{full.etag}-without-apps-v1"'
        if etag == tag:
            return Fetched(304, b"", {**full.headers, "etag": tag}, full.url)
        return Fetched(full.status, orjson.dumps(index), {**full.headers, "etag": tag}, full.url)


async def test_unpublished_group_version_is_named_and_refused_as_not_yet() -> None:
    source = LaggingIndex()
    store = CatalogStore(source, refresh_interval=3600, index_fields=False)
    await store.refresh()
    catalog = store.catalog
    assert catalog.group_version("apps", "v1") is not None  # discovery lists it
    assert catalog.unpublished == {("apps", "v1")}
    with pytest.raises(NotPublishedYet, match="has not published its OpenAPI document yet"):
        await catalog.kind_definition(DEPLOYMENT)
    source.publish()
    assert await store.refresh() is True
    assert store.catalog.unpublished == frozenset()
    schemas, name = await store.catalog.kind_definition(DEPLOYMENT)
    assert name in schemas


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> tuple[LaggingIndex, CatalogStore]:
    """A lagging source and a store over it whose follow-up schedule runs in tenths of a second."""
    monkeypatch.setattr(refresh_module, "FOLLOW_UP", (0.01, 0.02, 0.03))
    monkeypatch.setattr(refresh_module, "PUBLISH_RECHECK", 0.05)
    monkeypatch.setattr(refresh_module, "PUBLISH_WAIT", 5.0)
    source = LaggingIndex()
    store = CatalogStore(source, refresh_interval=3600, rebuild_interval=0.0, index_fields=False)
    store.pacer.busy_factor = 0.0  # no pause after a rebuild: the schedule alone sets the checks
    return source, store


@contextlib.asynccontextmanager
async def following(store: CatalogStore) -> AsyncIterator[None]:
    """The store's follow-up loop running, as its change watches start it, kicked once (a change)."""
    follow = asyncio.create_task(store._follow_changes())
    try:
        store._kicked.set()
        yield
    finally:
        follow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await follow


async def test_after_a_change_the_store_checks_until_the_document_is_published(
    fast: tuple[LaggingIndex, CatalogStore],
) -> None:
    """The follow-up checks after a watch event go on past the last :data:`FOLLOW_UP` offset while a
    new group version has no document, and stop once it has one (or at :data:`PUBLISH_WAIT`)."""
    source, store = fast
    source.publish()
    await store.refresh()  # before the change: everything published
    assert store.catalog.unpublished == frozenset()
    source.published = False  # the change: apps/v1 "new" in discovery, its document still to come
    async with following(store):
        started = time.monotonic()
        while store.catalog.unpublished == frozenset():
            await asyncio.sleep(0.01)
            assert time.monotonic() - started < 5, "the follow-up checks never saw the change"
        await asyncio.sleep(0.5)  # well past the last FOLLOW_UP offset: checks go on
        reads_then = source.index_reads
        assert reads_then > 3
        source.publish()
        while store.catalog.unpublished:
            await asyncio.sleep(0.01)
            assert time.monotonic() - started < 5, "the published document was never picked up"
        await asyncio.sleep(0.05)  # the check that swapped the catalog in has returned
        checks = sum(store.refresh_counts.values())
        await asyncio.sleep(0.3)
        assert sum(store.refresh_counts.values()) == checks, "checks went on after the document came"


async def test_a_group_version_unpublished_before_the_change_is_not_waited_for(
    fast: tuple[LaggingIndex, CatalogStore],
) -> None:
    """An aggregated API that never publishes a document must not keep the store checking after each
    change: only group versions new since the change are waited for."""
    _, store = fast
    await store.refresh()
    assert store.catalog.unpublished == {("apps", "v1")}
    async with following(store):
        await asyncio.sleep(1.0)  # FOLLOW_UP ends at 0.03 s; PUBLISH_RECHECK would add about twenty
        # a FOLLOW_UP offset that a slow check has passed already is skipped: at most one check each
        assert 2 <= sum(store.refresh_counts.values()) <= 1 + len(refresh_module.FOLLOW_UP)


def _lagging_snapshot(path: Path) -> Path:
    """The embedded snapshot with :data:`HIDDEN` left out of its recorded ``/openapi/v3`` answer."""
    lines = lzma.decompress(embedded_snapshot_path().read_bytes()).split(b"\n")
    for i, line in enumerate(lines[1:], start=1):
        if not line:
            continue
        entry = orjson.loads(line)
        if entry.get("path") == V3_INDEX_PATH:
            body = base64.b64decode(entry.pop("body_b64")) if "body_b64" in entry else entry["body"]
            index = orjson.loads(body)
            del index["paths"][HIDDEN]
            entry["body"] = orjson.dumps(index).decode()
            lines[i] = orjson.dumps(entry)
    path.write_bytes(lzma.compress(b"\n".join(lines)))
    return path


#: every page that needs the hidden group version's document
NOT_YET = (
    "/schema/apps/v1/Deployment",
    "/schema/apps/v1/Deployment/spec.replicas?recursive=1",
    "/op/apps/v1/readAppsV1NamespacedDeployment",
    "/try/apps/v1/readAppsV1NamespacedDeployment",
)


async def test_pages_of_an_unpublished_group_version_say_not_yet(tmp_path: Path) -> None:
    settings = Settings(mode="snapshot", snapshot=_lagging_snapshot(tmp_path / "lagging.jsonl.xz"))
    async with asgi_explorer(settings) as client:
        assert (await client.get("/g/apps/v1")).status_code == 200  # discovery lists it
        for page in NOT_YET:
            r = await client.get(page)
            assert r.status_code == 503, (page, r.text[:300])
            assert r.headers["retry-after"] == "2", page
            assert "has not published its OpenAPI document yet" in r.text, page
            assert "try again in a few seconds" in r.text and "Traceback" not in r.text, page
        other = await client.get("/schema/batch/v1/Job")  # the rest of the API is unaffected
        assert other.status_code == 200
