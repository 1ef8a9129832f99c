"""SelfSubjectAccessReview and SelfSubjectRulesReview (cluster/reviews.py) against the real API server:
the typed answers say what the server's own JSON says, for a service account with a Role of its own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.cluster import ServiceAccount
from tests.fixtures.kubeconfigs import kubeconfig_doc, write_yaml
from webexplorer.cluster import ClusterError, Connection, load_kubeconfig
from webexplorer.cluster.reviews import (
    RULES_REVIEW_PATH,
    NonResourceRule,
    ResourceAttributes,
    ResourceRule,
    _attributes,
    access_review,
    rules_review,
)
from webexplorer.sandbox.controlplane import ControlPlane

SAFactory = Callable[..., ServiceAccount]
NS = "reviews-access"
RULES_NS = "reviews-rules"  # a namespace of its own: the first is still being deleted
RULES = [
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]},
    {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["update"]},
    {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["web"], "verbs": ["get"]},
]


def token_connection(control_plane: ControlPlane, tmp_path: Path, token: str) -> Connection:
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={"token": token},
        cluster={"certificate-authority": str(control_plane.ca_file)},
    )
    return Connection.from_kubeconfig(load_kubeconfig([write_yaml(tmp_path / "config", doc)]))


async def test_access_review_answers_as_rbac_does(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    account = service_account(namespace=NS, rules=RULES)
    async with token_connection(control_plane, tmp_path, account.token) as conn:
        list_here = ResourceAttributes("list", "", "configmaps", namespace=NS)
        allowed = await access_review(conn, list_here)
        assert allowed is not None and allowed.allowed and not allowed.denied
        assert "RoleBinding" in allowed.reason and allowed.refusal(list_here) is None

        scale = ResourceAttributes("update", "apps", "deployments", "scale", NS)
        decision = await access_review(conn, scale)
        assert decision is not None and decision.allowed

        secrets = ResourceAttributes("get", "", "secrets", namespace=NS)  # granted for one name only
        decision = await access_review(conn, secrets)
        assert decision is not None and not decision.allowed

        list_default = ResourceAttributes("list", "", "configmaps", namespace="default")
        refused = await access_review(conn, list_default)
        assert refused is not None and not refused.allowed and not refused.denied  # RBAC never denies
        assert refused.refusal(list_default) == (
            "Your identity may not list configmaps in the namespace 'default' of the core API group (\"\") "
            "(SelfSubjectAccessReview"
            f"{': ' + refused.reason[:200] if refused.reason.strip() else ''}); the API server would answer "
            "403 Forbidden."
        )
        delete = ResourceAttributes("delete", "apps", "deployments", "scale", NS)
        refused = await access_review(conn, delete)
        assert refused is not None and (refused.refusal(delete) or "").startswith(
            f"Your identity may not delete deployments/scale in the namespace '{NS}' of the API group 'apps' "
            "(SelfSubjectAccessReview"
        )


async def test_rules_review_is_the_servers_status_typed(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    account = service_account(namespace=RULES_NS, rules=RULES)
    async with token_connection(control_plane, tmp_path, account.token) as conn:
        review = await rules_review(conn, RULES_NS)
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview",
            "spec": {"namespace": RULES_NS},
        }
        raw = await conn.request(
            "POST",
            RULES_REVIEW_PATH,
            headers={"Content-Type": "application/json"},
            content=json.dumps(body).encode(),
        )
    status: dict[str, Any] = json.loads(raw.body)["status"]

    def strings(rule: dict[str, Any], key: str) -> tuple[str, ...]:
        return tuple(rule.get(key) or ())

    # the same rules (the server lists them in no fixed order from one answer to the next)
    assert set(review.resource_rules) == {
        ResourceRule(
            strings(r, "verbs"), strings(r, "apiGroups"), strings(r, "resources"), strings(r, "resourceNames")
        )
        for r in status["resourceRules"]
    }
    assert len(review.resource_rules) == len(status["resourceRules"])
    assert set(review.non_resource_rules) == {
        NonResourceRule(strings(r, "verbs"), strings(r, "nonResourceURLs"))
        for r in status["nonResourceRules"]
    }
    assert (review.incomplete, review.evaluation_error) == (
        status.get("incomplete", False),
        status.get("evaluationError", ""),
    )
    # and what the Role granted is there, typed
    assert ResourceRule(("get", "list"), ("",), ("configmaps",), ()) in review.resource_rules
    assert ResourceRule(("update",), ("apps",), ("deployments/scale",), ()) in review.resource_rules
    assert ResourceRule(("get",), ("",), ("secrets",), ("web",)) in review.resource_rules
    assert any("/version" in rule.non_resource_urls for rule in review.non_resource_rules)  # system:discovery


async def test_reviews_without_an_answer(control_plane: ControlPlane, tmp_path: Path) -> None:
    async with token_connection(control_plane, tmp_path, "not-a-token") as conn:
        assert await access_review(conn, ResourceAttributes("list", "", "pods")) is None  # never a refusal

        with pytest.raises(ClusterError) as caught:
            await rules_review(conn, "default")
    assert str(caught.value) == "The API server answered the SelfSubjectRulesReview with HTTP 401."


async def test_every_access_review_names_its_api_group(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    """The review's ``group`` is sent even for the core group (``""``), and another group's resource is
    asked about in that group: the same resource name in the core group is refused."""
    account = service_account(namespace=f"reviews-group-{uuid.uuid4().hex[:6]}", rules=[RULES[1]])
    ns = account.namespace
    async with token_connection(control_plane, tmp_path, account.token) as conn:
        assert _attributes(ResourceAttributes("list", "", "pods"))["group"] == ""
        scale = await access_review(conn, ResourceAttributes("update", "apps", "deployments", "scale", ns))
        core = await access_review(conn, ResourceAttributes("update", "", "deployments", "scale", ns))
    assert scale is not None and scale.allowed and core is not None and not core.allowed
