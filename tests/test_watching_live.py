"""Changes seen by watching, against the real control plane: a CRD created and deleted shows and goes
through the watches on CustomResourceDefinitions and APIServices (metadata only, with bookmarks), and
while nothing changes the explorer asks the API server nothing — counted from the server's own audit
log, beside an explorer that polls as before. The watch surviving an API-server restart is in
``tests/test_outage.py`` (that module kills its own control plane's API server).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

import httpx
import pytest

from bench._common import CRDS, crd_manifest
from tests.fixtures.asgi import asgi_explorer
from webexplorer.catalog.watching import METADATA_ACCEPT, METADATA_LIST_ACCEPT, CollectionWatch, WatchHooks
from webexplorer.cluster import Connection, load_kubeconfig
from webexplorer.cluster.client import USER_AGENT
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings
from webexplorer.source import Fetched, LineStream

WAIT = 60.0


def crd(group: str) -> dict[str, Any]:
    """A CRD with a small realistic schema, named ``gizmos.<group>`` (the benchmarks' generator)."""
    return crd_manifest(group, "Gizmo", fields=12)


async def until(check: Any, what: str) -> float:
    """Poll ``check`` (an async callable) until true, for up to WAIT seconds; the seconds it took."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > WAIT:
            raise AssertionError(f"timed out after {WAIT:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def explorer_requests(plane: ControlPlane, since: datetime, until_: datetime) -> list[dict[str, Any]]:
    """The explorer's requests (by User-Agent) the API server received in [since, until_), one each."""
    seen: dict[str, dict[str, Any]] = {}
    for event in plane.audit_events():
        if not str(event.get("userAgent", "")).startswith(USER_AGENT):
            continue
        received = datetime.fromisoformat(event["requestReceivedTimestamp"].replace("Z", "+00:00"))
        if since <= received < until_:
            seen.setdefault(event["auditID"], event)
    return list(seen.values())


@pytest.fixture
async def explorer(control_plane: ControlPlane) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_explorer(Settings(kubeconfig=str(control_plane.kubeconfig), mode="kubeconfig")) as c:
        yield c


def test_metadata_only_list_and_watch_are_served(control_plane: ControlPlane) -> None:
    """What the watches ask for, asked directly: the list, and the events of a watch from its
    resourceVersion, come as PartialObjectMetadata (names and versions, no schemas)."""
    group = f"m{uuid.uuid4().hex[:8]}.example.com"
    with control_plane.client() as admin:
        listed = admin.get(CRDS, headers={"Accept": METADATA_LIST_ACCEPT})
        assert listed.status_code == 200 and listed.json()["kind"] == "PartialObjectMetadataList"
        version = listed.json()["metadata"]["resourceVersion"]
        assert admin.post(CRDS, json=crd(group)).status_code == 201
        try:
            params = {
                "watch": "1",
                "resourceVersion": version,
                "allowWatchBookmarks": "true",
                "timeoutSeconds": "2",
            }
            with admin.stream("GET", CRDS, params=params, headers={"Accept": METADATA_ACCEPT}) as watch:
                assert watch.status_code == 200
                events = [json.loads(line) for line in watch.iter_lines() if line.strip()]
        finally:
            admin.delete(f"{CRDS}/gizmos.{group}")
    added = [
        e for e in events if e["type"] == "ADDED" and e["object"]["metadata"]["name"] == f"gizmos.{group}"
    ]
    assert added, events
    assert added[0]["object"]["kind"] == "PartialObjectMetadata"
    assert "spec" not in added[0]["object"]


async def test_a_crd_shows_and_goes_by_watch(
    control_plane: ControlPlane, explorer: httpx.AsyncClient
) -> None:
    home = (await explorer.get("/")).text
    assert "Watching CustomResourceDefinitions and APIServices" in home
    assert "webexplorer_catalog_watching 1.0" in (await explorer.get("/metrics")).text
    group = f"w{uuid.uuid4().hex[:8]}.example.com"
    with control_plane.client() as admin:
        created = admin.post(CRDS, json=crd(group))
        assert created.status_code == 201, created.text
        try:

            async def shown() -> bool:
                return (await explorer.get(f"/g/{group}")).status_code == 200

            seconds = await until(shown, "the new CRD's group page")
            print(f"new CRD shown by watch after {seconds:.2f} s")
            # the OpenAPI aggregator may publish the group version's document a little after discovery
            # lists it: until then the schema page says so (503, Retry-After), never "no such schema"
            answers: list[httpx.Response] = []

            async def schema_shown() -> bool:
                answers.append(await explorer.get(f"/schema/{group}/v1/Gizmo"))
                return answers[-1].status_code == 200

            seconds = await until(schema_shown, "the new CRD's schema page")
            print(f"its schema shown {seconds:.2f} s later, after {len(answers) - 1} answers of 503")
            for waiting in answers[:-1]:
                assert waiting.status_code == 503, waiting.text
                assert waiting.headers["retry-after"] == "2"
                assert "has not published its OpenAPI document yet" in waiting.text
        finally:
            admin.delete(f"{CRDS}/gizmos.{group}")

        async def gone() -> bool:
            return (await explorer.get(f"/g/{group}")).status_code == 404

        await until(gone, "the deleted CRD's group page to go")


@pytest.mark.parametrize(
    "window", [pytest.param(10.0, id="10s"), pytest.param(60.0, id="60s", marks=pytest.mark.slow)]
)
async def test_idle_explorer_asks_nothing_while_watching(control_plane: ControlPlane, window: float) -> None:
    """The same idle window, polling (as before) and watching, from the API server's audit log."""
    counts: dict[str, int] = {}
    for changes in ("poll", "watch"):
        settings = Settings(kubeconfig=str(control_plane.kubeconfig), mode="kubeconfig", changes=changes)
        async with asgi_explorer(settings) as client:
            assert (await client.get("/")).status_code == 200
            await asyncio.sleep(2.0)  # start-up's own requests (catalog, search index) are done
            since = datetime.now().astimezone()
            await asyncio.sleep(window)
            end = datetime.now().astimezone()
        await asyncio.sleep(1.0)  # the audit log is written asynchronously
        requests = explorer_requests(control_plane, since, end)
        counts[changes] = len(requests)
        per_minute = len(requests) * 60 / window
        paths = sorted({r["requestURI"].split("?")[0] for r in requests})
        print(f"{changes}: {len(requests)} requests in {window:g} s idle ({per_minute:.0f}/min): {paths}")
    assert counts["poll"] >= window  # three conditional GETs a second
    assert counts["watch"] <= 2, counts  # at most a watch the server ended and its successor


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param(None, id="no-rights"),
        pytest.param(
            [
                {
                    "apiGroups": ["apiextensions.k8s.io"],
                    "resources": ["customresourcedefinitions"],
                    "verbs": ["list"],
                },
                {"apiGroups": ["apiregistration.k8s.io"], "resources": ["apiservices"], "verbs": ["list"]},
            ],
            id="list-not-watch",
        ),
    ],
)
async def test_an_identity_that_may_not_watch_polls(
    service_account: Any, in_cluster_layout: Any, rules: list[dict[str, Any]] | None
) -> None:
    """The pod's service account may not watch: the explorer says so on its home page and polls."""
    account = service_account(cluster_rules=rules) if rules else service_account()
    layout = in_cluster_layout(account, set_env=True)
    settings = Settings(mode="in-cluster", serviceaccount_dir=layout.directory)
    async with asgi_explorer(settings) as client:

        async def polling() -> bool:
            page = (await client.get("/")).text
            return "Checking discovery every 1 s (the explorer may not watch" in page

        await until(polling, "the home page to say the explorer polls")
        page = (await client.get("/")).text
        assert "answered HTTP 403" in page
        assert "Watching CustomResourceDefinitions" not in page
        before = await unchanged_checks(client)

        async def checking() -> bool:
            return await unchanged_checks(client) >= before + 2

        await until(checking, "the fallback polling to check discovery")
        assert "webexplorer_catalog_watching 0.0" in (await client.get("/metrics")).text


async def unchanged_checks(client: httpx.AsyncClient) -> float:
    """``webexplorer_catalog_refreshes_total{result="unchanged"}`` from ``/metrics``."""
    text = (await client.get("/metrics")).text
    found = re.search(r'^webexplorer_catalog_refreshes_total\{result="unchanged"\} ([0-9.e+]+)$', text, re.M)
    assert found, text[-2000:]
    return float(found.group(1))


class _GoneOnce:
    """The one stand-in here: a source whose first watch sends ``410 Gone`` as an ERROR event. The real
    server sends that only once its watch cache has rolled past the version (at least 75 s of events, and
    an old version is otherwise still served: watching from resourceVersion 1 on a fresh server answers
    with a bookmark), which no test can wait for; what happens after the 410 runs against the real
    server (``real``)."""

    label = "gone once"

    def __init__(self, real: Connection) -> None:
        self.real = real
        self.gone_sent = False

    async def fetch(self, path: str, *, accept: str = "application/json", etag: str | None = None) -> Fetched:
        return await self.real.fetch(path, accept=accept, etag=etag)

    @contextlib.asynccontextmanager
    async def watch(self, path: str, *, accept: str, params: Mapping[str, str]) -> AsyncIterator[LineStream]:
        if self.gone_sent:
            async with self.real.watch(path, accept=accept, params=params) as stream:
                yield stream
            return
        self.gone_sent = True
        yield _Lines(
            [json.dumps({"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}})]
        )


class _Lines:
    status = 200

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    async def aiter_lines(self) -> AsyncIterator[str]:
        for line in self.lines:
            yield line

    async def aread(self) -> bytes:
        return b""


async def test_410_gone_in_the_stream_relists(control_plane: ControlPlane) -> None:
    """After ``410 Gone`` inside the watch, the collection is listed again (from the real server), the
    list compared with what was known (a difference is a change), and the watch resumes from the list."""
    changes: list[str] = []
    failures: list[str] = []
    async with Connection.from_kubeconfig(load_kubeconfig([control_plane.kubeconfig])) as conn:
        watch = CollectionWatch(
            _GoneOnce(conn),
            CRDS,
            "CustomResourceDefinitions",
            WatchHooks(changes.append, lambda: None, failures.append),
            known={"gone.example.com": "1"},  # an object deleted while the watch could not see it
            resource_version="1",
        )
        task = asyncio.create_task(watch.run())
        try:

            async def relisted() -> bool:
                return watch.lists == 1 and watch.streaming

            await until(relisted, "the watch to relist and stream again")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert watch.watches == 2 and watch.resource_version not in (None, "1")
    assert "gone.example.com" not in (watch.known or {})
    assert changes == ["CustomResourceDefinitions differ from the last list"]
    assert failures == []
