"""Running the explorer under uvicorn from the ``webexplorer`` command."""

from __future__ import annotations

import logging
import sys

import uvicorn

from webexplorer.app import create_app
from webexplorer.logs import configure_logging
from webexplorer.sandbox.ports import free_port
from webexplorer.settings import Settings


def display_url(host: str, port: int) -> str:
    """The URL a person should open: wildcard binds are reached through localhost."""
    if host in ("0.0.0.0", "", "::"):  # noqa: S104 - comparing, not binding
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def serve(settings: Settings) -> int:
    """Serve until interrupted. Port 0 means "any free port", resolved first so the URL can be printed."""
    if settings.port == 0:
        settings = settings.model_copy(update={"port": free_port(settings.host)})
    configure_logging(settings)
    app = create_app(settings)
    print(f"webexplorer: open {display_url(settings.host, settings.port)}", file=sys.stderr, flush=True)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()
    logging.getLogger("webexplorer").info("stopped")
    return 0
