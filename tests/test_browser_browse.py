"""Journeys through the browsing pages in Chromium, against a real explorer on the real control plane.

Nothing is mocked: the explorer is a ``python -m webexplorer serve`` process reading the sandbox's API
through its kubeconfig; Chromium runs with the explorer's strict CSP, so a page that needed inline
script would break here first.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import watch_page_errors
from tests.fixtures.server import ExplorerProcess
from webexplorer.sandbox.controlplane import ControlPlane

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture
def explorer(
    control_plane: ControlPlane, explorer_factory: Callable[..., ExplorerProcess]
) -> ExplorerProcess:
    return explorer_factory(args=["--kubeconfig", str(control_plane.kubeconfig)])


def watch_errors(page: Page) -> list[str]:
    return watch_page_errors(page, failed_responses=True)


def test_from_home_to_an_expanded_job_schema(
    page: Page, explorer: ExplorerProcess, artifacts_dir: Path
) -> None:
    problems = watch_errors(page)
    page.goto(explorer.url + "/")
    expect(page.locator("#server-version")).to_contain_text("v1.")
    page.locator("#groups").get_by_role("link", name="batch", exact=True).click()
    expect(page).to_have_url(explorer.url + "/g/batch")
    page.locator("#versions").get_by_role("link", name="v1", exact=True).click()
    expect(page.locator("h1")).to_contain_text("batch/v1")
    page.screenshot(path=str(artifacts_dir / "group-version-batch-v1.png"), full_page=True)
    page.locator("#resources").get_by_role("link", name="jobs", exact=True).click()
    expect(page.locator("h1")).to_contain_text("jobs")
    page.screenshot(path=str(artifacts_dir / "resource-jobs.png"), full_page=True)
    page.get_by_role("link", name="createBatchV1NamespacedJob").click()
    expect(page.locator("#op-path")).to_have_text("/apis/batch/v1/namespaces/{namespace}/jobs")
    expect(page.locator("#try-it")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "operation-create-job.png"), full_page=True)
    page.locator("#request-body").locator("xpath=following-sibling::dl[1]").get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("Job")
    # expand spec, then spec.template, then spec.template.spec: each level loads through htmx
    for path in ("spec", "spec.template", "spec.template.spec"):
        field = page.locator(f'li[id="{path}"]')
        field.locator(":scope > details > summary").click()
        expect(field.locator(":scope > details > .children > ul.fields").first).to_be_visible()
    expect(page.locator('li[id="spec.template.spec.containers"]')).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "schema-job-expanded.png"), full_page=False)
    assert problems == [], problems


def test_search_deploy_finds_deployment(page: Page, explorer: ExplorerProcess, artifacts_dir: Path) -> None:
    problems = watch_errors(page)
    page.goto(explorer.url + "/g/core")
    page.locator("body").press("/")
    page.keyboard.type("deploy")
    first = page.locator("#live-results #hits-resources a").first
    expect(first).to_have_attribute("href", "/g/apps/v1/deployments")
    page.screenshot(path=str(artifacts_dir / "search-live.png"))
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(explorer.url + "/g/apps/v1/deployments")
    # and without the live list: the plain form (once the fields index, built in the background, is ready:
    # on a loaded machine that can take longer than the steps above)
    _wait_for_fields_index(explorer)
    page.locator("#q").fill("replicas")
    page.locator("#q").press("Enter")
    expect(page).to_have_url(explorer.url + "/search?q=replicas")
    expect(page.locator("#hits-fields")).to_contain_text("spec.replicas")
    assert problems == [], problems


def _wait_for_fields_index(explorer: ExplorerProcess, timeout: float = 120.0) -> None:
    """Until the explorer's search no longer says its fields index is being built (bounded)."""
    deadline = time.monotonic() + timeout
    while "fields index building" in httpx.get(f"{explorer.url}/search?q=replicas", timeout=30).text:
        assert time.monotonic() < deadline, "the fields index was not built in time"
        time.sleep(0.5)


def test_field_deep_link_opens_at_the_field(
    page: Page, explorer: ExplorerProcess, artifacts_dir: Path
) -> None:
    problems = watch_errors(page)
    field = "spec.template.spec.containers.resources.limits"
    page.goto(f"{explorer.url}/schema/apps/v1/Deployment#{field}")
    target = page.locator(f'li[id="{field}"]')
    expect(target).to_be_visible()
    expect(target).to_have_class("field target")
    expect(target).to_be_in_viewport()
    page.screenshot(path=str(artifacts_dir / "schema-deep-link.png"))
    assert problems == [], problems


def test_raw_apis_batch_is_the_same_json(
    page: Page, explorer: ExplorerProcess, admin_client: httpx.Client, artifacts_dir: Path
) -> None:
    problems = watch_errors(page)
    page.goto(explorer.url + "/raw/")
    page.locator("#document").get_by_role("link", name="/apis/batch", exact=True).click()
    expect(page).to_have_url(explorer.url + "/raw/apis/batch")
    shown = json.loads(page.locator("#document").inner_text())
    assert shown == admin_client.get("/apis/batch").json()
    # the seed's walk, one click per step
    page.locator("#document").get_by_role("link", name="batch/v1").first.click()
    page.locator("#document").get_by_role("link", name="jobs", exact=True).click()
    expect(page.locator("#object-read")).to_contain_text("reads objects")
    page.get_by_role("link", name="/apis/batch/v1/namespaces/default/jobs/my-job").click()
    expect(page.get_by_role("link", name="readBatchV1NamespacedJob")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "raw-object-read.png"))
    assert problems == [], problems


def _xss_crd(group: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gizmos.{group}", "annotations": {"note": XSS}},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo", "shortNames": ["gz"]},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": XSS,
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "description": XSS,
                                    "properties": {
                                        "payload": {"type": "string", "description": XSS, "default": XSS},
                                        "mode": {"type": "string", "enum": [XSS, "plain"]},
                                    },
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


@pytest.fixture
def xss_crd(admin_client: httpx.Client) -> Iterator[str]:
    group = f"xss-{uuid.uuid4().hex[:6]}.example.com"
    created = admin_client.post(CRDS, json=_xss_crd(group))
    assert created.status_code == 201, created.text
    yield group
    admin_client.delete(f"{CRDS}/gizmos.{group}")


def _until_ok(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(url, timeout=10).status_code == 200:
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} did not appear within {timeout:.0f} s")


def test_crd_description_with_markup_renders_as_text(
    page: Page,
    control_plane: ControlPlane,
    explorer_factory: Callable[..., ExplorerProcess],
    xss_crd: str,
    artifacts_dir: Path,
) -> None:
    explorer = explorer_factory(
        args=["--kubeconfig", str(control_plane.kubeconfig), "--refresh-interval", "1"]
    )
    schema = f"{explorer.url}/schema/{xss_crd}/v1/Gizmo/spec"
    _until_ok(schema)
    problems = watch_errors(page)
    for url in (
        f"{explorer.url}/schema/{xss_crd}/v1/Gizmo/spec.payload",
        f"{explorer.url}/g/{xss_crd}/v1/gizmos",
        f"{explorer.url}/raw/openapi/v3/apis/{xss_crd}/v1",
        f"{explorer.url}/search?q=gizmo",
        f"{explorer.url}/diff?old=embedded&new=current",
    ):
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__pwned") is None, url
        assert page.locator("main img").count() == 0, url
    page.goto(schema)
    expect(page.locator("main")).to_contain_text("<script>window.__pwned = 1</script>")
    page.screenshot(path=str(artifacts_dir / "crd-xss-as-text.png"), full_page=True)
    assert page.evaluate("window.__pwned") is None
    assert not [p for p in problems if "dialog" in p], problems
    # the API diff against the embedded snapshot shows the CRD's group as added, linked
    diff = httpx.get(f"{explorer.url}/diff?old=embedded&new=current", timeout=30).text
    assert f'href="/g/{xss_crd}/v1"' in diff


def test_scripts_load_after_the_page_is_shown(page: Page, explorer: ExplorerProcess) -> None:
    """htmx is not render-blocking: the page is shown first, then enhanced (the try-it form arrives)."""
    problems = watch_errors(page)
    page.add_init_script(
        """document.addEventListener("DOMContentLoaded", () => {
            window.__htmxAtDomReady = typeof window.htmx;
        });"""
    )
    page.goto(explorer.url + "/op/core/v1/createCoreV1NamespacedPod")
    expect(page.locator("html")).to_have_attribute("data-enhanced", "")
    assert page.evaluate("window.__htmxAtDomReady") == "undefined"
    assert page.evaluate("typeof window.htmx.process") == "function"
    assert page.evaluate("Object.keys(window.htmx.config).length") > 0
    expect(page.locator("#tryout-send")).to_be_visible()  # hx-trigger="load" ran after the late load
    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert sum("htmx-2.0.11.min.js?v=" in url for url in loaded) == 1
    assert problems == [], problems
