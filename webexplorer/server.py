"""Running the explorer under uvicorn from the ``webexplorer`` command.

Graceful shutdown (SIGTERM from the kubelet, Ctrl-C): uvicorn stops accepting connections, then waits
up to ``timeout_graceful_shutdown`` for open requests. A try-it watch is an open request that would
never end by itself, so :class:`Server` first asks every watch to stop (each sends the browser its "end"
event and closes its upstream request); then the wait finds nothing left but ordinary requests, and the
lifespan closes the catalog refresh and the connection.
"""

from __future__ import annotations

import logging
import socket
import sys

import uvicorn
from fastapi import FastAPI

from webexplorer.app import create_app
from webexplorer.logs import configure_logging
from webexplorer.ports import free_port
from webexplorer.settings import Settings
from webexplorer.web.state import ATTRIBUTE as STATE_ATTRIBUTE


def display_url(host: str, port: int) -> str:
    """The URL a person should open: wildcard binds are reached through localhost."""
    if host in ("0.0.0.0", "", "::"):  # noqa: S104 - comparing, not binding
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


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
        # named, not "auto": both are dependencies, and a missing one must fail at start, not quietly
        # serve a sixth fewer pages on the pure-Python loop and parser
        loop="uvloop",
        http="httptools",
    )
    Server(config, app).run()
    logging.getLogger("webexplorer").info("stopped")
    return 0
