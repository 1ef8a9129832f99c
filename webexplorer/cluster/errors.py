"""Errors a person can act on, and the one place that turns transport failures into them.

Every failure to get an answer from the API server becomes a :class:`ClusterError` (a
:class:`~webexplorer.source.SourceError`) whose ``str()`` is one sentence naming the cause and the fix.
httpx, ssl and socket exceptions never leave this package: the pages above would otherwise show a
stack of library words ("All connection attempts failed") that tell nobody what to do.

Secrets never reach a message: the sentences are built from the server URL, file paths and the
library's reason text, and :func:`redact` scrubs anything shaped like a bearer token or JWT from text
that came from elsewhere (an exec plugin's stderr, say).
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator

import httpx

from webexplorer.source import SourceError


class ClusterError(SourceError):
    """The connection could not get an answer; ``str()`` is one sentence with the cause and the fix."""


class ConfigError(ClusterError):
    """The connection settings themselves are wrong: a malformed kubeconfig, a missing in-cluster file."""


class KubeconfigError(ConfigError):
    """A kubeconfig file is unreadable, not YAML, or lacks the context/cluster/user it must name."""


class CredentialError(ClusterError):
    """No credential could be obtained: the token file vanished, an exec plugin failed."""


class UnreachableError(ClusterError):
    """Nothing answered at the server's address (refused, no route, unknown host)."""


class TLSVerificationError(ClusterError):
    """The TLS handshake failed: the server's certificate is not trusted, or ours was refused."""


class AnswerTimeoutError(ClusterError):
    """The server accepted the connection (or not) but gave no answer in time."""


class UnauthorizedError(ClusterError):
    """The server answered 401: the credentials are not accepted."""


_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_LONG_SECRETISH = re.compile(r"\b[A-Za-z0-9+_.=-]{40,}\b")  # no "/": keep file paths readable


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with the given secrets and anything that looks like a token replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _JWT.sub("***", text)
    text = _BEARER.sub(r"\1***", text)
    return _LONG_SECRETISH.sub("***", text)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from, nearest first, without loops."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _seconds(value: float) -> str:
    return f"{value:g} s"


def translate_transport_error(
    exc: Exception,
    *,
    server: str,
    timeout: float,
    trust: str,
    proxy: str | None = None,
) -> ClusterError:
    """Turn an httpx/ssl/socket failure talking to ``server`` into a :class:`ClusterError` sentence.

    ``trust`` says what the server certificate was checked against ("ca.crt at /var/run/...",
    "certificate-authority-data of cluster 'prod'", "the system trust store") so a TLS failure can name
    the file to fix.
    """
    via = f" through the proxy {proxy}" if proxy else ""
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            return AnswerTimeoutError(
                f"The API server at {server} did not accept a connection{via} within {_seconds(timeout)}: "
                "check that it is running and reachable from the explorer (kubectl cluster-info)."
            )
        if isinstance(exc, httpx.PoolTimeout):
            return AnswerTimeoutError(
                f"Too many requests to {server} were waiting for a free connection for "
                f"{_seconds(timeout)}: retry, or raise --request-timeout."
            )
        return AnswerTimeoutError(
            f"The API server at {server} did not answer within {_seconds(timeout)}: check that it is "
            "running and reachable from the explorer (kubectl cluster-info), or raise --request-timeout."
        )
    if isinstance(exc, httpx.ProxyError):
        return UnreachableError(
            f"The proxy {proxy or ''} refused to carry the request to {server} ({_reason(exc)}): check "
            "the proxy-url in the kubeconfig."
        )
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or cause.reason or str(cause)
            return TLSVerificationError(
                f"The API server at {server} presented a certificate that could not be verified against "
                f"{trust} ({detail}): point the explorer at the cluster's CA certificate (kubeconfig "
                "certificate-authority, or ca.crt in-cluster) or fix tls-server-name."
            )
        if isinstance(cause, ssl.SSLError):
            reason = cause.reason or str(cause)
            if reason in {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE"} or "wrong version" in str(cause):
                return TLSVerificationError(
                    f"The server at {server} does not speak TLS ({reason}): use an http:// URL for a "
                    "plain-HTTP endpoint such as kubectl proxy, or check the port."
                )
            return TLSVerificationError(
                f"The TLS handshake with {server} failed ({reason}): check the client certificate and "
                "key in the kubeconfig and that the server accepts them."
            )
        if isinstance(cause, socket.gaierror):
            return UnreachableError(
                f"The API server's host name in {server} could not be resolved ({cause.strerror or cause}): "
                "check the server address in the kubeconfig or --server."
            )
        if isinstance(cause, ConnectionRefusedError):
            return UnreachableError(
                f"Nothing is listening at {server}{via} (connection refused): check that the API server "
                "(or kubectl proxy) is running and that the address and port are right "
                "(kubectl cluster-info)."
            )
    if isinstance(exc, httpx.ConnectError):
        return UnreachableError(
            f"Could not connect to the API server at {server}{via} ({_reason(exc)}): check that it is "
            "running and reachable from the explorer (kubectl cluster-info)."
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return UnreachableError(
            f"The API server at {server} closed the connection without a complete answer "
            f"({_reason(exc)}): check that the address really is a Kubernetes API server and that no "
            "proxy in between cuts the connection."
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ConfigError(
            f"The API server address {server} is not a usable http(s) URL ({_reason(exc)}): fix --server "
            "or the kubeconfig's server field."
        )
    return UnreachableError(
        f"The request to the API server at {server} failed ({type(exc).__name__}: {_reason(exc)}): check "
        "that it is running and reachable from the explorer (kubectl cluster-info)."
    )


def _reason(exc: BaseException) -> str:
    """The first non-empty message along an exception chain, redacted and kept short."""
    text = ""
    for cause in _causes(exc):
        message = str(cause).strip()
        if message:
            text = message
            break
    text = redact(text) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
