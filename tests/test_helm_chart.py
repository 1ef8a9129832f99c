"""The Helm chart ``charts/webexplorer`` (``-m helm``): the kustomize tree's objects, one switch per overlay.

The chart and ``k8s/`` cannot drift apart unnoticed: for the base and every overlay, ``helm template``
with that overlay's values must give the very objects ``kubectl kustomize`` gives (compared as data,
lists of named items by name, since order there means nothing to the API server). The real API server
then accepts each rendering (``kubectl apply --dry-run=server``), and the chart installs on the real
node (``helm install --wait``: the Deployment becomes Available through the kubelet's probes).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.fixtures.node import NAMESPACE, NodeCluster, run_kubectl
from tests.test_manifests import namespaces_for, render, rendered_docs  # noqa: F401 (a fixture)
from webexplorer.sandbox.binaries import BuildError
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.images import EXPLORER_IMAGE
from webexplorer.sandbox.node_binaries import ensure_helm

pytestmark = pytest.mark.helm

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "charts" / "webexplorer"

#: the values that make the chart one of the kustomize targets
OVERLAY_VALUES: dict[str, list[str]] = {
    "base": [],
    "overlays/writes": ["writes.enabled=true"],
    "overlays/ambassador": ["ambassador.enabled=true"],
    "overlays/per-user": ["perUser.enabled=true"],
    "overlays/replicas": ["replicas.enabled=true"],
    "overlays/ingress": ["ingress.enabled=true"],
}


@pytest.fixture(scope="module")
def helm() -> Path:
    try:
        return ensure_helm()
    except BuildError as exc:
        pytest.fail(f"cannot build helm: {exc}", pytrace=False)


def helm_template(helm: Path, values: list[str], namespace: str = NAMESPACE) -> list[dict[str, Any]]:
    sets = [arg for value in ["namespace.create=true", *values] for arg in ("--set", value)]
    return rendered_docs([str(helm), "template", "webexplorer", str(CHART), "--namespace", namespace, *sets])


def normalized(value: Any) -> Any:
    """Lists of named items (containers, env, volumes, ports...) sorted by name; the rest as is."""
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [normalized(item) for item in value]
        if items and all(isinstance(item, dict) and "name" in item for item in items):
            return sorted(items, key=lambda item: str(item["name"]))
        return items
    return value


def by_identity(docs: list[dict[str, Any]]) -> dict[tuple[str, str, str], Any]:
    return {
        (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): normalized(d) for d in docs
    }


def test_lint(helm: Path) -> None:
    result = subprocess.run(
        [str(helm), "lint", "--strict", str(CHART)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("target", list(OVERLAY_VALUES))
def test_the_chart_renders_what_kustomize_renders(
    helm: Path, control_plane: ControlPlane, target: str
) -> None:
    chart = by_identity(helm_template(helm, OVERLAY_VALUES[target]))
    kustomize = by_identity(render(control_plane, target))
    assert sorted(chart) == sorted(kustomize)
    for identity, obj in kustomize.items():
        assert chart[identity] == obj, identity


def test_the_release_namespace_is_followed(helm: Path) -> None:
    docs = helm_template(helm, ["writes.enabled=true"], namespace="team-tools")
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    assert deployment["metadata"]["namespace"] == "team-tools"
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert (
        env["WEBEXPLORER_ALLOWED_HOSTS"]
        == "webexplorer.team-tools.svc,webexplorer.team-tools.svc.cluster.local"
    )
    binding = next(d for d in docs if d["kind"] == "RoleBinding")
    assert binding["subjects"][0]["namespace"] == "team-tools"


@pytest.mark.parametrize(
    "values",
    [*OVERLAY_VALUES.values(), ["writes.enabled=true", "ambassador.enabled=true", "ingress.enabled=true"]],
    ids=[*OVERLAY_VALUES, "writes+ambassador+ingress"],
)
def test_the_api_server_accepts_each_rendering(
    helm: Path,
    control_plane: ControlPlane,
    namespaces_for: Callable[[list[dict[str, Any]]], None],  # noqa: F811 (the fixture imported above)
    values: list[str],
) -> None:
    docs = helm_template(helm, values)
    namespaces_for(docs)
    result = run_kubectl(
        control_plane, "apply", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump_all(docs), check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr  # e.g. "would violate PodSecurity"
    assert len([line for line in result.stdout.splitlines() if "(server dry run)" in line]) == len(docs)


@pytest.fixture
def installed(helm: Path, node_cluster: NodeCluster) -> Iterator[NodeCluster]:
    cluster = node_cluster
    env = {
        "KUBECONFIG": str(cluster.plane.kubeconfig),
        "HOME": str(cluster.work_dir),
        "PATH": "/usr/bin:/bin",
    }
    repository, tag = EXPLORER_IMAGE.rsplit(":", 1)
    # the namespace with k8s/base's Pod Security labels, as values.yaml tells helm users to do
    cluster.kubectl("create", "namespace", NAMESPACE)
    cluster.kubectl("label", "namespace", NAMESPACE, "pod-security.kubernetes.io/enforce=restricted")
    try:
        result = subprocess.run(
            [
                str(helm), "install", "webexplorer", str(CHART), "--namespace", NAMESPACE,
                "--wait", "--timeout", "3m",
                "--set", f"image.repository={repository}", "--set", f"image.tag={tag}",
                "--set", "image.pullPolicy=Never",
            ],
            capture_output=True, text=True, check=False, timeout=240, env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        yield cluster
    finally:
        subprocess.run(
            [str(helm), "uninstall", "webexplorer", "--namespace", NAMESPACE, "--wait"],
            capture_output=True, check=False, timeout=180, env=env,
        )  # fmt: skip
        cluster.kubectl(
            "delete", "namespace", NAMESPACE, "--wait=true", "--timeout=120s", check=False, timeout=150
        )


@pytest.mark.node
def test_helm_install_on_the_node(installed: NodeCluster) -> None:
    deployment = installed.get("deployment", "-n", NAMESPACE, "webexplorer")
    available = {c["type"]: c["status"] for c in deployment["status"]["conditions"]}
    assert available["Available"] == "True"
    assert deployment["metadata"]["annotations"]["meta.helm.sh/release-name"] == "webexplorer"
    with installed.port_forward("svc/webexplorer", 80) as url:
        home = httpx.get(url.replace("127.0.0.1", "localhost") + "/", timeout=30).text
    assert "in-cluster" in home and f"system:serviceaccount:{NAMESPACE}:webexplorer" in home
