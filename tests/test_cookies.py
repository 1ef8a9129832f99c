"""The session and sign-in cookies are Secure whenever the visitor's connection is HTTPS, including
behind a proxy or Ingress that terminates TLS and talks plain HTTP to the explorer (``--secure-cookies``)."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.fixtures.asgi import asgi_explorer
from webexplorer.settings import Settings
from webexplorer.web.signin_cookie import COOKIE, SignInCookieMiddleware, set_signin_cookie

FORM = "/try/core/v1/listCoreV1NamespacedConfigMap"  # the try-it form needs a session (CSRF token)


@pytest.mark.parametrize(
    ("secure_cookies", "base_url", "secure"),
    [
        (False, "http://localhost", False),
        (False, "https://localhost", True),
        (True, "http://localhost", True),
    ],
)
async def test_session_cookie(secure_cookies: bool, base_url: str, secure: bool) -> None:
    async with asgi_explorer(Settings(mode="snapshot", secure_cookies=secure_cookies)) as client:
        client.base_url = httpx.URL(base_url)
        cookie = (await client.get(FORM)).headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert ("; Secure" in cookie) is secure, cookie


@pytest.mark.parametrize("always_secure", [False, True])
async def test_sign_in_cookie(always_secure: bool) -> None:
    async def sign_in(request: Request) -> PlainTextResponse:
        set_signin_cookie(request, "sealed-value")
        return PlainTextResponse("ok")

    app = SignInCookieMiddleware(Starlette(routes=[Route("/", sign_in)]), always_secure=always_secure)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        cookie = (await client.get("/")).headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=sealed-value;") and "HttpOnly" in cookie
    assert ("; Secure" in cookie) is always_secure, cookie
