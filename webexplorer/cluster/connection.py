"""One connection to one API server: base URL, TLS, credentials, and the only HTTP client in the package.

Everything above this module sees a :class:`Connection` — ``fetch`` for documents (it implements
:class:`~webexplorer.source.DocumentSource`), ``request``/``stream`` for try-it and watches — and never
learns whether the identity came from a mounted token, a kubeconfig or an exec plugin.

Decisions worth knowing:

* :func:`make_client` is the single place an ``httpx.AsyncClient`` is built, so httpx's API-compatible
  fork can be dropped in by changing one import.
* Redirects are followed by hand and only to the same scheme, host and port: the OpenAPI v3 answer to a
  stale ``?hash=`` is an absolute 301 to the same server, but nothing the API server (or an aggregated
  API behind it) says may send the explorer's credentials to another host.
* Callers pass *paths* (``/apis/apps/v1?x=y``), never URLs: an absolute URL is refused for the same
  reason.
* Every request has a timeout (``request_timeout``); streams may lift only the read timeout.
* Every transport failure becomes a :class:`~webexplorer.cluster.errors.ClusterError` sentence; HTTP
  error statuses are answers, returned as such, and :meth:`Connection.explain_status` words 401/403.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import httpx

from webexplorer import __version__
from webexplorer.cluster.auth import (
    DEFAULT_TOKEN_REFRESH,
    BasicSource,
    CredentialSource,
    ExecSource,
    KubeAuth,
    NoCredentialSource,
    StaticTokenSource,
    TokenFileSource,
)
from webexplorer.cluster.errors import ClusterError, ConfigError, translate_transport_error
from webexplorer.cluster.execplugin import DEFAULT_EXEC_TIMEOUT
from webexplorer.cluster.incluster import InClusterConfig
from webexplorer.cluster.kubeconfig import ContextInfo, Kubeconfig, ResolvedContext, load_kubeconfig
from webexplorer.cluster.tls import TLSSettings, build_ssl_context, load_cert_chain_from_memory
from webexplorer.source import Fetched

if TYPE_CHECKING:
    from webexplorer.cluster.detect import Detection

log = logging.getLogger(__name__)

ConnectionMode = Literal["in-cluster", "server", "kubeconfig"]
USER_AGENT = f"webexplorer/{__version__}"
MAX_REDIRECTS = 5
_UNSET: float = -1.0

#: how long an idle pooled connection is kept for the next request. A person reads the answer or edits
#: the form for more than a few seconds between two try-it sends; with httpx's default of 5 s such a
#: send paid a new TCP and TLS handshake (measured: ~6.5 ms instead of ~2 ms for one ConfigMap on the
#: sandbox) whenever nothing else kept the connection busy — always for a signed-in visitor's own
#: connection (``--identity token``), and for the explorer's own with a ``--refresh-interval`` over 5 s.
#: kube-apiserver keeps an idle HTTP/1.1 connection for 90 s, and httpcore checks that a pooled
#: connection was not closed by the server before reusing it.
KEEPALIVE_EXPIRY = 60.0

#: told about every request sent: ``(method, status or None when there was no answer, seconds)``. The
#: explorer points it at ``/metrics`` (upstream latency) so this layer stays free of any metrics library.
RequestObserver = Callable[[str, int | None, float], None]


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


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete answer to :meth:`Connection.request`: what try-it shows, every header kept in order."""

    status: int
    reason: str
    #: (lower-case name, value) pairs in the order received; repeated headers (Warning) stay separate
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)
    url: str
    #: seconds from sending the request to the end of the body
    elapsed: float
    http_version: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def header_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (any case), e.g. each ``Warning``."""
        name = name.lower()
        return [value for key, value in self.headers if key == name]


class StreamReply:
    """An answer whose body is read as it arrives (watches). Transport errors while reading become
    :class:`ClusterError` sentences too."""

    def __init__(self, response: httpx.Response, connection: Connection, timeout: float) -> None:
        self._response = response
        self._connection = connection
        self._timeout = timeout
        self.status = response.status_code
        self.reason = response.reason_phrase
        self.headers: tuple[tuple[str, str], ...] = tuple(
            (k.lower(), v) for k, v in response.headers.multi_items()
        )
        self.url = str(response.url)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except (httpx.HTTPError, OSError) as exc:
            raise self._connection.translate(exc, self._timeout) from None

    async def aiter_lines(self) -> AsyncIterator[str]:
        try:
            async for line in self._response.aiter_lines():
                yield line
        except (httpx.HTTPError, OSError) as exc:
            raise self._connection.translate(exc, self._timeout) from None

    async def aread(self) -> bytes:
        try:
            return await self._response.aread()
        except (httpx.HTTPError, OSError) as exc:
            raise self._connection.translate(exc, self._timeout) from None


class Connection:
    """A live connection to one API server; implements :class:`~webexplorer.source.DocumentSource`."""

    #: live connections can write (try-it still asks the operator's permission)
    read_only: bool = False
    #: see :data:`RequestObserver`; copied to sibling connections (``with_token``, ``switch_context``)
    observer: RequestObserver | None = None

    def __init__(
        self,
        *,
        mode: ConnectionMode,
        label: str,
        server_url: str,
        credentials: CredentialSource,
        tls: TLSSettings | None = None,
        namespace: str = "default",
        context: str | None = None,
        warnings: Sequence[str] = (),
        request_timeout: float = 10.0,
        proxy_url: str | None = None,
        trust_env: bool = False,
        extra_headers: Sequence[tuple[str, str]] = (),
        client_cert_source: str | None = None,
        kubeconfig: Kubeconfig | None = None,
        token_refresh: float = DEFAULT_TOKEN_REFRESH,
    ) -> None:
        self.mode: ConnectionMode = mode
        self.label = label
        self.server_url = server_url.rstrip("/")
        self.namespace = namespace
        self.context = context
        self.warnings: list[str] = list(warnings)
        self.request_timeout = request_timeout
        self.proxy_url = proxy_url
        self.kubeconfig = kubeconfig
        self.detection: Detection | None = None
        self.credentials = credentials
        self._tls = tls or TLSSettings()
        self._client_cert_source = client_cert_source
        self._impersonate = [value for name, value in extra_headers if name == "Impersonate-User"]
        #: headers every request of this connection carries, over the caller's (``with_impersonation``)
        self._forced_headers: tuple[tuple[str, str], ...] = ()
        self._owns_client = True
        self._token_refresh = token_refresh
        self._trust_env = trust_env
        self._base = httpx.URL(self.server_url)
        if self._base.scheme not in ("http", "https") or not self._base.host:
            raise ConfigError(
                f"The API server address {server_url!r} is not an http(s) URL with a host: fix --server or "
                "the kubeconfig's server field."
            )
        self._ssl_context = build_ssl_context(self._tls)
        self._extensions: dict[str, object] = {}
        if self._tls.server_name:
            self._extensions["sni_hostname"] = self._tls.server_name
        self._client = make_client(
            verify=self._ssl_context,
            auth=KubeAuth(credentials),
            timeout=request_timeout,
            proxy=proxy_url,
            headers=extra_headers,
            trust_env=trust_env,
        )

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def for_server(cls, url: str, *, request_timeout: float = 10.0, label: str | None = None) -> Connection:
        """A URL used as is, with no credentials: kubectl proxy, or an ambassador sidecar that adds them."""
        if "://" not in url:
            url = "http://" + url
        return cls(
            mode="server",
            label=label or f"server {url.rstrip('/')}",
            server_url=url,
            credentials=NoCredentialSource("none (the proxy at the server URL adds the identity)"),
            request_timeout=request_timeout,
        )

    @classmethod
    def from_in_cluster(
        cls,
        config: InClusterConfig,
        *,
        request_timeout: float = 10.0,
        token_refresh: float = DEFAULT_TOKEN_REFRESH,
    ) -> Connection:
        """The pod's own service account: token file re-read every ``token_refresh`` s and after a 401."""
        return cls(
            mode="in-cluster",
            label="in-cluster",
            server_url=config.server,
            credentials=TokenFileSource(config.token_file, token_refresh),
            tls=config.tls,
            namespace=config.namespace,
            request_timeout=request_timeout,
            token_refresh=token_refresh,
        )

    @classmethod
    def from_kubeconfig(
        cls,
        kubeconfig: Kubeconfig,
        context: str | None = None,
        *,
        request_timeout: float = 10.0,
        token_refresh: float = DEFAULT_TOKEN_REFRESH,
        exec_timeout: float = DEFAULT_EXEC_TIMEOUT,
    ) -> Connection:
        """A context of a loaded kubeconfig (default: its current-context)."""
        resolved = kubeconfig.resolve(context)
        return cls._from_resolved(
            resolved,
            kubeconfig,
            request_timeout=request_timeout,
            token_refresh=token_refresh,
            exec_timeout=exec_timeout,
        )

    @classmethod
    def _from_resolved(
        cls,
        resolved: ResolvedContext,
        kubeconfig: Kubeconfig,
        *,
        request_timeout: float,
        token_refresh: float,
        exec_timeout: float,
    ) -> Connection:
        holder: list[Connection] = []

        def install_cert(cert_pem: bytes, key_pem: bytes) -> None:
            holder[0]._install_client_cert(cert_pem, key_pem)

        auth = resolved.auth
        credentials: CredentialSource
        if auth.kind == "token" and auth.token:
            credentials = StaticTokenSource(auth.token, f"bearer token from user {resolved.user_name!r}")
        elif auth.kind == "token-file" and auth.token_file is not None:
            credentials = TokenFileSource(auth.token_file, token_refresh)
        elif auth.kind == "exec" and auth.exec is not None:
            credentials = ExecSource(auth.exec, on_client_cert=install_cert, timeout=exec_timeout)
        elif auth.kind == "basic" and auth.username:
            credentials = BasicSource(auth.username, auth.password or "")
        else:
            credentials = NoCredentialSource("none" if resolved.client_cert_source is None else "")
        headers: list[tuple[str, str]] = list(resolved.impersonate)
        if resolved.disable_compression:
            headers.append(("Accept-Encoding", "identity"))
        connection = cls(
            mode="kubeconfig",
            label=f"kubeconfig: {resolved.context}",
            server_url=resolved.server,
            credentials=credentials,
            tls=resolved.tls,
            namespace=resolved.namespace,
            context=resolved.context,
            warnings=resolved.warnings,
            request_timeout=request_timeout,
            proxy_url=resolved.proxy_url,
            trust_env=resolved.proxy_url is None,  # honour HTTPS_PROXY/NO_PROXY as kubectl does
            extra_headers=headers,
            client_cert_source=resolved.client_cert_source,
            kubeconfig=kubeconfig,
            token_refresh=token_refresh,
        )
        holder.append(connection)
        return connection

    def _install_client_cert(self, cert_pem: bytes, key_pem: bytes) -> None:
        """Present a new client certificate (from an exec plugin) on connections opened from now on."""
        load_cert_chain_from_memory(self._ssl_context, cert_pem, key_pem)
        self._client_cert_source = "the exec plugin"

    def with_token(self, token: str, *, label: str | None = None) -> Connection:
        """A sibling connection to the same server with the same trust, authenticating as a *visitor*
        with their own bearer token instead of the explorer's identity (no client certificate, no
        impersonation). The caller owns it and must ``aclose()`` it."""
        tls = replace(
            self._tls, client_cert_pem=None, client_key_pem=None, client_cert_file=None, client_key_file=None
        )
        sibling = Connection(
            mode=self.mode,
            label=label or f"{self.label} (visitor's token)",
            server_url=self.server_url,
            credentials=StaticTokenSource(token, "bearer token of the visitor"),
            tls=tls,
            namespace=self.namespace,
            context=self.context,
            warnings=self.warnings,
            request_timeout=self.request_timeout,
            proxy_url=self.proxy_url,
            trust_env=self._trust_env,
        )
        sibling.observer = self.observer
        return sibling

    def with_impersonation(self, user: str, groups: Sequence[str] = ()) -> Connection:
        """A view of this connection whose requests act as ``user`` (and ``groups``) through
        ``Impersonate-User`` / ``Impersonate-Group``: the explorer's own credentials authenticate, the
        API server applies the impersonated user's RBAC (the explorer's identity needs the
        ``impersonate`` verb). It shares this connection's HTTP client, so it is cheap to make per
        request; its ``aclose()`` does nothing (the original owns the client). Impersonation headers a
        caller passes are replaced, never merged."""
        view = copy.copy(self)
        view._forced_headers = (("Impersonate-User", user), *(("Impersonate-Group", g) for g in groups))
        view._impersonate = [user]
        view._owns_client = False
        view.label = f"{self.label} (as {user})"
        return view

    # --- contexts -----------------------------------------------------------------------------

    def contexts(self) -> list[ContextInfo]:
        """The kubeconfig's contexts (empty outside kubeconfig mode), for a picker."""
        return self.kubeconfig.contexts() if self.kubeconfig is not None else []

    async def switch_context(self, name: str) -> Connection:
        """A *new* connection to another context of the same kubeconfig files, re-read now so edits
        and refreshed tokens are picked up. This connection stays open; close it if it is no longer
        wanted (several can be used side by side)."""
        if self.kubeconfig is None:
            raise ConfigError(
                f"The connection {self.label!r} did not come from a kubeconfig, so it has no contexts to "
                "switch to: start the explorer with --kubeconfig."
            )
        kubeconfig = load_kubeconfig(self.kubeconfig.paths, strict=True)
        switched = Connection.from_kubeconfig(
            kubeconfig, name, request_timeout=self.request_timeout, token_refresh=self._token_refresh
        )
        switched.observer = self.observer
        return switched

    # --- description --------------------------------------------------------------------------

    def describe_auth(self) -> str:
        """How requests authenticate, for the UI — never the secret itself."""
        parts = []
        described = self.credentials.describe()
        if described:
            parts.append(described)
        if self._client_cert_source is not None:
            parts.append(f"client certificate from {self._client_cert_source}")
        if self._impersonate:
            parts.append(f"impersonating {self._impersonate[0]!r}")
        return ", ".join(parts) or "none"

    @property
    def trust(self) -> str:
        """What the server certificate is checked against, for the UI."""
        if self._base.scheme == "http":
            return "nothing (plain http)"
        return "nothing (insecure-skip-tls-verify)" if self._tls.insecure else self._tls.trust

    def __repr__(self) -> str:
        return (
            f"Connection(mode={self.mode!r}, label={self.label!r}, server_url={self.server_url!r}, "
            f"auth={self.describe_auth()!r})"
        )

    def explain_status(self, status: int, path: str, message: str | None = None) -> str | None:
        """One sentence for a 401 or 403 answer to ``path`` (``message`` is the Status message, which
        names the user and verb), or None for other statuses."""
        if status == 401:
            return (
                f"The API server at {self.server_url} did not accept the explorer's credentials "
                f"({self.describe_auth()}) and answered 401 Unauthorized: the token or certificate is "
                "invalid or expired; renew it, or choose another context or service account."
            )
        if status == 403:
            said = f" ({message.strip().rstrip('.')})" if message else ""
            return (
                f"The explorer's identity ({self.describe_auth()}) may not read {path}{said}: grant it "
                "access with RBAC (for example a ClusterRole with get and list bound to it), or use "
                "another identity."
            )
        return None

    # --- requests -----------------------------------------------------------------------------

    def translate(self, exc: Exception, timeout: float) -> ClusterError:
        """A transport failure as a sentence naming this server."""
        return translate_transport_error(
            exc, server=self.server_url, timeout=timeout, trust=self.trust, proxy=self.proxy_url
        )

    def _url(self, path: str) -> httpx.URL:
        if not path.startswith("/") or path.startswith("//"):
            raise ValueError(f"expected an API path starting with '/', got {path[:80]!r}")
        return httpx.URL(self.server_url + path)

    def _same_origin(self, url: httpx.URL) -> bool:
        return (url.scheme, url.host, url.port) == (self._base.scheme, self._base.host, self._base.port)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | Sequence[str]] | None,
        headers: Mapping[str, str] | None,
        content: bytes | None,
        timeout: httpx.Timeout,  # noqa: ASYNC109 - httpx's per-phase timeouts, not a deadline
        budget: float,
    ) -> httpx.Response:
        """Send with same-origin redirects followed; returns a response whose body is not yet read."""
        sent: httpx.Headers | Mapping[str, str] | None = headers
        if self._forced_headers:
            kept = [(k, v) for k, v in (headers or {}).items() if not k.lower().startswith("impersonate-")]
            sent = httpx.Headers([*kept, *self._forced_headers])
        request = self._client.build_request(
            method,
            self._url(path),
            params=params,
            headers=sent,
            content=content,
            timeout=timeout,
            extensions=dict(self._extensions),
        )
        try:
            for _ in range(MAX_REDIRECTS + 1):
                response = await self._client.send(request, stream=True)
                follow = response.next_request
                if follow is None or not self._same_origin(follow.url):
                    if follow is not None:
                        log.warning("not following a redirect from %s to another host", self.server_url)
                    return response
                await response.aclose()
                request = follow
            return response
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise self.translate(exc, budget) from None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - passed to httpx per phase
    ) -> Reply:
        """Send one request and read the whole answer. HTTP error statuses are returned, not raised;
        only "no answer" raises :class:`ClusterError`."""
        budget = timeout or self.request_timeout
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self._send(
                method,
                path,
                params=params,
                headers=headers,
                content=content,
                timeout=httpx.Timeout(budget),
                budget=budget,
            )
            try:
                body = await response.aread()
            except (httpx.HTTPError, OSError) as exc:
                raise self.translate(exc, budget) from None
            finally:
                await response.aclose()
            status = response.status_code
        finally:
            self._observe(method, status, time.perf_counter() - started)
        return Reply(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=tuple((k.lower(), v) for k, v in response.headers.multi_items()),
            body=body,
            url=str(response.url),
            elapsed=time.perf_counter() - started,
            http_version=response.http_version,
        )

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - passed to httpx per phase
        read_timeout: float | None = _UNSET,
    ) -> AsyncIterator[StreamReply]:
        """Send one request and read the answer as it arrives (``async with conn.stream(...) as r``).

        Connecting and sending are bounded by ``timeout`` (default ``request_timeout``); the wait between
        chunks by ``read_timeout`` (default the same; None for watches that may stay quiet for long)."""
        budget = timeout or self.request_timeout
        read = budget if read_timeout == _UNSET else read_timeout
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self._send(
                method,
                path,
                params=params,
                headers=headers,
                content=content,
                timeout=httpx.Timeout(budget, read=read),
                budget=read or budget,
            )
            status = response.status_code
        finally:  # a stream's latency is the time to its headers: a watch may stay open for minutes
            self._observe(method, status, time.perf_counter() - started)
        try:
            yield StreamReply(response, self, read or budget)
        finally:
            await response.aclose()

    def _observe(self, method: str, status: int | None, seconds: float) -> None:
        if self.observer is not None:
            try:
                self.observer(method, status, seconds)
            except Exception:  # an observer's bug must never fail a request
                log.exception("request observer failed")

    async def fetch(self, path: str, *, accept: str = "application/json", etag: str | None = None) -> Fetched:
        """GET ``path`` for the catalog (:class:`~webexplorer.source.DocumentSource`)."""
        headers = {"Accept": accept}
        if etag is not None:
            headers["If-None-Match"] = etag
        reply = await self.request("GET", path, headers=headers)
        lowered: dict[str, str] = {}
        for name, value in reply.headers:
            lowered[name] = f"{lowered[name]}, {value}" if name in lowered else value
        return Fetched(
            status=reply.status,
            body=b"" if reply.status == 304 else reply.body,
            headers=lowered,
            url=reply.url,
        )

    async def aclose(self) -> None:
        """Close pooled connections. Nothing else to clean up: no key material was written to disk."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
