"""Guards every request passes before any route sees it.

Written as plain ASGI middleware (not Starlette's ``BaseHTTPMiddleware``) because it runs on every page
and on streamed answers: it must add nothing measurable and never buffer a body.

* **Host allow-list** — a DNS-rebinding page (``evil.example`` resolving to 127.0.0.1) reaches the
  explorer with ``Host: evil.example``; refusing unknown hosts is what stops it from driving an explorer
  that holds cluster credentials. Localhost names are always allowed, plus the operator's list. The
  probes (``/healthz``, ``/readyz``) and ``/metrics`` are exempt: the kubelet and Prometheus send the pod
  IP as Host, and they reveal nothing from the cluster. Those routes are marked ``tags=[PROBE]`` where
  they are declared (:mod:`webexplorer.web.routemarks`).
* **Security headers** on every answer, including a Content-Security-Policy with no inline script, so
  even a missed escape of attacker-controlled cluster text (CRD descriptions, annotations) cannot run.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webexplorer.web.asgi import Header, HttpMiddleware, adding_headers
from webexplorer.web.routemarks import RoutePaths

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def host_without_port(host: str) -> str:
    """``[::1]:8080`` → ``[::1]``, ``example.com:443`` → ``example.com``, lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


class HostAllowList:
    """Which ``Host`` header values the explorer answers to."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        extras = {host_without_port(h) for h in extra if h}
        self._allow_any = "*" in extras
        self._hosts = frozenset(LOCAL_HOSTS | extras)

    def allows(self, host_header: str | None) -> bool:
        if self._allow_any:
            return True
        if not host_header:
            return False
        return host_without_port(host_header) in self._hosts


class GuardMiddleware(HttpMiddleware):
    """Host allow-list plus security headers, for HTTP requests."""

    def __init__(self, app: ASGIApp, allowed: HostAllowList, probes: RoutePaths) -> None:
        super().__init__(app)
        self.allowed = allowed
        self.probes = probes  # answered whatever the Host (the routes tagged PROBE)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] not in self.probes:
            host = None
            for name, value in scope["headers"]:
                if name == b"host":
                    host = value.decode("latin-1")
                    break
            if not self.allowed.allows(host):
                await _refuse_host(send, host)
                return

        def security_headers(start: Message) -> list[Header]:
            present = {name.lower() for name, _ in start.get("headers", [])}
            return [h for h in SECURITY_HEADERS if h[0] not in present]

        await self.app(scope, receive, adding_headers(send, security_headers))


async def _refuse_host(send: Send, host: str | None) -> None:
    body = (
        b"This explorer does not answer to the host name this request used. "
        b"If you reach it through an Ingress or another name, the operator must add that name with "
        b"--allowed-hosts (WEBEXPLORER_ALLOWED_HOSTS). This guard stops DNS-rebinding pages from "
        b"using the explorer's cluster credentials.\n"
    )
    await send(
        {
            "type": "http.response.start",
            "status": 421,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
