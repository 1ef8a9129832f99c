"""The one place an ``httpx.AsyncClient`` is built, so httpx's API-compatible fork can be dropped in by
changing one import; every connection and the kubectl proxy probe get their client here."""

from __future__ import annotations

import ssl
from collections.abc import Sequence

import httpx

from webexplorer import __version__

USER_AGENT = f"webexplorer/{__version__}"

#: how long an idle pooled connection is kept for the next request. A person reads the answer or edits
#: the form for more than a few seconds between two try-it sends; with httpx's default of 5 s such a
#: send paid a new TCP and TLS handshake (measured: ~6.5 ms instead of ~2 ms for one ConfigMap on the
#: sandbox) whenever nothing else kept the connection busy — always for a signed-in visitor's own
#: connection (``--identity token``), and for the explorer's own with a ``--refresh-interval`` over 5 s.
#: kube-apiserver keeps an idle HTTP/1.1 connection for 90 s, and httpcore checks that a pooled
#: connection was not closed by the server before reusing it.
KEEPALIVE_EXPIRY = 60.0


def make_client(
    *,
    verify: ssl.SSLContext | bool,
    auth: httpx.Auth | None,
    timeout: float,
    proxy: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    trust_env: bool = False,
) -> httpx.AsyncClient:
    """Build the HTTP client. The one place the package constructs one (swap httpx for its fork here)."""
    return httpx.AsyncClient(
        verify=verify,
        auth=auth,
        timeout=httpx.Timeout(timeout),
        proxy=proxy,
        headers=[("User-Agent", USER_AGENT), *headers],
        follow_redirects=False,
        trust_env=trust_env,
        limits=httpx.Limits(
            max_connections=32, max_keepalive_connections=8, keepalive_expiry=KEEPALIVE_EXPIRY
        ),
    )
