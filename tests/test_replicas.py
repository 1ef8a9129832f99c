"""Many replicas behind one Service: nothing a visitor needs lives in one replica's memory.

Two real explorer processes against the control plane, and one visitor whose requests a stand-in for
the Service sends to each in turn (same Host name, one cookie jar, as a browser behind a ClusterIP
Service sees it). Each replica builds its own catalog, so every page is the same whichever answers;
sessions are in the cookie and CSRF tokens are signed with the shared WEBEXPLORER_SECRET_KEY, so a form
served by one replica can be sent through the other.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.fixtures.server import ExplorerProcess
from webexplorer.sandbox.controlplane import ControlPlane

SERVICE_HOST = "webexplorer.webexplorer.svc"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


class RoundRobinService(httpx.BaseTransport):
    """Sends each request to the next backend, keeping the visitor's URL (and so Host and cookies)."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = [httpx.URL(b) for b in backends]
        self.inner = httpx.HTTPTransport()
        self.turn = 0
        self.served: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        backend = self.backends[self.turn % len(self.backends)]
        self.turn += 1
        self.served.append(str(backend))
        forwarded = httpx.Request(
            request.method,
            request.url.copy_with(scheme=backend.scheme, host=backend.host, port=backend.port),
            headers=request.headers,  # Host stays the Service's name
            stream=request.stream,
            extensions=request.extensions,
        )
        return self.inner.handle_request(forwarded)

    def close(self) -> None:
        self.inner.close()


def start_replica(
    factory: Callable[..., ExplorerProcess], control_plane: ControlPlane, key: str, pod_name: str = ""
) -> ExplorerProcess:
    """One explorer as a replica runs: the same cluster, the Service's host name, the given secret key."""
    return factory(
        [
            "--kubeconfig",
            str(control_plane.kubeconfig),
            "--mode",
            "kubeconfig",
            "--allowed-hosts",
            SERVICE_HOST,
        ],
        env={"WEBEXPLORER_SECRET_KEY": key, "POD_NAME": pod_name},
    )


@pytest.fixture
def replicas(
    control_plane: ControlPlane, explorer_factory: Callable[..., ExplorerProcess]
) -> tuple[list[ExplorerProcess], str]:
    key = secrets.token_hex(32)
    started = [start_replica(explorer_factory, control_plane, key, f"webexplorer-replica-{n}") for n in "ab"]
    return started, key


def visitor(backends: list[ExplorerProcess]) -> tuple[httpx.Client, RoundRobinService]:
    service = RoundRobinService([p.url for p in backends])
    return httpx.Client(transport=service, base_url=f"http://{SERVICE_HOST}", timeout=30), service


def test_one_visitor_browses_across_two_replicas(replicas: tuple[list[ExplorerProcess], str]) -> None:
    processes, _ = replicas
    client, service = visitor(processes)
    pages = ["/", "/g/apps", "/g/apps/v1", "/g/apps/v1/deployments", "/schema/apps/v1/Deployment",
             "/search?q=deploy", "/raw/apis/apps/v1"]  # fmt: skip
    with client:
        for path in pages:
            first, second = client.get(path), client.get(path)  # one from each replica
            assert first.status_code == second.status_code == 200, (path, first.text[:300])
            if not path.startswith(
                "/search"
            ):  # search grows as each replica indexes fields in the background
                assert links(first.text) == links(second.text), path
        names = {
            client.get("/pod").text.count("webexplorer-replica-a"),
            client.get("/pod").text.count("webexplorer-replica-b"),
        }
    assert set(service.served) == {p.url for p in processes}
    assert names != {0}  # the "This pod" page tells the replicas apart


def links(page: str) -> set[str]:
    """What a page offers to follow: the same on every replica (each built the same catalog)."""
    return set(re.findall(r'href="([^"]+)"', page))


def test_a_form_from_one_replica_is_accepted_by_the_other(
    control_plane: ControlPlane,
    replicas: tuple[list[ExplorerProcess], str],
    explorer_factory: Callable[..., ExplorerProcess],
) -> None:
    """The session cookie and the CSRF token come from replica A; the dry-run write goes through B.
    A replica with another key refuses the same form: the shared secret key is what makes it work."""
    processes, _ = replicas
    client, service = visitor(processes)
    name = f"replica-{uuid.uuid4().hex[:8]}"
    body = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n"
    op = "/try/core/v1/createCoreV1NamespacedConfigMap"
    with client:
        form = client.get(op)  # replica A: sets the session cookie, embeds the CSRF token
        assert service.served[-1] == processes[0].url
        token = CSRF.search(form.text)
        assert token is not None and client.cookies
        fields = {"csrf": token.group(1), "p.namespace": "default", "body": body, "dry_run": "on"}
        sent = client.post(op, data=fields, headers=SAME_ORIGIN)  # replica B
        assert service.served[-1] == processes[1].url
        assert sent.status_code == 200, sent.text
        assert "201 Created" in sent.text and "dry run" in sent.text
        cookies = dict(client.cookies)

    other = start_replica(explorer_factory, control_plane, secrets.token_hex(32))  # another key
    stranger, _ = visitor([other])
    with stranger:
        stranger.cookies.update(cookies)
        refused = stranger.post(op, data=fields, headers=SAME_ORIGIN)
    assert refused.status_code == 403
    assert "security token" in refused.text
    with control_plane.client() as admin:
        assert admin.get(f"/api/v1/namespaces/default/configmaps/{name}").status_code == 404  # dry runs only


def _first_row(lines: Iterator[str], name: str) -> bool:
    """Read SSE lines until a ``row`` event naming ``name`` arrives."""
    return any(line.startswith("data:") and name in line for line in lines)


def test_a_watch_follows_the_visitor_to_another_replica(
    control_plane: ControlPlane, replicas: tuple[list[ExplorerProcess], str]
) -> None:
    """The watch is registered by replica B (the send goes there); its stream is first served by A, which
    never saw it registered, then, as after a dropped connection, the same URL again by B. A visitor
    with another cookie gets nothing from that URL."""
    processes, _ = replicas
    client, service = visitor(processes)
    op = "/try/core/v1/listCoreV1NamespacedConfigMap"
    names = [f"watched-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with client, control_plane.client() as admin:
        form = client.get(op)  # A
        token = CSRF.search(form.text)
        assert token is not None
        sent = client.post(  # B
            op,
            data={"csrf": token.group(1), "p.namespace": "default", "q.watch": "true"},
            headers=SAME_ORIGIN,
        )
        found = re.search(r'sse-connect="(/try/watch/[^"]+)"', sent.text)
        assert found is not None, sent.text
        stream_url = found.group(1)
        for index, replica in enumerate(processes):  # served by A, then by B
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())  # as the browser sends it
            direct = httpx.Client(base_url=replica.url, headers={"Host": SERVICE_HOST, "Cookie": cookie})
            with direct, direct.stream("GET", stream_url, timeout=httpx.Timeout(30, read=60)) as stream:
                assert stream.status_code == 200
                lines = stream.iter_lines()
                next(line for line in lines if line.startswith("event:"))  # connected upstream
                cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": names[index]}}
                assert admin.post("/api/v1/namespaces/default/configmaps", json=cm).status_code == 201
                assert _first_row(lines, names[index])
        stranger = httpx.Client(base_url=processes[1].url, headers={"Host": SERVICE_HOST})
        with stranger:
            assert stranger.get(stream_url).status_code == 204  # not this visitor's watch
        for name in names:
            admin.delete(f"/api/v1/namespaces/default/configmaps/{name}")
    assert service.served == [processes[0].url, processes[1].url]
