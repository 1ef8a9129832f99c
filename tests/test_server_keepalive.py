"""Idle keep-alive connections are closed only when truly idle (``server.py``: ``--keep-alive-timeout`` and
:class:`~webexplorer.server.KeepAliveProtocol`).

Requests were reset under steady load when a client reused a connection just as uvicorn's 5 s keep-alive
timer closed it (httpx's pool keeps idle connections 5 s too). The timeout is now 75 s, tested on the
explorer's own process over a raw socket; and a connection whose next request already waits in its socket
when the timer fires is kept (the peek is tested on a socket pair; the race itself is a matter of
microseconds, measured by ``bench.connections`` rather than asserted).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

from tests.fixtures.server import ExplorerProcess
from webexplorer.ports import LOOPBACK
from webexplorer.server import request_waiting


def _get(sock: socket.socket, path: str = "/healthz") -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    return _read_answer(sock)


def _read_answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionResetError(f"closed by the server after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(v)
        for k, _, v in (h.partition(b":") for h in head.split(b"\r\n"))
        if k.lower() == b"content-length"
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head.split(b"\r\n", 1)[0]


def test_request_waiting_peeks_without_consuming() -> None:
    left, right = socket.socketpair()
    with left, right:
        assert request_waiting(right) is False
        left.sendall(b"GET")
        time.sleep(0.05)
        assert request_waiting(right) is True
        assert right.recv(3) == b"GET"  # still all there
        left.close()
        assert request_waiting(right) is False  # end of stream: nothing to serve


def test_a_connection_idle_past_five_seconds_still_answers(
    explorer_factory: Callable[..., ExplorerProcess],
) -> None:
    explorer = explorer_factory(args=["--mode", "snapshot"])
    port = int(explorer.url.rsplit(":", 1)[1])
    with socket.create_connection((LOOPBACK, port), timeout=10) as sock:
        assert _get(sock) == b"HTTP/1.1 200 OK"
        time.sleep(6.5)  # uvicorn's default keep-alive (5 s) would have closed it
        assert _get(sock) == b"HTTP/1.1 200 OK"


def _closed_lines(explorer: ExplorerProcess) -> list[dict[str, object]]:
    lines = []
    for line in explorer.log().splitlines():
        if line.startswith("{") and '"connection_closed"' in line:
            lines.append(json.loads(line))
    return lines


def _read_until_closed(sock: socket.socket, within: float) -> bytes:
    """Everything the server sends until it closes the connection (within ``within`` seconds)."""
    sock.settimeout(within)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_each_connection_the_explorer_ends_is_logged_with_why(
    explorer_factory: Callable[..., ExplorerProcess],
) -> None:
    """An idle connection past its keep-alive timeout, a malformed request and the connections open at
    shutdown each get one JSON line; a client closing its own connection gets none."""
    explorer = explorer_factory(args=["--mode", "snapshot", "--keep-alive-timeout", "2", "--log-json"])
    port = int(explorer.url.rsplit(":", 1)[1])
    with socket.create_connection((LOOPBACK, port), timeout=10) as sock:
        assert _get(sock) == b"HTTP/1.1 200 OK"
        assert _read_until_closed(sock, within=20) == b""
    with socket.create_connection((LOOPBACK, port), timeout=10) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert _read_until_closed(sock, within=20).startswith(b"HTTP/1.1 400")
    with socket.create_connection((LOOPBACK, port), timeout=10) as sock:
        assert _get(sock) == b"HTTP/1.1 200 OK"  # closed by the client: no line
    idle = socket.create_connection((LOOPBACK, port), timeout=10)
    with idle:
        assert _get(idle, "/readyz") == b"HTTP/1.1 200 OK"
        explorer.stop()  # SIGTERM well inside the 2 s: the connection is still open
    lines = _closed_lines(explorer)
    reasons = [line["reason"] for line in lines]
    assert reasons == ["keep-alive-timeout", "bad-request", "shutdown"], lines
    first = lines[0]
    assert first["answers"] == 1 and str(first["peer"]).startswith(f"{LOOPBACK}:")
    assert "closing the connection" in str(first["message"])
