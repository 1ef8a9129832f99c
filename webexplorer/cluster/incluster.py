"""The in-cluster configuration, read the way client-go's ``rest.InClusterConfig`` reads it.

A pod learns the API server from ``KUBERNETES_SERVICE_HOST``/``KUBERNETES_SERVICE_PORT`` and its
identity from the projected service-account volume: ``token`` (a bound token the kubelet rotates by
swapping a ``..data`` symlink, so we only ever remember the *path*), ``ca.crt`` and ``namespace``.
The CA is read once here so a missing file is reported at start, not at the first page.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from webexplorer.cluster.errors import ConfigError
from webexplorer.cluster.tls import TLSSettings, build_ssl_context

TOKEN_FILE = "token"  # noqa: S105 - a file name, not a secret
CA_FILE = "ca.crt"
NAMESPACE_FILE = "namespace"


@dataclass(frozen=True, slots=True)
class InClusterConfig:
    """Everything needed to talk to the API server from inside a pod; no secret is held here."""

    server: str
    token_file: Path
    ca_file: Path
    tls: TLSSettings
    namespace: str
    #: where the namespace came from, for the home page: "POD_NAMESPACE", "/var/run/.../namespace", "default"
    namespace_source: str


def join_host_port(host: str, port: str) -> str:
    """``host:port`` with IPv6 literals bracketed, as Go's ``net.JoinHostPort`` does."""
    if ":" in host and not host.startswith("["):
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def in_cluster_available(serviceaccount_dir: Path, env: Mapping[str, str]) -> tuple[bool, str]:
    """Whether this looks like a pod with a mounted token, and a sentence saying why (not)."""
    host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        return False, "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set (not in a pod)"
    token = serviceaccount_dir / TOKEN_FILE
    if not token.is_file():
        return False, (
            f"KUBERNETES_SERVICE_HOST is set but there is no token at {token} "
            "(automountServiceAccountToken may be false)"
        )
    return True, (f"KUBERNETES_SERVICE_HOST/PORT are set and a service-account token is mounted at {token}")


def load_in_cluster(serviceaccount_dir: Path, env: Mapping[str, str]) -> InClusterConfig:
    """Read the in-cluster settings; raises :class:`ConfigError` with a sentence naming what is missing."""
    host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise ConfigError(
            "In-cluster mode needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, which Kubernetes "
            "sets in every pod: run the explorer in a pod, or choose --mode kubeconfig or --server."
        )
    if not port.isdigit():
        raise ConfigError(
            f"KUBERNETES_SERVICE_PORT is {port!r}, not a port number: unset it or fix the pod's environment."
        )
    token_file = serviceaccount_dir / TOKEN_FILE
    try:
        with token_file.open("rb"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"The service-account token {token_file} could not be read ({exc.strerror or exc}): mount a "
            "token (automountServiceAccountToken: true) or set --serviceaccount-dir."
        ) from None
    ca_file = serviceaccount_dir / CA_FILE
    try:
        ca_pem = ca_file.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"The cluster CA certificate {ca_file} could not be read ({exc.strerror or exc}): the "
            "service-account volume should contain ca.crt; check the pod's volume mounts."
        ) from None
    tls = TLSSettings(ca_pem=ca_pem, trust=f"ca.crt at {ca_file}")
    try:
        build_ssl_context(tls)
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f"The cluster CA certificate {ca_file} is not a valid PEM certificate ({exc}): check the "
            "service-account volume."
        ) from None

    namespace, source = env.get("POD_NAMESPACE", "").strip(), "POD_NAMESPACE"
    if not namespace:
        ns_file = serviceaccount_dir / NAMESPACE_FILE
        try:
            namespace, source = ns_file.read_text(encoding="utf-8").strip(), str(ns_file)
        except OSError:
            namespace = ""
    if not namespace:
        namespace, source = "default", "default"
    return InClusterConfig(
        server=f"https://{join_host_port(host, port)}",
        token_file=token_file,
        ca_file=ca_file,
        tls=tls,
        namespace=namespace,
        namespace_source=source,
    )
