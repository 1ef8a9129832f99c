"""Know why: the rule try-it suggests for a refused request grants it on the real API server, and no more.

For each refused question (a core resource in a namespace, a subresource of another group, a
cluster-scoped resource, a namespaced resource across all namespaces), the suggested Role or ClusterRole
is applied for real — with its binding, for a real service account that had no rights at all — and then
the account's own ``SelfSubjectAccessReview`` allows it, the request itself succeeds, its rules review
gained exactly that one rule, and neighbouring questions (other verbs, the parent resource, another
namespace, another resource) are still refused. The try-it page shows the lacking attributes and the YAML;
applying the YAML the page shows makes its Send button live and the request go through.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.fixtures.cluster import ServiceAccount
from tests.tryout_helpers import explorer_app, text_of, token_kubeconfig
from webexplorer.cluster.grants import Grant, smallest_grant
from webexplorer.cluster.reviews import ResourceAttributes
from webexplorer.ports import wait_until

RBAC = "/apis/rbac.authorization.k8s.io/v1"
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete")


@dataclass
class Case:
    attributes: ResourceAttributes
    #: the request the grant must make succeed
    path: str
    #: questions the grant must not allow
    neighbours: tuple[ResourceAttributes, ...]


def cases(ns: str, other: str) -> dict[str, Case]:
    core = ResourceAttributes("list", "", "configmaps", namespace=ns)
    scale = ResourceAttributes("get", "apps", "deployments", "scale", ns)
    cluster = ResourceAttributes("list", "", "namespaces")
    everywhere = ResourceAttributes("list", "apps", "deployments")
    return {
        "core in a namespace": Case(
            core,
            f"/api/v1/namespaces/{ns}/configmaps",
            (
                *(ResourceAttributes(v, "", "configmaps", namespace=ns) for v in VERBS if v != "list"),
                ResourceAttributes("list", "", "configmaps", namespace=other),
                ResourceAttributes("list", "", "secrets", namespace=ns),
                ResourceAttributes("list", "", "configmaps"),
            ),
        ),
        "subresource of apps": Case(
            scale,
            f"/apis/apps/v1/namespaces/{ns}/deployments/web/scale",
            (
                ResourceAttributes("get", "apps", "deployments", namespace=ns),
                ResourceAttributes("update", "apps", "deployments", "scale", ns),
                ResourceAttributes("get", "apps", "deployments", "status", ns),
                ResourceAttributes("get", "apps", "deployments", "scale", other),
                ResourceAttributes("get", "", "deployments", "scale", ns),
            ),
        ),
        "cluster-scoped": Case(
            cluster,
            "/api/v1/namespaces",
            (
                ResourceAttributes("get", "", "namespaces"),
                ResourceAttributes("watch", "", "namespaces"),
                ResourceAttributes("list", "", "nodes"),
            ),
        ),
        "every namespace": Case(
            everywhere,
            "/apis/apps/v1/deployments",
            (
                ResourceAttributes("watch", "apps", "deployments"),
                ResourceAttributes("get", "apps", "deployments", namespace=ns),
                ResourceAttributes("list", "apps", "replicasets"),
                ResourceAttributes("list", "", "deployments"),
            ),
        ),
    }


def test_the_smallest_grant_is_one_rule_of_one_verb_group_and_resource() -> None:
    grant = smallest_grant(ResourceAttributes("update", "apps", "deployments", "scale", "team-a"))
    assert grant.kind == "Role" and grant.namespace == "team-a"
    assert grant.rule == {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["update"]}
    role, binding = yaml.safe_load_all(grant.yaml("system:serviceaccount:team-a:ci"))
    assert role["metadata"] == {"name": grant.name, "namespace": "team-a"} and role["rules"] == [grant.rule]
    assert binding["kind"] == "RoleBinding"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "ci", "namespace": "team-a"}]
    core = smallest_grant(ResourceAttributes("list", "", "nodes"))
    assert core.kind == "ClusterRole" and core.rule["apiGroups"] == [""]  # the core group, named
    (alone,) = yaml.safe_load_all(core.yaml())
    assert alone["kind"] == "ClusterRole" and "namespace" not in alone["metadata"]
    user = core.binding("jane@example.com")
    assert user["kind"] == "ClusterRoleBinding"
    assert user["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "jane@example.com"}
    ]


def _review(client: httpx.Client, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The status of the account's own review of ``kind``, as the API server answers it."""
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": kind, "spec": spec}
    reply = client.post(f"/apis/authorization.k8s.io/v1/{kind.lower()}s", json=review)
    assert reply.status_code == 201, reply.text
    status: dict[str, Any] = reply.json()["status"]
    return status


def _allowed(client: httpx.Client, a: ResourceAttributes) -> bool:
    fields = {"verb": a.verb, "resource": a.resource, "subresource": a.subresource, "namespace": a.namespace}
    spec = {k: v for k, v in fields.items() if v} | {"group": a.group}
    return bool(_review(client, "SelfSubjectAccessReview", {"resourceAttributes": spec}).get("allowed"))


def _rules(client: httpx.Client, namespace: str) -> set[tuple[tuple[str, ...], ...]]:
    status = _review(client, "SelfSubjectRulesReview", {"namespace": namespace})
    return {
        tuple(tuple(sorted(r.get(k) or ())) for k in ("verbs", "apiGroups", "resources", "resourceNames"))
        for r in status["resourceRules"]
    }


class Applied:
    """Objects applied with the admin client, deleted again at teardown."""

    def __init__(self, admin: httpx.Client) -> None:
        self.admin = admin
        self.paths: list[str] = []

    def apply(self, document: dict[str, Any]) -> None:
        namespace = document["metadata"].get("namespace")
        plural = document["kind"].lower() + "s"
        collection = f"{RBAC}/namespaces/{namespace}/{plural}" if namespace else f"{RBAC}/{plural}"
        reply = self.admin.post(collection, json=document)
        assert reply.status_code == 201, reply.text
        self.paths.append(f"{collection}/{document['metadata']['name']}")

    def grant(self, grant: Grant, username: str) -> None:
        self.apply(grant.role())
        self.apply(grant.binding(username))


@pytest.fixture
def applied(admin_client: httpx.Client) -> Iterator[Applied]:
    found = Applied(admin_client)
    yield found
    for path in reversed(found.paths):
        admin_client.delete(path)


@pytest.fixture
def nobody(service_account: Callable[..., ServiceAccount], admin_client: httpx.Client) -> ServiceAccount:
    """A service account with no rights, in a namespace of its own with a deployment in it."""
    account = service_account(namespace=f"grants-{uuid.uuid4().hex[:6]}")
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "registry.invalid/web:1"}]},
            },
        },
    }
    reply = admin_client.post(f"/apis/apps/v1/namespaces/{account.namespace}/deployments", json=deployment)
    assert reply.status_code == 201, reply.text
    return account


@pytest.mark.parametrize("name", sorted(cases("a", "b")))
def test_the_suggested_rule_grants_exactly_the_refused_request(
    name: str,
    nobody: ServiceAccount,
    applied: Applied,
    api_client: Callable[..., httpx.Client],
) -> None:
    case = cases(nobody.namespace, "default")[name]
    client = api_client(nobody.token)
    assert not _allowed(client, case.attributes)
    assert client.get(case.path).status_code == 403
    before = _rules(client, nobody.namespace)

    grant = smallest_grant(case.attributes)
    applied.grant(grant, nobody.username)
    wait_until(lambda: _allowed(client, case.attributes), timeout=15, interval=0.05, what="RBAC to apply")

    assert client.get(case.path).status_code == 200
    after = _rules(client, nobody.namespace)
    rule = grant.rule
    gained = {((rule["verbs"][0],), (rule["apiGroups"][0],), (rule["resources"][0],), ())}
    assert before <= after and after - before == gained
    broader = [n for n in case.neighbours if _allowed(client, n)]
    assert broader == []


def _yaml_of(page: str, block: str = "tryout-denied") -> list[dict[str, Any]]:
    found = re.search(rf'<pre[^>]*id="{block}-yaml"[^>]*>(.*?)</pre>', page, re.S)
    assert found, "no YAML on the page"
    return list(yaml.safe_load_all(html.unescape(found.group(1))))


async def test_try_it_says_what_is_lacking_and_its_yaml_grants_it(
    control_plane: Any,
    nobody: ServiceAccount,
    applied: Applied,
    api_client: Callable[..., httpx.Client],
    tmp_path: Path,
) -> None:
    ns = nobody.namespace
    config = token_kubeconfig(control_plane, nobody.token, tmp_path / "config", ns)
    url = f"/try/apps/v1/readAppsV1NamespacedDeploymentScale?p.namespace={ns}&p.name=web"
    async with explorer_app(config) as ex:
        page = (await ex.open(url)).text
        send = page[page.find('id="tryout-send"') :]
        assert " disabled" in send[: send.find(">")]
        lacks = f"may not get deployments/scale in the namespace '{ns}' of the API group 'apps'"
        assert lacks in text_of(page, "tryout-denied-sentence")
        attrs = dict(re.findall(r'data-attr="(\w+)">([^<]*)<', page))
        assert attrs == {
            "verb": "get",
            "group": "apps",
            "resource": "deployments",
            "subresource": "scale",
            "namespace": ns,
        }
        role, binding = _yaml_of(page)
        # sent all the same (Send is advisory): the 403 answer says the same, for the request as sent
        forbidden = await ex.send(
            "readAppsV1NamespacedDeploymentScale",
            {"p.namespace": ns, "p.name": "web"},
            group="apps",
            htmx=True,
        )
        assert "403 Forbidden" in text_of(forbidden.text, "tryout-code")
        assert lacks in text_of(forbidden.text, "tryout-answer-denied-sentence")
        assert dict(re.findall(r'data-attr="(\w+)">([^<]*)<', forbidden.text)) == attrs
        assert _yaml_of(forbidden.text, "tryout-answer-denied") == _yaml_of(page)
    assert role["kind"] == "Role" and role["metadata"]["namespace"] == ns
    assert role["rules"] == [{"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get"]}]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": nobody.name, "namespace": ns}]
    applied.apply(role)
    applied.apply(binding)
    wanted = ResourceAttributes("get", "apps", "deployments", "scale", ns)
    client = api_client(nobody.token)
    wait_until(lambda: _allowed(client, wanted), timeout=15, interval=0.05, what="RBAC to apply")
    async with explorer_app(config) as ex:  # a fresh explorer: its review cache is new
        page = (await ex.open(url)).text
        assert 'id="tryout-denied"' not in page
        answer = await ex.send(
            "readAppsV1NamespacedDeploymentScale", {"p.namespace": ns, "p.name": "web"}, group="apps"
        )
        assert "200 OK" in text_of(answer.text, "tryout-code"), answer.text
