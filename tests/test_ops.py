"""Operations: probes, ``/metrics``, JSON logs and graceful shutdown — against the real control plane.

No timing assertions: where something has to happen "eventually" (the API server going away shows on
``/readyz`` after a few refresh intervals) the test waits for it with a bounded deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.fixtures.asgi import asgi_explorer
from tests.fixtures.server import ExplorerProcess
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.kubectl_proxy import KubectlProxy
from webexplorer.settings import Settings


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus text (0 when absent)."""
    for line in metrics.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")])) if "{" in line else {}
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_probes_and_metrics(control_plane: ControlPlane) -> None:
    async with asgi_explorer(Settings(kubeconfig=str(control_plane.kubeconfig), mode="kubeconfig")) as c:
        assert (await c.get("/healthz")).text == "ok\n"
        ready = await c.get("/readyz", headers={"host": "10.1.2.3:8080"})  # the kubelet probes the pod IP
        assert ready.status_code == 200 and ready.text == "ok\n"
        for path in ("/", "/g/apps", "/g/apps/v1", "/g/batch/v1", "/no/such/page"):
            await c.get(path)
        await c.get("/", headers={"host": "evil.example"})  # refused by the Host guard: counted too
        before = (await c.get("/metrics")).text
        app_state = c._transport.app.state.webexplorer  # type: ignore[attr-defined]
        await app_state.explorer.store.refresh()  # one more background check, as the loop would do
        response = await c.get("/metrics", headers={"host": "10.1.2.3:8080"})  # Prometheus scrapes the pod IP
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    # requests by route *template* and status; raw paths never become labels
    assert sample(text, "webexplorer_http_requests_total", route="/g/{group}", status="200") >= 1
    assert sample(text, "webexplorer_http_requests_total", route="/g/{group}/{version}", status="200") >= 2
    assert sample(text, "webexplorer_http_requests_total", route="unmatched", status="404") >= 1
    assert sample(text, "webexplorer_http_requests_total", route="unmatched", status="421") >= 1
    assert 'route="/g/apps"' not in text and "/no/such/page" not in text
    assert sample(text, "webexplorer_http_request_duration_seconds_count", route="/") >= 1
    # the API server's side: discovery and OpenAPI reads, SelfSubjectReview
    assert (
        sample(text, "webexplorer_upstream_request_duration_seconds_count", method="GET", status="2xx") >= 1
    )
    assert (
        sample(text, "webexplorer_upstream_request_duration_seconds_count", method="POST", status="2xx") >= 1
    )
    # catalog refreshes: the start-up build and the extra check
    assert sample(text, "webexplorer_catalog_refreshes_total", result="changed") >= 1
    unchanged_before = sample(before, "webexplorer_catalog_refreshes_total", result="unchanged")
    assert sample(text, "webexplorer_catalog_refreshes_total", result="unchanged") == unchanged_before + 1
    assert sample(text, "webexplorer_catalog_generation") >= 1
    assert sample(text, "webexplorer_ready") == 1
    assert "webexplorer_watches_open 0.0" in text
    assert sample(text, "webexplorer_info", mode="kubeconfig") == 1
    assert "process_resident_memory_bytes" in text
    assert control_plane.admin_token not in text


async def test_readyz_fails_when_the_api_server_stops_answering(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    """Readiness is "catalog loaded and API server answering", from the background checks' last
    success: stop the only way to the server (a kubectl proxy) and /readyz turns 503 with the reason."""
    proxy = KubectlProxy(control_plane.kubectl, control_plane.kubeconfig, tmp_path / "proxy.log")
    await asyncio.to_thread(proxy.start)
    try:
        settings = Settings(
            server=proxy.url, mode="server", refresh_interval=0.2, ready_timeout=1, request_timeout=1
        )
        async with asgi_explorer(settings) as c:
            assert (await c.get("/readyz")).status_code == 200
            await asyncio.to_thread(proxy.stop)
            for _ in range(300):  # a bounded wait (about a minute), not a timing assertion
                ready = await c.get("/readyz")
                if ready.status_code != 200:
                    break
                await asyncio.sleep(0.2)
            assert ready.status_code == 503
            assert "has not answered" in ready.text
            assert (await c.get("/healthz")).status_code == 200  # alive: no restart for a cluster outage
            # readiness turns on the age of the last success; the check in flight then may still be
            # waiting for its timeout on a busy machine, so its failure is counted a moment later
            for _ in range(50):  # bounded (about 10 s), not a timing assertion
                metrics = (await c.get("/metrics")).text
                if sample(metrics, "webexplorer_catalog_refreshes_total", result="failed") >= 1:
                    break
                await asyncio.sleep(0.2)
            assert sample(metrics, "webexplorer_ready") == 0
            assert sample(metrics, "webexplorer_catalog_refreshes_total", result="failed") >= 1
            assert sample(metrics, "webexplorer_upstream_request_duration_seconds_count", status="error") >= 1
    finally:
        await asyncio.to_thread(proxy.stop)


async def test_readyz_stays_ready_through_a_short_outage(
    control_plane: ControlPlane, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With the default settings (a check every second) a few seconds without the API server change
    nothing a Service would see: /readyz stays 200, pages are served from the last catalog, the failed
    checks are counted but logged once, and the first answer afterwards is noted."""
    proxy = KubectlProxy(control_plane.kubectl, control_plane.kubeconfig, tmp_path / "proxy.log")
    await asyncio.to_thread(proxy.start)
    assert proxy.port is not None
    again = KubectlProxy(control_plane.kubectl, control_plane.kubeconfig, tmp_path / "again.log", proxy.port)
    caplog.set_level(logging.INFO, logger="webexplorer")
    try:
        async with asgi_explorer(Settings(server=proxy.url, mode="server")) as c:
            assert (await c.get("/readyz")).status_code == 200
            await asyncio.to_thread(proxy.stop)
            failed = 0.0
            for _ in range(600):  # until three checks have failed (about 7 s with the backoff), bounded
                metrics = (await c.get("/metrics")).text
                failed = sample(metrics, "webexplorer_catalog_refreshes_total", result="failed")
                ready = await c.get("/readyz")
                assert ready.status_code == 200, ready.text  # never unready during a short outage
                if failed >= 3:
                    break
                await asyncio.sleep(0.1)
            assert failed >= 3
            assert sample(metrics, "webexplorer_ready") == 1
            assert (await c.get("/g/apps")).status_code == 200  # the last good catalog still serves
            await asyncio.to_thread(again.start)
            for _ in range(600):  # until a check succeeds again (the backoff is at most 8 s), bounded
                if "answers again" in caplog.text:
                    break
                await asyncio.sleep(0.1)
            assert (await c.get("/readyz")).status_code == 200
    finally:
        await asyncio.to_thread(proxy.stop)
        await asyncio.to_thread(again.stop)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    refresh_warnings = [m for m in warnings if "catalog refresh" in m]
    # one line for the outage, not one per check: a later line only when the reason changed (the watch's
    # stream is reset when the proxy goes, the next check finds nothing listening), never the same twice
    assert refresh_warnings and "catalog refresh failed" in refresh_warnings[0], warnings
    assert "last good catalog" in refresh_warnings[0]
    assert all(m.startswith("catalog refresh still failing, now:") for m in refresh_warnings[1:]), warnings
    assert len(set(refresh_warnings)) == len(refresh_warnings) <= 3, warnings
    assert any("answers again after" in r.getMessage() for r in caplog.records), caplog.text


def test_json_logs_and_graceful_shutdown_closing_a_watch(
    control_plane: ControlPlane, explorer_factory: Callable[..., ExplorerProcess]
) -> None:
    """With --log-json every line the process writes is JSON; on SIGTERM an open try-it watch gets its
    "end" event (the server stops it before waiting for open requests) and the process ends cleanly."""
    ex = explorer_factory(
        ["--kubeconfig", str(control_plane.kubeconfig), "--mode", "kubeconfig", "--log-json"]
    )
    with httpx.Client(base_url=ex.url, timeout=30) as visitor:
        form = visitor.get("/try/core/v1/listCoreV1NamespacedConfigMap")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None, form.text
        sent = visitor.post(
            "/try/core/v1/listCoreV1NamespacedConfigMap",
            data={"csrf": csrf.group(1), "p.namespace": "default", "q.watch": "true"},
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        found = re.search(r'sse-connect="(/try/watch/[^"]+)"', sent.text)
        assert found is not None, sent.text
        events: list[str] = []
        with visitor.stream("GET", found.group(1), timeout=httpx.Timeout(30, read=60)) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            for line in lines:  # wait until the watch is connected upstream
                if line.startswith("event:"):
                    events.append(line)
                    break
            assert visitor.get("/metrics").text.count("webexplorer_watches_open 1.0") == 1
            ex.process.send_signal(signal.SIGTERM)
            for line in lines:
                if line.startswith("event:"):
                    events.append(line)
                if line.startswith("data:") and "Stopped." in line:
                    break
    assert events[-1] == "event: end", events
    assert ex.process.wait(timeout=30) in (0, -signal.SIGTERM)
    log = ex.log()
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is JSON
    messages = [e["message"] for e in entries]
    assert any("closed 1 open watch" in m for m in messages), messages
    assert "Application shutdown complete." in messages
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)


def test_head_answers_like_get_without_a_body(explorer_factory: Callable[..., ExplorerProcess]) -> None:
    """``curl -I`` on any page: the GET answer's status and headers, no body; never a stream opened."""
    ex = explorer_factory(["--mode", "snapshot"])
    with httpx.Client(base_url=ex.url, timeout=10) as client:
        for path in ("/", "/g/apps/v1", "/op/core/v1/createCoreV1NamespacedPod", "/search?q=pod", "/readyz"):
            get, head = client.get(path), client.head(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b"", path
            assert head.headers["content-type"] == get.headers["content-type"], path
            assert head.headers["content-security-policy"] == get.headers["content-security-policy"]
        missing = client.head("/g/no-such-group")
        assert missing.status_code == 404 and missing.content == b""
        assert client.head("/try/watch/anything").status_code == 405
