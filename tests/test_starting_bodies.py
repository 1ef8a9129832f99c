"""Every create's starting body, as the try-it form offers it, is accepted by the real API server.

For each create operation the cluster serves (built-ins, plus the Gateway API and cert-manager CRDs of
``../shared/crds`` installed here), the test opens the form the way a visitor does, takes the body
from its editor and sends it, unchanged, to the API server as a server-side dry run with
``fieldValidation=Strict`` in the namespace the form names. A refusal fails the test unless the form
says, beside the body, why the explorer could not derive an accepted one. The full starting body (every
optional field as a comment) and the JSON one parse to the same body, so they are accepted too. The
subresource creates that act on an existing object (a Pod's eviction and binding, a ServiceAccount's
token) get that object first: a real create of the form's own starting body for it.

The acceptance count per group is printed (``-s``) and written to
``test-artifacts/starting-bodies.json``.
"""

# The admin client is the test's own witness, independent of the explorer under test: its blocking calls
# between two explorer requests are what the test means, so ASYNC212 does not apply here.
# ruff: noqa: ASYNC212
from __future__ import annotations

import html
import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.fixtures.asgi import asgi_explorer
from tests.fixtures.crds import SHARED_CRDS
from tests.tryout_helpers import token_kubeconfig
from webexplorer.catalog import Operation
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings
from webexplorer.tryout.skeleton import known_kinds
from webexplorer.web import urls
from webexplorer.web.state import ATTRIBUTE

ROOT = Path(__file__).resolve().parent.parent
CRDS = SHARED_CRDS
CRD_DIRS = [CRDS / "gateway-api", CRDS / "cert-manager"]
BODY = re.compile(r'<textarea id="try-body"[^>]*>(.*?)</textarea>', re.S)
NOTES = re.compile(r'<ul class="notice tryout-body-notes" id="tryout-body-notes">(.*?)</ul>', re.S)
#: subresource creates on an existing object: the kind the test creates first (from its own form)
PARENTS = {"pods": "createCoreV1NamespacedPod", "serviceaccounts": "createCoreV1NamespacedServiceAccount"}
#: a create that acts on an existing object without being its subresource: a Binding binds a Pod
ACTS_ON = {("", "bindings"): "pods"}


def _parent(op: Operation) -> str | None:
    """The operation creating the object ``op`` acts on, or None for a plain create."""
    t = op.target
    if t is None or not t.resource:
        return None
    resource = t.resource if t.subresource else ACTS_ON.get((t.group, t.resource))
    return PARENTS.get(resource or "")


def _kubectl(control_plane: ControlPlane, *args: str) -> None:
    files = [a for d in CRD_DIRS for a in ("-f", str(d))]
    subprocess.run(
        [str(control_plane.kubectl), "--kubeconfig", str(control_plane.kubeconfig), *args, *files],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def crds(control_plane: ControlPlane, admin_client: httpx.Client) -> Iterator[None]:
    """The Gateway API and cert-manager CRDs, installed and established (removed afterwards, so the
    rest of the suite sees the cluster it expects)."""
    # missing CRDs fail the test (as tests/fixtures/crds.py does): a skip would hide that no CRD was tested
    assert all(d.is_dir() for d in CRD_DIRS), (
        f"the shared test CRDs are not at {CRDS} (WEBEXPLORER_TEST_CRDS)"
    )
    _kubectl(control_plane, "apply", "--server-side", "--force-conflicts")
    deadline = time.monotonic() + 60
    while True:
        items = admin_client.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions").json()["items"]
        ours = [
            c
            for c in items
            if c["spec"]["group"].endswith(
                ("gateway.networking.k8s.io", "gateway.networking.x-k8s.io", "cert-manager.io")
            )
        ]
        established = [
            c
            for c in ours
            if any(
                x["type"] == "Established" and x["status"] == "True"
                for x in (c.get("status") or {}).get("conditions") or []
            )
        ]
        if ours and len(established) == len(ours):
            break
        assert time.monotonic() < deadline, "the test CRDs were not established within 60 s"
        time.sleep(0.5)
    try:
        yield
    finally:
        _kubectl(control_plane, "delete", "--ignore-not-found", "--wait=true", "--timeout=90s")


def _creates(ops: Any) -> Iterator[Operation]:
    for op in ops:
        if op.method == "POST" and op.request_body is not None:
            yield op


async def test_every_create_starts_with_an_accepted_body(
    control_plane: ControlPlane, admin_client: httpx.Client, crds: None, tmp_path: Path
) -> None:
    namespace = f"bodies-{uuid.uuid4().hex[:8]}"
    admin_client.post("/api/v1/namespaces", json={"metadata": {"name": namespace}}).raise_for_status()
    kubeconfig = token_kubeconfig(control_plane, control_plane.admin_token, tmp_path / "kc", namespace)
    results: dict[str, list[tuple[str, int, str]]] = {}
    noted: dict[str, list[str]] = {}  # what each form says beside its body
    served: set[str] = set()  # Kind.group of every body sent
    try:
        async with asgi_explorer(Settings(kubeconfig=str(kubeconfig), mode="kubeconfig")) as client:
            app = client._transport.app  # type: ignore[attr-defined]
            catalog = getattr(app.state, ATTRIBUTE).catalog()
            targets: list[tuple[str, str, Operation]] = []
            for g in catalog.groups:
                for gv in g.versions:
                    index = await catalog.operations_for(g.name, gv.version)
                    targets += [
                        (g.name, gv.version, op)
                        for op in _creates(index.for_group_version(g.name, gv.version))
                    ]
            # the creates that act on an existing object go last, once that object exists (made from its
            # own form's body, so the plain creates of those kinds are checked before their name is taken)
            targets.sort(key=lambda t: _parent(t[2]) is not None)
            parents_made: set[str] = set()
            for group, version, op in targets:
                parent = _parent(op)
                if parent and parent not in parents_made:
                    body, _ = await _form_body(client, "", "v1", parent)
                    collection = "pods" if parent.endswith("Pod") else "serviceaccounts"
                    admin_client.post(
                        f"/api/v1/namespaces/{namespace}/{collection}", json=body
                    ).raise_for_status()
                    parents_made.add(parent)
                body, notes = await _form_body(client, group, version, op.operation_id)
                # the full body with every comment removed, and the JSON one, are the same body
                for style in ("full", "json"):
                    other, _ = await _form_body(client, group, version, op.operation_id, style)
                    assert other == body, f"{op.operation_id}: the {style} body is another body"
                name = str((body.get("metadata") or {}).get("name", "example"))
                path = op.path.replace("{namespace}", namespace).replace("{name}", name)
                params = {"dryRun": "All", "fieldValidation": "Strict"}
                if any(p.name == "fieldValidation" for p in op.query_params) is False:
                    params.pop("fieldValidation")
                reply = admin_client.post(path, params=params, json=body)
                message = "" if reply.status_code < 300 else reply.json().get("message", reply.text)
                explained = "; ".join(notes) if reply.status_code >= 300 and notes else ""
                results.setdefault(group or "core", []).append(
                    (
                        op.operation_id,
                        reply.status_code,
                        message if not explained else f"{message} [form: {explained}]",
                    )
                )
                noted[op.operation_id] = notes
                group_of = str(body.get("apiVersion", "")).rpartition("/")[0]
                served.add(f"{body.get('kind')}.{group_of}" if group_of else str(body.get("kind")))
    finally:
        admin_client.delete(f"/api/v1/namespaces/{namespace}")
    _report(results, noted)
    refused = [
        (op_id, status, message)
        for entries in results.values()
        for op_id, status, message in entries
        if status >= 300 and "[form:" not in message
    ]
    assert not refused, "\n".join(f"{op_id}: {status} {message}" for op_id, status, message in refused)
    # every entry of the server-rule data was sent here: none can rot untested
    untested = set(known_kinds()) - served
    assert not untested, f"data/starting_bodies.yaml entries no create here used: {sorted(untested)}"


async def _form_body(
    client: httpx.AsyncClient, group: str, version: str, op_id: str, start: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """The body the visitor's form starts with (and the notes beside it), read from the page;
    ``start``: the full or JSON starting body instead of the minimal one."""
    page = await client.get(urls.url_try(group, version, op_id), params={"start": start} if start else None)
    assert page.status_code == 200, page.text
    found = BODY.search(page.text)
    assert found is not None, f"{op_id}: no body editor"
    notes_found = NOTES.search(page.text)
    notes = re.findall(r"<li>(.*?)</li>", notes_found.group(1), re.S) if notes_found else []
    return yaml.safe_load(html.unescape(found.group(1))), [html.unescape(n) for n in notes]


def _report(results: dict[str, list[tuple[str, int, str]]], noted: dict[str, list[str]]) -> None:
    total = sum(len(v) for v in results.values())
    accepted = sum(1 for v in results.values() for _, status, _ in v if status < 300)
    lines = [f"starting bodies accepted: {accepted} of {total}"]
    for group, entries in sorted(results.items()):
        ok = sum(1 for _, status, _ in entries if status < 300)
        lines.append(f"  {group}: {ok}/{len(entries)}")
        lines += [
            f"    {op_id}: {status} {message[:300]}" for op_id, status, message in entries if status >= 300
        ]
    out = ROOT / "test-artifacts" / "starting-bodies.json"
    out.parent.mkdir(exist_ok=True)
    notes = {k: v for k, v in noted.items() if v}
    lines.append(f"forms with a note beside the body: {len(notes)}")
    print("\n".join(lines))
    out.write_text(
        json.dumps({"accepted": accepted, "total": total, "by_group": results, "notes": notes}, indent=1)
    )
