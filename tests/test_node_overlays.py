"""The ``ambassador`` and ``writes`` overlays as real pods on a real node (``-m node``).

- ambassador: ``kubectl proxy`` runs as a native sidecar and holds the pod's token; the explorer's
  container has an empty directory where the token would be, and talks to the proxy only.
- writes: try-it creates objects for real in ``webexplorer-playground`` and is refused (403) elsewhere.
- ingress: no Ingress controller can be built here (see the closing note of issue 18), so the pod is
  reached with port-forward and sent the Host headers a controller would pass on: the Ingress host and
  the Service names are served, any other name is refused (the guard against DNS rebinding).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.node import NAMESPACE, Deployed, NodeCluster, deploy
from tests.tryout_helpers import ExplorerClient, text_of

pytestmark = pytest.mark.node

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
SA_USER = f"system:serviceaccount:{NAMESPACE}:webexplorer"
PLAYGROUND = "webexplorer-playground"


@pytest.fixture
def ambassador(node_cluster: NodeCluster) -> Iterator[Deployed]:
    with deploy(node_cluster, "ambassador") as deployed:
        yield deployed


@pytest.fixture
def writes(node_cluster: NodeCluster) -> Iterator[Deployed]:
    with deploy(node_cluster, "writes") as deployed:
        yield deployed


@pytest.fixture
def ingress(node_cluster: NodeCluster) -> Iterator[Deployed]:
    with deploy(node_cluster, "ingress") as deployed:
        yield deployed


def configmap(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  from: e2e\n"


def test_ambassador_the_explorer_has_no_token_and_reads_through_the_proxy(ambassador: Deployed) -> None:
    cluster = ambassador.cluster
    pod = ambassador.pod()
    name = pod["metadata"]["name"]
    sidecar = pod["spec"]["initContainers"][0]
    assert sidecar["name"] == "kubectl-proxy" and sidecar["restartPolicy"] == "Always"
    statuses = {
        s["name"]: s for s in pod["status"]["initContainerStatuses"] + pod["status"]["containerStatuses"]
    }
    assert statuses["kubectl-proxy"]["ready"] and statuses["webexplorer"]["ready"]

    listing = cluster.kubectl("-n", NAMESPACE, "exec", name, "-c", "webexplorer", "--", "ls", "-A", SA_DIR)
    assert listing.stdout.strip() == ""  # the emptyDir over the token path
    proxy_side = cluster.kubectl("-n", NAMESPACE, "exec", name, "-c", "kubectl-proxy", "--", "ls", SA_DIR)
    assert "token" in proxy_side.stdout.split()

    with cluster.port_forward("svc/webexplorer", 80) as url:
        home = httpx.get(url.replace("127.0.0.1", "localhost") + "/", timeout=30).text
    assert "http://localhost:8001" in home  # server mode, at the sidecar
    assert SA_USER in text_of(home, "identity")  # the sidecar's identity, which the API server names
    assert f'<dd class="mono">{NAMESPACE}</dd>' in home  # the pod's namespace is the default one
    # the API server saw the explorer's requests (kubectl proxy passes its User-Agent on) authenticated
    # with this pod's bound token, which only the sidecar can read
    agents = {
        e.get("userAgent", "").split("/")[0]
        for e in cluster.plane.audit_events()
        if e.get("user", {}).get("extra", {}).get("authentication.kubernetes.io/pod-name") == [name]
    }
    assert "webexplorer" in agents, agents


async def test_writes_create_in_the_playground_and_nowhere_else(writes: Deployed) -> None:
    cluster = writes.cluster
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    with cluster.port_forward("svc/webexplorer", 80) as url:
        async with httpx.AsyncClient(base_url=url.replace("127.0.0.1", "localhost"), timeout=30) as client:
            explorer = ExplorerClient(client)
            created = await explorer.send(
                "createCoreV1NamespacedConfigMap",
                {"p.namespace": PLAYGROUND, "body": configmap(name), "dry_run": "off"},
            )
            assert "201 Created" in text_of(created.text, "tryout-code"), created.text
            elsewhere = await explorer.send(
                "createCoreV1NamespacedConfigMap",
                {"p.namespace": NAMESPACE, "body": configmap(name), "dry_run": "off"},
            )
            assert "403 Forbidden" in text_of(elsewhere.text, "tryout-code"), elsewhere.text
    stored = cluster.get("configmap", "-n", PLAYGROUND, name)
    assert stored["data"] == {"from": "e2e"}
    assert cluster.kubectl("-n", NAMESPACE, "get", "configmap", name, check=False).returncode != 0


def test_ingress_overlay_serves_the_ingress_host_only(ingress: Deployed) -> None:
    host = ingress.cluster.get("ingress", "-n", NAMESPACE, "webexplorer")["spec"]["rules"][0]["host"]
    with ingress.cluster.port_forward("svc/webexplorer", 80) as url:
        for allowed in (host, f"webexplorer.{NAMESPACE}.svc", "localhost"):
            assert httpx.get(url + "/", headers={"Host": allowed}, timeout=30).status_code == 200, allowed
        assert httpx.get(url + "/", headers={"Host": "rebound.example.net"}, timeout=30).status_code == 421
        form = httpx.get(
            url + "/try/core/v1/listCoreV1NamespacedConfigMap", headers={"Host": host}, timeout=30
        )
    cookies = form.headers.get_list("set-cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies), cookies  # TLS ends at the Ingress
