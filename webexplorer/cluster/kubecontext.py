"""One kubeconfig context resolved into plain connection settings (:class:`ResolvedContext`).

Resolving reads the certificate files into memory at once: a missing or bad file is reported as one
sentence naming the file and the kubeconfig entry that points at it, when the operator starts the
explorer or picks the context, rather than as a TLS error at the first page. Nothing here talks to the
network or runs a plugin.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from webexplorer.cluster.errors import KubeconfigError
from webexplorer.cluster.kubeexec import ExecSpec, exec_spec
from webexplorer.cluster.kubefields import Entry, data_field, opt_bool, opt_str, path_in, read_file
from webexplorer.cluster.tls import TLSSettings, build_ssl_context, load_cert_chain_from_memory

AuthKind = Literal["none", "token", "token-file", "exec", "basic"]


@dataclass(frozen=True, slots=True)
class AuthSpec:
    """How requests authenticate. Exactly one bearer source (or none); client certs live in TLS."""

    kind: AuthKind = "none"
    token: str | None = field(default=None, repr=False)
    token_file: Path | None = None
    exec: ExecSpec | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ResolvedContext:
    """One context turned into what a connection needs; holds secrets only in repr-hidden fields."""

    context: str
    cluster_name: str
    user_name: str
    namespace: str
    server: str
    tls: TLSSettings
    auth: AuthSpec
    #: where the client certificate came from, for describe_auth: a path, or "client-certificate-data"
    client_cert_source: str | None
    proxy_url: str | None
    disable_compression: bool
    #: Impersonate-* headers from the user's ``as``, ``as-uid``, ``as-groups``, ``as-user-extra``
    impersonate: tuple[tuple[str, str], ...]
    #: the file the context came from
    source: Path
    warnings: tuple[str, ...] = ()


def resolve_context(
    context: str, ctx_entry: Entry, cl_entry: Entry, us_entry: Entry | None, namespace: str
) -> ResolvedContext:
    """The context ``ctx_entry`` with its cluster and user (looked up by :class:`~.kubeconfig.Kubeconfig`),
    files read and checked; raises :class:`KubeconfigError` with a sentence."""
    cl, cl_src = cl_entry.body, cl_entry.source
    cl_what = f"cluster {cl_entry.name!r}"
    server = opt_str(cl, "server", cl_what, cl_src)
    if not server:
        raise KubeconfigError(
            f"Cluster {cl_entry.name!r} in {cl_src} has no server URL: add 'server: https://HOST:PORT'."
        )
    if "://" not in server:  # client-go assumes https for a bare host:port
        server = "https://" + server
    if not server.startswith(("https://", "http://")):
        raise KubeconfigError(
            f"Cluster {cl_entry.name!r} in {cl_src} has server {server!r}, which is not an http(s) URL: "
            "fix the server field."
        )
    warnings: list[str] = []
    insecure = opt_bool(cl, "insecure-skip-tls-verify", cl_what, cl_src)
    ca_pem = data_field(cl, "certificate-authority-data", cl_what, cl_src)
    trust = f"certificate-authority-data of {cl_what}"
    ca_file = opt_str(cl, "certificate-authority", cl_what, cl_src)
    if ca_pem is None and ca_file:
        ca_path = path_in(ca_file, cl_src)
        ca_pem = read_file(ca_path, "certificate-authority", cl_what, cl_src)
        trust = f"the certificate-authority {ca_path} of {cl_what}"
    if ca_pem is None:
        trust = "the system trust store"
    if insecure and ca_pem is not None:
        raise KubeconfigError(
            f"Cluster {cl_entry.name!r} in {cl_src} sets both a certificate authority and "
            "insecure-skip-tls-verify, which kubectl also refuses: remove one of them."
        )
    if insecure and server.startswith("https://"):
        warnings.append(
            f"TLS verification is off for cluster {cl_entry.name!r} (insecure-skip-tls-verify in {cl_src}): "
            "anyone on the network path can impersonate the API server and read the credentials."
        )
    server_name = opt_str(cl, "tls-server-name", cl_what, cl_src)
    proxy_url = opt_str(cl, "proxy-url", cl_what, cl_src)
    if proxy_url and not proxy_url.startswith(("http://", "https://", "socks5://", "socks5h://")):
        raise KubeconfigError(
            f"Cluster {cl_entry.name!r} in {cl_src} has proxy-url {proxy_url!r}, which is not an http(s) "
            "or socks5 URL: fix it."
        )
    disable_compression = opt_bool(cl, "disable-compression", cl_what, cl_src)

    # the user
    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    cert_source: str | None = None
    auth = AuthSpec()
    impersonate: list[tuple[str, str]] = []
    if us_entry is not None:
        us, us_src = us_entry.body, us_entry.source
        us_what = f"user {us_entry.name!r}"
        cert_pem = data_field(us, "client-certificate-data", us_what, us_src)
        cert_source = "client-certificate-data" if cert_pem is not None else None
        if cert_pem is None and (cert_file := opt_str(us, "client-certificate", us_what, us_src)):
            cert_path = path_in(cert_file, us_src)
            cert_pem = read_file(cert_path, "client-certificate", us_what, us_src)
            cert_source = str(cert_path)
        key_pem = data_field(us, "client-key-data", us_what, us_src)
        if key_pem is None and (key_file := opt_str(us, "client-key", us_what, us_src)):
            key_pem = read_file(path_in(key_file, us_src), "client-key", us_what, us_src)
        if (cert_pem is None) != (key_pem is None):
            have, lack = ("certificate", "key") if key_pem is None else ("key", "certificate")
            raise KubeconfigError(
                f"User {us_entry.name!r} in {us_src} has a client {have} but no client {lack}: add "
                f"client-{lack}(-data) or remove the {have}."
            )
        if us.get("auth-provider") is not None:
            provider = us["auth-provider"]
            name = provider.get("name") if isinstance(provider, dict) else None
            raise KubeconfigError(
                f"User {us_entry.name!r} in {us_src} uses the auth-provider {name or '?'!r}, which "
                "Kubernetes removed: switch the user to an exec credential plugin (for example kubelogin "
                "or the cloud's own plugin)."
            )
        auth = _user_auth(us, us_what, us_src, cl, cl_what, cl_src, server, ca_pem)
        impersonate = _impersonation(us, us_what, us_src)

    tls = TLSSettings(
        ca_pem=ca_pem,
        trust=trust,
        insecure=insecure,
        client_cert_pem=cert_pem,
        client_key_pem=key_pem,
        server_name=server_name,
    )
    _check_tls(tls, cl_entry, us_entry)
    if server.startswith("http://") and (auth.kind != "none"):
        warnings.append(
            f"Cluster {cl_entry.name!r} uses plain http:// ({server}), so the credentials of "
            f"{us_entry.name if us_entry else 'the user'!r} travel unencrypted."
        )
    return ResolvedContext(
        context=context,
        cluster_name=cl_entry.name,
        user_name=us_entry.name if us_entry else "",
        namespace=namespace,
        server=server.rstrip("/"),
        tls=tls,
        auth=auth,
        client_cert_source=cert_source,
        proxy_url=proxy_url,
        disable_compression=disable_compression,
        impersonate=tuple(impersonate),
        source=ctx_entry.source,
        warnings=tuple(warnings),
    )


def _check_tls(tls: TLSSettings, cl_entry: Entry, us_entry: Entry | None) -> None:
    """Load the material once now, so a bad PEM is named here rather than failing every request."""
    try:
        ctx = build_ssl_context(TLSSettings(ca_pem=tls.ca_pem, insecure=tls.insecure))
    except (ssl.SSLError, ValueError) as exc:
        raise KubeconfigError(
            f"The certificate authority of cluster {cl_entry.name!r} in {cl_entry.source} is not a valid "
            f"PEM certificate ({getattr(exc, 'reason', None) or exc}): fix certificate-authority(-data)."
        ) from None
    if tls.client_cert_pem is not None and tls.client_key_pem is not None and us_entry is not None:
        try:
            load_cert_chain_from_memory(ctx, tls.client_cert_pem, tls.client_key_pem)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise KubeconfigError(
                f"The client certificate and key of user {us_entry.name!r} in {us_entry.source} could not "
                f"be loaded ({getattr(exc, 'reason', None) or type(exc).__name__}): check that both are PEM "
                "and that the key matches the certificate."
            ) from None


def _user_auth(
    us: Mapping[str, Any],
    us_what: str,
    us_src: Path,
    cl: Mapping[str, Any],
    cl_what: str,
    cl_src: Path,
    server: str,
    ca_pem: bytes | None,
) -> AuthSpec:
    if us.get("exec") is not None:
        return AuthSpec(
            kind="exec", exec=exec_spec(us["exec"], us_what, us_src, cl, cl_what, cl_src, server, ca_pem)
        )
    token = opt_str(us, "token", us_what, us_src)
    if token:
        return AuthSpec(kind="token", token=token.strip())
    token_file = opt_str(us, "tokenFile", us_what, us_src)
    if token_file:
        path = path_in(token_file, us_src)
        read_file(path, "tokenFile", us_what, us_src)
        return AuthSpec(kind="token-file", token_file=path)
    username = opt_str(us, "username", us_what, us_src)
    if username:
        password = opt_str(us, "password", us_what, us_src) or ""
        return AuthSpec(kind="basic", username=username, password=password)
    return AuthSpec()


def _impersonation(us: Mapping[str, Any], us_what: str, us_src: Path) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    if as_user := opt_str(us, "as", us_what, us_src):
        headers.append(("Impersonate-User", as_user))
    if as_uid := opt_str(us, "as-uid", us_what, us_src):
        headers.append(("Impersonate-Uid", as_uid))
    groups = us.get("as-groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise KubeconfigError(f"The kubeconfig {us_src}: 'as-groups' of {us_what} must be a list of strings.")
    headers.extend(("Impersonate-Group", g) for g in groups)
    extra = us.get("as-user-extra") or {}
    if not isinstance(extra, dict):
        raise KubeconfigError(f"The kubeconfig {us_src}: 'as-user-extra' of {us_what} must be a mapping.")
    for key, values in extra.items():
        items = values if isinstance(values, list) else [values]
        headers.extend((f"Impersonate-Extra-{key}", str(v)) for v in items)
    return headers
