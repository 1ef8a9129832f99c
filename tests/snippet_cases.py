"""The requests whose client-library snippets are run against the real control plane, and how their
answers are compared with the explorer's own (tests/test_client_snippets.py; Go and Java under
``-m clients`` in tests/test_client_snippets_compiled.py).

Each case is a try-it form. It is sent once by the explorer, the cluster is put back as it was, and
each library's snippet (taken from the explorer's answer panel) runs in its own process. They match
when the API server logged the same path, query and status for both (its audit log is the witness),
and the objects they printed equal the explorer's answer without the fields the server sets.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

NS = f"snippets-{uuid.uuid4().hex[:6]}"
GROUP = "snippets.webexplorer.test"
LABEL = {"snippets": "yes"}
#: what the server sets (a list's continue token names the resource version it was issued at)
SERVER_SET = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "generation",
    "selfLink",
    "continue",
)
CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"widgets.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {
                    "status": {},
                    "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"},
                },
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {"replicas": {"type": "integer"}, "color": {"type": "string"}},
                            },
                            "status": {
                                "type": "object",
                                "properties": {"replicas": {"type": "integer"}, "phase": {"type": "string"}},
                            },
                        },
                    }
                },
            }
        ],
    },
}

CM = f"/api/v1/namespaces/{NS}/configmaps"
DEPLOY = f"/apis/apps/v1/namespaces/{NS}/deployments"
SVC = f"/api/v1/namespaces/{NS}/services"
PODS = f"/api/v1/namespaces/{NS}/pods"
WIDGETS = f"/apis/{GROUP}/v1/namespaces/{NS}/widgets"


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS, "labels": dict(LABEL)},
        "data": data or {"a": "1"},
    }


def deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": dict(LABEL)},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "registry.invalid/none:1"}]},
            },
        },
    }


def pod(name: str) -> dict[str, Any]:
    """A pod that stays as created: no scheduler runs in the sandbox, so nothing binds or updates it."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": dict(LABEL)},
        # no service-account volume: its name has a random suffix the server chooses for each pod
        "spec": {
            "automountServiceAccountToken": False,
            "containers": [{"name": "c", "image": "registry.invalid/none:1"}],
        },
    }


def service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NS, "labels": dict(LABEL)},
        "spec": {"ports": [{"port": 80}], "type": "ClusterIP"},
    }


def widget(name: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": NS, "labels": dict(LABEL)},
        "spec": {"replicas": replicas, "color": "blue"},
    }


@dataclass(frozen=True)
class Case:
    id: str
    op: str
    fields: dict[str, str]
    group: str = "core"
    version: str = "v1"
    #: objects that exist before each side runs: (collection path, object)
    setup: tuple[tuple[str, dict[str, Any]], ...] = ()
    #: objects a side may leave behind (collection path, name), removed after it
    leaves: tuple[tuple[str, str], ...] = ()
    #: a watch: its snippet's ADDED events are compared with the explorer's list of the same selector
    watch: bool = False
    #: a list continued from the first page of this limit (the token is taken from the server first)
    continue_after: int = 0
    #: the libraries type this answer as a Status (the OpenAPI document says so), which keeps its kind but
    #: not the deleted objects the server lists: compared by kind, and by its effect (nothing is left)
    status_typed: bool = False


def body(value: Any) -> str:
    return json.dumps(value)


def real(**fields: str) -> dict[str, str]:
    return {"dry_run": "off", "confirm": "yes", **fields}


def _cases() -> list[Case]:
    p = {"p.namespace": NS}
    cm, dep, svc, w = configmap("cm-a"), deployment("dep-a"), service("svc-a"), widget("w-a")
    cms = ((CM, configmap("cm-a")), (CM, configmap("cm-b", b="2")), (CM, configmap("cm-c", c="3")))
    return [
        Case("get", "readCoreV1NamespacedConfigMap", {**p, "p.name": "cm-a"}, setup=((CM, cm),)),
        Case("get-missing", "readCoreV1NamespacedConfigMap", {**p, "p.name": "no-such-thing"}),
        Case(
            "get-cluster-scoped",
            "readRbacAuthorizationV1ClusterRole",
            {"p.name": "view"},
            group="rbac.authorization.k8s.io",
        ),
        Case(
            "list-selector-limit",
            "listCoreV1NamespacedConfigMap",
            {**p, "q.labelSelector": "snippets=yes", "q.limit": "2"},
            setup=cms,
        ),
        Case(
            "list-continue",
            "listCoreV1NamespacedConfigMap",
            {**p, "q.labelSelector": "snippets=yes", "q.limit": "1"},
            setup=cms,
            continue_after=1,
        ),
        Case(
            "watch",
            "listCoreV1NamespacedConfigMap",
            {**p, "q.labelSelector": "snippets=yes", "q.watch": "true", "q.timeoutSeconds": "3"},
            setup=cms,
            watch=True,
        ),
        Case(
            "create",
            "createCoreV1NamespacedConfigMap",
            real(**p, **{"q.fieldManager": "snippets", "q.fieldValidation": "Strict", "body": body(cm)}),
            leaves=((CM, "cm-a"),),
        ),
        Case(
            "create-dry-run",
            "createCoreV1NamespacedConfigMap",
            {**p, "dry_run": "on", "body": body(cm)},
        ),
        Case(
            "replace",
            "replaceCoreV1NamespacedConfigMap",
            real(**p, **{"p.name": "cm-a", "body": body(configmap("cm-a", a="changed"))}),
            setup=((CM, cm),),
        ),
        Case(
            "patch-json",
            "patchCoreV1NamespacedConfigMap",
            real(
                **p,
                **{
                    "p.name": "cm-a",
                    "patch_type": "application/json-patch+json",
                    "body": body([{"op": "add", "path": "/data/j", "value": "json"}]),
                },
            ),
            setup=((CM, cm),),
        ),
        Case(
            "patch-merge",
            "patchCoreV1NamespacedConfigMap",
            real(
                **p,
                **{
                    "p.name": "cm-a",
                    "patch_type": "application/merge-patch+json",
                    "body": body({"data": {"m": "merge"}}),
                },
            ),
            setup=((CM, cm),),
        ),
        Case(
            "patch-strategic",
            "patchCoreV1NamespacedPod",
            real(
                **p,
                **{
                    "p.name": "pod-a",
                    "patch_type": "application/strategic-merge-patch+json",
                    "body": body(
                        {"spec": {"containers": [{"name": "c", "image": "registry.invalid/other:2"}]}}
                    ),
                },
            ),
            setup=((PODS, pod("pod-a")),),
        ),
        Case(
            "apply",
            "patchCoreV1NamespacedConfigMap",
            real(
                **p,
                **{
                    "p.name": "cm-a",
                    "patch_type": "application/apply-patch+yaml",
                    "q.fieldManager": "snippets",
                    "q.force": "true",
                    "body": body(configmap("cm-a", a="applied")),
                },
            ),
            setup=((CM, cm),),
        ),
        Case(
            "delete",
            "deleteCoreV1NamespacedConfigMap",
            real(**p, **{"p.name": "cm-a", "q.propagationPolicy": "Background"}),
            setup=((CM, cm),),
        ),
        Case(
            "deletecollection",
            "deleteCoreV1CollectionNamespacedConfigMap",
            real(**p, **{"q.labelSelector": "snippets=yes"}),
            setup=cms,
            status_typed=True,
        ),
        Case(
            "scale-get",
            "readAppsV1NamespacedDeploymentScale",
            {**p, "p.name": "dep-a"},
            group="apps",
            setup=((DEPLOY, dep),),
        ),
        Case(
            "scale-patch",
            "patchAppsV1NamespacedDeploymentScale",
            real(
                **p,
                **{
                    "p.name": "dep-a",
                    "patch_type": "application/merge-patch+json",
                    "body": body({"spec": {"replicas": 0}}),
                },
            ),
            group="apps",
            setup=((DEPLOY, dep),),
        ),
        Case(
            "status-patch",
            "patchCoreV1NamespacedServiceStatus",
            real(
                **p,
                **{
                    "p.name": "svc-a",
                    "patch_type": "application/merge-patch+json",
                    "body": body({"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}}}),
                },
            ),
            setup=((SVC, svc),),
        ),
        Case(
            "crd-create",
            "createSnippetsWebexplorerTestV1NamespacedWidget",
            real(**p, **{"q.fieldManager": "snippets", "body": body(w)}),
            group=GROUP,
            leaves=((WIDGETS, "w-a"),),
        ),
        Case(
            "crd-get",
            "readSnippetsWebexplorerTestV1NamespacedWidget",
            {**p, "p.name": "w-a"},
            group=GROUP,
            setup=((WIDGETS, w),),
        ),
        Case(
            "crd-list",
            "listSnippetsWebexplorerTestV1NamespacedWidget",
            {**p, "q.labelSelector": "snippets=yes"},
            group=GROUP,
            setup=((WIDGETS, w), (WIDGETS, widget("w-b"))),
        ),
        Case(
            "crd-patch-merge",
            "patchSnippetsWebexplorerTestV1NamespacedWidget",
            real(
                **p,
                **{
                    "p.name": "w-a",
                    "patch_type": "application/merge-patch+json",
                    "body": body({"spec": {"color": "red"}}),
                },
            ),
            group=GROUP,
            setup=((WIDGETS, w),),
        ),
        Case(
            "crd-apply-dry-run",
            "patchSnippetsWebexplorerTestV1NamespacedWidget",
            {
                **p,
                "dry_run": "on",
                "p.name": "w-a",
                "patch_type": "application/apply-patch+yaml",
                "q.fieldManager": "snippets",
                "body": body(widget("w-a", replicas=3)),
            },
            group=GROUP,
            setup=((WIDGETS, w),),
        ),
        Case(
            "crd-status-replace",
            "replaceSnippetsWebexplorerTestV1NamespacedWidgetStatus",
            real(**p, **{"p.name": "w-a", "body": body({**w, "status": {"replicas": 1, "phase": "Ready"}})}),
            group=GROUP,
            setup=((WIDGETS, w),),
        ),
        Case(
            "crd-scale-get",
            "readSnippetsWebexplorerTestV1NamespacedWidgetScale",
            {**p, "p.name": "w-a"},
            group=GROUP,
            setup=((WIDGETS, w),),
        ),
        Case(
            "crd-delete",
            "deleteSnippetsWebexplorerTestV1NamespacedWidget",
            real(**p, **{"p.name": "w-a"}),
            group=GROUP,
            setup=((WIDGETS, w),),
        ),
    ]


CASES = _cases()

_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def normalised(value: Any) -> Any:
    """An answer without what the server sets (and times in one spelling: the libraries print dates
    their own way, ``...Z``, ``...000Z``, ``+00:00``)."""
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        # a list's items carry no apiVersion and kind on the wire; Fabric8's model fills them in
        items = [{k: v for k, v in i.items() if k not in ("apiVersion", "kind")} for i in value["items"]]
        value = {**value, "items": items}
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in SERVER_SET or k == "_continue":  # @kubernetes/client-node spells it _continue
                continue
            out[k] = normalised(v)
        return out
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, str) and _TIME.match(value):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    return value


def reset(admin: httpx.Client, case: Case) -> None:
    """Removes what a side may have created or changed, and waits until it is gone."""
    names = {(path, obj["metadata"]["name"]) for path, obj in case.setup} | set(case.leaves)
    for path, name in names:
        admin.delete(f"{path}/{name}", params={"gracePeriodSeconds": "0"})
    deadline = time.monotonic() + 30
    for path, name in names:
        while admin.get(f"{path}/{name}").status_code != 404:
            assert time.monotonic() < deadline, f"{path}/{name} was not removed"
            time.sleep(0.1)


def prepare(admin: httpx.Client, case: Case) -> None:
    """Creates the case's objects, and waits until the API server's watch cache holds them too: a
    delete-collection lists from that cache, which may lag the create by a moment."""
    reset(admin, case)
    for path, obj in case.setup:
        r = admin.post(path, json=obj)
        assert r.status_code == 201, r.text
    deadline = time.monotonic() + 15
    for path in {path for path, _ in case.setup}:
        want = {obj["metadata"]["name"] for p, obj in case.setup if p == path}
        while True:
            listed = admin.get(path, params={"labelSelector": "snippets=yes", "resourceVersion": "0"}).json()
            if want <= {item["metadata"]["name"] for item in listed.get("items", [])}:
                break
            assert time.monotonic() < deadline, f"the watch cache did not catch up with {path}"
            time.sleep(0.05)


def continue_token(admin: httpx.Client, case: Case) -> str:
    path = f"/api/v1/namespaces/{NS}/configmaps"
    r = admin.get(path, params={"labelSelector": "snippets=yes", "limit": str(case.continue_after)})
    token = r.json()["metadata"].get("continue", "")
    assert token, r.text
    return str(token)


def request_of(event: dict[str, Any]) -> tuple[str, dict[str, str]]:
    parts = urlsplit(str(event["requestURI"]))
    return parts.path, dict(parse_qsl(parts.query))
