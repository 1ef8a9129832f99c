"""The Kubernetes manifests in k8s/: rendered with kustomize, checked against our security policy, and
accepted by the real API server (``kubectl apply --dry-run=server -k``) — every overlay.

The policy checks are this project's own, in-repo equivalent of a scanner such as checkov (which is too
heavy to install in every test run): what a reviewer would check by hand, asserted on the *rendered*
objects, so an overlay cannot quietly undo a setting of the base.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from webexplorer.podinfo import ITEMS
from webexplorer.sandbox.controlplane import ControlPlane

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
TARGETS = ["base", *(f"overlays/{name}" for name in OVERLAYS)]
EXPECTED_OVERLAYS = {"ambassador", "ingress", "per-user", "replicas", "writes"}


def rendered_docs(argv: list[str]) -> list[dict[str, Any]]:
    """The objects a renderer (``kubectl kustomize``, ``helm template``) prints, parsed."""
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render(control_plane: ControlPlane, target: str) -> list[dict[str, Any]]:
    return rendered_docs([str(control_plane.kubectl), "kustomize", str(K8S / target)])


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def containers(pod_spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from pod_spec.get("initContainers", [])
    yield from pod_spec["containers"]


def explorer_container(deployment: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "webexplorer")


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_the_overlays_the_issue_asks_for_exist() -> None:
    assert set(OVERLAYS) >= EXPECTED_OVERLAYS


@pytest.fixture(scope="module")
def rendered(control_plane: ControlPlane) -> dict[str, list[dict[str, Any]]]:
    return {target: render(control_plane, target) for target in TARGETS}


@pytest.mark.parametrize("target", TARGETS)
def test_pod_security(rendered: dict[str, list[dict[str, Any]]], target: str) -> None:
    """runAsNonRoot, read-only root, no privilege escalation, all capabilities dropped, seccomp
    RuntimeDefault, requests and limits — for every container, sidecars included."""
    deployment = one(rendered[target], "Deployment", "webexplorer")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod.get(key)
    assert not any("hostPath" in v for v in pod.get("volumes", []))
    for c in containers(pod):
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] >= 10000, c["name"]
        assert sc["readOnlyRootFilesystem"] is True, c["name"]
        assert sc["allowPrivilegeEscalation"] is False, c["name"]
        assert sc.get("privileged", False) is False, c["name"]
        assert sc["capabilities"]["drop"] == ["ALL"] and not sc["capabilities"].get("add"), c["name"]
        assert sc["seccompProfile"]["type"] == "RuntimeDefault", c["name"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(c["resources"][kind]), (c["name"], kind)
        image = c["image"]
        assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image


@pytest.mark.parametrize("target", TARGETS)
def test_probes_and_writable_tmp(rendered: dict[str, list[dict[str, Any]]], target: str) -> None:
    deployment = one(rendered[target], "Deployment", "webexplorer")
    c = explorer_container(deployment)
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]
    assert mounts["/etc/podinfo"]["readOnly"] is True


@pytest.mark.parametrize("target", TARGETS)
def test_every_downward_api_item_is_exposed_as_the_page_expects(
    rendered: dict[str, list[dict[str, Any]]], target: str
) -> None:
    """The manifests and ``podinfo.ITEMS`` (what the "This pod" page reads) name the same things."""
    deployment = one(rendered[target], "Deployment", "webexplorer")
    c = explorer_container(deployment)
    env = {e["name"]: e for e in c["env"]}
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "podinfo")
    files = {item["path"]: item for item in volume["downwardAPI"]["items"]}
    for spec in ITEMS:
        refs = []
        if spec.env is not None:
            assert spec.env in env, f"{spec.env} is not set"
            refs.append(env[spec.env]["valueFrom"])
        else:
            assert spec.file in files, f"{spec.file} is not in the podinfo volume"
        if spec.file in files:
            refs.append(files[spec.file])
        for ref in refs:
            if spec.source == "fieldRef":
                assert ref["fieldRef"]["fieldPath"] == spec.path
            else:
                assert ref["resourceFieldRef"]["resource"] == spec.path
                assert ref["resourceFieldRef"]["divisor"] == spec.divisor
                assert ref["resourceFieldRef"]["containerName"] == "webexplorer"
    assert env["WEBEXPLORER_PODINFO_DIR"]["value"] == "/etc/podinfo"


@pytest.mark.parametrize("target", TARGETS)
def test_rbac_stays_narrow(rendered: dict[str, list[dict[str, Any]]], target: str) -> None:
    """No wildcards, never Secrets or RBAC objects, the `view` role for reading, writes only namespaced."""
    docs = rendered[target]
    for role in (d for d in docs if d["kind"] in ("Role", "ClusterRole")):
        for rule in role["rules"]:
            assert "*" not in rule.get("verbs", []) and "*" not in rule.get("resources", []), role
            assert not {"secrets", "roles", "rolebindings", "clusterroles", "clusterrolebindings",
                        "serviceaccounts"} & set(rule.get("resources", [])), role  # fmt: skip
            if role["kind"] == "ClusterRole":
                assert set(rule["verbs"]) <= {"get", "list", "watch", "impersonate"}, role
            if "impersonate" in rule["verbs"]:
                assert set(rule["resources"]) <= {"users", "groups"}, role
                if "groups" in rule["resources"]:
                    assert rule.get("resourceNames") and "system:masters" not in rule["resourceNames"]
    bound = {d["roleRef"]["name"] for d in docs if d["kind"] == "ClusterRoleBinding"}
    assert "view" in bound and not {"edit", "admin", "cluster-admin"} & bound


def test_base_reads_only_and_serves_inside_the_cluster(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["base"]
    assert {d["kind"] for d in docs} >= {
        "Namespace",
        "ServiceAccount",
        "ClusterRoleBinding",
        "Deployment",
        "Service",
    }
    assert one(docs, "Service")["spec"]["type"] == "ClusterIP"
    env = env_of(explorer_container(one(docs, "Deployment")))
    assert "WEBEXPLORER_ALLOW_WRITES" not in env
    assert env["WEBEXPLORER_MODE"] == "in-cluster"
    namespace = one(docs, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_ingress_host_is_the_allowed_host(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["overlays/ingress"]
    ingress = one(docs, "Ingress")
    host = ingress["spec"]["rules"][0]["host"]
    assert ingress["spec"]["tls"][0]["hosts"] == [host] and ingress["spec"]["tls"][0]["secretName"]
    env = env_of(explorer_container(one(docs, "Deployment")))
    assert env["WEBEXPLORER_ALLOWED_HOSTS"].split(",")[0] == host
    # the Ingress terminates TLS: the explorer sees plain HTTP, so it is told its cookies must be Secure
    assert env["WEBEXPLORER_SECURE_COOKIES"] == "true"


def test_writes_are_namespaced_and_turned_on(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["overlays/writes"]
    role = one(docs, "Role")
    binding = one(docs, "RoleBinding")
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] != "webexplorer"
    assert {"create", "update", "patch", "delete"} <= set(role["rules"][0]["verbs"])
    playground = one(docs, "Namespace", role["metadata"]["namespace"])
    assert playground["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert env_of(explorer_container(one(docs, "Deployment")))["WEBEXPLORER_ALLOW_WRITES"] == "true"


def test_ambassador_holds_the_credentials(rendered: dict[str, list[dict[str, Any]]]) -> None:
    deployment = one(rendered["overlays/ambassador"], "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    proxy = next(c for c in pod["initContainers"] if c["name"] == "kubectl-proxy")
    assert proxy["restartPolicy"] == "Always" and "--address=127.0.0.1" in proxy["args"]
    explorer = explorer_container(deployment)
    env = env_of(explorer)
    assert env["WEBEXPLORER_MODE"] == "server" and env["WEBEXPLORER_SERVER"] == "http://localhost:8001"
    masked = next(m for m in explorer["volumeMounts"] if m["mountPath"].endswith("/serviceaccount"))
    assert "emptyDir" in next(v for v in pod["volumes"] if v["name"] == masked["name"])


def test_per_user_reaches_the_explorer_through_the_proxy_only(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    docs = rendered["overlays/per-user"]
    deployment = one(docs, "Deployment")
    explorer = explorer_container(deployment)
    assert explorer["args"][explorer["args"].index("--host") + 1] == "127.0.0.1"
    env = env_of(explorer)
    assert env["WEBEXPLORER_IDENTITY"] == "impersonate"
    assert env["WEBEXPLORER_TRUSTED_PROXY_SECRET"]["secretKeyRef"]["key"] == "trusted-proxy-secret"
    assert one(docs, "Service")["spec"]["ports"][0]["targetPort"] == "proxy"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert explorer[probe]["httpGet"]["port"] == "proxy"


def test_replicas_scale_behind_the_service(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["overlays/replicas"]
    deployment = one(docs, "Deployment")
    assert "replicas" not in deployment["spec"]  # the autoscaler owns it
    hpa = one(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["scaleTargetRef"]["name"] == "webexplorer"
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    # the shared key comes from a required Secret, as a file (never an environment variable)
    container = explorer_container(deployment)
    path = env_of(container)["WEBEXPLORER_SECRET_KEY_FILE"]
    mount = next(m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/"))
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"])
    assert mount["readOnly"] is True
    assert volume["secret"]["secretName"] == "webexplorer" and volume["secret"]["optional"] is False
    assert path.removeprefix(mount["mountPath"] + "/") in {i["path"] for i in volume["secret"]["items"]}


def test_the_shared_key_is_never_an_environment_variable(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """An environment variable is inherited by every child process and lands in crash dumps: the key that
    signs CSRF tokens and seals sign-ins is only ever a mounted file (the replicas overlay) or absent."""
    for overlay, docs in rendered.items():
        env = env_of(explorer_container(one(docs, "Deployment")))
        assert "WEBEXPLORER_SECRET_KEY" not in env, overlay


# ------------------------------------------------------------------------------- the real API server


@pytest.fixture(scope="module")
def namespaces_for(control_plane: ControlPlane) -> Iterator[Any]:
    """Applies (for real) the Namespaces of an overlay: a server-side dry run of a namespaced object
    needs its namespace to exist, and the Namespace in the same apply is only dry-run. Applied with
    ``kubectl apply`` so the later dry run finds the annotation it expects; deleted afterwards."""
    created: set[str] = set()

    def ensure(docs: list[dict[str, Any]]) -> None:
        namespaces = [d for d in docs if d["kind"] == "Namespace"]
        result = subprocess.run(
            [str(control_plane.kubectl), "--kubeconfig", str(control_plane.kubeconfig), "apply", "-f", "-"],
            input=yaml.safe_dump_all(namespaces),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        created.update(ns["metadata"]["name"] for ns in namespaces)

    yield ensure
    with control_plane.client() as client:
        for name in created:
            client.delete(f"/api/v1/namespaces/{name}")


@pytest.mark.parametrize("target", TARGETS)
def test_the_api_server_accepts_it(
    control_plane: ControlPlane,
    rendered: dict[str, list[dict[str, Any]]],
    namespaces_for: Any,
    target: str,
) -> None:
    """``kubectl apply --dry-run=server -k``: admission, validation and defaulting by the real API server,
    including the Pod Security admission warnings for the namespace's `restricted` level."""
    namespaces_for(rendered[target])
    result = subprocess.run(
        [
            str(control_plane.kubectl),
            "--kubeconfig",
            str(control_plane.kubeconfig),
            "apply",
            "--dry-run=server",
            "-k",
            str(K8S / target),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr  # e.g. "would violate PodSecurity"
    applied = [line for line in result.stdout.splitlines() if "(server dry run)" in line]
    assert len(applied) == len(rendered[target]), result.stdout
