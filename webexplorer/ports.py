"""Loopback port helpers shared by the sandbox, the tests and the server (``--port 0``).

A module of its own, below both, so the server does not import the test harness to pick a port.

Everything the project runs for tests listens on 127.0.0.1 only, on ports the kernel hands out, so that
parallel runs (two developers, CI next to a developer's sandbox) never collide on a fixed number.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable

LOOPBACK = "127.0.0.1"


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """Return ``count`` distinct ports that were free on ``host`` a moment ago.

    All sockets are held open until every port is chosen, so the kernel cannot hand the same port out
    twice within one call (which it happily does for back-to-back ``bind(0)`` calls that close in
    between). There is still a short window before the caller binds them; that is the usual trade-off of
    choosing ports for child processes that cannot report the port they bound.
    """
    with contextlib.ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def free_port(host: str = LOOPBACK) -> int:
    """Return one port that was free on ``host`` (see :func:`free_ports` for the caveat)."""
    return free_ports(1, host)[0]


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "condition",
    alive: Callable[[], str | None] | None = None,
) -> float:
    """Poll ``condition`` until it is true; return the seconds waited.

    ``alive`` is asked between polls and returns an error message when the thing being waited for can no
    longer become ready (typically: its process exited), so a crash fails fast instead of burning the
    whole timeout. Raises :class:`TimeoutError` naming ``what`` otherwise.
    """
    start = time.monotonic()
    deadline = start + timeout
    while True:
        if condition():
            return time.monotonic() - start
        if alive is not None and (problem := alive()) is not None:
            raise RuntimeError(problem)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(interval)
