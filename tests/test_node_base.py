"""``k8s/base`` as real pods on a real node (``-m node``): the image built from the Dockerfile, applied with
``kubectl apply -k``, probed by the kubelet, reached with ``kubectl port-forward svc/webexplorer``.

What the simulated tests could only imitate is the kubelet's: the projected service-account token it
requests and mounts, the Downward API volume it rewrites when a label changes, its probes, the pod's
security context enforced by runc, and Pod Security ``restricted`` admission on the real pod.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.node import NAMESPACE, Deployed, NodeCluster, deploy, run_kubectl
from tests.tryout_helpers import ExplorerClient, text_of
from webexplorer.ports import wait_until
from webexplorer.sandbox.images import EXPLORER_IMAGE, ImageBuilder

pytestmark = pytest.mark.node

SA_USER = f"system:serviceaccount:{NAMESPACE}:webexplorer"


@pytest.fixture(scope="module")
def base(node_cluster: NodeCluster) -> Iterator[Deployed]:
    with deploy(node_cluster, "base") as deployed:
        yield deployed


@pytest.fixture(scope="module")
def explorer_url(base: Deployed) -> Iterator[str]:
    with base.cluster.port_forward("svc/webexplorer", 80) as url:
        yield url.replace("127.0.0.1", "localhost")  # the allow-listed name kubectl port-forward users type


def test_the_image_is_the_dockerfiles(node_cluster: NodeCluster) -> None:
    """buildah built the repository's Dockerfile as is; the image runs as 10001 with no pip inside."""
    inspect = ImageBuilder().buildah_argv("inspect", "--type", "image", EXPLORER_IMAGE)
    config = json.loads(subprocess.run(inspect, capture_output=True, text=True, check=True).stdout)
    docker = config["Docker"]["config"]
    assert docker["User"] == "10001:10001"
    assert docker["Entrypoint"] == ["webexplorer"]
    assert docker["Cmd"] == ["serve", "--host", "0.0.0.0", "--port", "8080"]  # noqa: S104
    assert docker["Healthcheck"]["Test"][0] == "CMD"
    assert EXPLORER_IMAGE in node_cluster.node.image_names()


def test_available_through_the_kubelets_probes(base: Deployed) -> None:
    pod = base.pod()
    status = pod["status"]["containerStatuses"][0]
    assert status["ready"] and status["restartCount"] == 0 and status["image"].endswith(EXPLORER_IMAGE)
    assert pod["spec"]["nodeName"] == base.cluster.node.name
    # the kubelet's own count of the probes it ran against this container, through the API server
    metrics = base.cluster.kubectl(
        "get", "--raw", f"/api/v1/nodes/{base.cluster.node.name}/proxy/metrics/probes"
    )
    successful = {
        line.split('probe_type="')[1].split('"')[0]
        for line in metrics.stdout.splitlines()
        if line.startswith("prober_probe_total")
        and f'pod="{pod["metadata"]["name"]}"' in line
        and 'result="successful"' in line
    }
    assert {"Startup", "Readiness"} <= successful, metrics.stdout[-2000:]


def test_runs_as_10001_with_a_read_only_root_under_restricted(base: Deployed) -> None:
    cluster = base.cluster
    name = base.pod()["metadata"]["name"]
    script = (
        "id -u; id -g; touch /probe 2>&1; touch /tmp/probe && echo tmp-writable; python -c 'import pip' 2>&1"
    )
    out = cluster.kubectl("-n", NAMESPACE, "exec", name, "--", "sh", "-c", script, check=False).stdout
    assert out.splitlines()[:2] == ["10001", "10001"], out
    assert "Read-only file system" in out and "tmp-writable" in out and "No module named 'pip'" in out
    labels = cluster.get("namespace", NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    # the admission is real: the same namespace refuses a pod that runs as root
    root_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "as-root", "namespace": NAMESPACE},
        "spec": {"containers": [{"name": "c", "image": EXPLORER_IMAGE, "securityContext": {"runAsUser": 0}}]},
    }
    refused = run_kubectl(
        cluster.plane, "create", "--dry-run=server", "-f", "-", stdin=json.dumps(root_pod), check=False
    )
    assert refused.returncode != 0 and 'violates PodSecurity "restricted:latest"' in refused.stderr


def test_in_cluster_identity_is_the_pods_bound_token(base: Deployed, explorer_url: str) -> None:
    """The explorer authenticates with the token the kubelet requested for this very pod."""
    pod_name = base.pod()["metadata"]["name"]
    assert httpx.get(explorer_url + "/", timeout=30).status_code == 200
    events = [
        e
        for e in base.cluster.plane.audit_events()
        if e.get("user", {}).get("username") == SA_USER and e.get("stage") == "ResponseComplete"
    ]
    assert events, "no request of the explorer's service account reached the API server"
    extra = events[-1]["user"].get("extra", {})
    assert extra.get("authentication.kubernetes.io/pod-name") == [pod_name]
    assert extra.get("authentication.kubernetes.io/node-name") == [base.cluster.node.name]


def test_home_through_port_forward_in_chromium(base: Deployed, explorer_url: str, page: Page) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(explorer_url + "/")
    facts = page.locator("#cluster")
    expect(facts).to_contain_text("in-cluster")
    expect(facts).to_contain_text("https://10.0.0.1:443")  # the kubernetes Service, routed by kube-proxy
    expect(page.locator("#identity")).to_contain_text(SA_USER)
    expect(page.locator("#server-version")).to_have_text("v1.37.2")
    expect(page.locator('a[href="/g/apps"]').first).to_be_visible()  # the catalog, read with `view`
    assert problems == []


async def test_try_it_reads_and_a_write_is_a_dry_run_refused_by_rbac(
    base: Deployed, explorer_url: str
) -> None:
    async with httpx.AsyncClient(base_url=explorer_url, timeout=30) as client:
        explorer = ExplorerClient(client)
        read = await explorer.send("listCoreV1NamespacedConfigMap", {"p.namespace": NAMESPACE})
        assert "200 OK" in text_of(read.text, "tryout-code"), read.text
        assert "kube-root-ca.crt" in read.text
        page = await explorer.open("/try/core/v1/createCoreV1NamespacedConfigMap")
        assert "Read-only explorer" in text_of(page.text, "tryout-readonly")
        body = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e2e-{uuid.uuid4().hex[:8]}\n"
        write = await explorer.send(
            "createCoreV1NamespacedConfigMap", {"p.namespace": NAMESPACE, "body": body, "dry_run": "on"}
        )
        assert "403 Forbidden" in text_of(write.text, "tryout-code"), write.text
        assert "dry run" in text_of(write.text, "tryout-dry-run-badge")  # a read-only explorer's only kind
    refused = [
        e
        for e in base.cluster.plane.audit_events()
        if e.get("verb") == "create"
        and e.get("user", {}).get("username") == SA_USER
        and "configmaps" in e.get("requestURI", "")
    ]
    assert refused and "dryRun=All" in refused[-1]["requestURI"]
    assert refused[-1]["responseStatus"]["code"] == 403


def _pod_page(url: str) -> str:
    response = httpx.get(url + "/pod", timeout=30)
    assert response.status_code == 200
    return response.text


def test_this_pod_shows_the_real_pod_and_follows_a_new_label(base: Deployed, explorer_url: str) -> None:
    pod: dict[str, Any] = base.pod()
    name = pod["metadata"]["name"]
    text = _pod_page(explorer_url)
    for value in (name, NAMESPACE, pod["status"]["podIP"], base.cluster.node.name):
        assert value in text, value
    value = uuid.uuid4().hex[:12]
    base.cluster.kubectl("-n", NAMESPACE, "label", "pod", name, f"e2e-label={value}")
    waited = wait_until(
        lambda: value in _pod_page(explorer_url), timeout=90, interval=1.0, what="the new label"
    )
    print(f"the kubelet republished the label in {waited:.1f}s")
    after = base.cluster.get("pod", "-n", NAMESPACE, name)
    assert after["status"]["containerStatuses"][0]["restartCount"] == 0  # no restart needed
