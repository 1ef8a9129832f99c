"""Every refusal of try-it: a clear message, and the API server received nothing.

Each case carries a unique marker where the request would have put it (a namespace, a name or a label
selector); the API server's audit log (Metadata level, one line per request) must not mention it. A
positive control shows the same witness does see a request that is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from tests.tryout_helpers import ExplorerClient, audit_count, explorer_app, marker, text_of
from webexplorer.sandbox.controlplane import ControlPlane

READ = "readCoreV1NamespacedConfigMap"
CREATE = "createCoreV1NamespacedConfigMap"
PATCH = "patchCoreV1NamespacedConfigMap"
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


@dataclass
class Case:
    op: str
    fields: dict[str, str]
    message: str
    status: int = 400
    headers: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None
    same_origin: bool = True


def cases(m: str) -> dict[str, Case]:
    ns = {"p.namespace": m}
    body = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {m}\n"
    return {
        "dot-dot name": Case(READ, {**ns, "p.name": ".."}, "may not be '..'"),
        "dot name": Case(READ, {**ns, "p.name": "."}, "may not be '.'"),
        "slash in name": Case(READ, {**ns, "p.name": "a/b"}, "may not contain '/'"),
        "encoded slash": Case(READ, {**ns, "p.name": "a%2Fb"}, "%2F"),
        "encoded dot": Case(READ, {**ns, "p.name": "%2E%2E"}, "%2E"),
        "control character": Case(READ, {**ns, "p.name": "a\nb"}, "control characters"),
        "dot-dot namespace": Case(READ, {"p.namespace": "..", "p.name": m}, "namespace may not be '..'"),
        "slash in namespace": Case(READ, {"p.namespace": f"{m}/..", "p.name": "x"}, "may not contain '/'"),
        "other method": Case(
            READ, {**ns, "p.name": "x", "method": "DELETE"}, "cannot be sent as DELETE", 405
        ),
        "exec": Case("connectCoreV1PostNamespacedPodExec", {**ns, "p.name": "p"}, "--allow-connect", 403),
        "attach": Case("connectCoreV1GetNamespacedPodAttach", {**ns, "p.name": "p"}, "--allow-connect", 403),
        "portforward": Case(
            "connectCoreV1GetNamespacedPodPortforward", {**ns, "p.name": "p"}, "--allow-connect", 403
        ),
        "proxy": Case("connectCoreV1GetNamespacedPodProxy", {**ns, "p.name": "p"}, "--allow-connect", 403),
        "upgrade": Case(READ, {**ns, "p.name": "x"}, "never upgrades", headers={"Upgrade": "websocket"}),
        "body over 3 MiB": Case(
            CREATE, {**ns, "body": body + "data:\n  big: " + "x" * (3 << 20)}, "3 MiB", 413
        ),
        "billion laughs": Case(CREATE, {**ns, "body": LAUGHS}, "billion laughs"),
        "several documents": Case(CREATE, {**ns, "body": body + "---\n" + body}, "several YAML documents"),
        "not an object": Case(CREATE, {**ns, "body": "- a\n- b\n"}, "takes one object"),
        "real write when read-only": Case(CREATE, {**ns, "body": body, "dry_run": "off"}, "read-only", 403),
        "cross-site": Case(
            CREATE, {**ns, "body": body}, "another site", 403, {"Sec-Fetch-Site": "cross-site"}
        ),
        "other origin": Case(
            CREATE,
            {**ns, "body": body},
            "another origin",
            403,
            {"Origin": "http://evil.example"},
            same_origin=False,
        ),
        "no origin at all": Case(CREATE, {**ns, "body": body}, "did not say where", 403, same_origin=False),
        "forged CSRF token": Case(CREATE, {**ns, "body": body}, "security token", 403, csrf="forged"),
        "Authorization header": Case(
            READ,
            {**ns, "p.name": "x", "headers": "Authorization: Bearer x"},
            "Authorization header is never sent",
            403,
        ),
        "Impersonate header": Case(
            READ,
            {**ns, "p.name": "x", "headers": "Impersonate-User: root"},
            "Impersonate-User header is never sent",
            403,
        ),
        "Cookie header": Case(
            READ, {**ns, "p.name": "x", "headers": "Cookie: a=b"}, "Cookie header is never sent", 403
        ),
        "unknown query parameter": Case(
            READ, {**ns, "p.name": "x", "q.bogus": "1"}, "'bogus' is not a query parameter"
        ),
        "apply without field manager": Case(
            PATCH,
            {
                **ns,
                "p.name": "x",
                "patch_type": "application/apply-patch+yaml",
                "q.fieldManager": "",
                "body": body,
            },
            "needs a field manager",
        ),
    }


@pytest.fixture(scope="module")
async def explorer(control_plane: ControlPlane) -> AsyncIterator[ExplorerClient]:
    async with explorer_app(control_plane.kubeconfig, max_watches_per_visitor=1) as ex:
        yield ex


@pytest.mark.parametrize("name", sorted(cases("x")))
async def test_refused_before_anything_is_sent(
    explorer: ExplorerClient, control_plane: ControlPlane, name: str
) -> None:
    m = marker()
    case = cases(m)[name]
    response = await explorer.send(
        case.op, case.fields, headers=case.headers, csrf=case.csrf, same_origin=case.same_origin
    )
    assert response.status_code == case.status, response.text[-2000:]
    assert response.headers.get("x-webexplorer-refused") == "1"
    refusal = text_of(response.text, "tryout-refusal")
    assert case.message in refusal and "Nothing was sent to the API server" in refusal
    assert audit_count(control_plane, m) == 0


async def test_the_witness_sees_requests_that_are_sent(
    explorer: ExplorerClient, control_plane: ControlPlane
) -> None:
    m = marker()
    response = await explorer.send(READ, {"p.namespace": "default", "p.name": m})
    assert "404 Not Found" in text_of(response.text, "tryout-code")
    assert audit_count(control_plane, m) == 1


async def test_watches_are_capped_per_visitor(explorer: ExplorerClient, control_plane: ControlPlane) -> None:
    m = marker()
    fields = {"p.namespace": m, "q.watch": "true"}
    first = await explorer.send("listCoreV1NamespacedConfigMap", fields, htmx=True)
    assert 'sse-connect="/try/watch/' in first.text
    second = await explorer.send("listCoreV1NamespacedConfigMap", fields, htmx=True)
    assert "limit is 1 per visitor" in text_of(second.text, "tryout-refusal")
    assert audit_count(control_plane, m) == 0  # registered, never streamed: nothing sent yet


async def test_snapshot_mode_shows_the_form_disabled() -> None:
    import httpx

    from webexplorer.app import create_app
    from webexplorer.settings import Settings

    app = create_app(Settings(mode="snapshot"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            ex = ExplorerClient(client)
            page = await ex.open(f"/try/core/v1/{CREATE}")
            assert "recorded snapshot" in text_of(page.text, "tryout-disabled")
            # nothing can be sent (Send is disabled); the body editor stays editable for the local check
            assert 'id="tryout-send" disabled' in page.text
            assert "/check" in page.text.split('id="try-body"', 1)[1].split(">", 1)[0]
            response = await ex.send(CREATE, {"p.namespace": "default", "body": "kind: ConfigMap\n"})
            assert response.status_code == 409
            assert "recorded snapshot" in text_of(response.text, "tryout-refusal")
