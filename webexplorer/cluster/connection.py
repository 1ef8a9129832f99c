"""One connection to one API server: base URL, TLS, credentials, and the only HTTP client in the package.

Everything above this module sees a :class:`Connection` — ``fetch`` for documents (it implements
:class:`~webexplorer.source.DocumentSource`), ``request``/``stream`` for try-it and watches — and never
learns whether the identity came from a mounted token, a kubeconfig or an exec plugin.

Decisions worth knowing:

* A connection is built from one frozen :class:`~webexplorer.cluster.params.ConnectionParams`;
  siblings (``with_token``, ``with_impersonation``) are that record with fields replaced. Its HTTP
  client comes from :func:`~webexplorer.cluster.client.make_client`, the one place one is built.
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
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace

import httpx

from webexplorer.cluster.auth import DEFAULT_TOKEN_REFRESH, CredentialSource, KubeAuth, StaticTokenSource
from webexplorer.cluster.client import make_client
from webexplorer.cluster.detect import Detection
from webexplorer.cluster.errors import ClusterError, ConfigError, translate_transport_error
from webexplorer.cluster.execplugin import DEFAULT_EXEC_TIMEOUT
from webexplorer.cluster.incluster import InClusterConfig
from webexplorer.cluster.kubeconfig import ContextInfo, Kubeconfig, load_kubeconfig
from webexplorer.cluster.params import (
    ConnectionMode,
    ConnectionParams,
    in_cluster_params,
    kubeconfig_params,
    server_params,
)
from webexplorer.cluster.replies import Reply, StreamReply
from webexplorer.cluster.tls import build_ssl_context, load_cert_chain_from_memory
from webexplorer.source import Fetched

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_UNSET: float = -1.0

#: told about every request sent: ``(method, status or None when there was no answer, seconds)``. The
#: explorer points it at ``/metrics`` (upstream latency) so this layer stays free of any metrics library.
RequestObserver = Callable[[str, int | None, float], None]


class Connection:
    """A live connection to one API server; implements :class:`~webexplorer.source.DocumentSource`.

    Built from one :class:`~webexplorer.cluster.params.ConnectionParams` (``params``), which the
    properties below read; the only state that changes afterwards is the HTTP client's pool, a client
    certificate an exec plugin hands out, and the two hooks set by whoever opened it."""

    #: see :data:`RequestObserver`; copied to sibling connections (``with_token``, ``switch_context``)
    observer: RequestObserver | None = None
    #: how the connection was chosen (set by :func:`~webexplorer.cluster.connect.connect`)
    detection: Detection | None = None

    def __init__(self, params: ConnectionParams) -> None:
        self.params = replace(params, server_url=params.server_url.rstrip("/"))
        self._client_cert_source = params.client_cert_source
        self._owns_client = True
        self._base = httpx.URL(self.params.server_url)
        if self._base.scheme not in ("http", "https") or not self._base.host:
            raise ConfigError(
                f"The API server address {params.server_url!r} is not an http(s) URL with a host: fix "
                "--server or the kubeconfig's server field."
            )
        self._ssl_context = build_ssl_context(params.tls)
        self._extensions: dict[str, object] = {}
        if params.tls.server_name:
            self._extensions["sni_hostname"] = params.tls.server_name
        self._client = make_client(
            verify=self._ssl_context,
            auth=KubeAuth(params.credentials),
            timeout=params.request_timeout,
            proxy=params.proxy_url,
            headers=params.headers,
            trust_env=params.trust_env,
        )

    # --- what it was built from ---------------------------------------------------------------

    @property
    def mode(self) -> ConnectionMode:
        return self.params.mode

    @property
    def label(self) -> str:
        return self.params.label

    @property
    def server_url(self) -> str:
        return self.params.server_url

    @property
    def namespace(self) -> str:
        return self.params.namespace

    @property
    def context(self) -> str | None:
        return self.params.context

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.params.warnings

    @property
    def request_timeout(self) -> float:
        return self.params.request_timeout

    @property
    def proxy_url(self) -> str | None:
        return self.params.proxy_url

    @property
    def kubeconfig(self) -> Kubeconfig | None:
        return self.params.kubeconfig

    @property
    def credentials(self) -> CredentialSource:
        return self.params.credentials

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def for_server(cls, url: str, *, request_timeout: float = 10.0, label: str | None = None) -> Connection:
        """A URL used as is, with no credentials: kubectl proxy, or an ambassador sidecar that adds them."""
        return cls(server_params(url, request_timeout=request_timeout, label=label))

    @classmethod
    def from_in_cluster(
        cls,
        config: InClusterConfig,
        *,
        request_timeout: float = 10.0,
        token_refresh: float = DEFAULT_TOKEN_REFRESH,
    ) -> Connection:
        """The pod's own service account: token file re-read every ``token_refresh`` s and after a 401."""
        return cls(in_cluster_params(config, request_timeout=request_timeout, token_refresh=token_refresh))

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
        holder: list[Connection] = []

        def install_cert(cert_pem: bytes, key_pem: bytes) -> None:
            holder[0]._install_client_cert(cert_pem, key_pem)

        params = kubeconfig_params(
            kubeconfig.resolve(context),
            kubeconfig,
            on_client_cert=install_cert,
            request_timeout=request_timeout,
            token_refresh=token_refresh,
            exec_timeout=exec_timeout,
        )
        holder.append(cls(params))
        return holder[0]

    def _install_client_cert(self, cert_pem: bytes, key_pem: bytes) -> None:
        """Present a new client certificate (from an exec plugin) on connections opened from now on."""
        load_cert_chain_from_memory(self._ssl_context, cert_pem, key_pem)
        self._client_cert_source = "the exec plugin"

    def with_token(self, token: str, *, label: str | None = None) -> Connection:
        """A sibling connection to the same server with the same trust and headers, authenticating as a
        *visitor* with their own bearer token instead of the explorer's identity (no client
        certificate, no impersonation, no kubeconfig to switch contexts of). The caller owns it and
        must ``aclose()`` it."""
        params = self.params
        sibling = Connection(
            replace(
                params,
                label=label or f"{params.label} (visitor's token)",
                credentials=StaticTokenSource(token, "bearer token of the visitor"),
                tls=replace(params.tls, client_cert_pem=None, client_key_pem=None),
                headers=tuple((k, v) for k, v in params.headers if not k.lower().startswith("impersonate-")),
                act_as=(),
                client_cert_source=None,
                kubeconfig=None,
            )
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
        view.params = replace(
            self.params,
            label=f"{self.label} (as {user})",
            act_as=(("Impersonate-User", user), *(("Impersonate-Group", g) for g in groups)),
        )
        view._owns_client = False
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
            kubeconfig, name, request_timeout=self.request_timeout, token_refresh=self.params.token_refresh
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
        if (user := self.params.impersonating) is not None:
            parts.append(f"impersonating {user!r}")
        return ", ".join(parts) or "none"

    @property
    def trust(self) -> str:
        """What the server certificate is checked against, for the UI."""
        if self._base.scheme == "http":
            return "nothing (plain http)"
        tls = self.params.tls
        return "nothing (insecure-skip-tls-verify)" if tls.insecure else tls.trust

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
        if self.params.act_as:
            kept = [(k, v) for k, v in (headers or {}).items() if not k.lower().startswith("impersonate-")]
            sent = httpx.Headers([*kept, *self.params.act_as])
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
            yield StreamReply(response, self.translate, read or budget)
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
