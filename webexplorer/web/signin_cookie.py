"""The sign-in cookie of ``--identity token``: the visitor's bearer token, sealed, in the browser.

The token travels only in this cookie, sealed with AES-GCM (:class:`~.sealing.Sealer`, key derived
from ``--secret-key``, so every replica given the same Secret opens it), ``HttpOnly``,
``SameSite=Strict``, ``Secure`` behind TLS. The sealed payload holds the token and when the sign-in was
issued and last used, so an idle sign-in expires (``--session-idle-minutes``). Routes never write the
header themselves: they ask for it (:func:`set_signin_cookie`) and :class:`SignInCookieMiddleware` puts
it on the answer, whatever the answer is.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webexplorer.web.asgi import Header, HttpMiddleware, adding_headers
from webexplorer.web.csrf import cookie_is_secure
from webexplorer.web.sealing import Sealer

COOKIE = "webexplorer_signin"
_COOKIE_UPDATE = "webexplorer.signin_cookie"


@dataclass(frozen=True, slots=True)
class SignIn:
    token: str
    issued: float
    last_seen: float


class TokenSealer:
    """Seals a sign-in into a cookie value and opens it again (:class:`~.sealing.Sealer`). Any change to
    the value makes opening fail; nothing is kept server-side."""

    def __init__(self, secret_key: str | None, idle_seconds: float) -> None:
        self._sealer = Sealer(secret_key, f"sign-in cookie {COOKIE} v1")
        self.idle_seconds = idle_seconds

    def seal(self, sign_in: SignIn) -> str:
        return self._sealer.seal({"t": sign_in.token, "i": sign_in.issued, "s": sign_in.last_seen})

    def open(self, value: str, now: float) -> SignIn | None:
        """The sign-in, or None when the value was not sealed with this key, was changed, or is idle."""
        payload = self._sealer.open(value)
        if payload is None:
            return None
        try:
            sign_in = SignIn(str(payload["t"]), float(payload["i"]), float(payload["s"]))
        except (KeyError, TypeError, ValueError):
            return None
        if now - sign_in.last_seen > self.idle_seconds or sign_in.last_seen > now + 300:
            return None
        return sign_in


def cookie_header(value: str, *, secure: bool, clear: bool = False) -> str:
    flags = f"Path=/; HttpOnly; SameSite=Strict{'; Secure' if secure else ''}"
    if clear:
        return f"{COOKIE}=; {flags}; Max-Age=0"
    return f"{COOKIE}={value}; {flags}"


def set_signin_cookie(request: Request, value: str | None) -> None:
    """Ask :class:`SignInCookieMiddleware` to set (or, with None, clear) the sign-in cookie."""
    request.scope[_COOKIE_UPDATE] = value


class SignInCookieMiddleware(HttpMiddleware):
    """Writes the sign-in cookie a route asked for (``set_signin_cookie``) on the answer's headers."""

    def __init__(self, app: ASGIApp, always_secure: bool = False) -> None:
        super().__init__(app)
        self.always_secure = always_secure

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:

        def cookie(_start: Message) -> list[Header]:
            if _COOKIE_UPDATE not in scope:
                return []
            value = scope[_COOKIE_UPDATE]
            secure = cookie_is_secure(scope, self.always_secure)
            return [(b"set-cookie", cookie_header(value or "", secure=secure, clear=value is None).encode())]

        await self.app(scope, receive, adding_headers(send, cookie))


def cookie_value(request: Request) -> str | None:
    for name, value in request.scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                continue
            morsel = jar.get(COOKIE)
            if morsel is not None and morsel.value:
                return morsel.value
    return None
