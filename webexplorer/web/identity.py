"""Whose rights each request uses (``--identity``), and what that identity may do.

:class:`Identities` resolves a request to its :class:`Visitor` (:mod:`.visitors` is the request-level
entry, ``connection_for`` the single place a route gets the connection a visitor's request must use):

* ``service-account`` (default): the explorer's own connection, for everyone.
* ``token``: the visitor signed in at ``/signin`` with a bearer token, which travels only in the sealed
  sign-in cookie (:mod:`.signin_cookie`). The token is never rendered, logged, or kept anywhere but in
  that cookie and the (briefly cached) connection built from it. Without a sign-in a visitor browses
  the catalog, but try-it asks them to sign in.
* ``impersonate``: an authenticating proxy in front names the visitor in headers
  (``--identity-user-header``, ``--identity-groups-header``); they become ``Impersonate-User`` /
  ``Impersonate-Group`` on the explorer's own connection — only when the request comes from the proxy,
  proven by the Basic-auth password ``--trusted-proxy-secret`` or a client address in
  ``--trusted-proxies``. The same headers from anyone else are ignored (one log line, no values) and
  the request acts as the explorer's own identity.

What the identity may do is asked of the API server itself (:mod:`webexplorer.cluster.whoami`,
:mod:`webexplorer.cluster.reviews`) and cached here briefly per identity: ``SelfSubjectReview`` (the
page header) and ``SelfSubjectAccessReview`` (try-it buttons); ``SelfSubjectRulesReview`` (the
``/can-i`` page) is asked each time the page is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import logging
import time
from dataclasses import dataclass

from starlette.requests import Request

from webexplorer.catalog import Operation
from webexplorer.cluster import ClusterError, Connection, UnauthorizedError
from webexplorer.cluster.grants import Denial, denial
from webexplorer.cluster.reviews import AccessDecision, ResourceAttributes, access_review
from webexplorer.cluster.whoami import WhoAmI, whoami_explained
from webexplorer.explorer import Explorer
from webexplorer.lru import LRU
from webexplorer.settings import Settings
from webexplorer.web.contexts import CURRENT, current_explorer
from webexplorer.web.lifecycle import ExplorerSlot
from webexplorer.web.signin_cookie import SignIn, TokenSealer, cookie_value, set_signin_cookie

log = logging.getLogger("webexplorer.identity")

SCOPE_KEY = "webexplorer.visitor"
#: how long SelfSubjectReview / SelfSubjectAccessReview answers are trusted per identity
REVIEW_TTL = 30.0
#: a sign-in's "last seen" time is rewritten at most this often (each rewrite is a new Set-Cookie)
TOUCH_INTERVAL = 60.0
#: visitors' token connections kept open; the least recently used beyond this are closed
MAX_TOKEN_CONNECTIONS = 256
#: a visitor's token connection unused this long is closed (a new one is made on their next request)
TOKEN_CONNECTION_IDLE = 600.0
#: identities whose SelfSubjectReview is kept, and access questions whose answer is kept
MAX_WHOAMI = 4 * MAX_TOKEN_CONNECTIONS
MAX_ACCESS_ANSWERS = 10_000
MAX_TOKEN_BYTES = 16 * 1024
#: the cache key of the explorer's own identity (``--identity service-account``)
SERVICE_ACCOUNT_KEY = "service-account"


def _in_context(key: str) -> str:
    """The cache key of an identity in the kubeconfig context the request shows: another context's
    "explorer's own identity" is another user on another cluster (its own credentials), so its
    SelfSubjectReview and access answers are kept apart from the first context's."""
    opened = CURRENT.get()
    return key if opened is None else f"{key}@context:{opened.name}"


def _same_identity(visitor: WhoAmI, own: WhoAmI | None) -> bool:
    """Whether the server saw the visitor's requests as the explorer's own identity."""
    a = visitor.identity
    b = own.identity if own is not None else None
    return a is not None and b is not None and (a.username, a.uid) == (b.username, b.uid)


def _token_replaced(who: WhoAmI) -> str:
    name = who.identity.username if who.identity is not None else "the explorer"
    return (
        f"The API server answered as {name}, the explorer's own identity, so this token did not reach "
        "it: a kubectl proxy between the explorer and the API server puts its own credentials on every "
        "request. Signing in needs --server (or the kubeconfig) to point at the API server itself."
    )


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who a request acts as. ``connection`` is None when it may not send (offline, not signed in)."""

    mode: str  # "offline" | "service-account" | "token" | "impersonate"
    key: str  # identifies the identity for caches (never the token itself)
    connection: Connection | None
    #: why ``connection`` is None, for the try-it panel (None when it is set, or offline)
    needs_sign_in: str | None = None
    signed_in: bool = False


def _token_key(token: str) -> str:
    return "token:" + hashlib.sha256(token.encode()).hexdigest()


class Identities:
    """Resolves visitors and asks who they are and what they may do, with the brief caches that needs
    (held by the app state)."""

    def __init__(self, settings: Settings, slot: ExplorerSlot) -> None:
        self.settings = settings
        self._slot = slot
        self.sealer = TokenSealer(settings.secret_key, settings.session_idle_minutes * 60)
        self._networks = [ipaddress.ip_network(c, strict=False) for c in settings.trusted_proxies]
        #: visitors' token connections and when each was last used, least recently used first
        self._tokens: LRU[str, tuple[Connection, float]] = LRU()
        self._whoami: LRU[str, tuple[WhoAmI, float]] = LRU(MAX_WHOAMI)
        self._access: LRU[tuple[str, ResourceAttributes], tuple[AccessDecision | None, float]] = LRU(
            MAX_ACCESS_ANSWERS
        )
        self._closing: list[Connection] = []
        if settings.identity == "token" and not settings.secret_key:
            log.warning(
                "--identity token without --secret-key: sign-ins end when this process restarts and other "
                "replicas do not accept them (give every replica the same WEBEXPLORER_SECRET_KEY)"
            )
        if settings.identity == "impersonate" and not (settings.trusted_proxy_secret or self._networks):
            log.warning(
                "--identity impersonate without --trusted-proxy-secret or --trusted-proxies: identity "
                "headers are never trusted, every request acts as the explorer's own identity"
            )

    @property
    def explorer(self) -> Explorer:
        return current_explorer(self._slot)

    # -- connections -------------------------------------------------------------------------------

    async def visitor(self, request: Request) -> Visitor:
        cached: Visitor | None = request.scope.get(SCOPE_KEY)
        if cached is not None:
            return cached
        found = await self._resolve(request)
        request.scope[SCOPE_KEY] = found
        return found

    async def _resolve(self, request: Request) -> Visitor:
        base = self.explorer.connection
        if base is None:
            return Visitor("offline", "offline", None)
        mode = self.settings.identity
        if mode == "token":
            return self._token_visitor(request, base)
        if mode == "impersonate":
            found = self._impersonated(request, base)
            if found is not None:
                return found
        return Visitor("service-account", _in_context(SERVICE_ACCOUNT_KEY), base)

    def _token_visitor(self, request: Request, base: Connection) -> Visitor:
        value = cookie_value(request)
        if value is None:
            return Visitor("token", "anonymous", None, "Sign in with a bearer token to send requests.")
        now = time.time()
        sign_in = self.sealer.open(value, now)
        if sign_in is None:
            set_signin_cookie(request, None)
            return Visitor(
                "token",
                "anonymous",
                None,
                "Your sign-in has expired or is no longer valid (the explorer's key may have changed): "
                "sign in again.",
            )
        if now - sign_in.last_seen > TOUCH_INTERVAL:
            set_signin_cookie(request, self.sealer.seal(SignIn(sign_in.token, sign_in.issued, now)))
        key = _token_key(sign_in.token)
        return Visitor("token", key, self._token_connection(base, sign_in.token, key), signed_in=True)

    def _token_connection(self, base: Connection, token: str, key: str) -> Connection:
        now = time.monotonic()
        found = self._tokens.get(key)
        if found is not None:
            self._tokens.put(key, (found[0], now))
            return found[0]
        connection = base.with_token(token, label=f"{base.label} (signed-in visitor)")
        self._tokens.put(key, (connection, now))
        self._evict(now)
        return connection

    def _evict(self, now: float) -> None:
        """Retire the least recently used connections beyond MAX_TOKEN_CONNECTIONS and any idle longer
        than TOKEN_CONNECTION_IDLE; they are closed by :meth:`close_retired`, outside this request."""
        for key in self._tokens:  # least recently used first, so the idle ones come first
            found = self._tokens.peek(key)
            idle = found is not None and now - found[1] > TOKEN_CONNECTION_IDLE
            if len(self._tokens) <= MAX_TOKEN_CONNECTIONS and not idle:
                break
            self._drop(key)

    def _impersonated(self, request: Request, base: Connection) -> Visitor | None:
        user_header = self.settings.identity_user_header
        groups_header = self.settings.identity_groups_header
        user = request.headers.get(user_header, "").strip()
        group_values = request.headers.getlist(groups_header)
        if not user and not group_values:
            return None
        client = request.client.host if request.client else "unknown"
        if not self._trusted(request, client):
            log.warning(
                "ignored identity headers (%s) from %s: not from the trusted proxy; acting as the "
                "explorer's own identity",
                ", ".join(h for h in (user_header, groups_header) if h.lower() in request.headers),
                client,
            )
            return None
        if not user:
            return None
        groups = tuple(dict.fromkeys(g.strip() for v in group_values for g in v.split(",") if g.strip()))
        key = _in_context("impersonate:" + json.dumps([user, sorted(groups)]))
        return Visitor("impersonate", key, base.with_impersonation(user, groups))

    def _trusted(self, request: Request, client: str) -> bool:
        secret = self.settings.trusted_proxy_secret
        if secret:
            authorization = request.headers.get("authorization", "")
            scheme, _, encoded = authorization.partition(" ")
            if scheme.lower() == "basic":
                try:
                    _, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    password = ""
                if password and hmac.compare_digest(password.encode(), secret.encode()):
                    return True
        if self._networks:
            try:
                address = ipaddress.ip_address(client)
            except ValueError:
                return False
            return any(address in network for network in self._networks)
        return False

    async def sign_in(self, request: Request, token: str) -> str | None:
        """Check ``token`` with SelfSubjectReview and set the sealed cookie; None, or why it failed."""
        base = self.explorer.connection
        if base is None:
            return "This explorer shows a recorded snapshot, not a live API server: nothing to sign in to."
        token = token.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if (
            not token
            or len(token) > MAX_TOKEN_BYTES
            or any(c.isspace() or not c.isprintable() for c in token)
        ):
            return "That is not a bearer token (one line of printable characters, no spaces)."
        key = _token_key(token)
        connection = self._token_connection(base, token, key)
        try:
            who = await whoami_explained(connection)
        except ClusterError as exc:
            self._drop(key)
            if isinstance(exc, UnauthorizedError):
                return (
                    "The API server did not accept this token (401 Unauthorized): it is invalid or expired."
                )
            return f"The token could not be checked: {exc}"
        if _same_identity(who, await self._own_identity()):
            self._drop(key)
            return _token_replaced(who)
        self._whoami.put(key, (who, time.monotonic()))
        now = time.time()
        set_signin_cookie(request, self.sealer.seal(SignIn(token, now, now)))
        return None

    def _drop(self, key: str) -> None:
        found = self._tokens.pop(key)
        if found is not None:
            self._closing.append(found[0])

    async def aclose(self) -> None:
        for key in self._tokens:
            found = self._tokens.pop(key)
            if found is not None:
                await found[0].aclose()
        await self.close_retired()

    async def close_retired(self) -> None:
        """Close connections evicted from the cache (outside the request that evicted them)."""
        while self._closing:
            await self._closing.pop().aclose()

    # -- reviews -----------------------------------------------------------------------------------

    async def whoami(self, visitor: Visitor) -> WhoAmI | None:
        """Who this visitor's requests run as (``SelfSubjectReview``), cached per identity."""
        if visitor.connection is None:
            return None
        return await self._cached_whoami(visitor.key, visitor.connection)

    async def _own_identity(self) -> WhoAmI | None:
        """The explorer's own identity (what a visitor's sign-in must not turn out to be)."""
        own = self.explorer.connection
        return None if own is None else await self._cached_whoami(_in_context(SERVICE_ACCOUNT_KEY), own)

    async def _cached_whoami(self, key: str, connection: Connection) -> WhoAmI:
        """``SelfSubjectReview`` through ``connection``, trusted for REVIEW_TTL (bound tokens rotate)."""
        now = time.monotonic()
        found = self._whoami.get(key)
        if found is not None and now - found[1] <= REVIEW_TTL:
            return found[0]
        try:
            who = await whoami_explained(connection)
        except ClusterError as exc:
            who = WhoAmI(None, str(exc))
        self._whoami.put(key, (who, now))
        return who

    async def denied(self, visitor: Visitor, op: Operation, values: dict[str, str]) -> Denial | None:
        """Why this visitor may not perform ``op`` with these path values (SelfSubjectAccessReview) and
        what would grant it, or None when allowed or unknown (an unanswered review never greys a button
        out)."""
        attributes = access_attributes(op, values)
        if visitor.connection is None or attributes is None:
            return None
        return await self.refused(visitor, attributes)

    async def refused(self, visitor: Visitor, attributes: ResourceAttributes) -> Denial | None:
        """The denial of one question for this visitor, or None when allowed or unanswered."""
        decision = await self.decision(visitor, attributes)
        if decision is None or decision.allowed:
            return None
        who = await self.whoami(visitor)  # who was refused, for the binding
        return denial(decision, attributes, who.identity.username if who and who.identity else "")

    async def decision(self, visitor: Visitor, attributes: ResourceAttributes) -> AccessDecision | None:
        """One ``SelfSubjectAccessReview`` for this visitor, trusted for REVIEW_TTL; None when there is
        no connection or no usable answer."""
        if visitor.connection is None:
            return None
        cache_key = (visitor.key, attributes)
        now = time.monotonic()
        found = self._access.get(cache_key)
        if found is not None and now - found[1] <= REVIEW_TTL:
            return found[0]
        decision = await access_review(visitor.connection, attributes)
        self._access.put(cache_key, (decision, now))
        return decision


def access_attributes(op: Operation, values: dict[str, str]) -> ResourceAttributes | None:
    """The access question of ``op`` with these form values (``p.namespace``), or None for an operation
    that is not about a resource (``/version``, non-resource paths)."""
    target = op.target
    verb = _verb(op)
    if target is None or not target.resource or verb is None:
        return None
    return ResourceAttributes(
        verb=verb,
        group=target.group,
        resource=target.resource,
        subresource=target.subresource or "",
        namespace=values.get("p.namespace", "") if target.namespaced else "",
    )


def _verb(op: Operation) -> str | None:
    action = op.action
    if action == "watchlist":
        return "watch"
    if action == "connect":
        return {"GET": "get", "POST": "create", "PUT": "update", "DELETE": "delete", "PATCH": "patch"}.get(
            op.method
        )
    return action
