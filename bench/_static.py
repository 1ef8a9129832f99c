"""A plain static file server (with one optional reverse-proxied path) for the browser benchmark.

Swagger UI and the floor page are served the way anyone would put them on a web server: files from a
directory, keep-alive, no compression, no caching tricks. Swagger UI must load ``/openapi/v2`` from the
same origin, so that one path is proxied to the API server with the admin token, passing the browser's
``Accept-Encoding`` through and the answer back unchanged (the API server gzips large answers itself).
"""

from __future__ import annotations

import contextlib
import mimetypes
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from webexplorer.ports import LOOPBACK

PASSED_BACK = ("content-type", "content-encoding", "etag", "cache-control", "vary")


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as every real server
    # headers and body go out in separate writes: with Nagle's algorithm on, the body then waits for the
    # client's delayed ACK, 40 ms a request, which no real server pays (they set TCP_NODELAY too)
    disable_nagle_algorithm = True
    proxy: dict[str, tuple[httpx.Client, str]]  # exact path -> (client, upstream path)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def guess_type(self, path: str | object) -> str:
        # saved explorer pages have extension-less names (/op/core/v1/createCoreV1NamespacedPod)
        name = str(path)
        return mimetypes.guess_type(name)[0] or (
            "text/html; charset=utf-8" if "." not in Path(name).name else "application/octet-stream"
        )

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        target = self.proxy.get(self.path.split("?", 1)[0])
        if target is None:
            super().do_GET()
            return
        client, upstream = target
        headers = {"Accept": self.headers.get("Accept", "application/json")}
        if encoding := self.headers.get("Accept-Encoding"):
            headers["Accept-Encoding"] = encoding
        with client.stream("GET", upstream, headers=headers) as response:
            body = b"".join(response.iter_raw())  # as sent: still compressed if it was
            self.send_response(response.status_code)
            for name in PASSED_BACK:
                if name in response.headers:
                    self.send_header(name, response.headers[name])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@contextlib.contextmanager
def static_server(root: Path, proxy: dict[str, tuple[httpx.Client, str]] | None = None) -> Iterator[str]:
    """Serve ``root`` on a free loopback port for the block; yields ``http://127.0.0.1:PORT``."""
    handler = type("Handler", (_Handler,), {"proxy": dict(proxy or {})})
    server = ThreadingHTTPServer((LOOPBACK, 0), partial(handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="bench-static", daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
