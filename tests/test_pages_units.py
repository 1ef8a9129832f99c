"""The pure parts behind the browsing pages: URLs, raw-document linking, and the API diff."""

from __future__ import annotations

import html
import re

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from webexplorer.catalog import GVK
from webexplorer.catalog.diff import (
    ApiSurface,
    FieldFacts,
    OperationFacts,
    ResourceFacts,
    diff_surfaces,
    says_deprecated,
)
from webexplorer.web import rawdoc, urls

# ---------------------------------------------------------------------------------------------- urls


def test_urls_mirror_the_api() -> None:
    assert urls.url_group("") == "/g/core"
    assert urls.url_group_version("batch", "v1") == "/g/batch/v1"
    assert urls.url_resource("", "v1", "pods", "status") == "/g/core/v1/pods#sub-status"
    assert urls.url_operation("", "v1", "readCoreV1NamespacedPod") == "/op/core/v1/readCoreV1NamespacedPod"
    assert (
        urls.url_schema("apps", "v1", "Deployment", "spec.template.spec")
        == "/schema/apps/v1/Deployment/spec.template.spec#spec.template.spec"
    )
    assert urls.url_raw("/openapi/v3/apis/apps/v1?hash=AB") == "/raw/openapi/v3/apis/apps/v1"
    assert urls.url_raw("/apis", aggregated=True, download=True) == "/raw/apis?aggregated=1&download=1"
    assert urls.url_for_api_path("/apis/batch/v1/namespaces/{namespace}/jobs/{name}/status") == (
        "/g/batch/v1/jobs#sub-status"
    )
    assert urls.url_for_api_path("/apis/batch/v1/") == "/g/batch/v1"
    assert urls.url_for_api_path("/healthz") is None


def test_url_segments_are_quoted() -> None:
    assert urls.url_group_version("a/b", "v1") == "/g/a%2Fb/v1"
    assert "<" not in urls.url_schema("g", "v1", "<script>")


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (urls.valid_group, ["core", "apps", "stable.example.com"], ["", "Apps", "../x", "a/b", "-x"]),
        (urls.valid_version, ["v1", "v2beta1"], ["", "V1", "v1/x", "x" * 64]),
        (urls.valid_schema_name, ["Pod", "io.k8s.api.core.v1.PodSpec"], ["", "<b>", "a/b", "a b"]),
        (
            urls.valid_field_path,
            ["spec", "spec.template.spec", "x-kubernetes-embedded-resource", "$ref"],
            ["", "a..b", ".a", "a b", "a/b"],
        ),
    ],
)
def test_validators(check: object, good: list[str], bad: list[str]) -> None:
    assert callable(check)
    assert all(check(g) for g in good)
    assert not any(check(b) for b in bad)


# ---------------------------------------------------------------------------------------------- rawdoc


def test_document_paths() -> None:
    docs = [
        "/",
        "/version",
        "/api",
        "/api/v1",
        "/apis",
        "/apis/batch",
        "/apis/batch/v1",
        "/openapi/v2",
        "/openapi/v3",
        "/openapi/v3/apis/apps/v1",
    ]
    for p in docs:
        segs = rawdoc.api_path_segments(p)
        assert segs is not None and rawdoc.is_document_path(segs), p
    for p in ["/apis/batch/v1/jobs", "/api/v1/namespaces/default/pods", "/healthz", "/metrics"]:
        segs = rawdoc.api_path_segments(p)
        assert segs is not None and not rawdoc.is_document_path(segs), p
    for p in ["/apis/../x", "/apis/a%2Fb", "/apis/<x>", "/apis//x/./y"]:
        assert rawdoc.api_path_segments(p) is None, p


def test_match_template() -> None:
    t = "/apis/batch/v1/namespaces/{namespace}/jobs/{name}"
    assert rawdoc.match_template(t, "/apis/batch/v1/namespaces/default/jobs/my-job") == {
        "namespace": "default",
        "name": "my-job",
    }
    assert rawdoc.match_template(t, "/apis/batch/v1/namespaces/default/jobs") is None
    assert rawdoc.match_template("/apis/batch/v1/jobs", "/apis/batch/v1/jobs") == {}


def _linker(key: str | None, value: str) -> str | None:
    if key is None:
        return "/raw" + value
    if key == "name":
        return "/n/" + value
    return None


def test_linked_json_keeps_the_document_and_escapes() -> None:
    doc = {
        "paths": ["/api", "/apis/batch"],
        "resources": [{"name": "jobs", "kind": "Job"}],
        "description": "<script>alert(1)</script> \" & '",
        "name": "<img src=x onerror=alert(1)>",
    }
    text = rawdoc.pretty(orjson.dumps(doc))
    out = str(rawdoc.linked_json(text, _linker))
    assert '<a href="/raw/api">/api</a>' in out
    assert '<a href="/n/jobs">jobs</a>' in out
    assert "<script>" not in out and "<img" not in out
    # the text content is exactly the pretty-printed document
    assert html.unescape(re.sub(r"</?a[^>]*>", "", out)) == text
    assert orjson.loads(html.unescape(re.sub(r"</?a[^>]*>", "", out))) == doc


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(), c, max_size=4),
        max_leaves=20,
    )
)
def test_linked_json_round_trips_anything(value: object) -> None:
    text = rawdoc.pretty(orjson.dumps(value))
    out = str(rawdoc.linked_json(text, _linker))
    assert html.unescape(re.sub(r"</?a[^>]*>", "", out)) == text
    assert "<" not in re.sub(r"</?a[^>]*>", "", out)


def test_download_name() -> None:
    assert rawdoc.download_name(["apis", "batch", "v1"]) == "apis_batch_v1.json"
    assert rawdoc.download_name([]) == "root.json"
    assert rawdoc.download_name(["apis"], aggregated=True) == "apis.aggregated.json"


# ---------------------------------------------------------------------------------------------- diff

DEP = GVK("apps", "v1", "Deployment")


def _surface(
    label: str,
    *,
    gvs: set[str],
    resources: list[ResourceFacts],
    ops: list[OperationFacts],
    fields: dict[GVK, list[FieldFacts]],
) -> ApiSurface:
    return ApiSurface(
        label,
        frozenset(gvs),
        {(r.group, r.version, r.name): r for r in resources},
        {(o.method, o.path): o for o in ops},
        {g: {f.path: f for f in fs} for g, fs in fields.items()},
    )


def test_diff_reports_added_removed_and_deprecated() -> None:
    deploy = ResourceFacts("apps", "v1", "deployments", "Deployment")
    psp = ResourceFacts("policy", "v1beta1", "podsecuritypolicies", "PodSecurityPolicy")
    widget = ResourceFacts("example.com", "v1", "widgets", "Widget")
    get = OperationFacts(
        "GET", "/apis/apps/v1/deployments", "listAppsV1DeploymentForAllNamespaces", "apps", "v1"
    )
    watch_old = OperationFacts(
        "GET", "/apis/apps/v1/watch/deployments", "watchAppsV1DeploymentList", "apps", "v1"
    )
    watch_new = OperationFacts(
        "GET", "/apis/apps/v1/watch/deployments", "watchAppsV1List", "apps", "v1", deprecated=True
    )
    psp_op = OperationFacts("GET", "/apis/policy/v1beta1/podsecuritypolicies", "listPSP", "policy", "v1beta1")
    old = _surface(
        "old",
        gvs={"apps/v1", "policy/v1beta1"},
        resources=[deploy, psp],
        ops=[get, watch_old, psp_op],
        fields={
            DEP: [
                FieldFacts(DEP, "spec.replicas"),
                FieldFacts(DEP, "spec.templateGeneration"),
                FieldFacts(DEP, "spec.paused"),
            ]
        },
    )
    new = _surface(
        "new",
        gvs={"apps/v1", "example.com/v1"},
        resources=[deploy, widget],
        ops=[get, watch_new],
        fields={
            DEP: [
                FieldFacts(DEP, "spec.replicas"),
                FieldFacts(DEP, "spec.paused", deprecated=True),
                FieldFacts(DEP, "spec.minReadySeconds"),
            ]
        },
    )
    d = diff_surfaces(old, new)
    assert d.group_versions_added == ("example.com/v1",)
    assert d.group_versions_removed == ("policy/v1beta1",)
    assert d.resources_added == (widget,) and d.resources_removed == (psp,)
    assert d.operations_removed == (psp_op,) and d.operations_added == ()
    assert d.operations_deprecated == (watch_new,)
    assert [f.path for f in d.fields_added] == ["spec.minReadySeconds"]
    assert [f.path for f in d.fields_removed] == ["spec.templateGeneration"]
    assert [f.path for f in d.fields_deprecated] == ["spec.paused"]
    assert not d.empty
    assert diff_surfaces(new, new).empty


def test_deprecation_is_read_from_prose() -> None:
    assert says_deprecated("Deprecated: use spec.x instead")
    assert says_deprecated("DEPRECATED - This field is ignored")
    assert not says_deprecated("the number of undeprecatedness")
