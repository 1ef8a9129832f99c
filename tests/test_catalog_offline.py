"""The catalog built from the shipped snapshot, recorded from the real v1.37.2 control plane.

These run in well under a second each and need no control plane: the documents are the real server's
answers, served back verbatim by :class:`SnapshotSource`.
"""

from __future__ import annotations

import pytest

from webexplorer.catalog import (
    GVK,
    CatalogError,
    CatalogStore,
    SnapshotSource,
    build_catalog,
    embedded_snapshot_path,
    parse_path,
)
from webexplorer.catalog.catalog import Catalog
from webexplorer.catalog.schema import Field

DEPLOYMENT = GVK("apps", "v1", "Deployment")
CRD = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")


@pytest.fixture(scope="module")
def snapshot() -> SnapshotSource:
    return SnapshotSource(embedded_snapshot_path())


@pytest.fixture(scope="module")
async def v3(snapshot: SnapshotSource) -> Catalog:
    return await build_catalog(snapshot, openapi="v3")


@pytest.fixture(scope="module")
async def v2(snapshot: SnapshotSource) -> Catalog:
    return await build_catalog(snapshot, openapi="v2")


def test_snapshot_label(snapshot: SnapshotSource) -> None:
    assert snapshot.label.startswith("snapshot: v1.37.2 (recorded ")
    assert snapshot.info.server_version == "v1.37.2"


async def test_discovery_model(v3: Catalog) -> None:
    assert v3.info.aggregated_discovery and v3.openapi == "v3"
    assert v3.groups[0].name == "" and v3.groups[0].display_name == "core"
    assert v3.version is not None and v3.version.git_version == "v1.37.2"
    deploy = v3.resource("apps", "v1", "deployments")
    assert deploy is not None
    assert deploy.kind == DEPLOYMENT
    assert deploy.scope == "Namespaced" and deploy.singular_name == "deployment"
    assert "deploy" in deploy.short_names and "all" in deploy.categories
    assert {"get", "list", "watch", "patch", "deletecollection"} <= set(deploy.verbs)
    scale = deploy.subresource("scale")
    assert scale is not None and scale.kind == GVK("autoscaling", "v1", "Scale")
    # one name for the core group: "" (``core`` is only how URLs spell it, web/urls.py)
    assert v3.resource("", "v1", "pods") is not None and v3.resource("core", "v1", "pods") is None
    autoscaling = v3.group("autoscaling")
    assert autoscaling is not None and autoscaling.preferred_version == "v2"
    assert [g.origin for g in v3.groups] == ["built-in"] * len(v3.groups)  # no CRDs in the snapshot
    assert v3.resource_for_kind(GVK("", "v1", "Pod")) == v3.resource("", "v1", "pods")
    assert [r.group for r in v3.find_kind("horizontalpodautoscaler")] == ["autoscaling", "autoscaling"]
    assert v3.find_kind("HorizontalPodAutoscaler")[0].version == "v2"  # preferred first


async def test_operations_of_a_resource(v3: Catalog) -> None:
    ops = await v3.operations("apps", "v1", "deployments")
    by_action = {op.action: op for op in ops if op.target and not op.target.watch}
    assert set(by_action) == {"list", "create", "deletecollection", "get", "update", "delete", "patch"}
    patch = by_action["patch"]
    assert patch.method == "PATCH" and patch.operation_id == "patchAppsV1NamespacedDeployment"
    assert patch.request_body is not None
    assert set(patch.request_body.content_types) == {
        "application/apply-patch+yaml",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    }
    names = {p.name for p in patch.query_params}
    assert {"dryRun", "fieldManager", "fieldValidation", "force", "pretty"} <= names
    assert {p.name for p in patch.path_params} == {"name", "namespace"}
    assert patch.gvk == DEPLOYMENT and patch.extensions["x-kubernetes-action"] == "patch"
    create = by_action["create"]
    assert create.extensions["x-kubernetes-action"] == "post"  # raw value kept, verb normalised
    watches = [op for op in ops if op.target and op.target.watch]
    assert {op.action for op in watches} == {"watch", "watchlist"}
    all_ns = [op for op in ops if op.path == "/apis/apps/v1/deployments"]
    assert all_ns and all_ns[0].target is not None and all_ns[0].target.all_namespaces
    status = await v3.operations("apps", "v1", "deployments", "status")
    assert {op.action for op in status} == {"get", "update", "patch"}
    index = await v3.operations_for("apps", "v1")
    assert index.by_id("readAppsV1NamespacedDeployment") is not None
    assert index.for_gvk(DEPLOYMENT)
    assert "scale" in index.subresources_of("apps", "v1", "deployments")


async def test_v3_and_v2_agree_on_operations_and_fields(v3: Catalog, v2: Catalog) -> None:
    def ops(docs: list) -> dict:
        return {op.key: op for d in docs for op in d.document.operations.operations}

    a, b = ops(await v3.load_documents()), ops(await v2.load_documents())
    assert a.keys() == b.keys()
    for key, op in a.items():
        other = b[key]
        assert (op.operation_id, op.action, op.gvk, op.target) == (
            other.operation_id,
            other.action,
            other.gvk,
            other.target,
        ), key
        assert {(p.name, p.location, p.type, p.required) for p in op.parameters} == {
            (p.name, p.location, p.type, p.required) for p in other.parameters
        }, key
        body_a, body_b = op.request_body, other.request_body
        # documented difference: v3 gives GET/HEAD no body, v2 may list consumes "*/*" without a body
        if body_a is not None and body_b is not None:
            assert (body_a.schema_ref, body_a.content_types) == (body_b.schema_ref, body_b.content_types)
    tree3 = await v3.field_tree(DEPLOYMENT, "spec.template.spec", depth=None)
    tree2 = await v2.field_tree(DEPLOYMENT, "spec.template.spec", depth=None)
    assert _flatten(tree3.fields) == _flatten(tree2.fields)


def _flatten(fields: tuple[Field, ...] | None, out: list | None = None) -> list:
    out = [] if out is None else out
    for f in fields or ():
        out.append(
            (f.path, str(f.type), f.required, f.recursive, sorted(f.extensions), f.description, f.enum)
        )
        _flatten(f.children, out)
    return out


async def test_field_tree_and_x_kubernetes_facts(v3: Catalog) -> None:
    spec = await v3.field_tree(DEPLOYMENT, "spec")
    fields = {f.name: f for f in spec.fields}
    assert fields["template"].required and fields["selector"].required
    assert str(fields["template"].type) == "PodTemplateSpec" and fields["template"].children is None
    assert fields["selector"].extensions["x-kubernetes-map-type"] == "atomic"
    assert fields["strategy"].extensions["x-kubernetes-patch-strategy"] == "retainKeys"
    surge = await v3.field_tree(DEPLOYMENT, "spec.strategy.rollingUpdate")
    assert str({f.name: f for f in surge.fields}["maxSurge"].type) == "IntOrString"
    containers = await v3.field_tree(DEPLOYMENT, "spec.template.spec")
    c = {f.name: f for f in containers.fields}["containers"]
    assert str(c.type) == "[]Container"
    assert c.extensions["x-kubernetes-list-type"] == "map"
    assert c.extensions["x-kubernetes-list-map-keys"] == ["name"]
    assert c.extensions["x-kubernetes-patch-merge-key"] == "name"
    limits = await v3.field_tree(DEPLOYMENT, "spec.template.spec.containers.resources")
    assert str({f.name: f for f in limits.fields}["limits"].type) == "map[string]string"
    schemas, name = await v3.kind_definition(DEPLOYMENT)
    leaf = schemas.field_at(name, "spec.template.spec.containers.resources.limits")
    assert leaf is not None and leaf.type.name == "map" and leaf.type.item is not None
    assert leaf.type.item.ref == "io.k8s.apimachinery.pkg.api.resource.Quantity"
    assert schemas.field_at(name, "spec.nope") is None
    with pytest.raises(CatalogError):
        await v3.field_tree(DEPLOYMENT, "spec.nope")
    root = await v3.field_tree(DEPLOYMENT)
    assert root.extensions["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    assert [f.name for f in root.fields] == ["apiVersion", "kind", "metadata", "spec", "status"]


async def test_recursive_json_schema_props_terminates(v3: Catalog, v2: Catalog) -> None:
    for catalog in (v3, v2):
        tree = await catalog.field_tree(CRD, "spec.versions.schema.openAPIV3Schema", depth=None)
        flat = _flatten(tree.fields)
        recursive = {path for path, _, _, rec, *_ in flat if rec}
        assert "spec.versions.schema.openAPIV3Schema.properties" in recursive
        assert len(flat) < 200  # JSONSchemaProps is expanded once, not forever
        facts = {f[0].rsplit(".", 1)[-1] for f in flat}
        assert {"x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource"} <= facts


def test_parse_path() -> None:
    t = parse_path("/api/v1/namespaces/{namespace}/pods/{name}/status")
    assert t is not None
    assert (t.group, t.version, t.resource, t.subresource, t.namespaced, t.named, t.watch) == (
        "",
        "v1",
        "pods",
        "status",
        True,
        True,
        False,
    )
    t = parse_path("/apis/batch/v1/watch/namespaces/{namespace}/jobs")
    assert t is not None and t.watch and t.namespaced and t.resource == "jobs" and not t.named
    t = parse_path("/api/v1/namespaces/{name}/finalize")
    assert t is not None and (t.resource, t.subresource, t.namespaced) == ("namespaces", "finalize", False)
    t = parse_path("/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}")
    assert t is not None and t.subresource == "proxy"
    t = parse_path("/apis/apps/v1/")
    assert t is not None and t.resource is None
    assert parse_path("/version/") is None and parse_path("/apis/apps/") is None


async def test_store_search(snapshot: SnapshotSource) -> None:
    store = CatalogStore(snapshot, refresh_interval=3600)
    ready_before = store.ready
    assert not ready_before and "not ready" in store.search("deploy").note
    await store.start()
    try:
        assert store.ready and store.generation == 1
        first = store.search("deploy")
        assert first.resources[0].resource.kind == DEPLOYMENT and first.resources[0].matched == "short name"
        await store.wait_index()
        assert store.search_index is not None and store.search_index.status == "ready"
        results = store.search("replicas")
        assert results.fields_status == "ready" and results.note == ""
        spec_replicas = {h.gvk.kind for h in results.fields if h.path == "spec.replicas"}
        assert {"Deployment", "ReplicaSet", "StatefulSet"} <= spec_replicas
        assert results.fields[0].path in ("spec.replicas", "status.replicas")
        assert store.search("po").resources[0].resource.kind.kind == "Pod"
        assert store.search("Deployment").resources[0].resource.kind == DEPLOYMENT
        category = {h.resource.kind.kind for h in store.search("all").resources if h.matched == "category"}
        assert {"Pod", "Deployment", "Service"} <= category
        ops = store.search("listAppsV1NamespacedDeployment")
        assert ops.operations[0].operation.path == "/apis/apps/v1/namespaces/{namespace}/deployments"
        paths = store.search("/apis/apps/v1/namespaces/{namespace}/deployments")
        assert paths.paths[0].path == "/apis/apps/v1/namespaces/{namespace}/deployments"
        assert store.search("").empty
        # the snapshot answers 304 to its own ETags: a refresh keeps the same catalog object
        before = store.catalog
        assert await store.refresh() is False
        assert store.catalog is before and store.last_error is None
        tree = await store.schema(DEPLOYMENT, "spec.replicas")
        assert tree.type.name == "integer"
        assert (await store.operations_for("apps", "v1")).by_id("readAppsV1NamespacedDeployment")
    finally:
        await store.stop()


async def test_stale_hash_follows_to_current_document(snapshot: SnapshotSource, v3: Catalog) -> None:
    assert v3.v3_index is not None
    entry = v3.v3_index.entry_for("apps", "v1")
    assert entry is not None
    stale = entry.url.split("?")[0] + "?hash=0000"
    got = await snapshot.fetch(stale)
    assert got.status == 200 and got.url == entry.url
    missing = await snapshot.fetch("/apis/nothing.example.com/v1")
    assert missing.status == 404


async def test_legacy_discovery_from_snapshot_equals_aggregated(
    snapshot: SnapshotSource, v3: Catalog
) -> None:
    legacy = await build_catalog(snapshot, aggregated=False)
    assert not legacy.info.aggregated_discovery
    assert _resources(legacy) == _resources(v3)
    assert {g.name: g.preferred_version for g in legacy.groups} == {
        g.name: g.preferred_version for g in v3.groups
    }


def _resources(catalog: Catalog) -> dict:
    out = {}
    for r in catalog.resources():
        out[(r.group, r.version, r.name)] = (
            r.kind,
            r.scope,
            r.singular_name,
            tuple(sorted(r.verbs)),
            tuple(sorted(r.short_names)),
            tuple(sorted(r.categories)),
            tuple(sorted((s.name, s.kind, tuple(sorted(s.verbs))) for s in r.subresources)),
        )
    return out
