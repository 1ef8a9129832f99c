"""Schema pages show facts in every view, in-process against the embedded snapshot (a real v1.37.2 API).

Fast checks of the views themselves — the HTML tree, the whole tree, ``?format=text`` and
``?format=json`` — and of bad input; that the facts are complete and true is tested against the real
API server (tests/test_facts_walk.py, tests/test_facts_fidelity.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from webexplorer.app import create_app
from webexplorer.settings import Settings

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=", re.IGNORECASE)


@pytest.fixture(scope="module")
async def app() -> AsyncIterator[FastAPI]:
    app = create_app(Settings(mode="snapshot"))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


async def test_field_page_lists_merge_rules_patch_and_item_facts(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/core/v1/Service/spec.ports")
    assert r.status_code == 200 and not INLINE.search(r.text)
    li = r.text[
        r.text.index('id="spec.ports"') : r.text.index(
            '<div class="children">', r.text.index('id="spec.ports"')
        )
    ]
    assert "items are merged by <code>port</code> and <code>protocol</code>" in li
    assert "strategic merge patch: merge" in li
    assert '<span class="fact-scope">each item:</span>' in li and "required fields: <code>port</code>" in li
    links = ("?format=text", "?format=json&amp;recursive=1", "/Service/spec.ports?recursive=1")
    assert all(link in r.text for link in links)


async def test_immutable_badge_and_int_or_string(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/core/v1/Pod/spec.containers")
    assert 'class="badge badge-immutable"' in r.text  # "Cannot be updated." in the description
    port = await client.get("/schema/core/v1/Service/spec.ports.targetPort")
    assert "an integer or a string" in port.text


async def test_whole_tree_opens_every_level(client: httpx.AsyncClient) -> None:
    one = await client.get("/schema/apps/v1/Deployment/spec.strategy")
    whole = await client.get("/schema/apps/v1/Deployment/spec.strategy?recursive=1")
    assert 'id="spec.strategy.rollingUpdate.maxSurge"' not in one.text
    assert 'id="spec.strategy.rollingUpdate.maxSurge"' in whole.text
    assert "every level below is open" in whole.text
    pod_page = await client.get("/schema/core/v1/Pod")
    assert re.search(r'class="below muted"[^>]*>[1-9]\d* constraints below</span>', pod_page.text)
    pod = await client.get("/schema/core/v1/Pod?recursive=1")
    assert 'id="spec.containers.securityContext.capabilities.add"' in pod.text


async def test_text_and_json_views(client: httpx.AsyncClient) -> None:
    text = await client.get("/schema/core/v1/Service/spec.ports?format=text")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text.startswith("KIND:       Service\nVERSION:    v1\n\nFIELD: ports <[]ServicePort>")
    assert "ENFORCED:" in text.text and "  port\t<integer> -required-" in text.text
    recursive = await client.get("/schema/core/v1/Pod?format=text&recursive=1")
    assert "\n      securityContext\t<SecurityContext>" in recursive.text
    data = (await client.get("/schema/core/v1/Service/spec.ports?format=json")).json()
    assert data["kind"] == {"group": "", "version": "v1", "kind": "Service"} and data["path"] == "spec.ports"
    (merge,) = [f for f in data["facts"] if f["kind"] == "list-type"]
    assert set(merge["keywords"]) == {"x-kubernetes-list-type", "x-kubernetes-list-map-keys"}
    protocol = next(f for f in data["fields"] if f["name"] == "protocol")
    assert {"kind": "default", "value": '"TCP"'}.items() <= next(
        f for f in protocol["facts"] if f["kind"] == "default"
    ).items()


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/schema/core/v1/Pod?format=xml", 400, "format=text or format=json"),
        ("/schema/core/v1/Pod/spec.nosuch?format=json", 404, "has no field"),
        ("/schema/core/v1/Pod/a%20b?format=text", 400, "not a valid field path"),
    ],
)
async def test_bad_views_are_clear_errors(
    client: httpx.AsyncClient, url: str, status: int, says: str
) -> None:
    r = await client.get(url)
    assert r.status_code == status and says in r.text and "Traceback" not in r.text


async def test_search_finds_fields_by_their_facts(app: FastAPI, client: httpx.AsyncClient) -> None:
    await app.state.webexplorer.explorer.store.wait_index()
    r = await client.get("/search", params={"q": "immutable"})
    assert r.text.count("found by its facts") >= 20  # "Cannot be updated." in built-in descriptions
    merge = await client.get("/search", params={"q": "list-map-keys"})
    assert "found by its facts" in merge.text
