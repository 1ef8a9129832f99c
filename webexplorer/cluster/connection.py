"""One connection to one API server: base URL, TLS, credentials, and the only HTTP client in the package.

Everything above this module sees a :class:`Connection` — ``fetch`` for documents (it implements
:class:`~webexplorer.source.DocumentSource`), ``request``/``stream`` for try-it and watches — and never
learns whether the identity came from a mounted token, a kubeconfig or an exec plugin.

Decisions worth knowing:

* A connection is built from one frozen :class:`~webexplorer.cluster.params.ConnectionParams`;
  siblings (``with_token``, ``with_impersonation``) are that record with fields replaced. Its HTTP
  client comes from :func:`~webexplorer.cluster.client.make_client`, the one place one is built.
* Requests go out through :class:`~webexplorer.cluster.sending.Sender` (redirects only to the same
  host, paths never URLs, a timeout on everything, transport failures as sentences), which a
  connection inherits; :meth:`Connection.explain_status` words 401/403 answers.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace

import httpx

from webexplorer.cluster.auth import DEFAULT_TOKEN_REFRESH, CredentialSource, KubeAuth, StaticTokenSource
from webexplorer.cluster.client import make_client
from webexplorer.cluster.detect import Detection
from webexplorer.cluster.errors import ConfigError
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
from webexplorer.cluster.sending import Sender
from webexplorer.cluster.tls import build_ssl_context, load_cert_chain_from_memory


class Connection(Sender):
    """A live connection to one API server; implements :class:`~webexplorer.source.DocumentSource`.

    Built from one :class:`~webexplorer.cluster.params.ConnectionParams` (``params``), which the
    properties below read; the only state that changes afterwards is the HTTP client's pool, a client
    certificate an exec plugin hands out, and the two hooks set by whoever opened it."""

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
    def for_server(
        cls, url: str, *, request_timeout: float = 10.0, label: str | None = None, namespace: str = "default"
    ) -> Connection:
        """A URL used as is, with no credentials: kubectl proxy, or an ambassador sidecar that adds them."""
        return cls(server_params(url, request_timeout=request_timeout, label=label, namespace=namespace))

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

    async def aclose(self) -> None:
        """Close pooled connections. Nothing else to clean up: no key material was written to disk."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
