"""Before a write, against the real API server: *Preview changes* (the live object against the dry run's
answer) and the body check while typing (a Strict dry run, or the local check without a server).

The admin client is the witness: after every preview and check the object is as it was.
"""

# The admin client is the test's own witness, independent of the explorer under test: a blocking call
# between two explorer requests is what the test means, so ASYNC212 does not apply here.
# ruff: noqa: ASYNC212
from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from bench.tryout_writes import deployment
from tests.tryout_helpers import (
    ExplorerClient,
    apply_owned_configmap,
    conflicting_apply,
    explorer_app,
    text_of,
    token_kubeconfig,
)
from webexplorer.sandbox.controlplane import ControlPlane

PATCH_OP = "patchAppsV1NamespacedDeployment"
PUT_OP = "replaceAppsV1NamespacedDeployment"
CREATE_OP = "createAppsV1NamespacedDeployment"


@pytest.fixture
def namespace(admin_client: httpx.Client) -> Iterator[str]:
    name = f"writes-{uuid.uuid4().hex[:8]}"
    admin_client.post("/api/v1/namespaces", json={"metadata": {"name": name}}).raise_for_status()
    yield name
    admin_client.delete(f"/api/v1/namespaces/{name}")


def _diff(page: str) -> str:
    """The text of the diff alone (``text_of`` reads on past the element)."""
    found = re.search(r'<pre class="mono tryout-diff" id="tryout-diff">(.*?)</pre>', page, re.S)
    assert found is not None, "no diff in the page"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def _create(admin_client: httpx.Client, namespace: str, body: dict[str, object]) -> None:
    admin_client.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=body).raise_for_status()


def _replicas(admin_client: httpx.Client, namespace: str, name: str) -> int:
    got = admin_client.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
    got.raise_for_status()
    return int(got.json()["spec"]["replicas"])


async def test_preview_shows_the_servers_diff_and_changes_nothing(
    control_plane: ControlPlane, admin_client: httpx.Client, namespace: str
) -> None:
    _create(admin_client, namespace, deployment("web"))
    async with explorer_app(control_plane.kubeconfig, allow_writes=True) as ex:
        fields = {
            "p.namespace": namespace,
            "p.name": "web",
            "q.fieldManager": "webexplorer",
            "patch_type": "application/merge-patch+json",
            "body": "spec:\n  replicas: 3\n",
            "dry_run": "off",  # the preview forces a dry run whatever the box says
            "preview": "1",
        }
        r = await ex.send(PATCH_OP, fields, group="apps", htmx=True)
        assert r.status_code == 200, r.text
        diff = _diff(r.text)
        assert "-  replicas: 1" in diff and "+  replicas: 3" in diff
        assert "resourceVersion" not in diff and "managedFields" not in diff and "generation" not in diff
        assert "dry run" in text_of(r.text, "tryout-dry-run-badge")
        assert _replicas(admin_client, namespace, "web") == 1
        # the real write is one button away, with the same fields (and no preview)
        assert 'id="tryout-write-for-real"' in r.text
        assert 'name="preview"' not in r.text.split('id="tryout-preview-result"', 1)[1].split("</form>", 1)[0]

        # defaulting is the server's: a PUT of the live object as read changes nothing
        live = admin_client.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/web").json()
        r = await ex.send(
            PUT_OP,
            {"p.namespace": namespace, "p.name": "web", "body": yaml.safe_dump(live), "preview": "1"},
            group="apps",
            htmx=True,
        )
        assert "Nothing would change" in text_of(r.text, "tryout-preview-unchanged"), r.text

        # a create of a new name: everything is new
        body = yaml.safe_dump(deployment("fresh"))
        r = await ex.send(
            CREATE_OP, {"p.namespace": namespace, "body": body, "preview": "1"}, group="apps", htmx=True
        )
        assert "No object of this name exists yet" in text_of(r.text, "tryout-preview-summary")
        assert admin_client.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/fresh").status_code == 404


async def test_preview_in_a_read_only_explorer_offers_no_real_write(
    control_plane: ControlPlane, admin_client: httpx.Client, namespace: str
) -> None:
    _create(admin_client, namespace, deployment("ro"))
    async with explorer_app(control_plane.kubeconfig) as ex:
        fields = {
            "p.namespace": namespace,
            "p.name": "ro",
            "patch_type": "application/merge-patch+json",
            "body": "spec:\n  replicas: 2\n",
            "preview": "1",
        }
        r = await ex.send(PATCH_OP, fields, group="apps", htmx=True)
        assert "+  replicas: 2" in _diff(r.text)
        assert 'id="tryout-write-for-real"' not in r.text
        # without the CSRF token nothing is sent
        r = await ex.send(PATCH_OP, fields, group="apps", htmx=True, csrf="forged")
        assert r.headers.get("X-Webexplorer-Refused") == "1"
    assert _replicas(admin_client, namespace, "ro") == 1


async def _check(
    ex: ExplorerClient, op: str, fields: dict[str, str], csrf: str | None = None
) -> httpx.Response:
    if not ex.csrf:
        await ex.open(f"/try/apps/v1/{op}")
    data = {"csrf": ex.csrf if csrf is None else csrf, **fields}
    return await ex.client.post(
        f"/try/apps/v1/{op}/check",
        data=data,
        headers={"Sec-Fetch-Site": "same-origin", "HX-Request": "true"},
    )


async def test_check_while_typing_shows_the_servers_field_errors_by_line(
    control_plane: ControlPlane, admin_client: httpx.Client, namespace: str
) -> None:
    bad = deployment("typed")
    bad["spec"]["replicas"] = -1  # type: ignore[index]
    text = yaml.safe_dump(bad, sort_keys=False)
    async with explorer_app(control_plane.kubeconfig) as ex:
        base = {"p.namespace": namespace, "q.fieldValidation": "Ignore"}
        r = await _check(ex, CREATE_OP, {**base, "body": text})
        assert r.status_code == 200
        assert 'data-checked-by="server"' in r.text
        findings = text_of(r.text, "tryout-check-findings")
        line = text.splitlines().index("  replicas: -1") + 1
        assert (
            "spec.replicas" in findings
            and f"line {line}" in findings
            and "greater than or equal to 0" in findings
        )

        # an unknown field: Strict is forced whatever the form says
        typo = text.replace("  replicas: -1", "  replicaz: 1")
        r = await _check(ex, CREATE_OP, {**base, "body": typo})
        findings = text_of(r.text, "tryout-check-findings")
        assert "spec.replicaz" in findings and f"line {line}" in findings

        # fixed: accepted, and nothing was stored
        good = text.replace("  replicas: -1", "  replicas: 1")
        r = await _check(ex, CREATE_OP, {**base, "body": good})
        assert "accepts this body" in text_of(r.text, "tryout-check-summary")
        assert 'id="tryout-check-findings"' not in r.text

        # a YAML error is shown before anything is sent
        r = await _check(ex, CREATE_OP, {**base, "body": "spec: [\n"})
        assert "does not parse" in text_of(r.text, "tryout-check-summary")

        # the check is a POST like any other: a forged token is refused
        r = await _check(ex, CREATE_OP, {**base, "body": good}, csrf="forged")
        assert 'data-checked-by="none"' in r.text
    assert admin_client.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/typed").status_code == 404


async def test_check_runs_as_the_visitor_and_says_what_is_missing(
    control_plane: ControlPlane,
    service_account,
    namespace: str,
    tmp_path: Path,
) -> None:
    reader = service_account(
        rules=[{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}],
        role_namespaces=[namespace],
    )
    kubeconfig = token_kubeconfig(control_plane, reader.request_token(), tmp_path / "kc", namespace)
    async with explorer_app(kubeconfig) as ex:
        r = await _check(ex, CREATE_OP, {"p.namespace": namespace, "body": yaml.safe_dump(deployment("x"))})
        summary = text_of(r.text, "tryout-check-summary")
        assert "403" in summary and "cannot create resource" in summary


async def test_check_offline_is_local(tmp_path: Path) -> None:
    from tests.fixtures.asgi import asgi_explorer
    from webexplorer.settings import Settings

    async with asgi_explorer(Settings(mode="snapshot")) as client:
        ex = ExplorerClient(client)
        body = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  replicaz: 1\n"
        r = await _check(ex, CREATE_OP, {"p.namespace": "default", "body": body})
        assert 'data-checked-by="local"' in r.text
        assert "line 6" in text_of(r.text, "tryout-check-findings") and "spec.replicaz" in r.text
        assert "snapshot" in text_of(r.text, "tryout-check-offline")
        # the three starting bodies, offline too
        page = await client.get(f"/try/apps/v1/{CREATE_OP}")
        assert 'id="tryout-start-full"' in page.text and 'id="tryout-start-json"' in page.text
        full = html.unescape((await client.get(f"/try/apps/v1/{CREATE_OP}", params={"start": "full"})).text)
        assert "  # replicas: 0  # integer, format: int32" in full
        as_json = html.unescape(
            (await client.get(f"/try/apps/v1/{CREATE_OP}", params={"start": "json"})).text
        )
        assert '"apiVersion": "apps/v1"' in as_json


CM_APPLY = "patchCoreV1NamespacedConfigMap"
CM_PUT = "replaceCoreV1NamespacedConfigMap"


async def test_apply_conflict_table_then_forced(
    control_plane: ControlPlane, admin_client: httpx.Client, namespace: str
) -> None:
    cm = f"/api/v1/namespaces/{namespace}/configmaps"
    apply_owned_configmap(admin_client, namespace, "owned", "first-owner")
    async with explorer_app(control_plane.kubeconfig, allow_writes=True) as ex:
        fields = conflicting_apply(namespace, "owned")
        r = await ex.send(CM_APPLY, fields, htmx=True)
        assert "409" in text_of(r.text, "tryout-code")
        table = text_of(r.text, "tryout-conflicts")
        assert ".data.a" in table and "first-owner" in table
        command = text_of(r.text, "tryout-force-kubectl")
        assert "kubectl apply --server-side" in command and "--force-conflicts" in command
        assert admin_client.get(f"{cm}/owned").json()["data"]["a"] == "1"
        # the second step: the same fields with force=true
        forced = await ex.send(CM_APPLY, [*fields.items(), ("q.force", "true")], htmx=True)
        assert "200 OK" in text_of(forced.text, "tryout-code"), forced.text
        assert admin_client.get(f"{cm}/owned").json()["data"]["a"] == "2"

        # a replace of a stale read: offered the live object again
        live = admin_client.get(f"{cm}/owned").json()
        admin_client.patch(
            f"{cm}/owned", json={"data": {"b": "x"}}, headers={"Content-Type": "application/merge-patch+json"}
        ).raise_for_status()
        put = {"p.namespace": namespace, "p.name": "owned", "body": yaml.safe_dump(live), "dry_run": "on"}
        r = await ex.send(CM_PUT, put, htmx=True)
        assert "409" in text_of(r.text, "tryout-code")
        link = re.search(r'<a href="([^"]+)" id="tryout-reload-live">', r.text)
        assert link is not None, r.text
        reloaded = await ex.client.get(html.unescape(link.group(1)))
        assert "b: x" in html.unescape(reloaded.text)


async def test_a_read_object_offered_as_a_new_body_and_to_edit(
    control_plane: ControlPlane, admin_client: httpx.Client, namespace: str
) -> None:
    apply_owned_configmap(admin_client, namespace, "source", "first-owner")
    async with explorer_app(control_plane.kubeconfig) as ex:
        r = await ex.send(
            "readCoreV1NamespacedConfigMap", {"p.namespace": namespace, "p.name": "source"}, htmx=True
        )
        links = dict(re.findall(r'<a class="tryout-reuse" href="([^"]+)" id="([^"]+)">', r.text))
        by_id = {v: html.unescape(k) for k, v in links.items()}
        assert set(by_id) == {"tryout-reuse-new", "tryout-reuse-edit"}
        assert "createCoreV1NamespacedConfigMap" in by_id["tryout-reuse-new"]
        assert "replaceCoreV1NamespacedConfigMap" in by_id["tryout-reuse-edit"]
        new_form = (await ex.client.get(by_id["tryout-reuse-new"])).text
        editor = re.search(r'<textarea id="try-body"[^>]*>(.*?)</textarea>', new_form, re.S)
        assert editor is not None
        body = html.unescape(editor.group(1))
        value = yaml.safe_load(body)
        assert set(value["metadata"]) == {"name", "namespace"}  # uid, resourceVersion, managedFields… gone
        assert "status" not in value
        # the new body, renamed, is accepted as it stands
        value["metadata"]["name"] = "copy"
        fields = {"p.namespace": namespace, "q.fieldValidation": "Strict", "body": yaml.safe_dump(value)}
        created = await ex.send("createCoreV1NamespacedConfigMap", fields, htmx=True)
        assert "201" in text_of(created.text, "tryout-code")
        edit_form = html.unescape((await ex.client.get(by_id["tryout-reuse-edit"])).text)
        assert "resourceVersion" in edit_form and "managedFields" not in edit_form
