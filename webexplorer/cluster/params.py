"""What a :class:`~webexplorer.cluster.connection.Connection` is built from: one frozen record.

Every way to reach a server — a URL used as is, the pod's service account, a context of a kubeconfig —
ends in a :class:`ConnectionParams`, and this module is where each is worked out (for a kubeconfig
context: which :mod:`~webexplorer.cluster.auth` credential source its user's fields mean, and which
headers its cluster asks for). A sibling connection (a visitor's own token, an impersonated view) is
the same record with a few fields replaced (``dataclasses.replace``), so nothing a context set — a
``disable-compression`` header, say — can be forgotten by re-passing fields one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from webexplorer.cluster.auth import (
    DEFAULT_TOKEN_REFRESH,
    BasicSource,
    CredentialSource,
    ExecSource,
    NoCredentialSource,
    StaticTokenSource,
    TokenFileSource,
)
from webexplorer.cluster.execplugin import DEFAULT_EXEC_TIMEOUT
from webexplorer.cluster.incluster import InClusterConfig
from webexplorer.cluster.kubeconfig import Kubeconfig
from webexplorer.cluster.kubecontext import ResolvedContext
from webexplorer.cluster.tls import TLSSettings

ConnectionMode = Literal["in-cluster", "server", "kubeconfig"]

#: told when an exec plugin hands out a client certificate: ``(cert_pem, key_pem)``
ClientCertHook = Callable[[bytes, bytes], None]


@dataclass(frozen=True, slots=True)
class ConnectionParams:
    """Where the server is, how it is trusted, whose credentials are sent, and what every request
    carries. Secrets live only inside ``credentials`` and ``tls``, both kept out of ``repr``."""

    mode: ConnectionMode
    #: a short label for pages: "in-cluster", "kubectl proxy", "kubeconfig: ctx"
    label: str
    server_url: str
    credentials: CredentialSource = field(repr=False)
    tls: TLSSettings = field(default_factory=TLSSettings)
    namespace: str = "default"
    #: the kubeconfig context (None outside kubeconfig mode)
    context: str | None = None
    #: sentences for the home page (TLS verification off, credentials over plain http)
    warnings: tuple[str, ...] = ()
    request_timeout: float = 10.0
    proxy_url: str | None = None
    #: honour HTTPS_PROXY/NO_PROXY (kubeconfig mode without a proxy-url, as kubectl does)
    trust_env: bool = False
    #: headers the HTTP client sends on every request, a caller's header of the same name winning:
    #: a kubeconfig user's ``Impersonate-*`` (``as``, ``as-groups``, ...) and ``Accept-Encoding:
    #: identity`` for a cluster's ``disable-compression``
    headers: tuple[tuple[str, str], ...] = ()
    #: ``Impersonate-*`` headers forced over any a caller passes (:meth:`Connection.with_impersonation`)
    act_as: tuple[tuple[str, str], ...] = ()
    #: where the client certificate came from, for ``describe_auth``: a path, "client-certificate-data"
    client_cert_source: str | None = None
    #: the kubeconfig the context came from: its contexts can be listed and switched to
    kubeconfig: Kubeconfig | None = field(default=None, repr=False)
    #: how often a token file is re-read (kept for the connections a context switch opens)
    token_refresh: float = DEFAULT_TOKEN_REFRESH

    @property
    def impersonating(self) -> str | None:
        """The user requests act as through impersonation, or None."""
        return next(
            (value for name, value in self.act_as or self.headers if name == "Impersonate-User"), None
        )


def server_params(
    url: str, *, request_timeout: float = 10.0, label: str | None = None, namespace: str = "default"
) -> ConnectionParams:
    """A URL used as is, with no credentials: kubectl proxy, or an ambassador sidecar that adds them.

    ``namespace`` is the try-it forms' default: a pod's own (``POD_NAMESPACE``) behind an ambassador."""
    if "://" not in url:
        url = "http://" + url
    return ConnectionParams(
        mode="server",
        label=label or f"server {url.rstrip('/')}",
        server_url=url,
        credentials=NoCredentialSource("none (the proxy at the server URL adds the identity)"),
        namespace=namespace,
        request_timeout=request_timeout,
    )


def in_cluster_params(
    config: InClusterConfig, *, request_timeout: float = 10.0, token_refresh: float = DEFAULT_TOKEN_REFRESH
) -> ConnectionParams:
    """The pod's own service account: token file re-read every ``token_refresh`` s and after a 401."""
    return ConnectionParams(
        mode="in-cluster",
        label="in-cluster",
        server_url=config.server,
        credentials=TokenFileSource(config.token_file, token_refresh),
        tls=config.tls,
        namespace=config.namespace,
        request_timeout=request_timeout,
        token_refresh=token_refresh,
    )


def kubeconfig_params(
    resolved: ResolvedContext,
    kubeconfig: Kubeconfig,
    *,
    on_client_cert: ClientCertHook,
    request_timeout: float = 10.0,
    token_refresh: float = DEFAULT_TOKEN_REFRESH,
    exec_timeout: float = DEFAULT_EXEC_TIMEOUT,
) -> ConnectionParams:
    """A resolved kubeconfig context; ``on_client_cert`` installs a certificate an exec plugin hands out."""
    auth = resolved.auth
    credentials: CredentialSource
    if auth.kind == "token" and auth.token:
        credentials = StaticTokenSource(auth.token, f"bearer token from user {resolved.user_name!r}")
    elif auth.kind == "token-file" and auth.token_file is not None:
        credentials = TokenFileSource(auth.token_file, token_refresh)
    elif auth.kind == "exec" and auth.exec is not None:
        credentials = ExecSource(auth.exec, on_client_cert=on_client_cert, timeout=exec_timeout)
    elif auth.kind == "basic" and auth.username:
        credentials = BasicSource(auth.username, auth.password or "")
    else:
        credentials = NoCredentialSource("none" if resolved.client_cert_source is None else "")
    headers: list[tuple[str, str]] = list(resolved.impersonate)
    if resolved.disable_compression:
        headers.append(("Accept-Encoding", "identity"))
    return ConnectionParams(
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
        headers=tuple(headers),
        client_cert_source=resolved.client_cert_source,
        kubeconfig=kubeconfig,
        token_refresh=token_refresh,
    )
