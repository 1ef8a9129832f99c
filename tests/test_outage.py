"""Through an API-server outage, against a real control plane of this module's own (its API server is
killed and restarted, which the rest of the session must not see): raw documents from the last good
copy, and the change watches recovering.

While the server is down, ``/raw/...`` serves the last good copy the explorer holds — the catalog's
documents (aggregated discovery, the OpenAPI v3 index and every v3 document the search index loaded)
and whatever a raw page fetched before — as the server sent it (compared with what the real server
served before it went down), labelled as a copy with its age and the reason, in the page and in the
response headers, for ``?download=1`` too; a document never seen answers 503 in one sentence. Once the
server is back the same pages are live again. A restart in the middle of the watches is noticed and
recovered from: a CRD created afterwards shows by watch, with no polling taking over. The bounds of
the copies are unit-tested below on :class:`~webexplorer.catalog.copies.KeptCopies` alone.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import orjson
import pytest

from bench._common import CRDS
from tests.test_watching_live import crd, until
from webexplorer.app import create_app
from webexplorer.catalog.copies import CopyingSource, KeptCopies
from webexplorer.catalog.discovery import AGGREGATED_ACCEPT
from webexplorer.explorer import Explorer
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings
from webexplorer.source import Fetched, SourceError
from webexplorer.web.rawcache import COPY_HEADER
from webexplorer.web.state import ATTRIBUTE, AppState

WAIT = 60.0


@dataclass
class Running:
    client: httpx.AsyncClient
    explorer: Explorer


@pytest.fixture
async def running(own_control_plane: ControlPlane) -> AsyncIterator[Running]:
    """The real app, lifespan and all, on the module's control plane, in process (no socket)."""
    settings = Settings(kubeconfig=str(own_control_plane.kubeconfig), mode="kubeconfig", request_timeout=3)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        state = getattr(app.state, ATTRIBUTE)
        assert isinstance(state, AppState)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=30) as c:
            yield Running(c, state.slot.explorer)


def _document_text(page: str) -> str:
    """The text of the page's ``<pre id="document">`` (links unwrapped, entities decoded)."""
    found = re.search(r'<pre class="json" id="document"[^>]*>(.*?)</pre>', page, re.S)
    assert found, page[:2000]
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


async def test_raw_documents_from_the_last_good_copy(
    own_control_plane: ControlPlane, running: Running
) -> None:
    plane, client, explorer = own_control_plane, running.client, running.explorer
    await explorer.store.wait_index()  # the search index has loaded every v3 document: all are copies now
    catalog = explorer.store.catalog
    assert catalog.v3_index is not None
    apps = catalog.v3_index.entry_for("apps", "v1")
    assert apps is not None
    # what the real server serves, read beside the explorer before the outage
    with plane.client() as admin:
        served = {
            "/apis?aggregated=1": admin.get("/apis", headers={"Accept": AGGREGATED_ACCEPT}).content,
            "/openapi/v3": admin.get("/openapi/v3").content,
            "/openapi/v3/apis/apps/v1": admin.get(apps.url).content,
            "/version": admin.get("/version").content,
            "/apis/batch/v1": admin.get("/apis/batch/v1").content,
        }
    # a raw page the visitor saw before (the catalog itself never reads the plain resource list)
    live = await client.get("/raw/apis/batch/v1")
    assert live.status_code == 200 and COPY_HEADER not in live.headers
    assert "A copy, not a live answer" not in live.text

    metrics = (await client.get("/metrics")).text
    held = re.search(r"^webexplorer_document_copies_bytes ([0-9.e+]+)$", metrics, re.M)
    copies = explorer.copies
    assert copies is not None and held and float(held.group(1)) == copies.bytes > 0, metrics[-1500:]
    print(f"copies held: {len(copies)} documents, {copies.bytes / 2**20:.1f} MiB")

    outage_started = time.time()
    plane.stop_apiserver(kill=True)
    try:
        for path, body in served.items():
            raw_path, _, query = path.partition("?")
            url = f"/raw{raw_path}" + (f"?{query}" if query else "")
            page = await client.get(url)
            assert page.status_code == 200, (path, page.text[:500])
            assert "A copy, not a live answer" in page.text, path
            notice = re.search(r"<p class=\"notice notice-warn\" id=\"raw-copy\">(.*?)</p>", page.text, re.S)
            assert notice, path
            assert re.search(
                r"ago, at <time datetime=.*Why there is no live answer: .*refused", notice.group(1), re.S
            )
            header = page.headers[COPY_HEADER]
            age = int(page.headers["age"])
            assert 0 <= age <= time.time() - outage_started + WAIT, (path, age)
            assert re.fullmatch(r'saved=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; age=\d+; reason="[^"]+"', header), (
                header
            )
            assert orjson.loads(_document_text(page.text)) == orjson.loads(body), path
            download = await client.get(url + ("&" if query else "?") + "download=1")
            assert download.status_code == 200 and COPY_HEADER in download.headers, path
            assert "attachment" in download.headers["content-disposition"]
            assert orjson.loads(download.content) == orjson.loads(body), path

        never_seen = await client.get("/raw/apis/storage.k8s.io/v1")
        assert never_seen.status_code == 503
        assert "never seen this document" in never_seen.text
        plain = await client.get("/raw/apis/storage.k8s.io/v1", headers={"Accept": "text/plain"})
        assert plain.status_code == 503 and plain.text.strip().count(". ") == 0, plain.text  # one sentence
        assert (await client.get("/")).status_code == 200  # the rest keeps answering from the catalog
    finally:
        plane.start_apiserver()

    async def live_again() -> bool:
        page = await client.get("/raw/apis/batch/v1")
        return page.status_code == 200 and COPY_HEADER not in page.headers

    await until(live_again, "raw pages to be live again after the restart")
    fresh = await client.get("/raw/openapi/v3/apis/apps/v1")
    assert fresh.status_code == 200 and COPY_HEADER not in fresh.headers
    assert "A copy, not a live answer" not in fresh.text
    assert (await client.get("/raw/apis/storage.k8s.io/v1")).status_code == 200


async def test_watches_recover_from_an_api_server_restart(
    own_control_plane: ControlPlane, running: Running
) -> None:
    plane, client, store = own_control_plane, running.client, running.explorer.store

    async def streaming() -> bool:
        return store.watching and all(w.streaming for w in store.watchers)

    await until(streaming, "both change watches to stream")
    watches_before = sum(w.watches for w in store.watchers)
    plane.stop_apiserver(kill=True)
    try:

        async def broken() -> bool:
            return not any(w.streaming for w in store.watchers)

        await until(broken, "the watches to notice the API server is gone")
        assert store.last_error is not None

        async def said_on_home() -> bool:
            return "reconnecting: the API server does not answer now" in (await client.get("/")).text

        await until(said_on_home, "the home page to say the watches reconnect")
    finally:
        plane.start_apiserver()
    await until(streaming, "the watches to stream again after the restart")
    assert store.watching and store.watch_problem is None  # still watching, not polling
    assert sum(w.watches for w in store.watchers) > watches_before

    async def recovered() -> bool:
        return store.last_error is None

    await until(recovered, "the store to say the API server answers again")
    group = f"r{uuid.uuid4().hex[:8]}.example.com"
    with plane.client() as admin:
        assert admin.post(CRDS, json=crd(group)).status_code == 201
        try:

            async def shown() -> bool:
                return (await client.get(f"/g/{group}")).status_code == 200

            print(f"new CRD shown after the restart in {await until(shown, 'the new CRD'):.2f} s")
        finally:
            admin.delete(f"{CRDS}/gizmos.{group}")
    assert store.refresh_counts["failed"] >= 1  # the watches' failed attempts in the outage count


# ------------------------------------------------------------------------------- the copies alone


class _Answers:
    """A source answering from a dict: the one stand-in here, for bounds no real server can force."""

    label = "answers"

    def __init__(self) -> None:
        self.answers: dict[str, Fetched] = {}

    async def fetch(self, path: str, *, accept: str = "application/json", etag: str | None = None) -> Fetched:
        got = self.answers.get(path)
        if got is None:
            raise SourceError("The test source has no answer.")
        if etag is not None and got.etag == etag:
            return Fetched(304, b"", got.headers)
        return got


async def test_copies_are_bounded_and_renewed_only_by_their_own_etag() -> None:
    inner = _Answers()
    source = CopyingSource(inner, KeptCopies(budget_bytes=1000, max_copies=3))
    for i in range(4):
        inner.answers[f"/d{i}"] = Fetched(200, b"x" * 300, {"etag": f'"{i}"'})
        await source.fetch(f"/d{i}")
    assert len(source.copies) == 3 and source.copies.bytes == 900  # the oldest went
    assert source.copies.get("/d0") is None
    kept = source.copies.get("/d3")
    assert kept is not None
    before = kept.confirmed_at
    await asyncio.sleep(0.01)
    await source.fetch("/d3", etag='"other"')  # a 200 again (another ETag): a new copy
    await source.fetch("/d3", etag='"3"')  # 304 to the copy's ETag: renewed
    renewed = source.copies.get("/d3")
    assert renewed is not None and renewed.confirmed_at > before
    inner.answers["/big"] = Fetched(200, b"y" * 5000)
    await source.fetch("/big")  # heavier than the whole budget: kept alone
    assert len(source.copies) == 1 and source.copies.get("/big") is not None
    inner.answers["/gone"] = Fetched(404, b"{}")
    await source.fetch("/gone")
    assert source.copies.get("/gone") is None  # only documents are copies
    assert source.copies.get("/big", AGGREGATED_ACCEPT) is None  # by Accept too
