"""Try it out in Chromium against a real explorer process and the real control plane: the form under the
strict CSP (no console errors), a watch streaming a row for an object created by a direct API call, and
cluster text with ``<script>`` rendered inert."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from playwright.sync_api import Page, expect

from tests.fixtures.browser import goto_enhanced, watch_page_errors
from tests.fixtures.server import ExplorerProcess
from tests.tryout_helpers import audit_count, marker
from webexplorer.sandbox.controlplane import ControlPlane

CM = "/api/v1/namespaces/default/configmaps"


def _start(explorer_factory: Callable[..., ExplorerProcess], control_plane: ControlPlane) -> ExplorerProcess:
    return explorer_factory(
        ["--mode", "kubeconfig", "--kubeconfig", str(control_plane.kubeconfig), "--allow-writes"]
    )


def _watch_url(explorer: ExplorerProcess, label: str) -> str:
    """The try-it form of a ConfigMap watch in ``default`` selecting ``m=<label>``."""
    query = urlencode({"p.namespace": "default", "q.watch": "true", "q.labelSelector": f"m={label}"})
    return f"{explorer.url}/try/core/v1/listCoreV1NamespacedConfigMap?{query}"


def _watch_console(page: Page) -> list[str]:
    return watch_page_errors(page)


def test_create_with_dry_run_then_for_real(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    admin_client: httpx.Client,
    artifacts_dir: Path,
) -> None:
    explorer = _start(explorer_factory, control_plane)
    problems = _watch_console(page)
    name = marker()
    # the operation page loads the form into its #try-it section
    page.goto(f"{explorer.url}/op/core/v1/createCoreV1NamespacedConfigMap")
    expect(page.locator("#try-it #tryout-panel")).to_be_visible()
    body = page.locator("#try-body")
    body.fill(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  a: b\n"
    )
    expect(page.locator("#try-dry-run")).to_be_checked()
    page.click("#tryout-send")
    expect(page.locator("#tryout-code")).to_contain_text("201 Created")
    expect(page.locator("#tryout-dry-run-badge")).to_be_visible()
    assert admin_client.get(f"{CM}/{name}").status_code == 404
    page.uncheck("#try-dry-run")
    page.click("#tryout-send")
    expect(page.locator("#tryout-real-write-badge")).to_be_visible()
    assert admin_client.get(f"{CM}/{name}").status_code == 200
    page.screenshot(path=str(artifacts_dir / "tryout-create.png"), full_page=True)
    admin_client.delete(f"{CM}/{name}")
    assert problems == [], problems


def test_watch_shows_an_object_created_directly(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    admin_client: httpx.Client,
    artifacts_dir: Path,
) -> None:
    explorer = _start(explorer_factory, control_plane)
    problems = _watch_console(page)
    label = marker()
    goto_enhanced(page, _watch_url(explorer, label))
    page.click("#tryout-send")
    expect(page.locator("#watch-info")).to_contain_text("Watching")
    page.evaluate(
        """(name) => {
            window.__rowSeenAt = null;
            new MutationObserver(() => {
                if (!window.__rowSeenAt && document.querySelector(`tr.watch-row[data-name="${name}"]`)) {
                    window.__rowSeenAt = Date.now();
                }
            }).observe(document.body, {childList: true, subtree: true});
        }""",
        label,
    )
    sent_at = time.time() * 1000
    admin_client.post(CM, json={"metadata": {"name": label, "labels": {"m": label}}})
    row = page.locator(f'tr.watch-row[data-name="{label}"]')
    expect(row).to_contain_text("ADDED")
    seen_at = page.evaluate("window.__rowSeenAt")
    print(f"\nwrite → watch row in Chromium: {seen_at - sent_at:.0f} ms")
    (artifacts_dir / "tryout-watch-latency.txt").write_text(f"{seen_at - sent_at:.1f}\n")
    admin_client.delete(f"{CM}/{label}")
    expect(page.locator(f'tr.watch-deleted[data-name="{label}"]')).to_be_visible()
    page.click("#watch-stop")
    expect(page.locator("#watch-end")).to_contain_text("Stopped")
    page.screenshot(path=str(artifacts_dir / "tryout-watch.png"), full_page=True)
    assert problems == [], problems


def test_script_in_cluster_text_is_inert(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    admin_client: httpx.Client,
    artifacts_dir: Path,
) -> None:
    explorer = _start(explorer_factory, control_plane)
    problems = _watch_console(page)
    name = marker()
    evil = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    admin_client.post(
        CM, json={"metadata": {"name": name, "annotations": {"evil": evil}}, "data": {"payload": evil}}
    )
    try:
        query = urlencode({"p.namespace": "default", "p.name": name})
        goto_enhanced(page, f"{explorer.url}/try/core/v1/readCoreV1NamespacedConfigMap?{query}")
        page.click("#tryout-send")
        expect(page.locator("#tryout-code")).to_contain_text("200 OK")
        expect(page.locator("#tryout-body-json")).to_contain_text("<script>window.__pwned=1</script>")
        page.click("label[for^='view-yaml-']")
        expect(page.locator("#tryout-body-yaml")).to_contain_text("<script>window.__pwned=1</script>")
        page.click("#tryout-explain-tab")
        expect(page.locator("#tryout-explain")).to_contain_text("map[string]string")
        page.screenshot(path=str(artifacts_dir / "tryout-explain.png"), full_page=True)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#tryout-answer script, #tryout-answer img").count() == 0
    finally:
        admin_client.delete(f"{CM}/{name}")
    assert problems == [], problems


def test_watch_sent_before_htmx_arrived_still_streams(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    admin_client: httpx.Client,
) -> None:
    """htmx loads after the first frame; a Send clicked before that goes out as a plain form post, and
    the watch on the page it answers with must still connect once htmx and its SSE extension arrive."""
    explorer = _start(explorer_factory, control_plane)
    problems = _watch_console(page)

    first = [True]

    def no_htmx_on_the_first_page(route: Any) -> None:
        if first[0]:
            first[0] = False
            route.abort()
        else:
            route.continue_()

    page.route("**/static/vendor/htmx-2.0.11.min.js*", no_htmx_on_the_first_page)
    label = marker()
    with page.expect_event("requestfailed", lambda r: "htmx" in r.url):
        page.goto(_watch_url(explorer, label))
    page.wait_for_load_state("load")  # app.js acts after load: without htmx it has nothing left to do
    assert page.get_attribute("html", "data-enhanced") is None
    assert page.evaluate("typeof window.htmx") == "undefined"
    problems.clear()  # the aborted script's load error
    with page.expect_navigation():
        page.click("#tryout-send")  # a plain form post: htmx never arrived on this page
    expect(page.locator("html")).to_have_attribute("data-enhanced", "")
    expect(page.locator("#watch-info")).to_contain_text("Watching")
    admin_client.post(CM, json={"metadata": {"name": label, "labels": {"m": label}}})
    expect(page.locator(f'tr.watch-row[data-name="{label}"]')).to_contain_text("ADDED")
    admin_client.delete(f"{CM}/{label}")
    assert problems == [], problems


def test_yaml_and_explain_load_when_their_tab_opens(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    admin_client: httpx.Client,
    artifacts_dir: Path,
) -> None:
    """The answer shows its JSON first; YAML and Explain are fetched once, when their tab is opened,
    from the answer sealed into the panel: no second request goes to the API server."""
    explorer = _start(explorer_factory, control_plane)
    problems = _watch_console(page)
    name = marker()
    admin_client.post(CM, json={"metadata": {"name": name}, "data": {"colour": "teal"}})
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url.split("/try/", 1)[-1]) if r.method == "POST" else None)
    try:
        query = urlencode({"p.namespace": "default", "p.name": name})
        goto_enhanced(page, f"{explorer.url}/try/core/v1/readCoreV1NamespacedConfigMap?{query}")
        page.click("#tryout-send")
        expect(page.locator("#tryout-code")).to_contain_text("200 OK")
        expect(page.locator("#tryout-body-json")).to_be_visible()
        expect(page.locator("#tryout-body-json")).to_contain_text('"colour": "teal"')
        expect(page.locator("#tryout-body-yaml")).to_be_hidden()
        expect(page.locator("#tryout-body-yaml")).not_to_contain_text("colour")
        sent_to_api = audit_count(control_plane, name)

        page.click("label[for^='view-yaml-']")
        expect(page.locator("#tryout-body-yaml")).to_be_visible()
        expect(page.locator("#tryout-body-yaml")).to_contain_text("colour: teal")
        expect(page.locator("#tryout-body-json")).to_be_hidden()
        page.click("#tryout-explain-tab")
        expect(page.locator("#tryout-explain")).to_contain_text("map[string]string")
        # back and forth again: each view was fetched once
        page.click("label[for^='view-yaml-']")
        page.click("label[for^='view-json-']")
        expect(page.locator("#tryout-body-json")).to_be_visible()
        page.click("#tryout-explain-tab")
        expect(page.locator("#tryout-explain")).to_contain_text("ObjectMeta")
        page.screenshot(path=str(artifacts_dir / "tryout-later-views.png"), full_page=True)
        assert posts == ["core/v1/readCoreV1NamespacedConfigMap", "view/yaml", "view/explain"], posts
        assert audit_count(control_plane, name) == sent_to_api
    finally:
        admin_client.delete(f"{CM}/{name}")
    assert problems == [], problems
