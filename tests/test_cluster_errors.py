"""Failures to get an answer become one sentence naming the cause and the fix.

These use real sockets on loopback: a port with nothing listening, a server that accepts and never
answers, a TLS server whose certificate comes from another CA. The same failures against the real
control plane (wrong CA, garbage token) are in test_cluster_live.py.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from tests.fixtures.kubeconfigs import kubeconfig_doc, write_yaml
from webexplorer.cluster import (
    AnswerTimeoutError,
    ClusterError,
    Connection,
    TLSVerificationError,
    UnreachableError,
    load_kubeconfig,
)
from webexplorer.cluster.errors import redact
from webexplorer.ports import free_port


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A TCP server that accepts connections and never says a word (a hung API server)."""
    held: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.fixture
async def tls_server() -> AsyncIterator[tuple[str, trustme.CA]]:
    """A TLS server with a certificate from its own CA, answering 200 to anything."""
    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"https://127.0.0.1:{port}", ca
    finally:
        server.close()
        await server.wait_closed()


def _one_sentence(message: str) -> None:
    assert message.endswith(".") and "\n" not in message, message
    assert ": " in message  # cause, then the fix


async def test_unreachable_port_says_nothing_listens() -> None:
    port = free_port()
    async with Connection.for_server(f"http://127.0.0.1:{port}", request_timeout=2) as conn:
        with pytest.raises(UnreachableError) as info:
            await conn.fetch("/version")
    message = str(info.value)
    _one_sentence(message)
    assert f"http://127.0.0.1:{port}" in message and "connection refused" in message
    assert "kubectl cluster-info" in message


async def test_hung_server_times_out_with_the_configured_seconds(silent_server: str) -> None:
    async with Connection.for_server(f"http://{silent_server}", request_timeout=0.3) as conn:
        started = asyncio.get_running_loop().time()
        with pytest.raises(AnswerTimeoutError) as info:
            await conn.fetch("/api")
        waited = asyncio.get_running_loop().time() - started
    assert str(info.value) == (
        f"The API server at http://{silent_server} did not answer within 0.3 s: check that it is running "
        "and reachable from the explorer (kubectl cluster-info), or raise --request-timeout."
    )
    assert waited < 5  # bounded by the timeout, not by the server


async def test_hung_server_stream_times_out_too(silent_server: str) -> None:
    async with Connection.for_server(f"http://{silent_server}", request_timeout=0.3) as conn:
        with pytest.raises(AnswerTimeoutError):
            async with conn.stream("GET", "/api/v1/pods", params={"watch": "1"}):
                pass


async def test_tls_server_from_another_ca_is_refused(
    tls_server: tuple[str, trustme.CA], tmp_path: Path
) -> None:
    url, right_ca = tls_server
    wrong_ca = trustme.CA()
    wrong_ca.cert_pem.write_to_path(str(tmp_path / "wrong.crt"))
    doc = kubeconfig_doc(
        server=url,
        user={"token": "not-a-real-token-but-secret"},
        cluster={"certificate-authority": "wrong.crt"},
    )
    kc = load_kubeconfig([write_yaml(tmp_path / "config", doc)])
    async with Connection.from_kubeconfig(kc) as conn:
        with pytest.raises(TLSVerificationError) as info:
            await conn.fetch("/version")
    message = str(info.value)
    _one_sentence(message)
    assert url in message and str(tmp_path / "wrong.crt") in message
    assert "certificate verify failed" in message or "unable to get local issuer" in message
    assert "not-a-real-token-but-secret" not in message

    right_ca.cert_pem.write_to_path(str(tmp_path / "right.crt"))
    doc["clusters"][0]["cluster"]["certificate-authority"] = "right.crt"
    kc = load_kubeconfig([write_yaml(tmp_path / "config", doc)])
    async with Connection.from_kubeconfig(kc) as conn:
        assert (await conn.fetch("/version")).status == 200


async def test_tls_to_a_plain_http_port_is_explained(silent_server: str) -> None:
    plain = await asyncio.start_server(_answer_plain_http, "127.0.0.1", 0)
    port = plain.sockets[0].getsockname()[1]
    try:
        async with Connection.for_server(f"https://127.0.0.1:{port}", request_timeout=2) as conn:
            with pytest.raises(ClusterError) as info:
                await conn.fetch("/version")
    finally:
        plain.close()
        await plain.wait_closed()
    _one_sentence(str(info.value))
    assert f"https://127.0.0.1:{port}" in str(info.value)


async def _answer_plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def test_unresolvable_host() -> None:
    async with Connection.for_server("http://no-such-host.invalid:8001", request_timeout=3) as conn:
        with pytest.raises(UnreachableError) as info:
            await conn.fetch("/version")
    _one_sentence(str(info.value))
    assert "no-such-host.invalid" in str(info.value)


async def test_absolute_urls_are_refused() -> None:
    async with Connection.for_server("http://127.0.0.1:1") as conn:
        with pytest.raises(ValueError, match="API path"):
            await conn.fetch("https://elsewhere.example/api")
        with pytest.raises(ValueError, match="API path"):
            await conn.fetch("//elsewhere.example/api")


def test_redact_scrubs_tokens() -> None:
    jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDp4In0.c2ln"
    text = f"error: Bearer abc123 failed; token={jwt}; also opaque-secret-value"
    out = redact(text, "opaque-secret-value")
    assert "abc123" not in out and jwt not in out and "opaque-secret-value" not in out
    assert out.startswith("error: Bearer ***")


@pytest.fixture
async def tls_server_named() -> AsyncIterator[tuple[int, trustme.CA]]:
    """A TLS server on 127.0.0.1 whose certificate names only kubernetes.default.svc."""
    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("kubernetes.default.svc").configure_cert(ctx)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    try:
        yield server.sockets[0].getsockname()[1], ca
    finally:
        server.close()
        await server.wait_closed()


async def test_tls_server_name_is_what_the_certificate_is_checked_against(
    tls_server_named: tuple[int, trustme.CA], tmp_path: Path
) -> None:
    port, ca = tls_server_named
    cluster = {"certificate-authority-data": __import__("base64").b64encode(ca.cert_pem.bytes()).decode()}
    doc = kubeconfig_doc(server=f"https://127.0.0.1:{port}", user={}, cluster=cluster)
    async with Connection.from_kubeconfig(load_kubeconfig([write_yaml(tmp_path / "a", doc)])) as conn:
        with pytest.raises(TLSVerificationError, match=r"IP address mismatch|doesn't match"):
            await conn.fetch("/version")
    doc["clusters"][0]["cluster"]["tls-server-name"] = "kubernetes.default.svc"
    async with Connection.from_kubeconfig(load_kubeconfig([write_yaml(tmp_path / "b", doc)])) as conn:
        assert (await conn.fetch("/version")).status == 200


async def test_redirects_to_another_origin_are_not_followed() -> None:
    """Credentials must never follow a redirect to another host or port; same-origin ones are followed."""
    hits: list[bytes] = []

    async def other(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    other_server = await asyncio.start_server(other, "127.0.0.1", 0)
    other_port = other_server.sockets[0].getsockname()[1]

    async def redirecting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, OSError):
                break
            path = head.split(b" ")[1]
            if path == b"/away":
                location = f"http://127.0.0.1:{other_port}/stolen".encode()
                writer.write(
                    b"HTTP/1.1 301 Moved\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n"
                )
            elif path == b"/here":
                port = writer.get_extra_info("sockname")[1]
                location = f"http://127.0.0.1:{port}/there".encode()
                writer.write(
                    b"HTTP/1.1 301 Moved\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n"
                )
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthere")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(redirecting, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Connection.for_server(f"http://127.0.0.1:{port}") as conn:
            away = await conn.fetch("/away")
            assert away.status == 301 and away.headers["location"].endswith("/stolen")
            here = await conn.fetch("/here")
            assert (here.status, here.body) == (200, b"there")
            assert here.url == f"http://127.0.0.1:{port}/there"
        assert hits == []
    finally:
        for s in (server, other_server):
            s.close()
            await s.wait_closed()
