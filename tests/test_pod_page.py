"""The "This pod" page against the real control plane.

A real Pod is created from k8s/base's pod template (so its labels, annotations and resources are what
the API server stored), the kubelet's part is played faithfully — the Downward API env vars, and the
volume written with the kubelet's quoting and its atomic ``..data`` swap — and the explorer runs in
in-cluster mode as the pod's service account. Then ``kubectl label pod`` changes the pod for real, the
volume is republished, and the page shows the new label without a restart.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from markupsafe import escape as markup_escape

from tests.fixtures.asgi import asgi_explorer
from tests.fixtures.cluster import InClusterLayout, ServiceAccount
from webexplorer.sandbox.atomic_writer import AtomicWriter
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.downward import downward_payload
from webexplorer.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOWNWARD_ENV = ("POD_NAME", "POD_NAMESPACE", "POD_IP", "NODE_NAME", "POD_SERVICE_ACCOUNT",
                "CPU_REQUEST_MILLICORES", "MEMORY_LIMIT_KIB")  # fmt: skip


def esc(text: str) -> str:
    """Text as Jinja2's autoescape writes it into the page."""
    return str(markup_escape(text))


LAST_APPLIED = '{"apiVersion":"v1","kind":"Pod",\n "metadata":{"name":"x"}}\n'


def base_pod_template(control_plane: ControlPlane) -> dict[str, Any]:
    out = subprocess.run(
        [str(control_plane.kubectl), "kustomize", str(ROOT / "k8s" / "base")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    deployment = next(d for d in yaml.safe_load_all(out) if d and d["kind"] == "Deployment")
    template: dict[str, Any] = deployment["spec"]["template"]
    return template


def kubelet_payload(pod: dict[str, Any]) -> dict[str, bytes]:
    """The podinfo volume of k8s/base for this pod, as the kubelet would write it."""
    container = next(c for c in pod["spec"]["containers"] if c["name"] == "webexplorer")
    cpu = container["resources"]["requests"]["cpu"]  # "100m"
    memory = container["resources"]["limits"]["memory"]  # "512Mi"
    assert cpu.endswith("m") and memory.endswith("Mi")
    return downward_payload(
        pod["metadata"].get("labels", {}),
        pod["metadata"].get("annotations", {}),
        cpu_request_millicores=cpu[:-1],
        memory_limit_kib=str(int(memory[:-2]) * 1024),
    )


def create_pod(admin: httpx.Client, namespace: str, name: str, template: dict[str, Any]) -> dict[str, Any]:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **template["metadata"]}}
    body["spec"] = template["spec"]
    created = admin.post(f"/api/v1/namespaces/{namespace}/pods", json=body)
    assert created.status_code == 201, created.text
    pod: dict[str, Any] = created.json()
    return pod


def label_pod(control_plane: ControlPlane, admin: httpx.Client, namespace: str, name: str) -> dict[str, Any]:
    """``kubectl label pod NAME tier=frontend`` for real; the pod as the API server then has it."""
    kubectl = [str(control_plane.kubectl), "--kubeconfig", str(control_plane.kubeconfig), "-n", namespace]
    subprocess.run(
        [*kubectl, "label", "pod", name, "tier=frontend"], check=True, capture_output=True, timeout=60
    )
    pod: dict[str, Any] = admin.get(f"/api/v1/namespaces/{namespace}/pods/{name}").json()
    assert pod["metadata"]["labels"]["tier"] == "frontend"
    return pod


@pytest.fixture
def no_downward_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*DOWNWARD_ENV, "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        monkeypatch.delenv(name, raising=False)


async def test_this_pod_page_follows_a_label_change(
    control_plane: ControlPlane,
    admin_client: httpx.Client,
    service_account: Callable[..., ServiceAccount],
    in_cluster_layout: Callable[..., InClusterLayout],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    no_downward_env: None,
) -> None:
    namespace = f"pod-page-{uuid.uuid4().hex[:6]}"
    sa = service_account("webexplorer", namespace, cluster_role="view", cluster_wide=True)

    # a real Pod from the base's template, with a multi-line annotation like last-applied-configuration
    template = base_pod_template(control_plane)
    name = f"webexplorer-{uuid.uuid4().hex[:5]}"
    template["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = LAST_APPLIED
    template["metadata"]["annotations"]["example.com/quote"] = 'say "hi" <b>now</b>'
    pod = await asyncio.to_thread(create_pod, admin_client, namespace, name, template)

    # the kubelet's part: env from the pod, the downwardAPI volume, the service-account volume
    monkeypatch.setenv("POD_NAME", name)
    monkeypatch.setenv("POD_NAMESPACE", namespace)
    monkeypatch.setenv("POD_SERVICE_ACCOUNT", pod["spec"]["serviceAccountName"])
    monkeypatch.setenv("CPU_REQUEST_MILLICORES", "100")
    monkeypatch.setenv("MEMORY_LIMIT_KIB", "524288")
    # the pod is Pending (no scheduler here): no IP, no node, so those two stay unexposed
    podinfo = tmp_path / "podinfo"
    writer = AtomicWriter(podinfo)
    writer.write(kubelet_payload(pod))
    layout = in_cluster_layout(sa, set_env=True)

    async with asgi_explorer(Settings(serviceaccount_dir=layout.directory, podinfo_dir=podinfo)) as client:
        page = (await client.get("/pod")).text
        assert 'id="not-in-pod"' not in page
        assert name in page and namespace in page and "webexplorer" in page
        assert "100 millicores (0.1 CPU)" in page
        assert "524288 KiB (512 MiB)" in page
        for key, value in pod["metadata"]["labels"].items():
            assert esc(key) in page and esc(value) in page
        # the multi-line annotation: shown with its line breaks, and as the file has it (escaped)
        assert '<pre class="mono multiline">' + esc(LAST_APPLIED) in page
        assert esc('kubectl.kubernetes.io/last-applied-configuration="{\\"apiVersion') in page
        assert esc('say "hi" <b>now</b>') in page and "<b>now</b>" not in page
        # unexposed items say so and show the lines that would expose them
        ip_row = page[page.index('id="item-ip"') : page.index('id="item-node"')]
        assert "not exposed" in ip_row and "fieldPath: status.podIP" in ip_row
        first_version = page[page.index('id="podinfo-version"') :]

        # `kubectl label pod` for real, then the kubelet republishes the volume with one symlink swap
        relabelled = await asyncio.to_thread(label_pod, control_plane, admin_client, namespace, name)
        writer.write(kubelet_payload(relabelled))

        page = (await client.get("/pod")).text
        labels = page[page.index('id="labels-table"') : page.index('id="annotations"')]
        assert ">tier<" in labels and ">frontend<" in labels
        assert page[page.index('id="podinfo-version"') :] != first_version  # read through the new ..data


async def test_outside_a_pod_the_page_says_so(no_downward_env: None, tmp_path: Path) -> None:
    async with asgi_explorer(Settings(mode="snapshot", podinfo_dir=tmp_path / "none")) as client:
        response = await client.get("/pod")
        home = (await client.get("/")).text
    assert response.status_code == 200
    assert 'id="not-in-pod"' in response.text and "Not running in a pod" in response.text
    assert "fieldPath: metadata.labels" in response.text  # how to expose it, still shown
    assert 'href="/pod"' in home  # linked from the nav
