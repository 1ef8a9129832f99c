"""Running the explorer under uvicorn from the ``webexplorer`` command.

Idle connections (``--keep-alive-timeout``, 75 s): a server that closes an idle keep-alive connection
while a client is reusing it resets that client's request, which the client sees as a dropped answer
(httpx ``ReadError``/``RemoteProtocolError``). uvicorn's 5 s default equals httpx's own pool expiry, so
under steady load some requests were sent on connections the server was closing at that instant; and when
the event loop was busy past the deadline (a long page, a GC pass), the keep-alive timer fired before the
loop read a request that had already arrived. So the timeout is longer than common client pools', and
:class:`KeepAliveProtocol` closes only a connection with nothing waiting to be read, logging the ones it
keeps. Every connection the explorer ends itself — an idle one past its keep-alive timeout, the open ones
at shutdown, one that sent a malformed request — gets one log line saying why (``connection_closed``
fields with ``--log-json``); a client closing its own connection is not logged.

Graceful shutdown (SIGTERM from the kubelet, Ctrl-C): uvicorn stops accepting connections, then waits
up to ``timeout_graceful_shutdown`` for open requests. A try-it watch is an open request that would
never end by itself, so :class:`Server` first asks every watch to stop (each sends the browser its "end"
event and closes its upstream request); then the wait finds nothing left but ordinary requests, and the
lifespan closes the catalog refresh and the connection.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import time

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from webexplorer.app import create_app
from webexplorer.logs import configure_logging
from webexplorer.ports import free_port
from webexplorer.settings import Settings
from webexplorer.web.state import ATTRIBUTE as STATE_ATTRIBUTE

log = logging.getLogger("webexplorer.server")


def display_url(host: str, port: int) -> str:
    """The URL a person should open: wildcard binds are reached through localhost."""
    if host in ("0.0.0.0", "", "::"):  # noqa: S104 - comparing, not binding
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


class KeepAliveProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing an idle connection only when no request is waiting on it,
    and logging every connection the explorer ends itself (:func:`log_closed`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.opened_at = time.monotonic()
        self.answers = 0

    def on_response_complete(self) -> None:
        self.answers += 1
        super().on_response_complete()

    def timeout_keep_alive_handler(self) -> None:
        sock = self.transport.get_extra_info("socket")
        if not self.transport.is_closing() and sock is not None and request_waiting(sock):
            # read next by the loop: data_received handles it and a new timer starts after its answer
            self.timeout_keep_alive_task = None
            peer = self.transport.get_extra_info("peername")
            log.info("kept connection from %s open: a request arrived as its keep-alive timer fired", peer)
            return
        if not self.transport.is_closing():
            log_closed(self, "keep-alive-timeout", f"idle for {self.timeout_keep_alive} s")
        super().timeout_keep_alive_handler()

    def shutdown(self) -> None:
        if not self.transport.is_closing():
            busy = self.cycle is not None and not self.cycle.response_complete
            log_closed(self, "shutdown", "after the answer in progress" if busy else "idle")
        super().shutdown()

    def send_400_response(self, msg: str) -> None:
        log_closed(self, "bad-request", msg)
        super().send_400_response(msg)


def log_closed(protocol: KeepAliveProtocol, reason: str, detail: str) -> None:
    """One line (JSON fields with ``--log-json``) for a connection the explorer ends itself — never for
    one the client closed — so a client's reset can be matched with what the server did."""
    client = protocol.client
    peer = f"{client[0]}:{client[1]}" if client else "unknown"
    fields = {
        "event": "connection_closed",
        "reason": reason,
        "detail": detail,
        "peer": peer,
        "answers": getattr(protocol, "answers", 0),
        "open_s": round(time.monotonic() - getattr(protocol, "opened_at", time.monotonic()), 3),
    }
    log.info(
        "closing the connection from %s after %d answers (%s: %s)",
        peer,
        fields["answers"],
        reason,
        detail,
        extra={"fields": fields},
    )


def request_waiting(sock: socket.socket) -> bool:
    """Whether bytes from the client wait unread in a connection's socket (a peek on a duplicate of its
    descriptor: nothing is consumed, and the event loop's own socket object is not touched)."""
    try:
        with socket.socket(fileno=os.dup(sock.fileno())) as peek:
            return bool(peek.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return False


class Server(uvicorn.Server):
    """uvicorn's server, ending the explorer's open watches first when it shuts down."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.explorer_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        stopped = getattr(self.explorer_app.state, STATE_ATTRIBUTE).watches.stop_all()
        if stopped:
            logging.getLogger("webexplorer").info("shutting down: closed %d open watch(es)", stopped)
        await super().shutdown(sockets)


def serve(settings: Settings) -> int:
    """Serve until interrupted. Port 0 means "any free port", resolved first so the URL can be printed."""
    if settings.port == 0:
        settings = settings.model_copy(update={"port": free_port(settings.host)})
    configure_logging(settings)
    app = create_app(settings)
    url = display_url(settings.host, settings.port)
    if settings.log_json:  # every line on stderr is then JSON, so log collectors can parse them all
        logging.getLogger("webexplorer").info("listening on %s:%d", settings.host, settings.port)
    else:
        print(f"webexplorer: open {url}", file=sys.stderr, flush=True)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=settings.keep_alive_timeout,
        # named, not "auto": both are dependencies, and a missing one must fail at start, not quietly
        # serve a sixth fewer pages on the pure-Python loop and parser
        loop="uvloop",
        http=KeepAliveProtocol,
    )
    Server(config, app).run()
    logging.getLogger("webexplorer").info("stopped")
    return 0
