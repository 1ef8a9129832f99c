"""Try it out end to end: an in-process explorer sends real requests to the real control plane.

The API server's audit log is the witness: a write that was a dry run is not stored (a direct GET
still answers 404), and the refusals (test_tryout_refusals.py) leave no trace in it at all.
"""

# The admin client is the test's own witness, independent of the explorer under test: a blocking call
# between two explorer requests is what the test means, so ASYNC212 does not apply here.
# ruff: noqa: ASYNC212
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.tryout_helpers import audit_count, explorer_app, marker, text_of, token_kubeconfig
from webexplorer.sandbox.controlplane import ControlPlane

CM = "/api/v1/namespaces/default/configmaps"


def configmap_yaml(name: str, extra: str = "") -> str:
    head = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\n"
    return head + f'data:\n  a: "1"\n{extra}'


@pytest.fixture
def cleanup(admin_client: httpx.Client):
    names: list[str] = []
    yield names
    for name in names:
        admin_client.delete(f"{CM}/{name}")


async def test_create_dry_run_then_real(
    control_plane: ControlPlane,
    admin_client: httpx.Client,
    cleanup: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = marker()
    cleanup.append(name)
    caplog.set_level(logging.INFO, logger="webexplorer.audit")
    async with explorer_app(control_plane.kubeconfig, allow_writes=True) as ex:
        fields = {
            "p.namespace": "default",
            "q.fieldValidation": "Strict",
            "body": configmap_yaml(name),
            "dry_run": "on",
        }
        r = await ex.send("createCoreV1NamespacedConfigMap", fields)
        assert r.status_code == 200, r.text
        assert "201 Created" in text_of(r.text, "tryout-code")
        assert "dry run" in text_of(r.text, "tryout-dry-run-badge")
        assert admin_client.get(f"{CM}/{name}").status_code == 404
        # the equivalent commands never hold the token
        assert control_plane.admin_token not in r.text
        assert "$TOKEN" in text_of(r.text, "tryout-curl") and "--cacert" in text_of(r.text, "tryout-curl")
        assert "--dry-run=server" in text_of(r.text, "tryout-kubectl")

        fields["dry_run"] = "off"
        r = await ex.send("createCoreV1NamespacedConfigMap", fields)
        assert "201 Created" in text_of(r.text, "tryout-code"), r.text
        assert "real write" in r.text
        assert admin_client.get(f"{CM}/{name}").status_code == 200
    lines = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "webexplorer.audit"]
    assert [(entry["verb"], entry["dry_run"], entry["status"]) for entry in lines] == [
        ("POST", True, 201),
        ("POST", False, 201),
    ]
    assert all(entry["identity"] == "admin" and entry["audit_id"] for entry in lines)
    assert all(entry["path"].startswith(CM + "?") for entry in lines)
    assert all(control_plane.admin_token not in rec.getMessage() for rec in caplog.records)
    assert all("data" not in entry for entry in lines)


async def test_read_only_explorer_sends_writes_as_dry_runs(
    control_plane: ControlPlane, admin_client: httpx.Client
) -> None:
    name = marker()
    async with explorer_app(control_plane.kubeconfig) as ex:
        page = await ex.open("/try/core/v1/createCoreV1NamespacedConfigMap")
        assert "Read-only explorer" in text_of(page.text, "tryout-readonly")
        r = await ex.send(
            "createCoreV1NamespacedConfigMap",
            {"p.namespace": "default", "body": configmap_yaml(name), "dry_run": "on"},
        )
        assert "201 Created" in text_of(r.text, "tryout-code")
    assert admin_client.get(f"{CM}/{name}").status_code == 404


async def test_each_patch_type_and_server_side_apply_conflict(
    control_plane: ControlPlane, admin_client: httpx.Client, cleanup: list[str]
) -> None:
    name = marker()
    cleanup.append(name)
    admin_client.post(CM, json={"metadata": {"name": name}, "data": {"a": "1"}})
    path = {"p.namespace": "default", "p.name": name, "dry_run": "off"}
    patches = [
        ("application/json-patch+json", '[{"op": "add", "path": "/data/json", "value": "j"}]', "json", "j"),
        ("application/merge-patch+json", "data:\n  merge: m\n", "merge", "m"),
        ("application/strategic-merge-patch+json", '{"data": {"strategic": "s"}}', "strategic", "s"),
    ]
    async with explorer_app(control_plane.kubeconfig, allow_writes=True) as ex:
        for content_type, body, key, value in patches:
            r = await ex.send(
                "patchCoreV1NamespacedConfigMap", {**path, "patch_type": content_type, "body": body}
            )
            assert "200 OK" in text_of(r.text, "tryout-code"), r.text
            assert f"--type={key}" in text_of(r.text, "tryout-kubectl")
            assert admin_client.get(f"{CM}/{name}").json()["data"][key] == value

        apply = {**path, "patch_type": "application/apply-patch+yaml"}
        owned = configmap_yaml(name).replace('a: "1"', "owned: first")
        r = await ex.send(
            "patchCoreV1NamespacedConfigMap", {**apply, "q.fieldManager": "team-a", "body": owned}
        )
        assert "200 OK" in text_of(r.text, "tryout-code"), r.text
        assert "apply --server-side" in text_of(r.text, "tryout-kubectl")
        conflicting = owned.replace("owned: first", "owned: second")
        r = await ex.send(
            "patchCoreV1NamespacedConfigMap", {**apply, "q.fieldManager": "team-b", "body": conflicting}
        )
        assert "409 Conflict" in text_of(r.text, "tryout-code")
        status = text_of(r.text, "tryout-status-object")
        assert "team-a" in status and ".data.owned" in status
        forced = {**apply, "q.fieldManager": "team-b", "q.force": "true", "body": conflicting}
        r = await ex.send("patchCoreV1NamespacedConfigMap", forced)
        assert "200 OK" in text_of(r.text, "tryout-code"), r.text
        assert "--force-conflicts" in text_of(r.text, "tryout-kubectl")
    assert admin_client.get(f"{CM}/{name}").json()["data"]["owned"] == "second"


async def test_delete_needs_confirmation(control_plane: ControlPlane, admin_client: httpx.Client) -> None:
    name = marker()
    admin_client.post(CM, json={"metadata": {"name": name}})
    async with explorer_app(control_plane.kubeconfig, allow_writes=True) as ex:
        fields = {"p.namespace": "default", "p.name": name, "dry_run": "off"}
        before = audit_count(control_plane, name)
        r = await ex.send("deleteCoreV1NamespacedConfigMap", fields)
        assert "Nothing was deleted yet" in text_of(r.text, "tryout-delete-preview")
        assert "dry run" in text_of(r.text, "tryout-dry-run-badge")
        events = [e for e in control_plane.audit_events() if name in e.get("requestURI", "")][before:]
        assert [(e["verb"], "dryRun=All" in e["requestURI"]) for e in events] == [("delete", True)]
        assert admin_client.get(f"{CM}/{name}").status_code == 200
        r = await ex.send("deleteCoreV1NamespacedConfigMap", {**fields, "confirm": "yes"})
        assert "200 OK" in text_of(r.text, "tryout-code"), r.text
    assert admin_client.get(f"{CM}/{name}").status_code == 404


async def test_deletecollection_preview_then_confirm(
    control_plane: ControlPlane, admin_client: httpx.Client
) -> None:
    label = marker()
    for i in range(2):
        admin_client.post(CM, json={"metadata": {"name": f"{label}-{i}", "labels": {"m": label}}})
    async with explorer_app(control_plane.kubeconfig, allow_writes=True) as ex:
        fields = {"p.namespace": "default", "q.labelSelector": f"m={label}", "dry_run": "off"}
        r = await ex.send("deleteCoreV1CollectionNamespacedConfigMap", fields)
        assert "Nothing was deleted yet" in r.text
        assert f"{label}-0" in r.text and f"{label}-1" in r.text
        assert len(admin_client.get(CM, params={"labelSelector": f"m={label}"}).json()["items"]) == 2
        r = await ex.send("deleteCoreV1CollectionNamespacedConfigMap", {**fields, "confirm": "yes"})
        assert "200 OK" in text_of(r.text, "tryout-code"), r.text
    assert admin_client.get(CM, params={"labelSelector": f"m={label}"}).json()["items"] == []


async def test_forbidden_status_for_a_limited_account(
    control_plane: ControlPlane, service_account: Callable[..., object], tmp_path: Path
) -> None:
    account = service_account(
        rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]
    )
    kubeconfig = token_kubeconfig(control_plane, account.token, tmp_path / "limited.kubeconfig")  # type: ignore[attr-defined]
    async with explorer_app(kubeconfig) as ex:
        r = await ex.send("listCoreV1NamespacedSecret", {"p.namespace": "default"})
        assert "403 Forbidden" in text_of(r.text, "tryout-code")
        status = text_of(r.text, "tryout-status-object")
        assert "Forbidden" in status and "cannot list resource" in status and account.name in status  # type: ignore[attr-defined]


async def test_unknown_field_warns_or_fails(control_plane: ControlPlane, admin_client: httpx.Client) -> None:
    name = marker()
    body = configmap_yaml(name, "bogusField: 1\n")
    async with explorer_app(control_plane.kubeconfig) as ex:
        base = {"p.namespace": "default", "body": body, "dry_run": "on"}
        r = await ex.send("createCoreV1NamespacedConfigMap", {**base, "q.fieldValidation": "Warn"})
        assert "201 Created" in text_of(r.text, "tryout-code")
        assert 'unknown field "bogusField"' in text_of(r.text, "tryout-warnings")
        r = await ex.send("createCoreV1NamespacedConfigMap", {**base, "q.fieldValidation": "Strict"})
        assert "400 Bad Request" in text_of(r.text, "tryout-code")
        assert 'unknown field "bogusField"' in text_of(r.text, "tryout-status-object")
    assert admin_client.get(f"{CM}/{name}").status_code == 404


async def test_limit_pages_through_five_objects(
    control_plane: ControlPlane, admin_client: httpx.Client
) -> None:
    label = marker()
    names = {f"{label}-{i}" for i in range(5)}
    for n in names:
        admin_client.post(CM, json={"metadata": {"name": n, "labels": {"m": label}}})
    try:
        seen: list[str] = []
        pages = 0
        async with explorer_app(control_plane.kubeconfig) as ex:
            fields = {
                "p.namespace": "default",
                "q.limit": "2",
                "q.labelSelector": f"m={label}",
                "as_table": "on",
            }
            while pages < 5:
                r = await ex.send("listCoreV1NamespacedConfigMap", fields, htmx=True)
                assert "200 OK" in text_of(r.text, "tryout-code"), r.text
                table = text_of(r.text, "tryout-table").split("</table>")[0]
                found = sorted(n for n in names if n in table)
                assert len(found) <= 2
                seen += found
                pages += 1
                token = _continue_token(r.text)
                if not token:
                    break
                fields = {**fields, "q.continue": token}
        assert pages == 3 and sorted(seen) == sorted(names)
    finally:
        for n in names:
            admin_client.delete(f"{CM}/{n}")


def _continue_token(html: str) -> str:
    import re

    found = re.search(r'name="q.continue" value="([^"]+)"', html)
    return found.group(1).replace("&#34;", '"').replace("&amp;", "&") if found else ""


async def test_explain_and_escaping_of_cluster_text(
    control_plane: ControlPlane, admin_client: httpx.Client
) -> None:
    name = marker()
    evil = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'
    admin_client.post(
        CM, json={"metadata": {"name": name, "annotations": {"evil": evil}}, "data": {"payload": evil}}
    )
    try:
        async with explorer_app(control_plane.kubeconfig) as ex:
            r = await ex.send("readCoreV1NamespacedConfigMap", {"p.namespace": "default", "p.name": name})
            assert "200 OK" in text_of(r.text, "tryout-code")
            assert "<script>window.__pwned" not in r.text and "<img src=x" not in r.text
            assert "&lt;script&gt;" in r.text
            explained = text_of(r.text, "tryout-explain")
            assert "map[string]string" in explained and "ObjectMeta" in explained
            # a field the schema does not know is marked as such
        async with explorer_app(control_plane.kubeconfig) as ex:
            r = await ex.send("readCoreV1Namespace", {"p.name": "default"})
            assert "NamespaceSpec" in text_of(r.text, "tryout-explain")
    finally:
        admin_client.delete(f"{CM}/{name}")


async def test_share_link_refills_and_sends_nothing(control_plane: ControlPlane) -> None:
    name = marker()
    async with explorer_app(control_plane.kubeconfig) as ex:
        r = await ex.send(
            "createCoreV1NamespacedConfigMap",
            {"p.namespace": "default", "body": configmap_yaml(name), "dry_run": "on"},
        )
        import html as htmllib
        import re

        link = htmllib.unescape(re.search(r'href="([^"]+)" id="tryout-share-link"', r.text).group(1))  # type: ignore[union-attr]
        assert "csrf" not in link and "token" not in link.lower()
        before = audit_count(control_plane, name)
        ex.client.cookies.clear()
        page = await ex.client.get(link)
        assert page.status_code == 200
        assert f"name: {name}" in htmllib.unescape(page.text)
        assert audit_count(control_plane, name) == before
