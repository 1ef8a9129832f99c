"""Releases against real API servers: the recording core on the test control plane equals the embedded
v1.37.2 snapshot, and the upgrade check counts real objects — of a CRD version marked deprecated on the
session's control plane, and (``-m releases``) of ``flowcontrol.apiserver.k8s.io/v1beta3`` on a real
v1.31.14 API server, which the newest embedded release no longer serves.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.asgi import asgi_explorer
from tests.fixtures.cluster import ServiceAccount
from tests.tryout_helpers import token_kubeconfig
from webexplorer.catalog import SnapshotSource, build_catalog, embedded_snapshot_path
from webexplorer.catalog.diff import diff_surfaces, surface_of
from webexplorer.catalog.usage import check_upgrade
from webexplorer.cluster.connection import Connection
from webexplorer.cluster.kubeconfig import load_kubeconfig
from webexplorer.ports import wait_until
from webexplorer.releases import record_control_plane, release_binaries
from webexplorer.sandbox.controlplane import ControlPlane, apiserver_flags_for
from webexplorer.settings import Settings
from webexplorer.web.releases import Releases

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
BETA3 = "/apis/flowcontrol.apiserver.k8s.io/v1beta3"


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 300, (response.status_code, response.text[:500])
    body: dict[str, Any] = response.json()
    return body


async def test_recording_now_equals_the_embedded_release(control_plane: ControlPlane, tmp_path: Path) -> None:
    info = await record_control_plane(control_plane, tmp_path / "now.jsonl.xz", lambda _: None)
    assert info.server_version == "v1.37.2"
    recorded, embedded = SnapshotSource(info.path), SnapshotSource(embedded_snapshot_path())
    now_catalog, embedded_catalog = await build_catalog(recorded), await build_catalog(embedded)
    now = await surface_of(now_catalog, "now", list_warnings=await recorded.list_warnings())
    then = await surface_of(embedded_catalog, "embedded", list_warnings=await embedded.list_warnings())
    diff = diff_surfaces(then, now)
    custom = {g.name for g in now_catalog.groups if g.origin == "custom"}  # other tests' CRDs, if any
    assert all(gv.rpartition("/")[0] in custom for gv in diff.group_versions_added)
    assert not diff.group_versions_removed and not diff.resources_removed
    assert all(r.group in custom for r in diff.resources_added)
    assert not diff.operations_removed and not diff.fields_removed and not diff.fields_changed
    assert all(o.group in custom for o in diff.operations_added)
    assert not diff.fields_added and not diff.fields_deprecated
    built_in = {k: w for k, w in now.warnings.items() if k[0] not in custom}
    assert built_in == dict(then.warnings) and built_in  # the same servers' words (v1 Endpoints, ...)


async def _upgrade_page(settings: Settings, target: str = "v1.37.2") -> str:
    """The /upgrade page of an explorer app on ``settings`` (in-process, lifespan and all)."""
    async with asgi_explorer(settings) as client:
        r = await client.get(f"/upgrade?target={target}", headers={"accept": "text/html"})
    assert r.status_code == 200, r.text[-500:]
    return r.text


def _deprecated_crd(group: str) -> dict[str, Any]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gizmos.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo", "listKind": "GizmoList"},
            "versions": [
                {
                    "name": "v1beta1",
                    "served": True,
                    "storage": False,
                    "deprecated": True,
                    "deprecationWarning": f"{group}/v1beta1 Gizmo is going away; use {group}/v1 Gizmo",
                    "schema": schema,
                },
                {"name": "v1", "served": True, "storage": True, "schema": schema},
            ],
        },
    }


@pytest.fixture
def deprecated_crd(admin_client: httpx.Client) -> Iterator[tuple[str, str]]:
    """A CRD serving a deprecated v1beta1 beside v1 (storage), with two gizmos written through v1beta1
    and one through v1; yields its group and the ``Warning`` the server answers a v1beta1 list with."""
    group = f"up{uuid.uuid4().hex[:8]}.example.com"
    _ok(admin_client.post(CRDS, json=_deprecated_crd(group)))

    def served() -> bool:
        crd = admin_client.get(f"{CRDS}/gizmos.{group}").json()
        established = any(
            c["type"] == "Established" and c["status"] == "True"
            for c in (crd.get("status") or {}).get("conditions") or []
        )
        return established and admin_client.get(f"/apis/{group}/v1beta1/gizmos").status_code == 200

    wait_until(served, timeout=60, what="the CRD to be served")
    try:
        for version, name, namespace in (
            ("v1beta1", "old", "default"),
            ("v1beta1", "old2", "kube-public"),
            ("v1", "new", "default"),
        ):
            gizmo = {"apiVersion": f"{group}/{version}", "kind": "Gizmo", "metadata": {"name": name}}
            path = f"/apis/{group}/{version}/namespaces/{namespace}/gizmos"
            _ok(admin_client.post(path, json={**gizmo, "spec": {"size": 1}}))  # a field, so it is managed
        yield group, admin_client.get(f"/apis/{group}/v1beta1/gizmos").headers["warning"]
    finally:
        admin_client.delete(f"{CRDS}/gizmos.{group}")


async def test_upgrade_page_counts_objects_of_a_deprecated_crd_version(
    control_plane: ControlPlane, deprecated_crd: tuple[str, str]
) -> None:
    group, said = deprecated_crd  # said: the server's own words on a v1beta1 list
    page = await _upgrade_page(Settings(mode="kubeconfig", kubeconfig=str(control_plane.kubeconfig)))
    section = page.split('id="deprecated"', 1)[1].split("</section>", 1)[0]
    row = re.search(
        rf'<tr class="upgrade-use" data-gv="{re.escape(group)}/v1beta1" data-resource="gizmos">(.*?)</tr>',
        section,
        re.S,
    )
    assert row, section[:2000]
    cells = row.group(1)
    assert '<td class="count-objects">3</td>' in cells  # every object is served through every version
    assert '<td class="count-written">2</td>' in cells  # two were written through v1beta1 (managedFields)
    assert "default</span>: 1" in cells and "kube-public</span>: 1" in cells
    assert "is going away" in said and "is going away" in cells
    assert f'data-gv="{group}/v1"' not in page  # the storage version is neither deprecated nor going
    assert 'title="status.storedVersions names this version"' not in cells  # stored as v1


async def test_upgrade_page_says_what_its_identity_may_not_count(
    control_plane: ControlPlane,
    deprecated_crd: tuple[str, str],
    service_account: Callable[..., ServiceAccount],
    tmp_path: Path,
) -> None:
    group, _ = deprecated_crd
    crds_only = [
        {
            "apiGroups": ["apiextensions.k8s.io"],
            "resources": ["customresourcedefinitions"],
            "verbs": ["get", "list"],
        }
    ]
    account = service_account(cluster_rules=crds_only)
    kubeconfig = token_kubeconfig(control_plane, account.token, tmp_path / "limited.kubeconfig")
    page = await _upgrade_page(Settings(mode="kubeconfig", kubeconfig=str(kubeconfig)))
    section = page.split('id="deprecated"', 1)[1].split("</section>", 1)[0]
    row = section.split(f'data-gv="{group}/v1beta1" data-resource="gizmos">', 1)[1].split("</tr>", 1)[0]
    assert "may not list gizmos" in row and "count-objects" not in row  # a refusal, not a zero
    # a built-in the identity may not list: its deprecation as a real server of a release stated it
    endpoints = section.split('data-gv="v1" data-resource="endpoints">', 1)[1].split("</tr>", 1)[0]
    assert "v1 Endpoints is deprecated" in endpoints and "may not list endpoints" in endpoints


@pytest.fixture(scope="module")
def release_131() -> Iterator[ControlPlane]:
    """A real v1.31.14 API server (built from its Go module once, then cached) on the sandbox's etcd."""
    plane = ControlPlane(
        release_binaries("1.31.14"), ready_timeout=180.0, apiserver_flags=apiserver_flags_for("1.31.14")
    )
    with plane:
        yield plane


@pytest.fixture(scope="module")
def flowschema_131(release_131: ControlPlane) -> tuple[dict[str, Any], str]:
    """A FlowSchema written through v1beta3 on the v1.31.14 server; the v1beta3 list and its Warning."""
    name = f"up-{uuid.uuid4().hex[:8]}"
    with release_131.client() as admin:
        _ok(
            admin.post(
                f"{BETA3}/flowschemas",
                json={
                    "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3",
                    "kind": "FlowSchema",
                    "metadata": {"name": name},
                    "spec": {
                        "priorityLevelConfiguration": {"name": "global-default"},
                        "matchingPrecedence": 9000,
                        "rules": [
                            {
                                "subjects": [{"kind": "Group", "group": {"name": "nobody"}}],
                                "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/nothing"]}],
                            }
                        ],
                    },
                },
            )
        )
        listed = admin.get(f"{BETA3}/flowschemas")
        return _ok(listed), listed.headers["warning"]


@pytest.mark.releases
async def test_upgrade_check_counts_objects_of_a_version_the_target_removed(
    release_131: ControlPlane, flowschema_131: tuple[dict[str, Any], str]
) -> None:
    listed, warning = flowschema_131
    in_server = [
        i
        for i in listed["items"]
        if any(
            m.get("apiVersion") == "flowcontrol.apiserver.k8s.io/v1beta3"
            for m in i["metadata"].get("managedFields", [])
        )
    ]
    releases = Releases(1 << 20)
    async with Connection.from_kubeconfig(load_kubeconfig([release_131.kubeconfig])) as conn:
        catalog = await build_catalog(conn)
        check = await check_upgrade(
            conn, catalog, await releases.surface("v1.37.2"), await releases.history()
        )
    uses = {(u.group_version, u.resource.name): u for u in check.not_served}
    use = uses[("flowcontrol.apiserver.k8s.io/v1beta3", "flowschemas")]
    assert use.count.written == len(in_server) >= 1 and use.count.objects == len(listed["items"])
    assert use.replacement == "flowcontrol.apiserver.k8s.io/v1 FlowSchema"
    assert use.warning in warning and "deprecated" in use.warning
    assert ("flowcontrol.apiserver.k8s.io/v1", "flowschemas") not in uses  # v1 stays
    page = await _upgrade_page(Settings(mode="kubeconfig", kubeconfig=str(release_131.kubeconfig)))
    section = page.split('id="not-served"', 1)[1].split("</section>", 1)[0]
    assert 'data-gv="flowcontrol.apiserver.k8s.io/v1beta3" data-resource="flowschemas"' in section
    summary = page.split('id="upgrade-summary"', 1)[1].split("</p>", 1)[0]
    assert f"flowcontrol.apiserver.k8s.io/v1beta3/flowschemas</span> ({len(in_server)})" in summary
