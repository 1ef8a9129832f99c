"""Sessions, CSRF tokens and the same-origin check that every POST passes (through :mod:`.forms`).

The explorer holds cluster credentials, so a page on another site must not be able to make a visitor's
browser send a write through it. Two independent checks, both before anything is sent:

* **Same origin** — browsers say where a request came from in ``Sec-Fetch-Site``; only
  ``same-origin`` passes. Older browsers send no such header, and then ``Origin`` must name the host
  the request was sent to. A request with neither (not a browser form) is refused too.
* **CSRF token** — each visitor gets a random session id in an ``HttpOnly``, ``SameSite=Strict``
  cookie; the token embedded in the explorer's own forms is ``HMAC(secret_key, session id)``, so it
  needs no server-side storage and every replica given the same ``--secret-key`` accepts it. A page on
  another origin can neither read the token nor set the cookie.

Routes do not call the checks themselves: each POST route states its rule as a
:class:`~.forms.FormCheck` dependency, which runs them in one order for all.

The cookie is only set on answers whose page actually asked for a token, so plain browsing and probes
never get one. :class:`SessionMiddleware` is plain ASGI, like the guards.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from http.cookies import CookieError, SimpleCookie
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webexplorer.web.asgi import Header, HttpMiddleware, adding_headers

COOKIE = "webexplorer_session"
SCOPE_KEY = "webexplorer.session"
_SID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class Sessions:
    """Signs and checks CSRF tokens with one key (from ``--secret-key``, else random per process)."""

    def __init__(self, secret_key: str | None) -> None:
        self._key = secret_key.encode() if secret_key else secrets.token_bytes(32)

    def token(self, session_id: str) -> str:
        return hmac.new(self._key, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()

    def valid(self, session_id: str, token: str) -> bool:
        return bool(token) and hmac.compare_digest(self.token(session_id), token)


class SessionMiddleware(HttpMiddleware):
    """Gives every request a session id (from the cookie, else a new one) and sets the cookie on the
    answer when the page used it (see :func:`session_id`). It holds the app's :class:`Sessions` (the
    token key), which the checks below read from the request it passed on."""

    def __init__(self, app: ASGIApp, sessions: Sessions, always_secure: bool = False) -> None:
        super().__init__(app)
        self.sessions = sessions
        self.always_secure = always_secure

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        sid = _cookie_sid(scope)
        # a new visitor's id is drawn only when a page uses it (session_id): most answers never do, and
        # drawing it is a system call per request
        state: dict[str, Any] = {"id": sid, "new": sid is None, "used": False, "sessions": self.sessions}
        scope[SCOPE_KEY] = state

        def cookie(_start: Message) -> list[Header]:
            if not (state["new"] and state["used"]):
                return []
            secure = "; Secure" if cookie_is_secure(scope, self.always_secure) else ""
            return [
                (b"set-cookie", f"{COOKIE}={state['id']}; Path=/; HttpOnly; SameSite=Strict{secure}".encode())
            ]

        await self.app(scope, receive, adding_headers(send, cookie))


def cookie_is_secure(scope: Scope, always: bool) -> bool:
    """Secure when the visitor's connection is HTTPS: seen here, or known to the operator
    (``--secure-cookies``) because a proxy in front terminates TLS and talks plain HTTP to us."""
    return always or scope.get("scheme") == "https"


def _cookie_sid(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:  # a malformed cookie header is just "no session"
                continue
            morsel = jar.get(COOKIE)
            if morsel is not None and _SID.match(morsel.value):
                return morsel.value
    return None


def session_id(request: Request) -> str:
    """This visitor's session id; marks the session used so the cookie is set on the answer."""
    state: dict[str, Any] = request.scope[SCOPE_KEY]
    state["used"] = True
    if state["id"] is None:
        state["id"] = secrets.token_urlsafe(32)
    return str(state["id"])


def has_session_cookie(request: Request) -> bool:
    state: dict[str, Any] = request.scope[SCOPE_KEY]
    return not state["new"]


def csrf_token(request: Request) -> str:
    """The token this visitor's forms carry."""
    return _sessions(request).token(session_id(request))


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.scope[SCOPE_KEY]["sessions"]
    return sessions


def same_origin_problem(request: Request) -> str | None:
    """None when the request comes from the explorer's own pages, else why it is refused."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site == "same-origin":
            return None
        return (
            f"This request came from another site (Sec-Fetch-Site: {site[:30]}); the explorer only sends "
            "requests from its own pages."
        )
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin is None:
        return (
            "The browser did not say where this request came from (no Sec-Fetch-Site or Origin header), so "
            "the explorer cannot tell it from a cross-site request and sends nothing."
        )
    origin_host = origin.split("://", 1)[-1].rstrip("/")
    if origin == "null" or origin_host.lower() != host.lower():
        return (
            f"This request came from another origin ({origin[:80]}); the explorer only sends requests from "
            "its own pages."
        )
    return None


def csrf_problem(request: Request, token: str) -> str | None:
    """None when ``token`` is this session's CSRF token, else why the request is refused."""
    if not has_session_cookie(request):
        return (
            "This browser has no explorer session (cookies may be blocked, or the explorer restarted): "
            "reload the page and send again."
        )
    if not _sessions(request).valid(session_id(request), token):
        return (
            "The form's security token is missing or does not match this session (the explorer may have "
            "restarted with a new key): reload the page and send again."
        )
    return None
