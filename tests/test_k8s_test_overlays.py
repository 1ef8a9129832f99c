"""``k8s/test/`` (the overlays the node tests apply) change the real manifests in one way only: images
built on this machine, never pulled. ``rotation`` also swaps the automatic token for a 600 s one.

Rendered with the real kubectl's kustomize and compared object by object with what they overlay, so a
test overlay cannot quietly test something other than what users deploy.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.test_manifests import render
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.images import EXPLORER_IMAGE, KUBECTL_IMAGE

SOURCES = {
    "test/base": "base",
    "test/ambassador": "overlays/ambassador",
    "test/writes": "overlays/writes",
    "test/ingress": "overlays/ingress",
}
LOCAL_IMAGES = {EXPLORER_IMAGE, KUBECTL_IMAGE}
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def pod_containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def with_images_of(
    test_docs: list[dict[str, Any]], source_docs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``test_docs`` with each container's image and pull policy taken from ``source_docs``, after
    checking they are the local images, never pulled."""
    docs = copy.deepcopy(test_docs)
    sources = {(d["kind"], d["metadata"]["name"]): d for d in source_docs}
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        originals = {c["name"]: c for c in pod_containers(sources[(doc["kind"], doc["metadata"]["name"])])}
        for container in pod_containers(doc):
            assert container["image"] in LOCAL_IMAGES and container["imagePullPolicy"] == "Never", container
            container["image"] = originals[container["name"]]["image"]
            container["imagePullPolicy"] = originals[container["name"]]["imagePullPolicy"]
    return docs


@pytest.mark.parametrize("target", list(SOURCES))
def test_only_the_images_differ(control_plane: ControlPlane, target: str) -> None:
    source = render(control_plane, SOURCES[target])
    assert with_images_of(render(control_plane, target), source) == source


def test_rotation_only_shortens_the_token(control_plane: ControlPlane) -> None:
    base = render(control_plane, "test/base")
    rotation = render(control_plane, "test/rotation")
    deployment = next(d for d in rotation if d["kind"] == "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    assert spec.pop("automountServiceAccountToken") is False
    volume = next(v for v in spec["volumes"] if v["name"] == "short-token")
    spec["volumes"].remove(volume)
    token = volume["projected"]["sources"][0]["serviceAccountToken"]
    assert token == {"path": "token", "expirationSeconds": 600}  # the shortest the API server issues
    mounts = spec["containers"][0]["volumeMounts"]
    mount = next(m for m in mounts if m["name"] == "short-token")
    assert mount["mountPath"] == SA_DIR
    mounts.remove(mount)
    expected = next(d for d in base if d["kind"] == "Deployment")
    expected["spec"]["template"]["spec"].pop("automountServiceAccountToken")
    assert deployment == expected
    assert [d for d in rotation if d["kind"] != "Deployment"] == [
        d for d in base if d["kind"] != "Deployment"
    ]
