"""The guards and error pages every request meets, exercised on the real app in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from webexplorer.app import create_app
from webexplorer.settings import Settings
from webexplorer.web.guards import CONTENT_SECURITY_POLICY, HostAllowList, host_without_port


def client(app: FastAPI, host: str = "127.0.0.1:8080") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=f"http://{host}"
    )


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    """The app started as uvicorn starts it (the lifespan opens the explorer), on the embedded snapshot."""
    started = create_app(Settings(mode="snapshot", allowed_hosts=["explorer.example.com"]))
    async with started.router.lifespan_context(started):
        yield started


async def test_security_headers_on_pages(app: FastAPI) -> None:
    async with client(app) as c:
        r = await c.get("/")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text  # every script is an external file: the CSP forbids inline ones


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8080", "127.0.0.1.nip.io", "localhost.evil.example", ""]
)
async def test_unknown_host_is_refused(app: FastAPI, host: str) -> None:
    async with client(app) as c:
        r = await c.get("/", headers={"host": host})
    assert r.status_code == 421
    assert "--allowed-hosts" in r.text
    assert "webexplorer" not in r.text.lower() or "<html" not in r.text


@pytest.mark.parametrize(
    "host", ["localhost:8080", "127.0.0.1", "[::1]:8080", "explorer.example.com", "EXPLORER.example.com:443"]
)
async def test_known_hosts_are_served(app: FastAPI, host: str) -> None:
    async with client(app) as c:
        r = await c.get("/", headers={"host": host})
    assert r.status_code == 200


async def test_probes_answer_any_host(app: FastAPI) -> None:
    async with client(app) as c:
        r = await c.get("/healthz", headers={"host": "10.1.2.3:8080"})
    assert r.status_code == 200 and r.text == "ok\n"


async def test_unknown_path_is_a_page_not_a_traceback(app: FastAPI) -> None:
    async with client(app) as c:
        r = await c.get("/no/such/page", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "There is no page at /no/such/page" in r.text
    assert "Traceback" not in r.text


async def test_unexpected_error_shows_incident_not_traceback(app: FastAPI) -> None:
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom", boom)
    async with client(app) as c:
        r = await c.get("/boom", headers={"accept": "text/html"})
    assert r.status_code == 500
    assert "incident" in r.text
    assert "secret internal detail" not in r.text and "Traceback" not in r.text


async def test_vendored_htmx_is_served_locally(app: FastAPI) -> None:
    async with client(app) as c:
        r = await c.get("/static/vendor/htmx-2.0.11.min.js")
        sse = await c.get("/static/vendor/htmx-ext-sse-2.2.4.min.js")
    assert r.status_code == 200 and "htmx" in r.text
    assert sse.status_code == 200


def test_host_parsing() -> None:
    assert host_without_port("[::1]:8080") == "[::1]"
    assert host_without_port("Example.COM:443") == "example.com"
    assert HostAllowList(["*"]).allows("anything")
    assert not HostAllowList().allows(None)
