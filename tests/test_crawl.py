"""Crawl: follow every link (and every htmx ``hx-get``) from the home page and fail on any page that
does not answer 200, against a real explorer on the real control plane.

The normal run stays inside one group (``batch``: its group, version, resource, operation, schema and
raw pages, schema fields to three levels); ``-m slow`` crawls everything. Each page's ``Server-Timing``
is recorded and the slowest five are printed, with the count of pages crawled.
"""

from __future__ import annotations

import html
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.fixtures.server import ExplorerProcess
from webexplorer.sandbox.controlplane import ControlPlane

LINK = re.compile(r'(href|hx-get)="([^"]*)"')
TIMING = re.compile(r"app;dur=([0-9.]+)")


@dataclass
class CrawlResult:
    pages: dict[str, float] = field(default_factory=dict)  # url → server milliseconds
    failures: list[str] = field(default_factory=list)

    def slowest(self, n: int = 5) -> list[tuple[str, float]]:
        return sorted(self.pages.items(), key=lambda kv: -kv[1])[:n]

    def report(self, title: str) -> str:
        lines = [f"{title}: {len(self.pages)} pages crawled, {len(self.failures)} failing; slowest five:"]
        lines += [f"  {ms:8.2f} ms  {url}" for url, ms in self.slowest()]
        lines += [f"  failing: {f}" for f in self.failures[:30]]
        return "\n".join(lines)


def crawl(base: str, in_scope: Callable[[str], bool], *, max_pages: int, max_seconds: float) -> CrawlResult:
    """Breadth-first from ``/``; bounded in pages and time (a runaway link scheme fails, not hangs)."""
    result = CrawlResult()
    seen = {"/"}
    queue: deque[tuple[str, bool]] = deque([("/", False)])
    deadline = time.monotonic() + max_seconds
    with httpx.Client(base_url=base, timeout=60, headers={"accept": "text/html"}) as client:
        while queue:
            assert len(result.pages) < max_pages, f"more than {max_pages} pages: the crawl does not converge"
            assert time.monotonic() < deadline, f"crawl took longer than {max_seconds} s"
            url, htmx = queue.popleft()
            # an hx-get is fetched as htmx fetches it (same-origin, HX-Request), a link as a navigation
            headers = {"hx-request": "true", "sec-fetch-site": "same-origin"} if htmx else {}
            r = client.get(url, headers=headers)
            m = TIMING.search(r.headers.get("server-timing", ""))
            result.pages[url] = float(m.group(1)) if m else -1.0
            if r.status_code != 200:
                result.failures.append(f"{r.status_code} {url}")
                continue
            if not r.headers.get("content-type", "").startswith("text/html"):
                continue
            for attr, raw in LINK.findall(r.text):
                link = urljoin(url, html.unescape(raw)).split("#", 1)[0]
                parts = urlsplit(link)
                if parts.scheme or parts.netloc or not link.startswith("/") or link.startswith("/static/"):
                    continue
                if link not in seen and in_scope(link):
                    seen.add(link)
                    queue.append((link, attr == "hx-get"))
    return result


def batch_only(url: str) -> bool:
    """One group's worth: ``batch`` everywhere it appears, schema fields to three levels; the other views
    of a schema page (``?format=text|json``, ``?recursive=1``: the same facts, another rendering) of kinds
    and definitions only, which every view's code path meets (the full crawl, ``-m slow``, takes all)."""
    parts = urlsplit(url)
    path = parts.path
    if path.startswith("/schema/batch/"):
        segs = path.split("/")
        if "format=" in parts.query or "recursive=" in parts.query:
            return len(segs) <= 5
        return len(segs) <= 5 or segs[5].count(".") < 3
    return path.startswith(("/g/batch", "/op/batch/", "/raw/apis/batch")) or path == "/raw/"


@pytest.fixture
def explorer(
    control_plane: ControlPlane, explorer_factory: Callable[..., ExplorerProcess]
) -> ExplorerProcess:
    return explorer_factory(args=["--kubeconfig", str(control_plane.kubeconfig)])


def test_crawl_one_group(explorer: ExplorerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    result = crawl(explorer.url, batch_only, max_pages=6000, max_seconds=600)  # ~4,500 today
    with capsys.disabled():
        print("\n" + result.report("crawl of batch"))
    assert result.failures == []
    assert len(result.pages) > 100
    assert any(u.startswith("/op/batch/v1/") for u in result.pages)
    assert any(u.startswith("/schema/batch/v1/Job/spec.template") for u in result.pages)


@pytest.mark.slow
def test_crawl_everything(explorer: ExplorerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    """Every page reachable from home, schema fields to four levels (deeper ones are the same pages
    with more opened, and their count grows with every kind's depth)."""

    def everything(url: str) -> bool:
        path = urlsplit(url).path
        if path.startswith("/schema/"):
            segs = path.split("/")
            return len(segs) <= 5 or segs[5].count(".") < 4
        return True

    result = crawl(explorer.url, everything, max_pages=200_000, max_seconds=3000)
    with capsys.disabled():
        print("\n" + result.report("full crawl"))
    assert result.failures == []
