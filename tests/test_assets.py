"""The explorer's static files: from memory, versioned URLs cached for good, gzip only when asked for.

Every assertion here is about what a browser or a proxy sees: the bytes decompress to the file on disk,
the URL a page links names the current content, and nothing outside the static directory is reachable.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fixtures.asgi import asgi_explorer
from webexplorer.settings import Settings
from webexplorer.web.assets import ASSETS, IMMUTABLE, STATIC_DIR, accepts_gzip, static_url

SNAPSHOT = Settings(mode="snapshot")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_explorer(SNAPSHOT) as c:
        yield c


async def test_every_static_url_on_a_page_names_the_current_content(client: httpx.AsyncClient) -> None:
    page = await client.get("/op/core/v1/createCoreV1NamespacedPod")
    urls = re.findall(r'="(/static/[^"]+)"', page.text)
    assert {u.split("?")[0] for u in urls} >= {
        "/static/app.css",
        "/static/app.js",
        "/static/favicon.svg",
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/vendor/htmx-ext-sse-2.2.4.min.js",
    }
    for url in urls:
        name, _, version = url.removeprefix("/static/").partition("?v=")
        assert (STATIC_DIR / name).read_bytes() == ASSETS[name].body
        answer = await client.get(url, headers={"accept-encoding": "identity"})
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == IMMUTABLE, url
        assert answer.content == (STATIC_DIR / name).read_bytes()
        assert version == ASSETS[name].digest


async def test_gzip_only_for_browsers_that_take_it(client: httpx.AsyncClient) -> None:
    url = static_url("vendor/htmx-2.0.11.min.js")
    on_disk = (STATIC_DIR / "vendor/htmx-2.0.11.min.js").read_bytes()
    for header in ("gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*"):
        raw = await client.get(url, headers={"accept-encoding": header})
        assert raw.headers.get("content-encoding") == "gzip", header
        assert raw.headers["vary"] == "Accept-Encoding"
        assert raw.content == on_disk  # httpx decodes it: the same bytes as the file
        assert int(raw.headers["content-length"]) < len(on_disk) / 2
    for header in ("identity", "gzip;q=0", "br", ""):
        plain = await client.get(url, headers={"accept-encoding": header})
        assert "content-encoding" not in plain.headers, header
        assert plain.content == on_disk


async def test_pages_are_never_compressed(client: httpx.AsyncClient) -> None:
    """A page carries a CSRF token next to text the visitor chose: compressing it invites BREACH."""
    page = await client.get("/search?q=replicas", headers={"accept-encoding": "gzip"})
    assert page.status_code == 200 and "content-encoding" not in page.headers


async def test_revalidation_and_unversioned_urls(client: httpx.AsyncClient) -> None:
    asset = ASSETS["app.css"]
    stale = await client.get("/static/app.css?v=0000")
    assert stale.status_code == 200 and "immutable" not in stale.headers["cache-control"]
    assert stale.headers["etag"] == asset.etag
    again = await client.get("/static/app.css", headers={"if-none-match": asset.etag})
    assert again.status_code == 304 and again.content == b""
    head = await client.head(static_url("app.css"), headers={"accept-encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(asset.body)


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2fsettings.py",
        "/static/vendor/../../templates/base.html",
        "/static/nope.css",
        "/static/vendor/README.md",
        "/static/",
    ],
)
async def test_nothing_else_is_reachable(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 404
    assert "import" not in answer.text and "{%" not in answer.text


def test_accept_encoding_parsing() -> None:
    assert accepts_gzip("gzip")
    assert accepts_gzip("deflate, GZIP;q=0.8")
    assert accepts_gzip("*;q=0.1")
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("gzip;q=0.000")
    assert not accepts_gzip("gzip;q=nonsense")
    assert not accepts_gzip("br, deflate")
    assert not accepts_gzip("")
