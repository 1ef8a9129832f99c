"""``/can-i`` when the rules review cannot be trusted: it says so and asks each resource and verb itself.

Two real ways the API server's ``SelfSubjectRulesReview`` falls short, both on the test control plane
(``--authorization-mode=Node,RBAC``): a kubelet's identity (``system:node:*``, impersonated through the
trusted proxy) for which the Node authorizer answers ``incomplete`` with no rules, and a RoleBinding to a
Role that does not exist, for which RBAC answers with an ``evaluationError``. Every row of the page's
fallback table is checked against the server's own answer to the same question (a SubjectAccessReview
for that user, asked by the admin), API group included.
"""

from __future__ import annotations

import html
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.cluster import ServiceAccount
from tests.tryout_helpers import basic, explorer_app, text_of, token_kubeconfig
from webexplorer.sandbox.controlplane import ControlPlane

RBAC = "/apis/rbac.authorization.k8s.io/v1"
ROW = re.compile(
    r'<tr data-resource="([^"]*)" data-group="([^"]*)">.*?<td>(namespace|cluster)</td>\s*'
    r'<td class="mono" data-col="allowed">([^<]*)</td>\s*<td class="mono" data-col="refused">([^<]*)',
    re.S,
)


def rows(page: str) -> dict[tuple[str, str], tuple[str, set[str], set[str]]]:
    """(group, resource) -> (scope, allowed verbs, refused verbs), as the page's table says."""

    def verbs(cell: str) -> set[str]:
        cell = html.unescape(cell).strip()
        return set() if cell == "none" else {v.strip() for v in cell.split(",")}

    return {
        (g, r): (scope, verbs(allowed), verbs(refused)) for r, g, scope, allowed, refused in ROW.findall(page)
    }


def server_allows(
    admin: httpx.Client, user: str, groups: list[str], verb: str, group: str, resource: str, namespace: str
) -> bool:
    attrs = {"verb": verb, "group": group, "resource": resource}
    if namespace:
        attrs["namespace"] = namespace
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": user, "groups": [*groups, "system:authenticated"], "resourceAttributes": attrs},
    }
    reply = admin.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", json=review)
    assert reply.status_code == 201, reply.text
    return bool(reply.json()["status"].get("allowed"))


def check_against_server(
    page: str, admin: httpx.Client, user: str, groups: list[str], namespace: str
) -> dict[tuple[str, str], tuple[str, set[str], set[str]]]:
    found = rows(page)
    assert len(found) > 30, "the fallback table lists every resource of the catalog"
    for (group, resource), (scope, allowed, refused) in found.items():
        where = namespace if scope == "namespace" else ""
        for verb in allowed | refused:
            expected = server_allows(admin, user, groups, verb, group, resource, where)
            assert (verb in allowed) is expected, (group, resource, verb)
    return found


async def test_an_incomplete_review_is_said_and_each_row_is_asked(
    control_plane: ControlPlane, admin_client: httpx.Client
) -> None:
    secret = secrets.token_hex(16)
    node = f"system:node:n-{uuid.uuid4().hex[:6]}"
    headers = {"X-Forwarded-User": node, "X-Forwarded-Groups": "system:nodes", "Authorization": basic(secret)}
    async with explorer_app(
        control_plane.kubeconfig, identity="impersonate", trusted_proxy_secret=secret
    ) as ex:
        started = time.perf_counter()
        page = await ex.client.get("/can-i?namespace=default", headers=headers)
        took = time.perf_counter() - started
    assert page.status_code == 200, page.text
    assert "incomplete" in text_of(page.text, "can-i-incomplete")
    assert "node authorizer does not support" in text_of(page.text, "can-i-incomplete")
    found = check_against_server(page.text, admin_client, node, ["system:nodes"], "default")
    # the Node authorizer allows what its empty rules list leaves out: the fallback shows it
    assert "list" in found[("", "services")][1] and "create" in found[("", "nodes")][1]
    assert "list" in found[("", "secrets")][2]  # and refuses what it refuses
    print(f"/can-i with {len(found)} rows asked one by one: {took:.2f} s")


@pytest.fixture
def dangling(
    service_account: Callable[..., ServiceAccount], admin_client: httpx.Client
) -> Iterator[ServiceAccount]:
    """An account with a Role of its own, and a RoleBinding to a Role that does not exist."""
    rules = [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}]
    account = service_account(namespace=f"cani-{uuid.uuid4().hex[:6]}", rules=rules)
    binding = {
        "metadata": {"name": "to-nothing"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "does-not-exist"},
        "subjects": [{"kind": "ServiceAccount", "name": account.name, "namespace": account.namespace}],
    }
    path = f"{RBAC}/namespaces/{account.namespace}/rolebindings"
    assert admin_client.post(path, json=binding).status_code == 201
    yield account
    admin_client.delete(f"{path}/to-nothing")


async def test_an_evaluation_error_falls_back_too_and_a_complete_review_does_not(
    control_plane: ControlPlane,
    dangling: ServiceAccount,
    service_account: Callable[..., ServiceAccount],
    admin_client: httpx.Client,
    tmp_path: Path,
) -> None:
    ns = dangling.namespace
    user, groups = dangling.username, ["system:serviceaccounts", f"system:serviceaccounts:{ns}"]
    config = token_kubeconfig(control_plane, dangling.token, tmp_path / "dangling", ns)
    async with explorer_app(config) as ex:
        deadline = time.monotonic() + 15  # RBAC sees the new binding after a short delay: bounded
        while 'id="can-i-incomplete"' not in (page := (await ex.client.get(f"/can-i?namespace={ns}")).text):
            assert time.monotonic() < deadline, page
    assert "does-not-exist" in text_of(page, "can-i-incomplete")
    found = check_against_server(page, admin_client, user, groups, ns)
    assert found[("apps", "deployments")][1] == {"get", "list"}

    whole = service_account(
        namespace=ns, rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
    )
    config = token_kubeconfig(control_plane, whole.token, tmp_path / "whole", ns)
    async with explorer_app(config) as ex:
        page = (await ex.client.get(f"/can-i?namespace={ns}")).text
        assert 'id="can-i-incomplete"' not in page and 'id="can-i-each"' not in page
        assert 'id="can-i-each-link"' in page
        asked = (await ex.client.get(f"/can-i?namespace={ns}&each=1")).text
    found = check_against_server(asked, admin_client, whole.username, groups, ns)
    assert found[("", "pods")][1] == {"get"}
