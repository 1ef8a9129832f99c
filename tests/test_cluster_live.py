"""Every connection mode end to end against the real control plane (tests/fixtures/cluster.py).

In-cluster with a real TokenRequest token behind a kubelet-style symlink, kubectl proxy, kubeconfigs
with a token, a client certificate, CA data inline or by file, tls-server-name; token rotation both on
the refresh period and at once after a 401 (the first token is revoked for real by deleting its service
account); whoami; 401/403/wrong-CA sentences; same-host redirects; streams.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from tests.fixtures.cluster import InClusterLayout, ServiceAccount
from tests.fixtures.kubeconfigs import ca_data, kubeconfig_doc, write_yaml
from webexplorer.cluster import (
    Connection,
    TLSVerificationError,
    UnauthorizedError,
    load_kubeconfig,
    whoami,
    whoami_explained,
)
from webexplorer.cluster.auth import TokenFileSource
from webexplorer.cluster.client import make_client
from webexplorer.cluster.incluster import load_in_cluster
from webexplorer.ports import wait_until
from webexplorer.sandbox.controlplane import ControlPlane

SAFactory = Callable[..., ServiceAccount]
LayoutFactory = Callable[..., InClusterLayout]


def revoke(admin_client: httpx.Client, control_plane: ControlPlane, account: ServiceAccount) -> None:
    """Delete the service account, which invalidates its bound tokens, and wait until the API server
    actually refuses the token (its authenticator reads service accounts through an informer)."""
    response = admin_client.delete(f"/api/v1/namespaces/{account.namespace}/serviceaccounts/{account.name}")
    assert response.status_code in (200, 404), response.text
    with httpx.Client(
        base_url=control_plane.url,
        verify=control_plane.ssl_context(),
        headers={"Authorization": f"Bearer {account.token}"},
    ) as client:
        wait_until(
            lambda: client.get("/api").status_code == 401,
            timeout=20,
            interval=0.1,
            what=f"token of {account.name} being refused",
        )


def key_files(directory: Path) -> list[Path]:
    return [*directory.glob("**/*.key"), *directory.glob("**/*.pem")]


def kubeconfig_connection(tmp_path: Path, doc: dict[str, Any], name: str = "config", **kw: Any) -> Connection:
    return Connection.from_kubeconfig(load_kubeconfig([write_yaml(tmp_path / name, doc)]), **kw)


# --- in-cluster -----------------------------------------------------------------------------------


async def test_in_cluster_with_a_real_service_account_token(
    service_account: SAFactory, in_cluster_layout: LayoutFactory
) -> None:
    account = service_account(namespace="explorer-test")
    layout = in_cluster_layout(account)
    config = load_in_cluster(layout.directory, layout.env)
    assert config.server == f"https://127.0.0.1:{layout.env['KUBERNETES_SERVICE_PORT']}"
    assert config.namespace == "explorer-test" and config.namespace_source == str(layout.namespace_path)
    async with Connection.from_in_cluster(config) as conn:
        assert (conn.mode, conn.label, conn.namespace) == ("in-cluster", "in-cluster", "explorer-test")
        api = await conn.fetch("/api")
        assert api.status == 200 and json.loads(api.body)["kind"] == "APIVersions"
        assert api.content_type.startswith("application/json")
        version = await conn.fetch("/version")
        assert version.status == 200 and json.loads(version.body)["gitVersion"].startswith("v1.")
        identity = await whoami(conn)
        assert identity is not None
        assert identity.username == f"system:serviceaccount:explorer-test:{account.name}"
        assert identity.service_account == ("explorer-test", account.name)
        assert "system:serviceaccounts" in identity.groups and identity.uid
        assert conn.describe_auth() == f"bearer token from {layout.token_path} (re-read every 60 s)"
        assert account.token not in repr(conn) and account.token not in conn.describe_auth()


async def test_in_cluster_namespace_from_pod_namespace_env(
    service_account: SAFactory, in_cluster_layout: LayoutFactory
) -> None:
    layout = in_cluster_layout(service_account())
    config = load_in_cluster(layout.directory, {**layout.env, "POD_NAMESPACE": "from-env"})
    assert (config.namespace, config.namespace_source) == ("from-env", "POD_NAMESPACE")


async def test_token_rotation_is_seen_within_the_refresh_period(
    service_account: SAFactory, in_cluster_layout: LayoutFactory
) -> None:
    first, second = service_account(), service_account()
    layout = in_cluster_layout(first)
    refresh = 2.0
    async with Connection.from_in_cluster(
        load_in_cluster(layout.directory, layout.env), token_refresh=refresh
    ) as conn:
        assert (await whoami(conn)).username == first.username  # type: ignore[union-attr]
        read_at = time.monotonic()
        layout.rotate(second.token)  # kubelet-style: new dir, ..data symlink swapped
        identity = await whoami(conn)
        if time.monotonic() - read_at < refresh * 0.9:
            assert identity is not None and identity.username == first.username  # still cached
        started = time.monotonic()
        while (identity := await whoami(conn)) is None or identity.username != second.username:
            assert time.monotonic() - started < refresh + 5, "rotation not picked up"
            await _sleep(0.2)
        assert time.monotonic() - read_at >= refresh * 0.9  # not before the period was over
        assert isinstance(conn.credentials, TokenFileSource) and conn.credentials.reads == 2


async def test_token_is_reread_at_once_after_a_401_and_the_request_retried(
    service_account: SAFactory,
    in_cluster_layout: LayoutFactory,
    admin_client: httpx.Client,
    control_plane: ControlPlane,
) -> None:
    first, second = service_account(), service_account()
    layout = in_cluster_layout(first)
    async with Connection.from_in_cluster(
        load_in_cluster(layout.directory, layout.env), token_refresh=3600
    ) as conn:
        assert (await whoami(conn)).username == first.username  # type: ignore[union-attr]
        layout.rotate(second.token)
        revoke(admin_client, control_plane, first)
        # the cached (revoked) token gets a 401; the file is re-read and the request retried once
        identity = await whoami(conn)
        assert identity is not None and identity.username == second.username
        assert isinstance(conn.credentials, TokenFileSource) and conn.credentials.reads == 2
        api = await conn.fetch("/api")
        assert api.status == 200 and conn.credentials.reads == 2


async def test_streams_retry_after_a_401_too(
    service_account: SAFactory,
    in_cluster_layout: LayoutFactory,
    admin_client: httpx.Client,
    control_plane: ControlPlane,
) -> None:
    first = service_account()
    second = service_account(cluster_role="view", cluster_wide=True)
    layout = in_cluster_layout(first)
    async with Connection.from_in_cluster(
        load_in_cluster(layout.directory, layout.env), token_refresh=3600
    ) as conn:
        await conn.fetch("/api")
        layout.rotate(second.token)
        revoke(admin_client, control_plane, first)
        lines = []
        async with conn.stream(
            "GET", "/api/v1/namespaces", params={"watch": "1", "timeoutSeconds": "1"}, read_timeout=10
        ) as reply:
            assert reply.status == 200
            async for line in reply.aiter_lines():
                if line:
                    lines.append(json.loads(line))
        assert lines and {event["type"] for event in lines} == {"ADDED"}
        assert any(event["object"]["metadata"]["name"] == "default" for event in lines)


async def test_in_cluster_with_the_wrong_ca_is_a_tls_sentence(
    service_account: SAFactory, in_cluster_layout: LayoutFactory, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.crt"
    trustme.CA().cert_pem.write_to_path(str(other))
    layout = in_cluster_layout(service_account(), ca_file=other)
    async with Connection.from_in_cluster(load_in_cluster(layout.directory, layout.env)) as conn:
        with pytest.raises(TLSVerificationError) as info:
            await conn.fetch("/version")
    message = str(info.value)
    assert message.startswith(
        f"The API server at {conn.server_url} presented a certificate that could "
        f"not be verified against ca.crt at {layout.ca_path}"
    )
    assert message.endswith(".") and "\n" not in message


# --- kubectl proxy (server mode) -------------------------------------------------------------------


async def test_kubectl_proxy_server_mode(kubectl_proxy: str) -> None:
    async with Connection.for_server(kubectl_proxy, label="kubectl proxy") as conn:
        assert conn.mode == "server" and conn.describe_auth().startswith("none")
        api = await conn.fetch("/api")
        assert api.status == 200
        identity = await whoami(conn)  # the proxy's identity: the sandbox admin
        assert identity is not None and identity.username == "admin"
        assert "system:masters" in identity.groups


# --- kubeconfig -------------------------------------------------------------------------------------


async def test_kubeconfig_with_a_token_and_ca_file(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    account = service_account(namespace="kc-ns")
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={"token": account.token},
        cluster={"certificate-authority": str(control_plane.ca_file)},
        namespace="kc-ns",
        context="sa-ctx",
    )
    async with kubeconfig_connection(tmp_path, doc) as conn:
        assert (conn.label, conn.context, conn.namespace) == ("kubeconfig: sa-ctx", "sa-ctx", "kc-ns")
        assert (await whoami(conn)).username == account.username  # type: ignore[union-attr]
        assert conn.describe_auth() == "bearer token from user 'test-user'"


async def test_kubeconfig_with_a_client_certificate_and_inline_ca(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    doc = kubeconfig_doc(
        server=control_plane.url,
        cluster={"certificate-authority-data": ca_data(control_plane.ca_file)},
        user={
            "client-certificate-data": base64.b64encode(control_plane.admin_cert_file.read_bytes()).decode(),
            "client-key-data": base64.b64encode(control_plane.admin_key_file.read_bytes()).decode(),
        },
    )
    async with kubeconfig_connection(tmp_path, doc) as conn:
        identity = await whoami(conn)
        assert identity is not None and identity.username == "admin" and "system:masters" in identity.groups
        assert conn.describe_auth() == "client certificate from client-certificate-data"
        assert "certificate-authority-data" in conn.trust
    assert not key_files(tmp_path)  # the inline key never went to disk


async def test_kubeconfig_with_client_certificate_files(control_plane: ControlPlane, tmp_path: Path) -> None:
    doc = kubeconfig_doc(
        server=control_plane.url,
        cluster={"certificate-authority": str(control_plane.ca_file)},
        user={
            "client-certificate": str(control_plane.admin_cert_file),
            "client-key": str(control_plane.admin_key_file),
        },
    )
    async with kubeconfig_connection(tmp_path, doc) as conn:
        assert (await whoami(conn)).username == "admin"  # type: ignore[union-attr]


async def test_kubeconfig_token_file_and_tls_server_name(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    account = service_account()
    (tmp_path / "token").write_text(account.token)
    cluster = {
        "certificate-authority": str(control_plane.ca_file),
        "tls-server-name": "kubernetes.default.svc",
    }
    doc = kubeconfig_doc(server=control_plane.url, user={"tokenFile": "token"}, cluster=cluster)
    async with kubeconfig_connection(tmp_path, doc) as conn:
        assert (await whoami(conn)).username == account.username  # type: ignore[union-attr]
    doc["clusters"][0]["cluster"]["tls-server-name"] = "not-the-apiserver.example"
    async with kubeconfig_connection(tmp_path, doc, name="wrong") as conn:
        with pytest.raises(TLSVerificationError, match="tls-server-name"):
            await conn.fetch("/version")


async def test_kubeconfig_switch_context(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    account = service_account()
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={"token": account.token},
        cluster={"certificate-authority": str(control_plane.ca_file)},
        context="sa",
    )
    doc["users"].append({"name": "admin", "user": {"token": control_plane.admin_token}})
    doc["contexts"].append(
        {"name": "admin", "context": {"cluster": "test-cluster", "user": "admin", "namespace": "kube-system"}}
    )
    async with kubeconfig_connection(tmp_path, doc) as conn:
        assert [c.name for c in conn.contexts()] == ["sa", "admin"]
        async with await conn.switch_context("admin") as other:
            assert other.context == "admin" and other.namespace == "kube-system"
            assert (await whoami(other)).username == "admin"  # type: ignore[union-attr]
            assert (await whoami(conn)).username == account.username  # type: ignore[union-attr]


# --- answers that are errors ---------------------------------------------------------------------------


async def test_garbage_token_gives_401_and_a_sentence(control_plane: ControlPlane, tmp_path: Path) -> None:
    garbage = "garbage-token-value-that-must-not-leak"
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={"token": garbage},
        cluster={"certificate-authority": str(control_plane.ca_file)},
    )
    async with kubeconfig_connection(tmp_path, doc) as conn:
        assert (await conn.fetch("/api")).status == 401
        with pytest.raises(UnauthorizedError) as info:
            await whoami(conn)
        sentence = conn.explain_status(401, "/api")
    message = str(info.value)
    assert message == sentence
    assert message.startswith(
        f"The API server at {control_plane.url} did not accept the explorer's credentials"
    )
    assert garbage not in message and garbage not in repr(conn)


async def test_forbidden_gives_403_and_a_sentence(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    account = service_account()  # no roles at all
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={"token": account.token},
        cluster={"certificate-authority": str(control_plane.ca_file)},
    )
    async with kubeconfig_connection(tmp_path, doc) as conn:
        answer = await conn.fetch("/api/v1/namespaces/default/pods")
        assert answer.status == 403
        message = json.loads(answer.body)["message"]
        sentence = conn.explain_status(403, "/api/v1/namespaces/default/pods", message)
        assert sentence is not None and account.username in sentence and "RBAC" in sentence
        identity = await whoami(conn)  # SelfSubjectReview is allowed to every authenticated user
        assert identity is not None and identity.username == account.username


# --- requests --------------------------------------------------------------------------------------------


async def test_stale_openapi_v3_hash_redirect_is_followed_on_the_same_host(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={"token": control_plane.admin_token},
        cluster={"certificate-authority": str(control_plane.ca_file)},
    )
    async with kubeconfig_connection(tmp_path, doc) as conn:
        index = json.loads((await conn.fetch("/openapi/v3")).body)
        current = index["paths"]["api/v1"]["serverRelativeURL"]
        stale = current.split("?hash=")[0] + "?hash=" + "0" * 128
        answer = await conn.fetch(stale)
        assert answer.status == 200
        assert answer.url == control_plane.url + current
        assert answer.etag and answer.headers["content-type"].startswith("application/json")
        again = await conn.fetch(current, etag=answer.etag)
        assert again.status == 304 and again.body == b""


async def test_request_keeps_every_header_and_times_the_answer(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={"token": control_plane.admin_token},
        cluster={"certificate-authority": str(control_plane.ca_file)},
    )
    async with kubeconfig_connection(tmp_path, doc) as conn:
        body = json.dumps(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dry"}, "data": {"a": "b"}}
        ).encode()
        reply = await conn.request(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            params={"dryRun": "All"},
            headers={"Content-Type": "application/json"},
            content=body,
        )
        assert reply.status == 201 and reply.elapsed > 0
        assert reply.header(
            "Content-Type",
        ).startswith("application/json")  # type: ignore[union-attr]
        assert json.loads(reply.body)["metadata"]["name"] == "dry"
        assert (await conn.fetch("/api/v1/namespaces/default/configmaps/dry")).status == 404


async def test_whoami_explained_for_anonymous(control_plane: ControlPlane, tmp_path: Path) -> None:
    doc = kubeconfig_doc(
        server=control_plane.url, user={}, cluster={"certificate-authority": str(control_plane.ca_file)}
    )
    async with kubeconfig_connection(tmp_path, doc) as conn:
        result = await whoami_explained(conn)
    # anonymous may or may not be enabled; either way there is an identity or a sentence
    assert result.identity is not None or result.explanation.endswith(".")


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_with_token_acts_as_the_visitor(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    visitor = service_account()
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={
            "client-certificate": str(control_plane.admin_cert_file),
            "client-key": str(control_plane.admin_key_file),
        },
        cluster={"certificate-authority": str(control_plane.ca_file)},
    )
    async with kubeconfig_connection(tmp_path, doc) as conn, conn.with_token(visitor.token) as theirs:
        assert (await whoami(conn)).username == "admin"  # type: ignore[union-attr]
        assert (await whoami(theirs)).username == visitor.username  # type: ignore[union-attr]
        assert theirs.describe_auth() == "bearer token of the visitor"
        assert visitor.token not in repr(theirs)


async def test_a_visitor_token_connection_keeps_disable_compression(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    """A kubeconfig's ``disable-compression: true`` holds for the visitor's token connection made from
    it too: the API server gzips a big answer (the OpenAPI v2 document) unless asked not to."""
    visitor = service_account()
    user = {
        "client-certificate": str(control_plane.admin_cert_file),
        "client-key": str(control_plane.admin_key_file),
    }
    ca = {"certificate-authority": str(control_plane.ca_file)}
    plain = kubeconfig_doc(server=control_plane.url, user=user, cluster=ca)
    uncompressed = kubeconfig_doc(
        server=control_plane.url, user=user, cluster={**ca, "disable-compression": True}
    )
    async with (
        kubeconfig_connection(tmp_path, plain, "plain") as compressing,
        kubeconfig_connection(tmp_path, uncompressed) as conn,
        conn.with_token(visitor.token) as theirs,
    ):
        gzipped = await compressing.request("GET", "/openapi/v2")
        assert gzipped.status == 200 and gzipped.header("content-encoding") == "gzip"
        for connection in (conn, theirs):
            reply = await connection.request("GET", "/openapi/v2")
            assert reply.status == 200 and reply.header("content-encoding") is None, connection
            assert json.loads(reply.body)["swagger"] == "2.0"
        assert (await whoami(theirs)).username == visitor.username  # type: ignore[union-attr]


async def test_a_pause_between_requests_reuses_the_connection(control_plane: ControlPlane) -> None:
    """A person pauses between two try-it sends; the second must not pay a new TCP and TLS handshake."""
    connects: list[str] = []

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event.endswith(".started") and event.startswith("connection."):
            connects.append(event)

    async with make_client(verify=control_plane.ssl_context(), auth=None, timeout=10) as client:
        for pause in (0.0, 6.0):  # 6 s: longer than httpx's default keep-alive of 5 s
            time.sleep(pause)  # noqa: ASYNC251 - nothing else runs on this loop; the pause is the point
            r = await client.get(control_plane.url + "/version", extensions={"trace": trace})
            assert r.status_code in (200, 401, 403)
    assert connects == ["connection.connect_tcp.started", "connection.start_tls.started"], connects
