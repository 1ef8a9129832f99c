"""Whose rights each request uses (--identity), against the real control plane.

* token: a visitor signs in with a TokenRequest token of a service account limited to one namespace;
  try-it then acts as that account (allowed there, 403 elsewhere), the Send buttons are greyed out where
  SelfSubjectAccessReview says no, the cookie is sealed (HttpOnly, SameSite=Strict, never the token,
  tampering rejected), another replica with the same key accepts it, and sign-out ends it.
* impersonate: identity headers with the proxy's secret become Impersonate-User/-Group; the same
  headers without it change nothing and are logged (without their values).
"""

from __future__ import annotations

import html
import logging
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.fixtures.cluster import ServiceAccount
from tests.tryout_helpers import CSRF, SAME_ORIGIN, basic, explorer_app, text_of
from webexplorer.app import create_app
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.kubectl_proxy import KubectlProxy
from webexplorer.settings import Settings
from webexplorer.web.signin_cookie import COOKIE, SignIn, TokenSealer

LIST_CM = "listCoreV1NamespacedConfigMap"
DELETE_CM = "deleteCoreV1NamespacedConfigMap"
RULES = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "create"]}]
FORM = {"Content-Type": "application/x-www-form-urlencoded", **SAME_ORIGIN}


def acting_as(page: str) -> str:
    return " ".join(text_of(page, "acting-as").split()[:4])


async def sign_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    page = await client.get("/signin")
    found = CSRF.search(page.text)
    assert found, page.text
    return await client.post(
        "/signin", content=urlencode({"csrf": found.group(1), "token": token}), headers=FORM
    )


def panel(page: str) -> tuple[bool, str]:
    """(is the Send button disabled, the denial notice or "")."""
    start = page.find('id="tryout-send"')
    button = page[start : page.find(">", start)]
    denied = text_of(page, "tryout-denied") if 'id="tryout-denied"' in page else ""
    return " disabled" in button, denied


@pytest.fixture
def limited(service_account: Callable[..., ServiceAccount]) -> ServiceAccount:
    """A service account that may get/list/create configmaps in its own namespace only."""
    return service_account(namespace=f"idt-{uuid.uuid4().hex[:6]}", rules=RULES)


async def test_token_sign_in_acts_as_the_visitor(
    control_plane: ControlPlane, limited: ServiceAccount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = secrets.token_hex(32)
    token = limited.request_token()
    ns = limited.namespace
    async with explorer_app(control_plane.kubeconfig, identity="token", secret_key=key) as ex:
        c = ex.client
        # not signed in: the catalog is browsable, try-it asks for a sign-in and refuses to send
        home = await c.get("/")
        assert home.status_code == 200 and 'id="signin-link"' in home.text
        form = await ex.open(f"/try/core/v1/{LIST_CM}?p.namespace={ns}")
        assert "Sign in" in text_of(form.text, "tryout-disabled")
        refused = await ex.send(LIST_CM, {"p.namespace": ns})
        assert refused.status_code == 401 and "Sign in" in refused.text

        # a wrong token: one clear sentence, never echoed, no cookie
        bad = "not-a-real-token-" + uuid.uuid4().hex
        r = await sign_in(c, bad)
        assert r.status_code == 400 and "did not accept this token" in text_of(r.text, "signin-problem")
        assert bad not in r.text and COOKIE not in r.headers.get("set-cookie", "")

        r = await sign_in(c, token)
        assert r.status_code == 303, r.text
        cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith(COOKIE + "="))
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        value = cookie.split(";")[0].split("=", 1)[1]
        assert token not in value and token[:20] not in value
        assert limited.username in acting_as((await c.get("/")).text)

        # try-it acts as the account: allowed in its namespace, 403 Status elsewhere
        r = await ex.send(LIST_CM, {"p.namespace": ns})
        assert "200 OK" in text_of(r.text, "tryout-code"), r.text
        r = await ex.send(LIST_CM, {"p.namespace": "default"})
        assert "403 Forbidden" in text_of(r.text, "tryout-code")
        assert limited.username in html.unescape(r.text)

        # the greyed-out buttons match (SelfSubjectAccessReview)
        assert panel((await c.get(f"/try/core/v1/{LIST_CM}?p.namespace={ns}")).text) == (False, "")
        disabled, why = panel((await c.get(f"/try/core/v1/{LIST_CM}?p.namespace=default")).text)
        assert disabled and "may not list configmaps in the namespace 'default'" in why
        disabled, why = panel((await c.get(f"/try/core/v1/{DELETE_CM}?p.namespace={ns}&p.name=x")).text)
        assert disabled and "may not delete configmaps" in why

        # What can I do: the rules of the namespace
        rules = text_of((await c.get(f"/can-i?namespace={ns}")).text, "can-i-rules")
        assert "configmaps" in rules and "get, list, create" in rules

        # a tampered cookie is rejected (and cleared)
        tampered = value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
        async with explorer_app(control_plane.kubeconfig, identity="token", secret_key=key) as same:
            page = await same.client.get("/", headers={"Cookie": f"{COOKIE}={tampered}"})
            assert limited.username not in page.text and 'id="signin-link"' in page.text
            assert "Max-Age=0" in page.headers.get("set-cookie", "")

        # another replica with the same key accepts the cookie
        async with explorer_app(control_plane.kubeconfig, identity="token", secret_key=key) as replica:
            page = await replica.client.get("/", headers={"Cookie": f"{COOKIE}={value}"})
            assert limited.username in acting_as(page.text)
        # ... one with another key does not
        other_key = "other" * 8
        async with explorer_app(control_plane.kubeconfig, identity="token", secret_key=other_key) as stranger:
            page = await stranger.client.get("/", headers={"Cookie": f"{COOKIE}={value}"})
            assert limited.username not in page.text

        # sign-out clears the cookie; try-it asks for a sign-in again
        signout_csrf = CSRF.search((await c.get("/")).text)
        assert signout_csrf
        r = await c.post("/signout", content=urlencode({"csrf": signout_csrf.group(1)}), headers=FORM)
        assert r.status_code == 303 and "Max-Age=0" in r.headers["set-cookie"]
        assert COOKIE not in c.cookies
        refused = await ex.send(LIST_CM, {"p.namespace": ns})
        assert refused.status_code == 401
    assert all(token not in record.getMessage() for record in caplog.records)


def test_sealed_sign_in_expires_when_idle() -> None:
    sealer = TokenSealer("k" * 32, idle_seconds=60)
    value = sealer.seal(SignIn("secret-token", 1000.0, 1000.0))
    assert "secret-token" not in value
    assert sealer.open(value, 1030.0) == SignIn("secret-token", 1000.0, 1000.0)
    assert sealer.open(value, 1061.0) is None  # idle too long
    assert TokenSealer("x" * 32, 60).open(value, 1030.0) is None  # another key
    assert sealer.open(value[:-2], 1030.0) is None  # cut
    assert sealer.open("%%%", 1030.0) is None


async def test_impersonation_through_the_trusted_proxy_only(
    control_plane: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    secret = secrets.token_hex(16)
    user = f"alice-{uuid.uuid4().hex[:6]}"
    headers = {"X-Forwarded-User": user, "X-Forwarded-Groups": "team-a,team-b"}
    caplog.set_level(logging.INFO, logger="webexplorer.identity")
    async with explorer_app(
        control_plane.kubeconfig, identity="impersonate", trusted_proxy_secret=secret
    ) as ex:
        c = ex.client
        trusted = {**headers, "Authorization": basic(secret)}
        page = await c.get("/", headers=trusted)
        assert user in acting_as(page.text)
        assert "team-a" in text_of(page.text, "identity") and "team-b" in text_of(page.text, "identity")
        # the impersonated user's own RBAC applies: they may not list configmaps
        await ex.open(f"/try/core/v1/{LIST_CM}")
        ex.client.headers.update(trusted)
        r = await ex.send(LIST_CM, {"p.namespace": "default"})
        assert "403 Forbidden" in text_of(r.text, "tryout-code") and user in html.unescape(r.text)
        disabled, why = panel((await c.get(f"/try/core/v1/{LIST_CM}?p.namespace=default")).text)
        assert disabled and "may not list configmaps" in why
        for name in trusted:
            del ex.client.headers[name]
        assert not caplog.records

        # forged: the same headers without the secret (or with a wrong one) change nothing, and are logged
        for forged in (headers, {**headers, "Authorization": basic("guess")}):
            page = await c.get("/", headers=forged)
            assert user not in page.text and "admin" in acting_as(page.text)
            r = await ex.send(LIST_CM, {"p.namespace": "default"}, headers=forged)
            assert "200 OK" in text_of(r.text, "tryout-code")
        warnings = [rec.getMessage() for rec in caplog.records if rec.name == "webexplorer.identity"]
        assert warnings and all("ignored identity headers" in w for w in warnings)
        assert all(user not in w and "team-a" not in w and "guess" not in w for w in warnings)


async def test_trusted_proxy_addresses(control_plane: ControlPlane) -> None:
    """A client address inside --trusted-proxies is trusted without the secret (ASGITransport's client is
    127.0.0.1); outside it, it is not."""
    headers = {"X-Forwarded-User": "bob"}
    for cidrs, expected in ((["127.0.0.0/8"], True), (["10.0.0.0/8"], False)):
        async with explorer_app(
            control_plane.kubeconfig, identity="impersonate", trusted_proxies=cidrs
        ) as ex:
            page = await ex.client.get("/", headers=headers)
            assert ("bob" in acting_as(page.text)) is expected


def test_settings_reject_bad_cidrs() -> None:
    with pytest.raises(ValueError, match="does not appear to be"):
        Settings(trusted_proxies="10.0.0.0/8,not-a-network")
    assert Settings(trusted_proxies="10.0.0.0/8, 127.0.0.1").trusted_proxies == [
        "10.0.0.0/8",
        "127.0.0.1",
    ]


async def _sign_in_through(proxy_url: str, token: str) -> httpx.Response:
    app = create_app(Settings(mode="server", server=proxy_url, identity="token"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=30) as c:
            return await sign_in(c, token)


async def test_sign_in_through_kubectl_proxy(
    control_plane: ControlPlane, kubectl_proxy: str, limited: ServiceAccount, tmp_path: Path
) -> None:
    """kubectl proxy passes a visitor's bearer token on when its own credentials are a token, so signing
    in works; when they are a client certificate the API server authenticates the certificate first,
    and every visitor would silently become the proxy's user. The explorer notices (the server names its
    own identity), refuses and says why."""
    r = await _sign_in_through(kubectl_proxy, limited.request_token())
    assert r.status_code == 303 and COOKIE in r.headers.get("set-cookie", "")

    proxy = KubectlProxy(
        control_plane.kubectl, control_plane.kubeconfig, tmp_path / "proxy.log", context="sandbox-cert"
    )
    with proxy:
        r = await _sign_in_through(proxy.url, limited.request_token())
    assert r.status_code == 400
    problem = text_of(r.text, "signin-problem")
    assert "did not reach it" in problem and "kubectl proxy" in problem, problem
    assert COOKIE not in r.headers.get("set-cookie", "")
