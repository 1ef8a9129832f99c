"""The test harness is real: a genuine API server with TLS, RBAC, bound tokens, controllers and audit.

These are the acceptance criteria of the harness itself; the explorer's own tests build on them.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.fixtures.cluster import skip_without_controller_manager
from webexplorer.sandbox import KUBERNETES_VERSION
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.pki import CertificateAuthority


def _forbidden(response: httpx.Response) -> dict:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["kind"] == "Status"
    assert body["reason"] == "Forbidden"
    return body


def test_admin_lists_namespaces(admin_client: httpx.Client) -> None:
    response = admin_client.get("/api/v1/namespaces")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "NamespaceList"
    names = {item["metadata"]["name"] for item in body["items"]}
    assert {"default", "kube-system", "kube-public"} <= names


def test_kubernetes_service_exists(admin_client: httpx.Client) -> None:
    service = admin_client.get("/api/v1/namespaces/default/services/kubernetes").json()
    assert service["kind"] == "Service"
    assert service["spec"]["clusterIP"] == "10.0.0.1"


def test_version_is_pinned(admin_client: httpx.Client, control_plane: ControlPlane) -> None:
    version = admin_client.get("/version").json()
    assert version["gitVersion"] == f"v{KUBERNETES_VERSION}"
    assert control_plane.version == f"v{KUBERNETES_VERSION}"


def test_service_account_without_roles_is_forbidden(service_account, api_client) -> None:
    sa = service_account()
    client = api_client(sa.token)
    body = _forbidden(client.get("/api/v1/namespaces/default/pods"))
    assert sa.username in body["message"]
    # Authenticated, not anonymous: the server knows exactly who it is.
    review = client.post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    ).json()
    assert review["status"]["userInfo"]["username"] == sa.username


def test_view_in_one_namespace_lists_pods_but_not_secrets(service_account, api_client) -> None:
    namespace = f"view-{uuid.uuid4().hex[:6]}"
    sa = service_account(namespace=namespace, cluster_role="view")
    client = api_client(sa.token)
    pods = client.get(f"/api/v1/namespaces/{namespace}/pods")
    assert pods.status_code == 200, pods.text
    assert pods.json()["kind"] == "PodList"
    _forbidden(client.get(f"/api/v1/namespaces/{namespace}/secrets"))
    # A RoleBinding grants nothing outside its namespace.
    _forbidden(client.get("/api/v1/namespaces/kube-system/pods"))
    _forbidden(client.get("/api/v1/pods"))


def test_view_cluster_wide_lists_pods_everywhere_but_not_secrets(service_account, api_client) -> None:
    sa = service_account(cluster_role="view", cluster_wide=True)
    client = api_client(sa.token)
    assert client.get("/api/v1/pods").status_code == 200
    assert client.get("/api/v1/namespaces/kube-system/pods").status_code == 200
    _forbidden(client.get("/api/v1/namespaces/kube-system/secrets"))


def test_custom_rules(service_account, api_client) -> None:
    sa = service_account(rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}])
    client = api_client(sa.token)
    assert client.get("/api/v1/namespaces/default/configmaps").status_code == 200
    _forbidden(client.get("/api/v1/namespaces/default/pods"))


def test_in_cluster_token_verifies_against_ca_crt_only(service_account, in_cluster_layout, tmp_path) -> None:
    sa = service_account(cluster_role="view")
    layout = in_cluster_layout(sa)
    assert layout.namespace_path.read_text() == sa.namespace
    assert layout.token_path.is_symlink() and os.readlink(layout.token_path) == "..data/token"
    url = f"https://{layout.env['KUBERNETES_SERVICE_HOST']}:{layout.env['KUBERNETES_SERVICE_PORT']}"
    headers = {"Authorization": f"Bearer {layout.token_path.read_text()}"}

    trusted = ssl.create_default_context(cafile=str(layout.ca_path))
    with httpx.Client(base_url=url, verify=trusted, headers=headers) as client:
        assert client.get(f"/api/v1/namespaces/{sa.namespace}/pods").status_code == 200

    other_ca = tmp_path / "other-ca.crt"
    other_ca.write_bytes(CertificateAuthority.create("someone-else").cert_pem)
    untrusted = ssl.create_default_context(cafile=str(other_ca))
    with (
        httpx.Client(base_url=url, verify=untrusted, headers=headers) as client,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.get(f"/api/v1/namespaces/{sa.namespace}/pods")


def test_in_cluster_rotation_is_an_atomic_symlink_swap(
    service_account, in_cluster_layout, api_client
) -> None:
    sa = service_account(cluster_role="view")
    layout = in_cluster_layout(sa, set_env=True)
    assert os.environ["KUBERNETES_SERVICE_PORT"] == layout.env["KUBERNETES_SERVICE_PORT"]
    data = layout.directory / "..data"
    old_target = os.readlink(data)
    assert old_target.startswith("..") and (layout.directory / old_target).is_dir()

    new_token = sa.request_token()
    assert new_token != sa.token
    layout.rotate(new_token)

    new_target = os.readlink(data)
    assert new_target != old_target
    assert not (layout.directory / old_target).exists()
    assert layout.token == new_token
    assert api_client(layout.token).get(f"/api/v1/namespaces/{sa.namespace}/pods").status_code == 200


def test_admin_client_certificate(control_plane: ControlPlane) -> None:
    with httpx.Client(
        base_url=control_plane.url, verify=control_plane.ssl_context(client_cert=True)
    ) as client:
        review = client.post(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        ).json()
    assert review["status"]["userInfo"]["username"] == "admin"
    assert "system:masters" in review["status"]["userInfo"]["groups"]


def test_kubeconfig_works_with_kubectl(control_plane: ControlPlane) -> None:
    for context in ("sandbox", "sandbox-cert"):
        result = subprocess.run(
            [
                str(control_plane.kubectl),
                f"--kubeconfig={control_plane.kubeconfig}",
                f"--context={context}",
                "get",
                "namespaces",
                "-o",
                "name",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert "namespace/default" in result.stdout.split()


def test_kubectl_proxy_serves_discovery(kubectl_proxy: str) -> None:
    response = httpx.get(f"{kubectl_proxy}/apis/batch/v1")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "APIResourceList"
    assert "jobs" in {resource["name"] for resource in body["resources"]}


def test_deployment_gets_a_replicaset(admin_client: httpx.Client, control_plane: ControlPlane) -> None:
    skip_without_controller_manager(control_plane, "the deployment controller")
    namespace = f"deploy-{uuid.uuid4().hex[:6]}"
    assert admin_client.post("/api/v1/namespaces", json={"metadata": {"name": namespace}}).status_code == 201
    try:
        labels = {"app": "web"}
        deployment = admin_client.post(
            f"/apis/apps/v1/namespaces/{namespace}/deployments",
            json={
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web"},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{"name": "web", "image": "registry.invalid/web:1"}]},
                    },
                },
            },
        )
        assert deployment.status_code == 201, deployment.text
        uid = deployment.json()["metadata"]["uid"]
        deadline = time.monotonic() + 30
        owned: list[dict] = []
        while time.monotonic() < deadline and not owned:
            items = admin_client.get(f"/apis/apps/v1/namespaces/{namespace}/replicasets").json()["items"]
            owned = [
                rs for rs in items if any(o["uid"] == uid for o in rs["metadata"].get("ownerReferences", []))
            ]
            time.sleep(0.2)
        assert owned, "the deployment controller created no ReplicaSet"
    finally:
        admin_client.delete(f"/api/v1/namespaces/{namespace}")


def test_audit_log_records_requests(admin_client: httpx.Client, control_plane: ControlPlane) -> None:
    marker = f"audit-probe-{uuid.uuid4().hex[:8]}"
    assert admin_client.get(f"/api/v1/namespaces/{marker}").status_code == 404
    deadline = time.monotonic() + 10
    hits: list[dict] = []
    while time.monotonic() < deadline and not hits:
        hits = [e for e in control_plane.audit_events() if marker in e.get("requestURI", "")]
        time.sleep(0.1)
    assert [e["stage"] for e in hits] == ["ResponseComplete"]
    assert hits[0]["user"]["username"] == "admin"
    assert hits[0]["level"] == "Metadata"
    assert hits[0]["responseStatus"]["code"] == 404


def test_startup_was_measured(control_plane: ControlPlane) -> None:
    assert control_plane.startup_seconds is not None
    assert 0 < control_plane.startup_seconds < control_plane.ready_timeout
    assert "kube-apiserver /readyz" in control_plane.timings
    assert Path(control_plane.kubeconfig).is_file()
    expected = {"etcd", "kube-apiserver"} | (
        {"kube-controller-manager"} if control_plane.has_controller_manager else set()
    )
    assert set(control_plane.rss_bytes()) == expected
