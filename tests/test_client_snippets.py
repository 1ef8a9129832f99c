"""The client-library snippets of try-it answers are run, not eyeballed: each case of
tests/snippet_cases.py is sent by the explorer, the cluster is put back, and the Python
(``kubernetes``) and JavaScript (``@kubernetes/client-node``) snippets from the explorer's own answer
panel run in their own processes against the same real control plane. The API server's audit log says
what each sent and what it answered; the objects they print equal the explorer's answer without
server-set fields. Go and Java run the same cases under ``-m clients``
(tests/test_client_snippets_compiled.py).
"""

# The admin client is the test's witness, called between explorer requests (ASYNC212 does not apply).
# ruff: noqa: ASYNC212
from __future__ import annotations

import html
import inspect
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import kubernetes.client
import pytest

from tests.fixtures.clients import (  # noqa: F401
    ClientRunner,
    client_runner,
    go_client,
    java_client,
    node_client,
)
from tests.snippet_cases import (
    CASES,
    CRD,
    GROUP,
    NS,
    Case,
    continue_token,
    normalised,
    prepare,
    request_of,
    reset,
)
from tests.tryout_helpers import ExplorerClient, explorer_app
from webexplorer.catalog import Catalog, Parameter, build_catalog
from webexplorer.cluster import Connection
from webexplorer.cluster.kubeconfig import load_kubeconfig
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.tryout.clients import generated
from webexplorer.tryout.clients import javascript as javascript_client
from webexplorer.tryout.clients import python as python_client
from webexplorer.tryout.clients.call import Call, example_form, snake
from webexplorer.tryout.clients.snippet import LIBRARIES as LIBRARY_TABLE
from webexplorer.tryout.clients.snippet import call_of, snippets
from webexplorer.tryout.plan import Policy, Refusal, plan

#: the libraries whose snippets run in the default suite; Go and Java need a toolchain build (-m clients)
LIBRARIES = ("python", "javascript")
COMPILED = ("golang", "java")
ALL_LIBRARIES = (*LIBRARIES, *COMPILED)
DELETE_OPTIONS = {"propagationPolicy", "gracePeriodSeconds", "dryRun", "orphanDependents"}
EXPLORER_AGENT = "webexplorer/"
WITNESS_AGENTS = ("webexplorer/", "python-httpx/", "kube-", "kubectl/")


@dataclass
class Answered:
    status: int
    body: Any
    path: str
    query: dict[str, str]
    snippets: dict[str, str]


def snippet_code(page: str, library: str) -> str:
    found = re.search(rf'<pre id="tryout-snippets-code-{library}"[^>]*>(.*?)</pre>', page, re.S)
    if found is None:
        note = re.search(
            rf'<p class="snippet-unsupported" id="tryout-snippets-code-{library}">(.*?)</p>', page, re.S
        )
        raise AssertionError(f"no {library} snippet: {html.unescape(note.group(1)) if note else 'missing'}")
    return html.unescape(found.group(1))


def wait_event(control_plane: ControlPlane, mark: int, want: str) -> dict[str, Any]:
    """The last request logged after ``mark`` by ``want`` ("explorer" or "snippet"), waited for a
    bounded while (the audit line is written as the answer completes)."""
    deadline = time.monotonic() + 15
    while True:
        events = control_plane.audit_events()[mark:]
        mine = [
            e
            for e in events
            if NS in str(e.get("requestURI", "")) or "/clusterroles/" in str(e.get("requestURI", ""))
        ]
        if want == "explorer":
            mine = [e for e in mine if str(e.get("userAgent", "")).startswith(EXPLORER_AGENT)]
        else:
            mine = [e for e in mine if not str(e.get("userAgent", "")).startswith(WITNESS_AGENTS)]
        if mine:
            return mine[-1]
        assert time.monotonic() < deadline, f"no audit event of the {want} after {mark}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def crd(admin_client: httpx.Client) -> Any:
    admin_client.post(
        "/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    )
    r = admin_client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=CRD)
    assert r.status_code in (201, 409), r.text
    path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CRD['metadata']['name']}"
    deadline = time.monotonic() + 60
    while not any(
        c["type"] == "Established" and c["status"] == "True"
        for c in admin_client.get(path).json().get("status", {}).get("conditions") or []
    ):
        assert time.monotonic() < deadline, "the test CRD was not established"
        time.sleep(0.2)
    while admin_client.get(f"/apis/{CRD['spec']['group']}/v1").status_code != 200:
        assert time.monotonic() < deadline, "the test CRD's group is not served"
        time.sleep(0.2)
    while admin_client.get(f"/openapi/v3/apis/{CRD['spec']['group']}/v1").status_code != 200:
        assert time.monotonic() < deadline, "the test CRD's OpenAPI document is not published"
        time.sleep(0.2)
    yield CRD
    admin_client.delete(path)
    admin_client.delete(f"/api/v1/namespaces/{NS}")


@pytest.fixture(scope="module")
async def explorer(control_plane: ControlPlane, crd: Any) -> AsyncIterator[ExplorerClient]:
    async with explorer_app(control_plane.kubeconfig, allow_writes=True) as ex:
        yield ex


_answers: dict[str, Answered] = {}


async def explorer_answer(
    ex: ExplorerClient, control_plane: ControlPlane, admin: httpx.Client, case: Case
) -> Answered:
    """The explorer's own answer to ``case`` (sent once per case, kept for every library)."""
    if case.id in _answers:
        return _answers[case.id]
    prepare(admin, case)
    fields = dict(case.fields)
    if case.continue_after:
        fields["q.continue"] = continue_token(admin, case)
    mark = len(control_plane.audit_events())
    page = await ex.send(case.op, fields, group=case.group, version=case.version)
    assert page.status_code == 200, page.text[:2000]
    snippets = {lib: snippet_code(page.text, lib) for lib in ALL_LIBRARIES}
    if case.watch:  # compared with the explorer's list of the same selector
        listed = {k: v for k, v in fields.items() if k not in ("q.watch", "q.timeoutSeconds")}
        mark = len(control_plane.audit_events())
        page = await ex.send(case.op, listed, group=case.group, version=case.version)
    event = wait_event(control_plane, mark, "explorer")
    code = re.search(r'id="tryout-code">(\d+)', page.text)
    assert code is not None, page.text[:2000]
    status = int(code.group(1))
    assert status == event["responseStatus"]["code"]
    href = re.search(r'class="tryout-download" href="([^"]+)"', page.text)
    assert href is not None, page.text[:2000]
    body = (await ex.client.get(html.unescape(href.group(1)))).json()
    path, query = request_of(event)
    _answers[case.id] = Answered(status, body, path, query, snippets)
    reset(admin, case)
    return _answers[case.id]


def bare(obj: Any) -> str:
    """An object without server-set fields or its type (a list's items carry none, watch events do)."""
    return json.dumps(
        {k: v for k, v in normalised(obj).items() if k not in ("apiVersion", "kind")}, sort_keys=True
    )


def watched(stdout: str) -> list[str]:
    events = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return sorted(bare(e["object"]) for e in events if e["type"] == "ADDED")


@pytest.mark.parametrize(
    "library", [*LIBRARIES, *(pytest.param(lib, marks=pytest.mark.clients) for lib in COMPILED)]
)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_snippet_matches_the_explorer(
    case: Case,
    library: str,
    explorer: ExplorerClient,
    control_plane: ControlPlane,
    admin_client: httpx.Client,
    client_runner: ClientRunner,  # noqa: F811
    request: pytest.FixtureRequest,
) -> None:
    if library == "golang":  # the toolchains are set up only for the runs that need them
        client_runner.go_dir = request.getfixturevalue("go_client")
    if library == "java":
        client_runner.java_dir = request.getfixturevalue("java_client")
    expected = await explorer_answer(explorer, control_plane, admin_client, case)
    code = expected.snippets[library]
    assert control_plane.admin_token not in code
    prepare(admin_client, case)
    if case.continue_after:  # the token of the same first page as the explorer's (a new one)
        code = code.replace(expected.query["continue"], continue_token(admin_client, case))
    mark = len(control_plane.audit_events())
    ran = client_runner.run(library, code)
    try:
        event = wait_event(control_plane, mark, "snippet")
        path, query = request_of(event)
        status = event["responseStatus"]["code"]
        if case.watch:
            assert query.get("watch") == "true" and query["labelSelector"] == expected.query["labelSelector"]
            assert ran.returncode == 0, ran.stderr
            assert watched(ran.stdout) == sorted(bare(o) for o in expected.body["items"])
            assert expected.body["items"], "the watch case lists nothing: it would compare nothing"
            return
        assert (path, status) == (expected.path, expected.status), ran.stderr[-2000:]
        skip = {"pretty", "continue"}
        if library in COMPILED and case.op.startswith(
            "delete"
        ):  # client-go, Fabric8: DeleteOptions as a body
            skip |= DELETE_OPTIONS
        assert {k: v for k, v in query.items() if k not in skip} == {
            k: v for k, v in expected.query.items() if k not in skip
        }
        if expected.status >= 300:
            assert ran.returncode != 0
            return
        assert ran.returncode == 0, ran.stderr[-3000:]
        if re.search(r"(is|are) not returned", code):  # deletes that answer no object: by their effect
            assert ran.stdout.strip() == ""
            gone = admin_client.get(expected.path, params={"labelSelector": "snippets=yes"})
            assert gone.status_code == 404 or gone.json().get("items") == [], gone.text
            return
        printed = json.loads(ran.stdout)
        if case.status_typed:
            assert printed["kind"] == expected.body["kind"]
            left = admin_client.get(expected.path, params={"labelSelector": "snippets=yes"}).json()
            assert expected.body["items"] and left["items"] == []
            return
        if library == "golang" and "kubernetes.NewForConfigOrDie" in code and "RESTClient()" not in code:
            # client-go's typed decoder drops apiVersion and kind (the Go type says the kind)
            printed = {
                **printed,
                **{k: expected.body[k] for k in ("apiVersion", "kind") if k in expected.body},
            }
        assert normalised(printed) == normalised(expected.body)
    finally:
        reset(admin_client, case)


#: query parameters the coverage test leaves unset: follow=true is refused, watch is its own switch
NOT_SET = ("follow", "watch")


def _typed_example(param: Parameter) -> str:
    if param.enum:
        return str(param.enum[0])
    return {"integer": "1", "boolean": "false"}.get(param.type, "x")


def _node_methods(node_dir: Path) -> dict[str, dict[str, set[str]]]:
    """``{ApiClass: {method: parameter names}}`` from the installed client's typings."""
    typings = node_dir / "node_modules/@kubernetes/client-node/dist/gen/types/ObjectParamAPI.d.ts"
    text = typings.read_text()
    requests = {
        m.group(1): set(re.findall(r"\n    (\w+)\??:", m.group(2)))
        for m in re.finditer(r"export interface (\w+) \{(.*?)\n\}", text, re.S)
    }
    classes: dict[str, dict[str, set[str]]] = {}
    for m in re.finditer(r"export declare class Object(\w+) \{(.*?)\n\}", text, re.S):
        methods = re.findall(r"\n    (\w+)\(param\??: (\w+)", m.group(2))
        classes[m.group(1)] = {name: requests.get(request, set()) for name, request in methods}
    return classes


async def test_every_operation_has_a_snippet_or_a_sentence_per_library(
    control_plane: ControlPlane,
    crd: Any,
    node_client: Path,  # noqa: F811
) -> None:
    """Every operation the real server documents (the built-in kinds and the test CRD), with every
    documented query parameter set, gets code or a sentence from each library; the code names a class,
    a method and arguments the installed Python and JavaScript packages really have."""
    async with Connection.from_kubeconfig(load_kubeconfig([control_plane.kubeconfig])) as conn:
        catalog = await build_catalog(conn, openapi="v3")
        await _check_every_operation(control_plane, catalog, node_client)


async def _check_every_operation(control_plane: ControlPlane, catalog: Catalog, node_client: Path) -> None:  # noqa: F811
    node = _node_methods(node_client)
    unsupported: dict[str, list[str]] = {lib: [] for lib, *_ in LIBRARY_TABLE}
    checked = 0
    problems: list[str] = []
    groups = {g.name for g in catalog.groups}
    assert GROUP in groups
    for g in catalog.groups:
        for gv in g.versions:
            for op in (await catalog.operations_for(g.name, gv.version)).operations:
                form = example_form(op)
                query = {
                    p.name: _typed_example(p) for p in op.query_params if p.name not in ("follow", "watch")
                }
                planned = plan(op, replace(form, query=query), Policy(allow_writes=False, allow_connect=True))
                assert not isinstance(planned, Refusal), (op.operation_id, planned)
                call = call_of(catalog, op, planned, dict(form.path))
                for code in snippets(call):
                    assert code.code or len(code.note) > 20, (op.operation_id, code)
                    if not code.code:
                        unsupported[code.library].append(op.operation_id)
                    assert control_plane.admin_token not in code.code
                problems += _check_python(call) + _check_javascript(call, node)
                checked += 1
    assert not problems, "\n".join(problems)
    assert checked > 500
    # what no library here writes: the WebSocket streams (exec, attach, portforward), said in a sentence
    for lib, ops in unsupported.items():
        assert all(re.search(r"Exec|Attach|Portforward", o) for o in ops), (lib, ops)


def _check_python(call: Call) -> list[str]:
    how = generated.invocation(call, "kubernetes", python_client._CUSTOM_OPTIONS)
    if isinstance(how, str):
        return []
    cls = getattr(kubernetes.client, how.api_class)
    method = getattr(cls, snake(how.method), None)
    if method is None:
        return [f"python: {call.operation_id}: no {how.api_class}.{snake(how.method)}"]
    accepted = inspect.signature(method).parameters
    unknown = [name for name, _ in python_client.keywords(call, how) if name not in accepted]
    return [f"python: {call.operation_id}: {how.method} takes no {unknown}"] if unknown else []


def _check_javascript(call: Call, node: dict[str, dict[str, set[str]]]) -> list[str]:
    if javascript_client.untyped(call):  # the table of what the library lacks holds: it lacks it
        typed = generated.invocation(call, "@kubernetes/client-node")
        if isinstance(typed, generated.Invocation) and typed.method in node.get(typed.api_class, {}):
            return [f"javascript: {call.operation_id}: listed as newer, but {typed.method} exists"]
    call, _ = javascript_client.library_call(call)
    how = generated.invocation(call, "@kubernetes/client-node")
    if isinstance(how, str):
        return []
    if how.watch:
        ok = "{" not in call.collection_path and "/watch/" not in call.collection_path
        return [] if ok else [f"javascript: {call.operation_id}: watch path {call.collection_path}"]
    methods = node.get(how.api_class, {})
    if how.method not in methods:
        return [f"javascript: {call.operation_id}: no {how.api_class}.{how.method}"]
    names = {k for k, _ in how.args} | {"_continue" if p.name == "continue" else p.name for p in how.options}
    names |= {"body"} if how.body else set()
    names |= {"dryRun"} if call.dry_run else set()
    unknown = names - methods[how.method]
    return [f"javascript: {call.operation_id}: {how.method} takes no {sorted(unknown)}"] if unknown else []


async def test_operation_pages_show_each_library(
    explorer: ExplorerClient, control_plane: ControlPlane, crd: Any
) -> None:
    """Every operation page of the test CRD's group version and of apps/v1 has a tab per library,
    holding code or the sentence saying what the library cannot do."""
    async with Connection.from_kubeconfig(load_kubeconfig([control_plane.kubeconfig])) as conn:
        catalog = await build_catalog(conn, openapi="v3")
        pages = [
            (url_group, op.operation_id)
            for group, url_group in ((GROUP, GROUP), ("apps", "apps"))
            for op in (await catalog.operations_for(group, "v1")).operations
        ]
    assert len(pages) > 50
    for group, op_id in pages:
        page = await explorer.client.get(f"/op/{group}/v1/{op_id}")
        assert page.status_code == 200, (op_id, page.text[:500])
        for lib in ("curl", "kubectl", "http", *ALL_LIBRARIES):
            assert f'id="op-snippets-code-{lib}"' in page.text, (op_id, lib)
        assert control_plane.admin_token not in page.text
