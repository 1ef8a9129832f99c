"""Every page family, in-process against the embedded snapshot (a real v1.37.2 API, no cluster).

Fast and deterministic: the real app with its lifespan, through ``httpx.ASGITransport``. Each test reads
the page a person would and checks the facts on it; every page is also checked for what the strict CSP
forbids (inline script, ``on*=`` handlers, ``style=``) and for its ``Server-Timing`` header.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI

from webexplorer.app import create_app
from webexplorer.settings import Settings

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=", re.IGNORECASE)


@pytest.fixture(scope="module")
async def app() -> AsyncIterator[FastAPI]:
    app = create_app(Settings(mode="snapshot"))
    async with app.router.lifespan_context(app):
        await app.state.webexplorer.explorer.store.wait_index()
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://127.0.0.1",
        headers={"accept": "text/html"},
    ) as c:
        yield c


async def page(client: httpx.AsyncClient, url: str, status: int = 200) -> str:
    r = await client.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[-800:])
    assert "server-timing" in r.headers
    if r.headers.get("content-type", "").startswith("text/html"):
        assert not INLINE.search(r.text), (url, INLINE.search(r.text))
        assert "Traceback" not in r.text
    return r.text


# ---------------------------------------------------------------------------------------------- home, groups


async def test_home_counts_and_links(client: httpx.AsyncClient) -> None:
    html = await page(client, "/")
    assert 'href="/g/batch"' in html and 'href="/g/core/v1"' in html
    m = re.search(r'id="operation-count">(\d+) operations', html)
    assert m and int(m.group(1)) > 500
    assert "v1.37.2" in html


async def test_group_page(client: httpx.AsyncClient) -> None:
    html = await page(client, "/g/autoscaling")
    assert 'href="/g/autoscaling/v2"' in html and 'href="/g/autoscaling/v1"' in html
    assert "preferred" in html and 'href="/raw/apis/autoscaling"' in html
    core = await page(client, "/g/core")
    assert 'href="/raw/api"' in core


async def test_group_version_table(client: httpx.AsyncClient) -> None:
    html = await page(client, "/g/batch/v1")
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<tr>\s*<td><a href="/g/batch/v1/(\w+)">.*?</tr>', html, re.S)
    }
    assert set(rows) == {"cronjobs", "jobs"}
    assert "CronJob" in rows["cronjobs"] and ">cj<" in rows["cronjobs"] and "all" in rows["cronjobs"]
    assert "create, delete, deletecollection, get, list, patch, update, watch" in rows["jobs"]
    assert 'href="/g/batch/v1/jobs#sub-status"' in rows["jobs"]
    assert "<td>true</td>" in rows["jobs"]


# ---------------------------------------------------------------------------------------------- resources


async def test_resource_page_lists_every_operation(client: httpx.AsyncClient) -> None:
    html = await page(client, "/g/batch/v1/jobs")
    for op in [
        "listBatchV1NamespacedJob",
        "createBatchV1NamespacedJob",
        "readBatchV1NamespacedJob",
        "replaceBatchV1NamespacedJob",
        "patchBatchV1NamespacedJob",
        "deleteBatchV1NamespacedJob",
        "deleteBatchV1CollectionNamespacedJob",
        "watchBatchV1NamespacedJob",
        "listBatchV1JobForAllNamespaces",
        "readBatchV1NamespacedJobStatus",
    ]:
        assert f'href="/op/batch/v1/{op}"' in html, op
    assert "/apis/batch/v1/namespaces/{namespace}/jobs/{name}" in html
    assert 'href="/schema/batch/v1/Job"' in html and 'id="sub-status"' in html


async def test_pod_subresources(client: httpx.AsyncClient) -> None:
    html = await page(client, "/g/core/v1/pods")
    for sub in ["status", "log", "eviction", "binding", "exec", "ephemeralcontainers"]:
        assert f'id="sub-{sub}"' in html, sub
    assert "readCoreV1NamespacedPodLog" in html and "createCoreV1NamespacedPodEviction" in html
    scale = await page(client, "/g/apps/v1/deployments")
    assert 'id="sub-scale"' in scale
    # Scale is defined in the apps/v1 document, not autoscaling/v1's: the link goes where it is defined
    scale_href = "/schema/apps/v1/io.k8s.api.autoscaling.v1.Scale"
    assert f'href="{scale_href}"' in scale
    assert "ScaleSpec" in await page(client, scale_href)
    assert "PodExecOptions" in html and 'href="/schema/core/v1/PodExecOptions"' not in html


async def test_other_versions_of_a_kind(client: httpx.AsyncClient) -> None:
    html = await page(client, "/g/autoscaling/v2/horizontalpodautoscalers")
    assert 'id="other-versions"' in html and 'href="/g/autoscaling/v1/horizontalpodautoscalers"' in html


# ---------------------------------------------------------------------------------------------- operations


async def test_operation_page(client: httpx.AsyncClient) -> None:
    html = await page(client, "/op/batch/v1/createBatchV1NamespacedJob")
    assert 'class="method method-post"' in html
    assert "/apis/batch/v1/namespaces/{namespace}/jobs" in html
    for p in ["namespace", "dryRun", "fieldManager", "fieldValidation", "pretty"]:
        assert f'id="param-{p}"' in html, p
    assert re.search(r'id="param-namespace">\s*<td class="mono">namespace <span class="req"', html)
    assert 'href="/schema/batch/v1/io.k8s.api.batch.v1.Job"' in html
    for status in ("200", "201", "202", "401"):
        assert f'<td class="mono">{status}</td>' in html
    try_it = html.split('<section id="try-it">', 1)[1].split("</section>", 1)[0]
    assert "/try/batch/v1/createBatchV1NamespacedJob" in try_it  # the try-it feature's form sits here


async def test_patch_operation_lists_patch_types(client: httpx.AsyncClient) -> None:
    html = await page(client, "/op/apps/v1/patchAppsV1NamespacedDeployment")
    assert "application/strategic-merge-patch+json" in html and "application/apply-patch+yaml" in html


# ---------------------------------------------------------------------------------------------- schemas


async def test_schema_page_is_one_level(client: httpx.AsyncClient) -> None:
    html = await page(client, "/schema/core/v1/Pod")
    assert 'id="spec"' in html and 'id="status"' in html
    assert 'id="spec.containers"' not in html  # the Pod schema is not rendered whole
    assert 'hx-get="/schema/core/v1/Pod/spec?part=children"' in html
    assert len(html) < 40_000


async def test_field_deep_link_opens_at_the_field(client: httpx.AsyncClient) -> None:
    html = await page(client, "/schema/apps/v1/Deployment/spec.template.spec.containers.resources.limits")
    assert 'class="field target" id="spec.template.spec.containers.resources.limits"' in html
    for p in ["spec", "spec.template", "spec.template.spec", "spec.template.spec.containers"]:
        assert f'id="{p}"' in html
    assert 'id="spec.template.spec.volumes"' in html  # siblings on the way are shown, closed
    assert 'id="spec.template.spec.volumes.name"' not in html
    assert "map[string]" in html


async def test_children_fragment(client: httpx.AsyncClient) -> None:
    html = await page(client, "/schema/batch/v1/Job/spec.template?part=children")
    assert "<html" not in html and 'id="spec.template.spec"' in html


async def test_field_facts(client: httpx.AsyncClient) -> None:
    html = await page(client, "/schema/apps/v1/Deployment/spec.template.spec.containers")
    assert "list-map-keys" in html or "list-type" in html
    assert "patch-strategy" in html and "patch-merge-key" in html
    strategy = await page(client, "/schema/apps/v1/Deployment/spec.strategy")
    assert "Recreate" in strategy  # the enum of spec.strategy.type
    port = await page(client, "/schema/core/v1/Service/spec.ports.targetPort")
    assert "IntOrString" in port and "int-or-string" in port


async def test_recursive_schema_is_a_link(client: httpx.AsyncClient) -> None:
    url = "/schema/apiextensions.k8s.io/v1/CustomResourceDefinition/spec.versions.schema.openAPIV3Schema"
    html = await page(client, url)
    assert "recursive → " in html
    assert (
        'href="/schema/apiextensions.k8s.io/v1/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"'
        in html
    )
    assert len(html) < 200_000
    props = await page(
        client,
        "/schema/apiextensions.k8s.io/v1/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
    )
    assert "x-kubernetes-preserve-unknown-fields" in props


# ---------------------------------------------------------------------------------------------- search


async def test_search_short_name_and_fields(client: httpx.AsyncClient) -> None:
    html = await page(client, "/search?q=deploy")
    first = re.search(r'id="hits-resources">.*?<a href="([^"]+)"', html, re.S)
    assert first and first.group(1) == "/g/apps/v1/deployments"
    fields = await page(client, "/search?q=replicas")
    for kind in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"):
        assert f'<strong>{kind}</strong>.<span class="mono">spec.replicas</span>' in fields, kind
    ops = await page(client, "/search?q=createBatchV1NamespacedJob")
    assert 'href="/op/batch/v1/createBatchV1NamespacedJob"' in ops
    paths = await page(client, "/search?q=/apis/batch/v1/jobs")
    assert 'id="hits-paths"' in paths


async def test_live_search_is_a_fragment(client: httpx.AsyncClient) -> None:
    html = await page(client, "/search?q=deploy&partial=1")
    assert "<html" not in html and "/g/apps/v1/deployments" in html and "All results" in html
    empty = await page(client, "/search?q=zzzzqqqq")
    assert "Nothing matches" in empty


# ---------------------------------------------------------------------------------------------- raw


async def test_raw_document_is_the_document(app: FastAPI, client: httpx.AsyncClient) -> None:
    html = await page(client, "/raw/apis/batch")
    pre = re.search(r'<pre class="json" id="document"[^>]*>(.*?)</pre>', html, re.S)
    assert pre
    import html as html_mod

    shown = orjson.loads(html_mod.unescape(re.sub(r"</?a[^>]*>", "", pre.group(1))))
    direct = await app.state.webexplorer.explorer.source.fetch("/apis/batch")
    assert shown == orjson.loads(direct.body)
    assert 'href="/raw/apis/batch/v1"' in html
    r = await client.get("/raw/apis/batch?download=1")
    assert r.headers["content-disposition"] == 'attachment; filename="apis_batch.json"'
    assert orjson.loads(r.content) == shown


async def test_raw_walk_of_the_seed_listings(client: httpx.AsyncClient) -> None:
    root = await page(client, "/raw/")
    assert 'id="assembled"' in root and 'href="/raw/apis/batch"' in root
    v1 = await page(client, "/raw/apis/batch/v1")
    assert 'href="/raw/apis/batch/v1/jobs"' in v1
    jobs = await page(client, "/raw/apis/batch/v1/jobs")
    assert 'href="/op/batch/v1/listBatchV1JobForAllNamespaces"' in jobs and "offline" in jobs
    assert 'href="/raw/apis/batch/v1/namespaces/default/jobs/my-job"' in jobs
    one = await page(client, "/raw/apis/batch/v1/namespaces/default/jobs/my-job")
    assert 'href="/op/batch/v1/readBatchV1NamespacedJob?namespace=default&amp;name=my-job"' in one
    r = await client.get("/raw/apis/batch/v1/namespaces/default/jobs?namespace=kube-system&name=x")
    assert (
        r.status_code == 303 and r.headers["location"] == "/raw/apis/batch/v1/namespaces/kube-system/jobs/x"
    )


async def test_raw_openapi_and_aggregated(client: httpx.AsyncClient) -> None:
    index = await page(client, "/raw/openapi/v3")
    assert 'href="/raw/openapi/v3/apis/apps/v1"' in index
    doc = await page(client, "/raw/openapi/v3/apis/apps/v1")
    assert 'href="/g/apps/v1/deployments"' in doc
    assert 'href="/schema/apps/v1/io.k8s.api.apps.v1.Deployment"' in doc
    agg = await page(client, "/raw/apis?aggregated=1")
    assert "APIGroupDiscoveryList" in agg
    await page(client, "/raw/version")
    await page(client, "/raw/openapi/v2")


# ---------------------------------------------------------------------------------------------- diff, errors


async def test_diff_page(client: httpx.AsyncClient) -> None:
    html = await page(client, "/diff?old=embedded&new=current")
    assert 'id="diff-empty"' in html  # the explorer serves the embedded snapshot itself
    same = await page(client, "/diff?old=current&new=current")
    assert 'id="diff-same"' in same
    await page(client, "/diff?old=/etc/passwd", 400)


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/g/nosuch.example.com", 404, "serves no API group named"),
        ("/g/batch/v9", 404, "it serves v1"),
        ("/g/batch/v1/nosuch", 404, "has no resource"),
        ("/op/batch/v1/nosuchOperation", 404, "documents no operation"),
        ("/schema/batch/v1/NoSuchKind", 404, "No schema"),
        ("/schema/batch/v1/Job/spec.nosuch", 404, "has no field"),
        ("/g/Bad_Group", 400, "not a valid API group name"),
        ("/schema/batch/v1/Job/a%20b", 400, "not a valid field path"),
        ("/raw/apis/a%3Cb", 400, "not an API path"),
        ("/raw/apis/nosuch.example.com", 404, ""),
    ],
)
async def test_unknown_and_malformed(client: httpx.AsyncClient, url: str, status: int, words: str) -> None:
    html = await page(client, url, status)
    assert words in html and "<script>" not in html


async def test_create_only_resources_link_to_their_page(client: httpx.AsyncClient) -> None:
    v1 = await page(client, "/raw/api/v1")
    assert 'href="/g/core/v1/bindings"' in v1 and 'href="/raw/api/v1/bindings"' not in v1
    bindings = await page(client, "/g/core/v1/bindings")
    assert "List path" not in bindings


async def test_operation_kind_links_where_it_is_defined(client: httpx.AsyncClient) -> None:
    evict = await page(client, "/op/core/v1/createCoreV1NamespacedPodEviction")
    assert 'href="/schema/core/v1/io.k8s.api.policy.v1.Eviction"' in evict
    assert "ScaleSpec" not in evict
    exec_ = await page(client, "/op/core/v1/connectCoreV1GetNamespacedPodExec")
    assert "PodExecOptions" in exec_ and 'href="/schema/core/v1/PodExecOptions"' not in exec_
