"""Writes that work the first time, in Chromium against a real explorer process and the real control plane:
the body check while typing shows the server's message beside the line and clears once fixed (a few
debounced dry runs for a whole typed change, none stored), and *Preview changes* shows the server's
diff of a replica-count change of a real Deployment — all under the strict CSP, no console errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from bench.tryout_writes import deployment
from tests.fixtures.browser import goto_enhanced, watch_page_errors
from tests.fixtures.server import ExplorerProcess
from tests.tryout_helpers import apply_owned_configmap, conflicting_apply
from webexplorer.sandbox.controlplane import ControlPlane

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: typed
spec:
  replicas: -1
  selector:
    matchLabels:
      app: typed
  template:
    metadata:
      labels:
        app: typed
    spec:
      containers:
      - name: a
        image: registry.k8s.io/pause:3.10
"""


@pytest.fixture
def namespace(admin_client: httpx.Client) -> Iterator[str]:
    name = f"browser-writes-{uuid.uuid4().hex[:6]}"
    admin_client.post("/api/v1/namespaces", json={"metadata": {"name": name}}).raise_for_status()
    yield name
    admin_client.delete(f"/api/v1/namespaces/{name}")


def test_check_while_typing_then_preview_a_replica_change(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    admin_client: httpx.Client,
    namespace: str,
    artifacts_dir: Path,
) -> None:
    explorer = explorer_factory(["--mode", "kubeconfig", "--kubeconfig", str(control_plane.kubeconfig)])
    problems = watch_page_errors(page)
    checks: list[Request] = []
    page.on("request", lambda r: checks.append(r) if r.url.endswith("/check") else None)

    create = "/try/apps/v1/createAppsV1NamespacedDeployment?" + urlencode({"p.namespace": namespace})
    goto_enhanced(page, explorer.url + create)  # the check while typing is htmx: wait until it is loaded
    body = page.locator("#try-body")
    body.fill(DEPLOYMENT)
    findings = page.locator("#tryout-check-findings")
    expect(findings).to_contain_text("spec.replicas")
    expect(findings).to_contain_text("line 6")
    expect(findings).to_contain_text("greater than or equal to 0")
    # "line 6" beside the finding selects that line of the editor
    findings.locator(".tryout-goto-line").first.click()
    selected = body.evaluate("(el) => el.value.slice(el.selectionStart, el.selectionEnd)")
    assert selected == "  replicas: -1", selected

    # fix it by typing: "-1" selected and replaced by 30 typed characters, one key every 40 ms
    checks.clear()
    body.evaluate("(el) => { const i = el.value.indexOf('-1'); el.focus(); el.setSelectionRange(i, i + 2); }")
    typed = "1  # fixed by typing it in: ok"
    assert len(typed) == 30
    page.keyboard.type(typed, delay=40)
    expect(page.locator("#tryout-check-summary")).to_contain_text("accepts this body")
    expect(findings).to_have_count(0)
    assert 1 <= len(checks) <= 4, f"{len(checks)} checks for one typed change"
    print(f"checks sent while typing 30 characters (40 ms a key, 600 ms debounce): {len(checks)}")
    assert admin_client.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/typed").status_code == 404
    page.screenshot(path=str(artifacts_dir / "tryout-check.png"), full_page=True)

    # a real Deployment, and the diff of a replica-count change before it is sent
    admin_client.post(
        f"/apis/apps/v1/namespaces/{namespace}/deployments", json=deployment("web")
    ).raise_for_status()
    patch = "/try/apps/v1/patchAppsV1NamespacedDeployment?" + urlencode(
        {
            "p.namespace": namespace,
            "p.name": "web",
            "patch_type": "application/merge-patch+json",
            "body": "spec:\n  replicas: 4\n",
        }
    )
    goto_enhanced(page, explorer.url + patch)
    page.click("#tryout-preview")
    diff = page.locator("#tryout-diff")
    expect(diff).to_contain_text("+  replicas: 4")
    expect(diff.locator(".diff-del")).to_contain_text(["replicas: 1"])
    # only the change: status moved by the controllers, resourceVersion and the like are left out
    expect(page.locator("#tryout-preview-summary")).to_contain_text("1 line(s) added, 1 removed")
    page.screenshot(path=str(artifacts_dir / "tryout-preview.png"), full_page=True)
    live = admin_client.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/web").json()
    assert live["spec"]["replicas"] == 1
    assert problems == [], problems


def test_apply_conflict_shown_as_a_table_then_forced(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    admin_client: httpx.Client,
    namespace: str,
) -> None:
    cm = f"/api/v1/namespaces/{namespace}/configmaps"
    apply_owned_configmap(admin_client, namespace, "owned", "first-owner")
    explorer = explorer_factory(
        ["--mode", "kubeconfig", "--kubeconfig", str(control_plane.kubeconfig), "--allow-writes"]
    )
    problems = watch_page_errors(page)
    query = conflicting_apply(namespace, "owned")
    goto_enhanced(page, f"{explorer.url}/try/core/v1/patchCoreV1NamespacedConfigMap?{urlencode(query)}")
    page.uncheck("#try-dry-run")
    page.click("#tryout-send")
    table = page.locator("#tryout-conflicts table")
    expect(table).to_contain_text(".data.a")
    expect(table).to_contain_text("first-owner")
    page.click("#tryout-force")  # the confirmation box is required: nothing is sent yet
    assert admin_client.get(f"{cm}/owned").json()["data"]["a"] == "1"
    page.check("#tryout-force-confirm")
    page.click("#tryout-force")
    expect(page.locator("#tryout-code")).to_contain_text("200")
    assert admin_client.get(f"{cm}/owned").json()["data"]["a"] == "2"
    assert problems == [], problems
