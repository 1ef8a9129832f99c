"""Idle keep-alive connections are closed only when truly idle (``server.py``: ``--keep-alive-timeout`` and
:class:`~webexplorer.server.KeepAliveProtocol`).

Requests were reset under steady load when a client reused a connection just as uvicorn's 5 s keep-alive
timer closed it (httpx's pool keeps idle connections 5 s too). The timeout is now 75 s, tested on the
explorer's own process over a raw socket; and a connection whose next request already waits in its socket
when the timer fires is kept (the peek is tested on a socket pair; the race itself is a matter of
microseconds, measured by ``bench.connections`` rather than asserted).
"""

from __future__ import annotations

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
