"""The release picker in a real Chromium, on a real explorer process against the real control plane: a
page opens as the oldest embedded release served it, clearly labelled, links stay in that release, and
the picker leads back to the live cluster; the strict CSP reports nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.server import ExplorerProcess
from tests.test_browser_browse import watch_errors
from webexplorer.catalog.snapshot import embedded_snapshots
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.web.releases import release_label

OLDEST = release_label(embedded_snapshots()[0])


@pytest.fixture
def explorer(
    control_plane: ControlPlane, explorer_factory: Callable[..., ExplorerProcess]
) -> ExplorerProcess:
    return explorer_factory(args=["--kubeconfig", str(control_plane.kubeconfig)])


def test_release_picker_shows_a_page_as_a_release_served_it(
    page: Page, explorer: ExplorerProcess, artifacts_dir: Path
) -> None:
    problems = watch_errors(page)
    page.goto(explorer.url + "/g/flowcontrol.apiserver.k8s.io/v1")
    expect(page.locator("#release-banner")).to_have_count(0)
    picker = page.locator("#release-picker")
    picker.locator("summary").click()
    picker.get_by_role("link", name=f"Kubernetes {OLDEST}", exact=True).click()
    expect(page).to_have_url(f"{explorer.url}/release/{OLDEST}/g/flowcontrol.apiserver.k8s.io/v1")
    expect(page.locator("#release-banner")).to_contain_text(f"Kubernetes {OLDEST}, as recorded")
    page.locator(".crumbs").get_by_role("link", name="flowcontrol.apiserver.k8s.io").click()
    expect(page).to_have_url(f"{explorer.url}/release/{OLDEST}/g/flowcontrol.apiserver.k8s.io")
    if page.locator("#versions").get_by_role("link", name="v1beta3", exact=True).count():
        page.locator("#versions").get_by_role("link", name="v1beta3", exact=True).click()
        deadline = time.monotonic() + 90  # the history is built in the background after start
        while not page.locator("#history-removed").count() and time.monotonic() < deadline:
            page.wait_for_timeout(500)
            page.reload()
        expect(page.locator("#history-removed")).to_contain_text("removed in")
        page.screenshot(path=str(artifacts_dir / "release-view-removed-gv.png"), full_page=True)
    page.goto(f"{explorer.url}/release/{OLDEST}/g/flowcontrol.apiserver.k8s.io/v1")  # also served live
    page.locator("#release-banner").get_by_role("link", name="This page on the live cluster").click()
    expect(page).to_have_url(f"{explorer.url}/g/flowcontrol.apiserver.k8s.io/v1")
    expect(page.locator("#release-banner")).to_have_count(0)
    assert problems == [], problems
